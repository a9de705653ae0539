# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Two-scale inference: the rim of each hole from a pass at twice the size.

`Inpainter(two_scale=D)` inpaints every image at its size and enlarged 2x,
shrinks the 2x result back and blends the two by each hole pixel's
chessboard distance d to the nearest known pixel: all 2x up to d = D/2, all
1x from d = 3D/2, linear between. Known pixels stay bit-exact. It costs
about five passes' work (1 + 4 times the pixels). Why and what it gives:
docs/inference.md ("Two-scale inference").
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from PIL import Image

from deepfill_jax.checkpoints import store
from deepfill_jax.inference import membrane

FACTOR = 2


check_width = store.check_two_scale


class Sizes(NamedTuple):
  """`Inpainter.plan_sizes` of a two-scale inpainter: one plan per pass."""
  one: tuple | None
  two: tuple | None



def enlarge_image(image: np.ndarray) -> np.ndarray:
  """uint8 [H, W, 3] -> [2H, 2W, 3], bicubic."""
  hgt, wid = image.shape[:2]
  return np.asarray(Image.fromarray(image).resize(
      (wid * FACTOR, hgt * FACTOR), Image.BICUBIC))


def enlarge_mask(mask: np.ndarray) -> np.ndarray:
  """[H, W] -> [2H, 2W], each pixel repeated 2x2 (a hole stays a hole)."""
  return np.repeat(np.repeat(mask, FACTOR, axis=0), FACTOR, axis=1)


def shrink(images: np.ndarray) -> np.ndarray:
  """uint8 [..., 2H, 2W, C] -> [..., H, W, C]: 2x2 means, halves rounded
  up."""
  *lead, hgt, wid, chans = images.shape
  blocks = images.reshape(*lead, hgt // FACTOR, FACTOR, wid // FACTOR, FACTOR,
                          chans).astype(np.uint32).sum(axis=(-4, -2))
  return ((blocks + FACTOR ** 2 // 2) // FACTOR ** 2).astype(np.uint8)


def weights(hole: np.ndarray, width: int) -> np.ndarray:
  """float [H, W]: the 2x result's weight, clip((1.5 width - d) / width, 0,
  1) at a hole pixel d px (chessboard) from the nearest known pixel, 0 at
  known pixels; pixels beyond the image border are not known, and a hole
  with no known pixel at all is left to the 1x pass."""
  if not width:
    return np.zeros(hole.shape)
  dist = membrane.known_distance(hole)
  return np.where(hole, np.clip((1.5 * width - dist) / width, 0., 1.), 0.)


def combine(one: np.ndarray, two: np.ndarray, holes: np.ndarray,
            width: int) -> np.ndarray:
  """The two-scale result of a batch.

  Args:
    one: uint8 [B, H, W, 3] composited 1x results.
    two: uint8 [B, 2H, 2W, 3] composited 2x results.
    holes: bool [B, H, W].
    width: D, the distance (px) at which both results count half.

  Returns:
    uint8 [B, H, W, 3]: `two` shrunk and `one` blended by `weights`
    (.5 rounded up); `one` where the weight is 0.
  """
  mix = np.stack([weights(hole, width) for hole in holes])[..., None]
  blend = mix * shrink(two) + (1. - mix) * one
  return np.floor(blend + 0.5).astype(np.uint8)
