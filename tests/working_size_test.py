# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The working-size pipeline (`working_size`, `residual_aggregation`).

The residual aggregation is checked against a pixel-by-pixel NumPy loop,
the attention's top-k against the dense layer's softmax, and the pipeline
on tiny random generators: known pixels, windows, the 'full' setting.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from deepfill_jax.inference import inpainter as inpainter_lib
from deepfill_jax.apps import inpaint
from deepfill_jax.inference import residual_aggregation as cra
from deepfill_jax.inference import working_size
from deepfill_jax.models.contextual_attention import fuse_scores
from deepfill_jax.models.contextual_attention import prepare
from deepfill_jax.models import tiled_attention
from deepfill_jax.testing import random_generator


def _slow_aggregate(residual, weights, keys, grid):
  """Each pixel: mean over the queries whose 2c x 2c patch (from -c/2)
  covers it of sum_j w_j residual[same place in key j's patch]."""
  gh, gw = grid
  hgt, wid, _ = residual.shape
  cell = hgt // gh
  total = np.zeros(residual.shape)
  count = np.zeros((hgt, wid))
  for p in range(gh * gw):
    pi, pj = divmod(p, gw)
    w = weights[p] / weights[p].sum() if weights[p].sum() > 0 else weights[p]
    for dy in range(2 * cell):
      for dx in range(2 * cell):
        y, x = pi * cell - cell // 2 + dy, pj * cell - cell // 2 + dx
        if not (0 <= y < hgt and 0 <= x < wid):
          continue
        count[y, x] += 1
        for j in range(keys.shape[1]):
          qi, qj = divmod(int(keys[p, j]), gw)
          sy, sx = qi * cell - cell // 2 + dy, qj * cell - cell // 2 + dx
          if 0 <= sy < hgt and 0 <= sx < wid:
            total[y, x] += w[j] * residual[sy, sx]
  return total / np.maximum(count, 1)[..., None]


@pytest.mark.parametrize('grid,cell,k', [((3, 4), 4, 2), ((2, 2), 8, 3)])
def test_aggregate_matches_loops(grid, cell, k):
  rng = np.random.default_rng(0)
  n = grid[0] * grid[1]
  residual = rng.normal(size=(grid[0] * cell, grid[1] * cell, 3))
  weights = rng.uniform(size=(n, k))
  weights[1] = 0.  # A query with nothing to paste.
  keys = rng.integers(0, n, (n, k))
  got = cra.aggregate(jnp.asarray(residual, jnp.float32),
                      jnp.asarray(weights, jnp.float32), jnp.asarray(keys),
                      grid)
  np.testing.assert_allclose(np.asarray(got),
                             _slow_aggregate(residual, weights, keys, grid),
                             atol=1e-5)


def test_top_k_is_the_dense_softmax_and_changes_nothing():
  rng = np.random.default_rng(1)
  f = jnp.asarray(rng.normal(size=(1, 24, 32, 4)), jnp.float32)
  mask = np.zeros((1, 24, 32, 1), np.float32)
  mask[:, 6:16, 8:20] = 1.
  mask = jnp.asarray(mask)
  y, off = tiled_attention.tiled_contextual_attention(f, f, mask)
  y2, off2, weights, keys = tiled_attention.tiled_contextual_attention(
      f, f, mask, top_k=4)
  np.testing.assert_array_equal(np.asarray(y), np.asarray(y2))
  np.testing.assert_array_equal(np.asarray(off), np.asarray(off2))
  p = prepare(f, f, mask, ksize=3, stride=1, rate=2)
  s = fuse_scores(jnp.einsum('bpk,blk->bpl', p['fq'], p['wn']),
                     p['grid'])
  mm = p['mm'][:, None, :]
  a = np.asarray(jax.nn.softmax(s * mm * 10., axis=-1) * mm)[0]
  order = np.argsort(-a, axis=-1)[:, :4]
  np.testing.assert_allclose(np.asarray(weights[0]),
                             np.take_along_axis(a, order, -1), atol=1e-5)
  np.testing.assert_allclose(np.take_along_axis(a, np.asarray(keys[0]), -1),
                             np.take_along_axis(a, order, -1), atol=1e-5)


def _box(hw, top, left, hgt, wid):
  hole = np.zeros(hw, bool)
  hole[top:top + hgt, left:left + wid] = True
  return hole


def test_factor_follows_the_hole_not_the_image():
  small = _box((2000, 3000), 1000, 1000, 64, 64)
  assert working_size.hole_radius(small) == pytest.approx(32, abs=4)
  assert working_size.choose_factor(small, max_pixels=1 << 30) == 1
  box = _box((2000, 3000), 500, 500, 512, 512)
  assert working_size.choose_factor(box, max_pixels=1 << 30) == 4
  assert working_size.choose_factor(box, target_radius=32,
                                    max_pixels=1 << 30) == 8
  # The pixel cap grows the factor: the windows must fit.
  assert working_size.choose_factor(box, max_pixels=1 << 14) > 4
  assert working_size.choose_factor(box, 'full') == 1
  assert working_size.choose_factor(box, 500) == 6


def test_windows_stay_local():
  hole = working_size.shrink_mask(
      _box((4000, 4000), 200, 200, 300, 300) |
      _box((4000, 4000), 3300, 3300, 300, 300), 4)
  wins = working_size.windows(hole, working_size.CONTEXT)
  assert len(wins) == 2
  for w in wins:
    assert (w.bottom - w.top) * (w.right - w.left) < hole.size / 4
    assert w.top % 8 == 0 and w.left % 8 == 0
    assert (w.bottom - w.top) % working_size.QUANTUM == 0
  covered = np.zeros_like(hole)
  for w in wins:
    covered[w.top:w.bottom, w.left:w.right] |= w.group
  np.testing.assert_array_equal(covered, hole)


@pytest.mark.parametrize('model', [{}, {'name': 'deepfill_v2'}])
def test_pipeline_keeps_known_pixels(model):
  gen = random_generator(kernel_scale=2.5, **model)
  rng = np.random.default_rng(2)
  image = rng.integers(0, 256, (300, 420, 3), np.uint8)
  hole = _box((300, 420), 40, 60, 200, 250) | _box((300, 420), 280, 5, 9, 9)
  assert working_size.choose_factor(hole) > 1
  out = inpainter_lib.Inpainter(gen)(image, hole)
  assert out.shape == image.shape and out.dtype == np.uint8
  np.testing.assert_array_equal(out[~hole], image[~hole])
  assert np.abs(out[hole].astype(int) - image[hole]).mean() > 1
  # The hole's own pixels are never read.
  other = image.copy()
  other[hole] = 0
  np.testing.assert_array_equal(inpainter_lib.Inpainter(gen)(other, hole), out)


def test_full_setting_and_small_holes_are_today():
  gen = random_generator()
  rng = np.random.default_rng(3)
  image = rng.integers(0, 256, (96, 128, 3), np.uint8)
  hole = _box((96, 128), 30, 40, 20, 30)
  today = inpainter_lib.Inpainter(gen, working_size='full', two_scale=4)
  batch = today.inpaint_batch([image], [hole])[0]
  np.testing.assert_array_equal(today(image, hole), batch)
  # A small hole in a small image: one window, the whole image, at 1x.
  auto = inpainter_lib.Inpainter(gen, two_scale=4)
  np.testing.assert_array_equal(auto(image, hole), batch)


@pytest.mark.parametrize('value', ['big', '0', '63', '-5', '1.5'])
def test_cli_refuses_bad_working_size(value, capsys):
  with pytest.raises(SystemExit) as e:
    inpaint.main(['--image', 'a.png', '--mask', 'm.png', '--output',
                  'o.png', f'--working_size={value}'])
  assert e.value.code == 2
  err = capsys.readouterr().err.strip().splitlines()
  assert err[-1].startswith('deepfill-inpaint: error: ')
  assert '--working_size' in err[-1] and "'auto', 'full'" in err[-1]


def test_check_refuses_bad_values():
  for bad in ('huge', 10, True, 2.5):
    with pytest.raises(ValueError, match='working_size'):
      working_size.check(bad)
  assert working_size.parse(' 512 ') == 512
  assert working_size.parse('full') == 'full'


def test_aggregate_region_is_a_slice_of_the_whole():
  rng = np.random.default_rng(4)
  grid, cell, k = (4, 5), 4, 3
  n = grid[0] * grid[1]
  residual = jnp.asarray(rng.normal(size=(16, 20, 3)), jnp.float32)
  weights = jnp.asarray(rng.uniform(size=(n, k)), jnp.float32)
  keys = jnp.asarray(rng.integers(0, n, (n, k)))
  whole = np.asarray(cra.aggregate(residual, weights, keys, grid))
  part = cra.aggregate(residual, weights, keys, grid, jnp.asarray([3, 2]),
                       (4, 6))
  half = cell // 2
  np.testing.assert_allclose(np.asarray(part),
                             whole[3 * half:7 * half, 2 * half:8 * half],
                             atol=1e-6)
