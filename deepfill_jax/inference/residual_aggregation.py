# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Contextual residual aggregation (Yi et al., CVPR 2020), in JAX.

A hole filled at 1/f of the image's size is enlarged back and given the
image's own high frequencies: the residual R = image - up(down(image)) of
the known pixels is copied into the hole with the contextual attention's
weights. The attention's matching grid has cells of 8 px of the working
image, 8f px at full size; query p's top-k keys q (weights w) paste the
2x2-cell residual patches around q onto the 2x2 cells around p, and
overlapping patches are averaged over the queries that paste there, as the
attention's own paste (`contextual_attention.paste`) folds its patches.
Last, the mismatch at the known pixels next to the hole is spread into it
(`membrane.pull_push`), so the fill meets its border without a seam.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from deepfill_jax.data import pixels
from deepfill_jax.inference import membrane

# Cells of the matching grid, in pixels of the network's input.
CELL = 8
# Known pixels this close to the hole set its seam (membrane); 0: off.
SEAM_RING = 2


def downscale(image: jax.Array, factor: int) -> jax.Array:
  """float [H, W, C] -> [H/f, W/f, C]: means of f x f blocks."""
  hgt, wid, chans = image.shape
  return image.reshape(hgt // factor, factor, wid // factor, factor,
                       chans).mean(axis=(1, 3))


def upscale(image: jax.Array, factor: int) -> jax.Array:
  """float [h, w, C] -> [f h, f w, C], bilinear (pixel centres)."""
  hgt, wid, chans = image.shape
  if factor == 1:
    return image
  return jax.image.resize(image, (hgt * factor, wid * factor, chans),
                          'linear')


def known_support(hole: jax.Array, factor: int) -> jax.Array:
  """bool [f h, f w]: full-size pixels whose `upscale` reads known
  working pixels only (the known ones not next to a hole)."""
  near = jax.lax.reduce_window(hole, False, jax.lax.bitwise_or, (3, 3),
                               (1, 1), 'SAME')
  return jnp.repeat(jnp.repeat(~near, factor, 0), factor, 1)


def aggregate(residual: jax.Array, weights: jax.Array, keys: jax.Array,
              grid: tuple[int, int], start: jax.Array | None = None,
              size: tuple[int, int] | None = None) -> jax.Array:
  """Residual patches of the keys, folded onto their queries.

  Args:
    residual: float [gh c, gw c, C] (c: the cell, even), 0 where unknown.
    weights: float [gh gw, k] weights of each query's keys (renormalised
      to sum 1 here; all 0: nothing pasted).
    keys: int [gh gw, k] flat key positions on the grid.
    grid: (gh, gw).
    start: (row, col) of the first half cell to compute (default 0, 0).
    size: (rows, cols) of half cells to compute (default: all).

  Returns:
    float [rows c/2, cols c/2, C]: at each half cell, the mean over the (up to 4)
    queries whose 2c x 2c patch covers it of their keys' weighted residual
    at the same place of the key's patch; patches start at -c/2 (the
    attention's 'SAME' paste), out of range reads 0.
  """
  gh, gw = grid
  hgt, wid, chans = residual.shape
  half = hgt // (2 * gh)
  rows, cols = 2 * gh, 2 * gw
  blocks = residual.reshape(rows, half, cols, half, chans).transpose(
      0, 2, 1, 3, 4)
  blocks = jnp.pad(blocks, ((0, 1), (0, 1), (0, 0), (0, 0), (0, 0)))
  total = weights.sum(-1, keepdims=True)
  weights = jnp.where(total > 0, weights / jnp.where(total > 0, total, 1.),
                      0.)
  size = size or (rows, cols)
  start = jnp.zeros(2, jnp.int32) if start is None else start
  u, v = start[0] + jnp.arange(size[0]), start[1] + jnp.arange(size[1])
  out = jnp.zeros((*size, half, half, chans), residual.dtype)
  count = jnp.zeros(size, residual.dtype)
  for a in (0, 1):
    qi = (u + 1) // 2 - a
    for b in (0, 1):
      qj = (v + 1) // 2 - b
      inside = ((qi >= 0) & (qi < gh))[:, None] & ((qj >= 0) & (qj < gw))
      count = count + inside
      query = jnp.clip(qi, 0, gh - 1)[:, None] * gw + jnp.clip(qj, 0, gw - 1)
      for j in range(keys.shape[-1]):
        key = keys[query, j]
        weight = jnp.where(inside, weights[query, j], 0.)
        src_u = u[:, None] + 2 * (key // gw - qi[:, None])
        src_v = v[None, :] + 2 * (key % gw - qj[None, :])
        ok = (src_u >= 0) & (src_u < rows) & (src_v >= 0) & (src_v < cols)
        patch = blocks[jnp.where(ok, src_u, rows), jnp.where(ok, src_v, cols)]
        out = out + weight[..., None, None, None] * patch
  out = out / jnp.maximum(count, 1.)[..., None, None, None]
  return out.transpose(0, 2, 1, 3, 4).reshape(size[0] * half,
                                              size[1] * half, chans)


@functools.partial(jax.jit, static_argnames=('factor', 'size'))
def restore(image: jax.Array, hole: jax.Array, low: jax.Array,
            fill: jax.Array, low_hole: jax.Array, weights: jax.Array,
            keys: jax.Array, start: jax.Array, *, factor: int,
            size: tuple[int, int]) -> jax.Array:
  """The full-size fill of a region: the enlarged working fill plus
  aggregated detail.

  Args:
    image: uint8 [H, W, 3], H and W multiples of 8f.
    hole: bool [H, W]; its pixels of `image` are never read.
    low: float [H/f, W/f, 3] in [0, 255]: `downscale` of the image.
    fill: float [H/f, W/f, 3] in [0, 255]: the working fill, composited.
    low_hole: bool [H/f, W/f]: the working hole (covers `hole`).
    weights, keys: [gh gw, k] top-k attention of the working pass
      (`tiled_attention`, top_k), gh, gw = H/(8f), W/(8f).
    start: int32 (row, col) of the region's first half cell (4f px).
    factor: f.
    size: (rows, cols) of the region in half cells.

  Returns:
    uint8 [4f rows, 4f cols, 3]: the region of `image` with the restored
    fill in `hole`.
  """
  hgt, wid = hole.shape
  half = CELL * factor // 2
  known = jnp.where(hole[..., None], 0., image.astype(jnp.float32))
  residual = jnp.where(known_support(low_hole, factor)[..., None],
                       known - upscale(low, factor), 0.)
  grid = (hgt // (CELL * factor), wid // (CELL * factor))
  detail = aggregate(residual, weights, keys, grid, start, size)
  corner = (start[0] * half, start[1] * half)
  shape = (size[0] * half, size[1] * half)
  base = jax.lax.dynamic_slice(upscale(fill, factor), (*corner, 0),
                               (*shape, 3))
  region = jax.lax.dynamic_slice(known, (*corner, 0), (*shape, 3))
  inside = jax.lax.dynamic_slice(hole, corner, shape)
  out = base + detail
  if SEAM_RING:  # Known pixels next to the hole pull the fill to them.
    ring = jax.lax.reduce_window(inside, False, jax.lax.bitwise_or,
                                 (2 * SEAM_RING + 1,) * 2, (1, 1), 'SAME')
    ring = (ring & ~inside).astype(jnp.float32)
    out = out + membrane.pull_push(region - out, ring)
  out = pixels.round_uint8(out)
  return jnp.where(inside[..., None], out,
                   jax.lax.dynamic_slice(image, (*corner, 0), (*shape, 3)))
