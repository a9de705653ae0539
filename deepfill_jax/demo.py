# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Inference demo: inpaint the bundled photos and write strips and timings."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from absl import logging
from flax import nnx

from deepfill_jax import image_io
from deepfill_jax import inference
from deepfill_jax import masks as masks_lib
from deepfill_jax.models import InpaintGenerator


def make_inpainter(config: ml_collections.ConfigDict) -> inference.Inpainter:
  """From `config.demo.checkpoint`, or randomly initialised from the seed."""
  if config.demo.checkpoint:
    logging.info('Loading the generator from %s', config.demo.checkpoint)
    return inference.Inpainter.from_checkpoint(
        config.demo.checkpoint, attention=config.demo.attention)
  logging.warning('No config.demo.checkpoint: random weights, so the fill is '
                  'noise; convert or train weights for real results.')
  gen = InpaintGenerator(config.model.cnum, rngs=nnx.Rngs(config.seed),
                         dtype=jnp.dtype(config.model.dtype))
  return inference.Inpainter(gen, attention=config.demo.attention)


def strip(image: np.ndarray, hole: np.ndarray, result: np.ndarray,
          flow: np.ndarray) -> np.ndarray:
  """[input with the hole in white | result | flow], side by side."""
  shown = np.where(hole[..., None], np.uint8(255), image)
  return np.concatenate([shown, result, flow], axis=1)


def run(config: ml_collections.ConfigDict, workdir: str) -> dict[str, Any]:
  """Inpaints `config.data.path` into `workdir`; returns the summary."""
  paths = image_io.list_images(config.data.path)
  if config.demo.num_images:
    paths = paths[:config.demo.num_images]
  if not paths:
    raise ValueError(f'No images found in {config.data.path}.')
  os.makedirs(workdir, exist_ok=True)
  inpainter = make_inpainter(config)
  rng = np.random.default_rng(config.seed)
  rows = []
  for path in paths:
    try:
      image = image_io.load_image(path)
    except ValueError as e:  # Corrupt or unreadable: report and go on.
      logging.warning('Skipping %s', e)
      continue
    hole, _ = masks_lib.MaskGenerator(config.masks, image.shape[:2])(rng)
    start = time.perf_counter()
    res = inpainter(image, hole, return_flow=True)
    seconds = time.perf_counter() - start
    if not np.array_equal(res.image[~hole], image[~hole]):
      raise AssertionError(f'{path}: known pixels changed.')
    name = os.path.splitext(os.path.basename(path))[0]
    out = os.path.join(workdir, f'{name}.png')
    image_io.save_image(out, strip(image, hole, res.image, res.flow))
    rows.append(dict(image=path, output=out, height=image.shape[0],
                     width=image.shape[1], hole_fraction=float(hole.mean()),
                     seconds=seconds))
    logging.info('%s %dx%d hole %.1f%%: %.2f s (first call of a shape '
                 'includes compilation)', name, image.shape[1], image.shape[0],
                 100 * hole.mean(), seconds)
  if not rows:
    raise ValueError(f'None of the images in {config.data.path} could be read.')
  summary = dict(backend=jax.default_backend(), attention=config.demo.attention,
                 checkpoint=config.demo.checkpoint or None, images=rows)
  with open(os.path.join(workdir, 'summary.json'), 'w') as f:
    json.dump(summary, f, indent=2)
  logging.info('Wrote %d strips [input | result | flow] and summary.json to %s',
               len(rows), workdir)
  return summary
