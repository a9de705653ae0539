# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Training's periodic evaluation: the fixed held-out batches (first images
of the eval split, masks drawn as in training from the seed) scored with
`metrics.compute` by `step.eval_step`, as `deepfill-evaluate` scores a
folder."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from deepfill_jax.data import input_pipeline
from deepfill_jax.training import step as step_lib


class Evaluator:
  """The fixed evaluation set (first images of the eval split) and its loop."""

  def __init__(self, config: ml_collections.ConfigDict,
               setup: step_lib.Setup):
    it = input_pipeline.create_dataset(config, split='eval',
                                       batch_size=config.eval.batch_size)
    num_batches = max(1, config.eval.num_images // config.eval.batch_size)
    self.batches = []
    for _ in range(num_batches):
      try:
        self.batches.append(next(it))
      except StopIteration:
        break
    self.num_images = len(self.batches) * config.eval.batch_size
    self.setup = setup

  def __call__(self, steps: step_lib.Steps, generator: Any
               ) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """(mean of each metric over the set, outputs of the first images)."""
    totals, views = None, None
    for batch in self.batches:
      sums, batch_views = steps.evaluate(
          generator, step_lib.global_batch(self.setup, batch))
      totals = sums if totals is None else jax.tree.map(jnp.add, totals, sums)
      views = batch_views if views is None else views
    means = {f'eval/{k}': float(v) / self.num_images
             for k, v in jax.device_get(totals).items()}
    return means, jax.device_get(views)
