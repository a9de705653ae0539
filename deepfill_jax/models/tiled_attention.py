# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Memory-efficient exact contextual attention, tiled over the queries.

Computes the dense layer's function (`models.contextual_attention`) one
`th x tw` tile of queries at a time against all keys, so memory is
O(tile * L) instead of (HW/64)^2 per image and the softmax stays exact.
Scores come from a Gram matrix; the fusion halo and the key shifts are
NumPy index tables built at trace time. A `lax.fori_loop` runs over a traced
list of tile ids per image, so which tiles run (hole-aware inference) never
recompiles. The algorithm is in docs/inference.md ("Tiled contextual
attention").
"""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from deepfill_jax.models import layers
from deepfill_jax.models.contextual_attention import extract_patches
from deepfill_jax.models.contextual_attention import offsets_from_index
from deepfill_jax.models.contextual_attention import prepare
from deepfill_jax.models.contextual_attention import same_pad


def default_tile(grid: tuple[int, int]) -> tuple[int, int]:
  """Queries per tile (rows, cols) for a matching grid.

  Small tiles follow the outline of a hole closely, but every tile streams
  all L raw patches (16C floats each) through its pasting matmul, so larger
  grids need taller matmuls (about L / 256 queries) to stay compute bound.
  """
  n = grid[0] * grid[1]
  if n >= 1 << 16:
    return (16, 16)
  return (8, 16) if n >= 1 << 15 else (8, 8)


class Work(NamedTuple):
  """Which tiles to compute: for image i, tiles `tiles[i, :counts[i]]`."""
  tiles: jax.Array   # int32 [B, N] tile ids (row-major over the tile grid)
  counts: jax.Array  # int32 [B]


def window_offsets(k: int) -> tuple[int, ...]:
  """Offsets covered by a 'SAME' window of size k at stride 1."""
  before = same_pad(1, k, 1)[0]
  return tuple(range(-before, k - before))


@dataclasses.dataclass(frozen=True)
class TileGeometry:
  """Static index tables of every tile of one matching grid.

  Flat positions are row-major indices into the `h x w` grid; `L = h * w`
  marks "no position" (out of range), which gathers a zero row. Each
  `*_of_*` table indexes rows of the level below, whose last (extra) row is
  zero.
  """
  grid: tuple[int, int]
  tile: tuple[int, int]
  tiles: tuple[int, int]        # tile rows, tile cols
  patch: tuple[tuple[int, int], ...]  # 2-D patch offsets k
  row_shifts: tuple[int, ...]   # d (row-major fusion)
  col_shifts: tuple[int, ...]   # e (column-major fusion)
  queries: np.ndarray  # [n, T]      flat query positions
  rows_y: np.ndarray   # [n, NY]     flat positions of the Gram rows
  y_of_x: np.ndarray   # [n, K, NX]  Gram row of x + k
  x_of_v: np.ndarray   # [n, D, NV]  score row of R_d(v)
  v_of_p: np.ndarray   # [n, E, T]   fused row of C_e(p)

  @property
  def num_tiles(self) -> int:
    return self.queries.shape[0]


def _row_major(pos: np.ndarray, d: int, h: int, w: int) -> np.ndarray:
  """R_d: flat index + d; out of range (or `pos` invalid) -> L."""
  n = h * w
  out = pos + d
  return np.where((pos < n) & (out >= 0) & (out < n), out, n)


def _col_major(pos: np.ndarray, e: int, h: int, w: int) -> np.ndarray:
  """C_e: shift by e in column-major order (wraps to the next column)."""
  n = h * w
  r, c = pos // w, pos % w
  m = c * h + r + e
  out = (m % h) * w + m // h
  return np.where((pos < n) & (m >= 0) & (m < n), out, n)


def _patch_shift(pos: np.ndarray, k: tuple[int, int], h: int,
                 w: int) -> np.ndarray:
  """pos + k on the 2-D grid, no wrap (patches are zero padded)."""
  n = h * w
  r, c = pos // w + k[0], pos % w + k[1]
  ok = (pos < n) & (r >= 0) & (r < h) & (c >= 0) & (c < w)
  return np.where(ok, r * w + c, n)


def _level(targets: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
  """Unique valid positions of `targets` [S, M] and where each one sits."""
  rows = np.unique(targets[targets < n])
  return rows, np.where(targets < n, np.searchsorted(rows, targets), -1)


def _pad_rows(rows: list[np.ndarray], fill: int) -> np.ndarray:
  """Stacks per-tile position lists, padded with `fill` to one length."""
  out = np.full((len(rows), max(len(r) for r in rows)), fill, np.int32)
  for t, r in enumerate(rows):
    out[t, :len(r)] = r
  return out


def _pad_index(index: list[np.ndarray], width: int, zero: int) -> np.ndarray:
  """Stacks per-tile [S, M] row indices to [n, S, width]; -1 -> `zero`."""
  out = np.full((len(index), index[0].shape[0], width), zero, np.int32)
  for t, i in enumerate(index):
    out[t, :, :i.shape[1]] = np.where(i < 0, zero, i)
  return out


@functools.lru_cache(maxsize=64)
def tile_geometry(grid: tuple[int, int], tile: tuple[int, int],
                  ksize: int = 3, fuse_k: int | None = 3) -> TileGeometry:
  """Index tables for tiling a `grid` with `tile`-sized query blocks.

  Args:
    grid: (h, w) of the matching grid.
    tile: (th, tw), clipped to the grid.
    ksize: matching patch size.
    fuse_k: fusion kernel size, or None for no fusion.

  Returns:
    The tables of all tiles, row-major over the tile grid.
  """
  h, w = grid
  n = h * w
  th, tw = min(tile[0], h), min(tile[1], w)
  nr, nc = -(-h // th), -(-w // tw)
  offsets = window_offsets(ksize)
  patch = tuple((ky, kx) for ky in offsets for kx in offsets)
  shifts = window_offsets(fuse_k) if fuse_k else (0,)
  ii, jj = np.meshgrid(np.arange(th), np.arange(tw), indexing='ij')
  levels = {key: [] for key in ('q', 'v', 'x', 'y', 'p2v', 'v2x', 'x2y')}
  for tr in range(nr):
    for tc in range(nc):
      r, c = tr * th + ii.ravel(), tc * tw + jj.ravel()
      q = np.where((r < h) & (c < w), r * w + c, n)
      v, p2v = _level(np.stack([_col_major(q, e, h, w) for e in shifts]), n)
      x, v2x = _level(np.stack([_row_major(v, d, h, w) for d in shifts]), n)
      y, x2y = _level(np.stack([_patch_shift(x, k, h, w) for k in patch]), n)
      for key, val in zip(levels, (q, v, x, y, p2v, v2x, x2y)):
        levels[key].append(val)
  nv, nx, ny = (max(len(r) for r in levels[k]) for k in ('v', 'x', 'y'))
  return TileGeometry(
      grid=grid, tile=(th, tw), tiles=(nr, nc), patch=patch,
      row_shifts=shifts, col_shifts=shifts,
      queries=np.stack(levels['q']).astype(np.int32),
      rows_y=_pad_rows(levels['y'], fill=n),
      y_of_x=_pad_index(levels['x2y'], nx, zero=ny),
      x_of_v=_pad_index(levels['v2x'], nv, zero=nx),
      v_of_p=_pad_index(levels['p2v'], th * tw, zero=nv))


def any_in_intervals(mask: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                     axis: int) -> np.ndarray:
  """out[..., i, ...] = any(mask[..., lo[i]:hi[i] + 1, ...]) along `axis`.

  Intervals are clipped to the axis; empty ones give False. Runs in
  O(mask.size) with prefix sums.
  """
  n = mask.shape[axis]
  lo = np.clip(lo, 0, n)
  hi = np.clip(hi + 1, 0, n)
  csum = np.cumsum(mask, axis=axis, dtype=np.int64)
  csum = np.concatenate([np.zeros_like(np.take(csum, [0], axis)), csum], axis)
  count = np.take(csum, np.maximum(hi, lo), axis) - np.take(csum, lo, axis)
  return count > 0


def queries_covering(needed: np.ndarray, rate: int = 2) -> np.ndarray:
  """Queries whose pasted patch touches a needed output position.

  Args:
    needed: bool [..., H, W] output positions (at the feature resolution of
      `f`) whose values must be exact.
    rate: the attention's rate; query (i, j) pastes a 2r x 2r patch at rows
      i*r - top + [0, 2r), top = the 'SAME' padding of that transposed conv.

  Returns:
    bool [..., H/rate, W/rate].
  """
  out = needed
  for axis in (-2, -1):
    n = needed.shape[axis]
    start = np.arange(n // rate) * rate - same_pad(n, 2 * rate, rate)[0]
    out = any_in_intervals(out, start, start + 2 * rate - 1, axis % out.ndim)
  return out


def work_for_queries(queries: np.ndarray, geometry: TileGeometry,
                     capacity: int | None = None) -> tuple[np.ndarray,
                                                           np.ndarray]:
  """Tiles holding at least one selected query, per image.

  Args:
    queries: bool [B, h, w] selected queries.
    geometry: the tiling of the grid.
    capacity: length of the tile lists (default: all tiles).

  Returns:
    (tiles int32 [B, capacity], counts int32 [B]) for `Work`.
  """
  bsz, h, w = queries.shape
  th, tw = geometry.tile
  nr, nc = geometry.tiles
  padded = np.zeros((bsz, nr * th, nc * tw), bool)
  padded[:, :h, :w] = queries
  hit = padded.reshape(bsz, nr, th, nc, tw).any(axis=(2, 4)).reshape(bsz, -1)
  capacity = geometry.num_tiles if capacity is None else capacity
  tiles = np.zeros((bsz, capacity), np.int32)
  counts = hit.sum(axis=1).astype(np.int32)
  for i in range(bsz):
    tiles[i, :counts[i]] = np.flatnonzero(hit[i])
  return tiles, counts


def tile_flops(geometry: TileGeometry, channels: int, rate: int = 2) -> int:
  """Matmul flops of one tile (Gram rows + pasting); for benchmarks."""
  n = geometry.grid[0] * geometry.grid[1]
  t = geometry.tile[0] * geometry.tile[1]
  gram = 2 * geometry.rows_y.shape[1] * channels * n
  return gram + 2 * t * n * (2 * rate) ** 2 * channels


def _shift(x: jax.Array, k: int, axis: int) -> jax.Array:
  """y[i] = x[i + k] along `axis`, zero where i + k is out of range."""
  config = [(0, 0, 0)] * x.ndim
  config[axis] = (-k, k, 0)
  return jax.lax.pad(x, jnp.zeros((), x.dtype), config)


def _grid_view(x: jax.Array, grid: tuple[int, int]) -> jax.Array:
  return x.reshape(*x.shape[:-1], *grid)


def _shift_keys_2d(x: jax.Array, k: tuple[int, int],
                   grid: tuple[int, int]) -> jax.Array:
  """Key q -> q + k on the 2-D grid (zero padded), for rows [M, L]."""
  y = _shift(_shift(_grid_view(x, grid), k[0], -2), k[1], -1)
  return y.reshape(x.shape)


def _shift_keys_col_major(x: jax.Array, e: int,
                          grid: tuple[int, int]) -> jax.Array:
  """Key q -> C_e(q): shift by e in column-major order, wrapping columns."""
  h, _ = grid
  g = _grid_view(x, grid)
  if e > 0:  # Rows past the bottom continue at the top of the next column.
    g = jnp.concatenate([g[..., e:, :], _shift(g[..., :e, :], 1, -1)], -2)
  elif e < 0:
    g = jnp.concatenate([_shift(g[..., h + e:, :], -1, -1), g[..., :h + e, :]],
                        -2)
  return g.reshape(x.shape)


def _with_zero_row(x: jax.Array) -> jax.Array:
  return jnp.concatenate([x, jnp.zeros((1,) + x.shape[1:], x.dtype)], 0)


def all_tiles(batch: int, geometry: TileGeometry) -> Work:
  """Work that computes every query of every image."""
  n = geometry.num_tiles
  # jnp (not np) so that `batch` may be symbolic under jax.export.
  tiles = jnp.broadcast_to(jnp.arange(n, dtype=jnp.int32), (batch, n))
  return Work(tiles, jnp.full((batch,), n, jnp.int32))


def tiled_contextual_attention(
    f: jax.Array, b: jax.Array, mask: jax.Array, *, ksize: int = 3,
    stride: int = 1, rate: int = 2, fuse_k: int = 3,
    softmax_scale: float = 10.0, fuse: bool = True, work: Work | None = None,
    tile: tuple[int, int] | None = None, with_offsets: bool = True,
    top_k: int = 0,
) -> tuple[jax.Array, ...]:
  """Contextual attention, exact, with O(tile * L) memory.

  Same arguments and results as `models.contextual_attention`, plus:

  Args:
    f: foreground features [B, H, W, C].
    b: background features [B, H, W, C].
    mask: [B or 1, H, W, 1], 1 = hole.
    ksize: matching patch size.
    stride: must be 1.
    rate: matching downscale; pasting uses 2*rate patches.
    fuse_k: fusion kernel size.
    softmax_scale: softmax temperature.
    fuse: whether to propagate scores.
    work: which query tiles to compute (default: all). Outputs that no
      computed tile pastes to are 0; offsets of skipped queries are 0.
    tile: (rows, cols) of queries per tile on the matching grid (default:
      `default_tile`).
    with_offsets: compute the argmax offsets (a pass over every tile's
      weights); if False they are returned as zeros.

  Returns:
    (y [B, H, W, C], offsets int32 [B, H/rate, W/rate, 2]).
  """
  p = prepare(f, b, mask, ksize=ksize, stride=stride, rate=rate)
  bsz, hgt, wid, c = f.shape
  grid = p['grid']
  n = grid[0] * grid[1]
  tile = default_tile(grid) if tile is None else tuple(tile)
  top_k = min(top_k, n)
  geo = tile_geometry(grid, tile, ksize, fuse_k if fuse else None)
  work = all_tiles(bsz, geo) if work is None else work
  th, tw = geo.tile
  nr, nc = geo.tiles
  f_s = layers.resize_nearest(f, grid).reshape(bsz, n, c)
  b_s = layers.resize_nearest(b, grid)
  sq = jnp.sum(jnp.square(b_s.astype(jnp.float32)), -1, keepdims=True)
  norm = jnp.sqrt(jnp.sum(extract_patches(sq, ksize, 1), axis=(3, 4, 5)))
  inv_norm = 1. / jnp.maximum(norm.reshape(bsz, n), 1e-4)
  tables = jax.tree.map(jnp.asarray, dict(
      queries=geo.queries, rows_y=geo.rows_y, y_of_x=geo.y_of_x,
      x_of_v=geo.x_of_v, v_of_p=geo.v_of_p))

  def tile_fn(t, f_e, b_i, inv_i, mm_i, raw_i):
    """Pasted raw patches [th, tw, 2r, 2r, C] and argmax of one tile."""
    tab = jax.tree.map(lambda a: a[t], tables)
    g = jnp.einsum('yc,lc->yl', f_e[tab['rows_y']], b_i,
                   preferred_element_type=jnp.float32)
    g = _with_zero_row(g)
    s = sum(_shift_keys_2d(g[tab['y_of_x'][i]], k, grid)
            for i, k in enumerate(geo.patch))
    s = _with_zero_row(s * inv_i)
    s1 = _with_zero_row(sum(_shift(s[tab['x_of_v'][i]], d, -1)
                            for i, d in enumerate(geo.row_shifts)))
    s2 = sum(_shift_keys_col_major(s1[tab['v_of_p'][i]], e, grid)
             for i, e in enumerate(geo.col_shifts))
    # softmax(z) * mm with the normalisation applied after pasting (one
    # pass less over [T, L]); invalid keys keep exp(0 - max) in the sum.
    z = s2 * mm_i * softmax_scale
    e = jnp.exp(z - jnp.max(z, axis=-1, keepdims=True))
    scale = (tab['queries'] < n) / jnp.sum(e, axis=-1)
    e = e * mm_i
    pasted = jnp.einsum('tl,lk->tk', e.astype(raw_i.dtype), raw_i,
                        preferred_element_type=jnp.float32) * scale[:, None]
    best = jnp.argmax(e, -1) if with_offsets else tab['queries']
    top = None
    if top_k:
      weight, key = jax.lax.top_k(e, top_k)
      top = (weight * scale[:, None], key.astype(jnp.int32))
    return pasted.reshape(th, tw, 2, rate, 2, rate, c), best, top

  def image_fn(args):
    """Folds the computed tiles of one image into its canvas."""
    f_e, b_i, inv_i, mm_i, raw_i, tiles, count = args
    canvas = jnp.zeros((nr * th + 1, rate, nc * tw + 1, rate, c), jnp.float32)
    best = jnp.arange(n, dtype=jnp.int32)
    top = (jnp.zeros((n, top_k), jnp.float32), jnp.zeros((n, top_k),
                                                         jnp.int32))

    def body(i, carry):
      canvas, best, top = carry
      t = tiles[i]
      patches, idx, top_t = tile_fn(t, f_e, b_i, inv_i, mm_i[None], raw_i)
      local = jnp.zeros((th + 1, rate, tw + 1, rate, c), jnp.float32)
      for ay in range(2):
        for ax in range(2):
          local = local.at[ay:ay + th, :, ax:ax + tw].add(
              patches[:, :, ay, :, ax].transpose(0, 2, 1, 3, 4))
      start = ((t // nc) * th, 0, (t % nc) * tw, 0, 0)
      window = jax.lax.dynamic_slice(canvas, start, local.shape)
      canvas = jax.lax.dynamic_update_slice(canvas, window + local, start)
      best = best.at[tables['queries'][t]].set(idx.astype(jnp.int32),
                                               mode='drop')
      if top_k:
        top = tuple(a.at[tables['queries'][t]].set(v, mode='drop')
                    for a, v in zip(top, top_t))
      return canvas, best, top

    return jax.lax.fori_loop(0, count, body, (canvas, best, top))

  f_ext = jnp.concatenate([f_s, jnp.zeros((bsz, 1, c), f_s.dtype)], 1)
  canvas, best, top = jax.lax.map(image_fn, (
      f_ext, b_s.reshape(bsz, n, c), inv_norm, p['mm'], p['raw'],
      work.tiles, work.counts))
  canvas = canvas.reshape(bsz, (nr * th + 1) * rate, (nc * tw + 1) * rate, c)
  top_pad = same_pad(hgt, 2 * rate, rate)[0]
  left = same_pad(wid, 2 * rate, rate)[0]
  y = canvas[:, top_pad:top_pad + hgt, left:left + wid] / 4.
  out = (y.astype(f.dtype), offsets_from_index(best, grid))
  return out + top if top_k else out
