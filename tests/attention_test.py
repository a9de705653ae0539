# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The tiled attention (`models.tiled_attention`) equals the dense layer.

Every query computed: `y` within 1e-5 and identical offsets, for many grid
shapes, tiles that do not divide the grid (wrap-around cases of the fusion at
every border), per-image masks, full and empty holes, with and without
fusion. A subset of tiles: exact wherever all covering queries ran, zero
elsewhere. Memory: no [L, L] buffer in the compiled program.
"""

import functools
import importlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from deepfill_jax.models import tiled_attention

dense = importlib.import_module('deepfill_jax.models.contextual_attention')

_TOL = 1e-5


def _inputs(seed, shape, holes):
  """Features in [-1, 1] and a [B, H, W, 1] mask with one hole kind each."""
  bsz, h, w, _ = shape
  rng = np.random.default_rng(seed)
  f = rng.uniform(-1., 1., shape).astype(np.float32)
  m = np.zeros((bsz, h, w, 1), np.float32)
  for i, kind in enumerate(holes):
    if kind == 'center':
      m[i, h // 4:h // 2 + 1, w // 3:2 * w // 3] = 1
    elif kind == 'corner':  # Touches the bottom and right borders.
      m[i, h - h // 3:, w - w // 3:] = 1
    elif kind == 'two':  # Two separate holes at the top and left borders.
      m[i, :3, w // 2:w // 2 + 5] = 1
      m[i, h // 2:h // 2 + 4, :2] = 1
    elif kind == 'full':
      m[i] = 1
  return f, m


@functools.partial(jax.jit, static_argnames=('fuse',))
def _dense(f, m, fuse=True):
  return dense.contextual_attention(f, f, m, fuse=fuse)


@functools.partial(jax.jit, static_argnames=('fuse', 'tile'))
def _tiled(f, m, work=None, fuse=True, tile=None):
  return tiled_attention.tiled_contextual_attention(
      f, f, m, fuse=fuse, work=work, tile=tile)


@pytest.mark.parametrize('shape, holes, tile', [
    ((2, 16, 24, 8), ('center', 'two'), (3, 5)),
    ((1, 32, 32, 8), ('corner',), (8, 8)),
    ((2, 24, 40, 4), ('full', 'none'), (4, 16)),
    ((1, 20, 12, 6), ('two',), (1, 1)),
    ((1, 8, 8, 4), ('center',), (8, 8)),
    ((1, 36, 28, 4), ('corner',), (7, 3)),
])
@pytest.mark.parametrize('fuse', [True, False])
def test_all_queries_match_dense(shape, holes, tile, fuse):
  f, m = _inputs(0, shape, holes)
  y0, o0 = _dense(f, m, fuse=fuse)
  y1, o1 = _tiled(f, m, fuse=fuse, tile=tile)
  assert y1.shape == y0.shape and y1.dtype == y0.dtype
  np.testing.assert_allclose(y1, y0, rtol=0, atol=_TOL)
  np.testing.assert_array_equal(o1, o0)


def test_without_offsets_same_y_and_zero_offsets():
  f, m = _inputs(4, (1, 16, 24, 4), ('center',))
  y0, _ = _tiled(f, m)
  y1, o1 = jax.jit(functools.partial(tiled_attention.tiled_contextual_attention,
                                     with_offsets=False))(f, f, m)
  np.testing.assert_allclose(y1, y0, rtol=0, atol=1e-6)
  np.testing.assert_array_equal(o1, 0)


def test_different_f_and_b_match_dense():
  f, m = _inputs(1, (1, 16, 16, 4), ('center',))
  b, _ = _inputs(2, (1, 16, 16, 4), ('none',))
  y0, o0 = jax.jit(dense.contextual_attention)(f, b, m)
  y1, o1 = jax.jit(functools.partial(tiled_attention.tiled_contextual_attention,
                                     tile=(4, 4)))(f, b, m)
  np.testing.assert_allclose(y1, y0, rtol=0, atol=_TOL)
  np.testing.assert_array_equal(o1, o0)


def test_tile_subset_is_exact_where_covered_and_zero_elsewhere():
  shape, tile = (2, 32, 48, 4), (4, 4)
  f, m = _inputs(3, shape, ('center', 'corner'))
  geo = tiled_attention.tile_geometry((16, 24), tile)
  rng = np.random.default_rng(0)
  chosen = rng.random((2, 16, 24)) < 0.3
  tiles, counts = tiled_attention.work_for_queries(chosen, geo)
  y1, o1 = _tiled(f, m, tiled_attention.Work(tiles, counts), tile=tile)
  y0, o0 = _dense(f, m)
  # Queries of the selected tiles ran; outputs are exact where every query
  # pasting there ran and zero where none did.
  ran = np.zeros((2, 16, 24), bool)
  for i in range(2):
    for t in tiles[i, :counts[i]]:
      q = geo.queries[t]
      q = q[q < 16 * 24]
      ran[i].flat[q] = True
  touched = _touched(ran)
  exact = ~_touched(~ran)
  np.testing.assert_allclose(np.where(exact[..., None], y1, 0),
                             np.where(exact[..., None], y0, 0), atol=_TOL)
  np.testing.assert_array_equal(np.where(touched[..., None], 0, y1), 0)
  np.testing.assert_array_equal(o1[ran], o0[ran])
  np.testing.assert_array_equal(o1[~ran], 0)


def _touched(queries):
  """Feature positions (rate 2) that some query in `queries` pastes to."""
  bsz, h, w = queries.shape
  out = np.zeros((bsz, 2 * h, 2 * w), bool)
  for i, r, c in np.argwhere(queries):
    out[i, max(2 * r - 1, 0):2 * r + 3, max(2 * c - 1, 0):2 * c + 3] = True
  return out


def test_queries_covering_matches_brute_force():
  rng = np.random.default_rng(0)
  needed = rng.random((2, 20, 28)) < 0.05
  got = tiled_attention.queries_covering(needed, rate=2)
  want = np.zeros((2, 10, 14), bool)
  for i in range(10):
    for j in range(14):
      want[:, i, j] = needed[:, max(2 * i - 1, 0):2 * i + 3,
                             max(2 * j - 1, 0):2 * j + 3].any(axis=(1, 2))
  np.testing.assert_array_equal(got, want)


def test_any_in_intervals_matches_brute_force():
  rng = np.random.default_rng(1)
  mask = rng.random((3, 30)) < 0.1
  lo = rng.integers(-5, 32, 12)
  hi = lo + rng.integers(-2, 6, 12)
  got = tiled_attention.any_in_intervals(mask, lo, hi, axis=1)
  want = np.stack([[mask[k, max(a, 0):max(b + 1, 0)].any()
                    for a, b in zip(lo, hi)] for k in range(3)])
  np.testing.assert_array_equal(got, want)


def test_fusion_tables_reproduce_fuse_scores():
  """The three index levels give the dense fusion of a random score image."""
  h, w = 5, 7
  n = h * w
  rng = np.random.default_rng(2)
  s = rng.normal(size=(n, n)).astype(np.float32)
  want = np.asarray(dense.fuse_scores(jnp.asarray(s)[None], (h, w)))[0]
  geo = tiled_attention.tile_geometry((h, w), (2, 3))
  got = np.zeros((n, n), np.float32)
  for t in range(geo.num_tiles):
    # Raw score rows X taken from `s` (the Gram level is tested above).
    s_ext = np.concatenate([s, np.zeros((1, n), np.float32)])
    xs = _positions_of_x(geo, t, n)
    s_x = np.concatenate([s_ext[xs], np.zeros((1, n), np.float32)])
    s1 = sum(np.asarray(tiled_attention._shift(
        jnp.asarray(s_x[geo.x_of_v[t, i]]), d, -1))
             for i, d in enumerate(geo.row_shifts))
    s1 = np.concatenate([s1, np.zeros((1, n), np.float32)])
    s2 = sum(np.asarray(tiled_attention._shift_keys_col_major(
        jnp.asarray(s1[geo.v_of_p[t, i]]), e, (h, w)))
             for i, e in enumerate(geo.col_shifts))
    q = geo.queries[t]
    got[q[q < n]] = s2[q < n]
  np.testing.assert_allclose(got, want, atol=1e-5)


def _positions_of_x(geo, t, n):
  """Flat positions of the tile's score rows X (recovered from the Y level)."""
  center = geo.patch.index((0, 0))
  rows = geo.rows_y[t]
  ext = np.concatenate([rows, [n]])
  return ext[geo.y_of_x[t, center]]


def _temp_bytes(fn, side, c=32):
  f = jax.ShapeDtypeStruct((1, side, side, c), jnp.float32)
  m = jax.ShapeDtypeStruct((1, side, side, 1), jnp.float32)
  return fn.lower(f, m).compile().memory_analysis().temp_size_in_bytes


def test_compiled_memory_grows_with_l_not_l_squared():
  """Quadrupling L quadruples the tiled path's memory (dense: x16)."""
  tiled = [_temp_bytes(_tiled, side) for side in (64, 128)]
  full = [_temp_bytes(_dense, side) for side in (64, 128)]
  assert full[1] > (64 * 64) ** 2 * 4  # Holds the [L, L] scores.
  assert full[1] / full[0] > 10
  assert tiled[1] / tiled[0] < 5, tiled
  assert tiled[1] < full[1] / 10
