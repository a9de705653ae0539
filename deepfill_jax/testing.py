# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Deterministic fixtures shared by tests/ and bench/: synthetic training
batches, a random generator and sketch, built without files or compiled
initializers."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from flax import nnx

from deepfill_jax.checkpoints import store
from deepfill_jax.data import masks
from deepfill_jax.models import InpaintGenerator


def random_generator(cnum: int = 4, seed: int = 0, *,
                     kernel_scale: float = 1., **model: Any
                     ) -> InpaintGenerator:
  """A glorot-uniform generator built without compiling any initializer;
  `model` as generator.json's (e.g. name='deepfill_v2', guided=True).

  `kernel_scale` widens the conv kernels' range: at glorot scale a gated v2
  generator's zero-bias output is ~1e-7, the same uint8 whatever the input
  (or sketch); x2.5 keeps its activations' scale through the layers.
  """
  gen = store.abstract_generator(cnum, **model)
  rng = np.random.default_rng(seed)

  def init(p):
    if len(p.shape) == 1:
      return jnp.zeros(p.shape, p.dtype)
    receptive = np.prod(p.shape[:-2])
    limit = np.sqrt(6. / (receptive * (p.shape[-2] + p.shape[-1])))
    limit *= kernel_scale if len(p.shape) == 4 else 1.
    return jnp.asarray(rng.uniform(-limit, limit, p.shape), p.dtype)

  nnx.update(gen, jax.tree.map(init, nnx.state(gen, nnx.Param)))
  return gen


def random_sketch(hw: tuple[int, int], seed: int = 0) -> np.ndarray:
  """A uint8 [H, W] sketch: 255 (edge) on a random fifth of the pixels, so
  that it reaches into any hole."""
  rng = np.random.default_rng(seed)
  return np.where(rng.uniform(size=hw) < 0.2, 255, 0).astype(np.uint8)


def train_batches(config: ml_collections.ConfigDict, count: int, seed: int = 0
         ) -> list[dict[str, np.ndarray]]:
  """`count` global batches shaped like the input pipeline's, from `seed`."""
  rng = np.random.default_rng(seed)
  size = config.image_size
  generator = masks.MaskGenerator(config.masks, (size, size))
  discount = masks.spatial_discount(generator.box_hw, config.masks.gamma)
  batches = []
  for _ in range(count):
    # Smooth images (a random colour ramp) so that losses are well behaved.
    ramp = np.linspace(-1, 1, size, dtype=np.float32)
    colour = rng.uniform(-1, 1, (config.batch_size, 1, 1, 3))
    image = np.clip(colour + 0.3 * ramp[None, :, None, None]
                    + 0.05 * rng.standard_normal(
                        (config.batch_size, size, size, 3)), -1, 1)
    drawn = [generator(rng) for _ in range(config.batch_size)]
    batches.append({
        'image': image.astype(np.float32),
        'mask': np.stack([m for m, _ in drawn])[..., None].astype(np.float32),
        'box': np.stack([b for _, b in drawn]).astype(np.int32),
        'discount': np.repeat(discount[None], config.batch_size, axis=0),
    })
  return batches
