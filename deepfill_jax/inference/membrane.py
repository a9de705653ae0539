# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Membrane fills: smooth interpolation into a hole from its border.

`membrane_fill` is the harmonic fill of a hole from the ring of known
pixels around it: a pull-push pyramid (Gortler et al. 1996) as the start,
then Jacobi sweeps. `Inpainter(blend=True)` uses it twice on the network's
fill:
  - seamless: the fill is shifted by the membrane of its error on the ring
    of known pixels around the hole, so it meets the border without a seam
    or a colour cast (as seamless cloning does);
  - thin holes: where the hole is thin, the membrane of the known ring
    itself takes over (`weights`), as a diffusion fill does.
The choices and what each gave: docs/inference.md ("Blending").
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from scipy import ndimage

from deepfill_jax.data import pixels

# Holes at most THIN px thick (chessboard distance from their middle to the
# known pixels) are the membrane's; its weight falls to FLOOR over WIDTH px
# more. Chosen on the validation split (docs/inference.md).
THIN = 16
WIDTH = 8
FLOOR = 0.2
# Jacobi sweeps after the pull-push start (the harmonic fill of a 15 px
# stroke converges in far fewer).
SWEEPS = 200


def _halve(x: jax.Array) -> jax.Array:
  """Sums of 2x2 blocks of [H, W, ...], odd sides padded with zeros."""
  hgt, wid = x.shape[:2]
  pad = [(0, hgt % 2), (0, wid % 2)] + [(0, 0)] * (x.ndim - 2)
  x = jnp.pad(x, pad)
  return x.reshape(x.shape[0] // 2, 2, x.shape[1] // 2, 2,
                   *x.shape[2:]).sum(axis=(1, 3))


def pull_push(values: jax.Array, weights: jax.Array) -> jax.Array:
  """A smooth fill of `values` [H, W, C] from where `weights` [H, W] is 1.

  Pull: weighted 2x2 sums down to a 1x1 pyramid level. Push: from the top,
  each level keeps its own weighted mean where it has any weight and takes
  the coarser level, enlarged bilinearly, elsewhere. Pixels with weight 1
  keep their value; with no weight anywhere the result is 0.
  """
  pyramid = [(values * weights[..., None], weights)]
  while max(pyramid[-1][1].shape) > 1:
    num, den = pyramid[-1]
    pyramid.append((_halve(num), _halve(den)))
  out = None
  for num, den in reversed(pyramid):
    mean = num / jnp.maximum(den, 1e-6)[..., None]
    if out is not None:
      up = jax.image.resize(out, (2 * out.shape[0], 2 * out.shape[1],
                                  out.shape[2]), 'linear')
      keep = jnp.minimum(den, 1.)[..., None]
      mean = keep * mean + (1. - keep) * up[:den.shape[0], :den.shape[1]]
    out = mean
  return out


def relax(values: jax.Array, hole: jax.Array, sweeps: int = SWEEPS
          ) -> jax.Array:
  """`sweeps` Jacobi steps of Laplace's equation on the `hole` [H, W]
  pixels of `values` [H, W, C]: each becomes the mean of its 4 neighbours
  (beyond the image border: itself); the other pixels stay fixed."""
  inside = hole[..., None]

  def sweep(_, x):
    p = jnp.pad(x, ((1, 1), (1, 1), (0, 0)), mode='edge')
    mean = (p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:]) / 4.
    return jnp.where(inside, mean, x)

  return jax.lax.fori_loop(0, sweeps, sweep, values)


def membrane_fill(values: jax.Array, hole: jax.Array,
                  known_ring: jax.Array) -> jax.Array:
  """The harmonic fill [H, W, C] of `hole` (bool [H, W]) from `values` on
  `known_ring` (`ring(hole)`): `pull_push`, then `relax`."""
  start = pull_push(values, known_ring.astype(values.dtype))
  return relax(jnp.where(known_ring[..., None], values, start), hole)


def known_distance(hole: np.ndarray) -> np.ndarray:
  """Chessboard distance of each pixel to the nearest known pixel (0 at
  known pixels; beyond the image border nothing is known; inf if no pixel
  is known)."""
  dist = ndimage.distance_transform_cdt(hole, metric='chessboard')
  return np.where(dist < 0, np.inf, dist)  # -1: no known pixel anywhere.


def ring(hole: np.ndarray) -> np.ndarray:
  """bool [H, W]: the known pixels next to (8-neighbours of) the hole."""
  return ndimage.binary_dilation(hole, np.ones((3, 3), bool)) & ~hole


def weights(hole: np.ndarray, scale: int = 1) -> np.ndarray:
  """float32 [H, W]: the membrane's share of each hole pixel's fill.

  A pixel's thickness r is the largest chessboard distance to the known
  pixels within THIN px of it; the share is 1 up to r = THIN, then falls
  linearly to FLOOR at THIN + WIDTH (all in px / `scale`, for a pass at
  `scale` times the size). 0 at known pixels.
  """
  thin, width = THIN * scale, WIDTH * scale
  thick = ndimage.maximum_filter(known_distance(hole), size=2 * thin + 1)
  share = FLOOR + (1. - FLOOR) * np.clip((thin - thick) / width + 1., 0., 1.)
  return np.where(hole, share, 0.).astype(np.float32)


@jax.jit
def fill_thin(image: jax.Array, hole: jax.Array, known_ring: jax.Array,
              share: jax.Array) -> jax.Array:
  """uint8 [H, W, 3] `image` with its `hole` pixels (bool [H, W]) moved
  towards the membrane of `known_ring` (bool [H, W]: `ring`, less any
  other hole) by `share` ([H, W], `weights`): the thin-hole step of
  `blend` for a fill made without the network's full-size output (the
  working size)."""
  values = image.astype(jnp.float32)
  smooth = membrane_fill(values, hole, known_ring)
  out = values + share[..., None] * (smooth - values)
  return jnp.where(hole[..., None], pixels.round_uint8(out), image)


def blend(raw: jax.Array, image: jax.Array, hole: jax.Array,
          known_ring: jax.Array, share: jax.Array) -> jax.Array:
  """The blended fill of a batch, float [B, H, W, 3] in [0, 255].

  Args:
    raw: float [B, H, W, 3] in [0, 255], the network's output; exact on
      `known_ring`.
    image: uint8 [B, H, W, 3].
    hole: bool [B, H, W].
    known_ring: bool [B, H, W], `ring` of each hole.
    share: float [B, H, W], `weights` of each hole.
  """
  values = image.astype(jnp.float32)
  fill = jax.vmap(membrane_fill)
  seamless = raw + fill(values - raw, hole, known_ring)
  smooth = fill(values, hole, known_ring)
  return seamless + share[..., None] * (smooth - seamless)
