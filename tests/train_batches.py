# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Deterministic synthetic training batches (no files) for the train tests."""

import ml_collections
import numpy as np

from deepfill_jax import masks


def make(config: ml_collections.ConfigDict, count: int, seed: int = 0
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
