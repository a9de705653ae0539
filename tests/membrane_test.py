# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Membrane fills and blending (`membrane`, `Inpainter(blend=True)`).

`pull_push` and `weights` are checked against pixel-by-pixel loops; the
`Inpainter` against the dense reference and against those loops where
the membrane alone fills the hole.
"""

import json
import os

import jax.numpy as jnp
import numpy as np
import pytest

from deepfill_jax.checkpoints import store
from deepfill_jax.inference import inpainter as inpainter_lib
from deepfill_jax.inference import membrane
from deepfill_jax.inference import working_size
from deepfill_jax.testing import random_generator


def _slow_upsample(x, shape):
  """2x bilinear enlargement (half-pixel centres, edges clamped), cropped."""
  hgt, wid = x.shape[:2]
  out = np.zeros((*shape, x.shape[2]))
  for i in range(shape[0]):
    for j in range(shape[1]):
      u = min(max((i + .5) / 2 - .5, 0), hgt - 1)
      v = min(max((j + .5) / 2 - .5, 0), wid - 1)
      u0, v0 = int(u), int(v)
      u1, v1 = min(u0 + 1, hgt - 1), min(v0 + 1, wid - 1)
      fu, fv = u - u0, v - v0
      out[i, j] = ((1 - fu) * (1 - fv) * x[u0, v0] + (1 - fu) * fv * x[u0, v1]
                   + fu * (1 - fv) * x[u1, v0] + fu * fv * x[u1, v1])
  return out


def _slow_pull_push(values, weights):
  """Level by level: 2x2 block sums (odd sides padded) down to one pixel,
  then each level's weighted mean where it has weight, else the coarser."""
  levels = [(values * weights[..., None], weights.astype(float))]
  while max(levels[-1][1].shape) > 1:
    num, den = levels[-1]
    hgt, wid = (den.shape[0] + 1) // 2, (den.shape[1] + 1) // 2
    n2, d2 = np.zeros((hgt, wid, num.shape[2])), np.zeros((hgt, wid))
    for r in range(den.shape[0]):
      for c in range(den.shape[1]):
        n2[r // 2, c // 2] += num[r, c]
        d2[r // 2, c // 2] += den[r, c]
    levels.append((n2, d2))
  out = None
  for num, den in reversed(levels):
    mean = num / np.maximum(den, 1e-6)[..., None]
    if out is not None:
      up = _slow_upsample(out, den.shape)
      keep = np.minimum(den, 1.)[..., None]
      mean = keep * mean + (1 - keep) * up
    out = mean
  return out


def _slow_relax(values, hole, sweeps):
  """Jacobi sweeps, pixel by pixel: each hole pixel becomes the mean of its
  4 neighbours (itself beyond the border)."""
  x = values.astype(float).copy()
  hgt, wid = hole.shape
  for _ in range(sweeps):
    new = x.copy()
    for r, c in np.argwhere(hole):
      new[r, c] = (x[max(r - 1, 0), c] + x[min(r + 1, hgt - 1), c]
                   + x[r, max(c - 1, 0)] + x[r, min(c + 1, wid - 1)]) / 4
    x = new
  return x


def _slow_membrane(values, hole):
  ring = membrane.ring(hole)
  start = _slow_pull_push(values, ring.astype(float))
  start[ring] = values[ring]
  return _slow_relax(start, hole, membrane.SWEEPS)


def _slow_weights(hole, scale=1):
  thin, width = membrane.THIN * scale, membrane.WIDTH * scale
  known = np.argwhere(~hole)
  dist = np.zeros(hole.shape)
  for r, c in np.argwhere(hole):
    dist[r, c] = np.maximum(abs(known[:, 0] - r), abs(known[:, 1] - c)).min()
  out = np.zeros(hole.shape)
  for r, c in np.argwhere(hole):
    thick = dist[max(r - thin, 0):r + thin + 1,
                 max(c - thin, 0):c + thin + 1].max()
    share = min(1., max(0., (thin - thick) / width + 1.))
    out[r, c] = membrane.FLOOR + (1 - membrane.FLOOR) * share
  return out


def _hole(hw, boxes):
  hole = np.zeros(hw, bool)
  for r0, r1, c0, c1 in boxes:
    hole[r0:r1, c0:c1] = True
  return hole


@pytest.mark.parametrize('hw', [(13, 10), (16, 16), (1, 7)])
def test_pull_push_matches_loops(hw):
  rng = np.random.default_rng(sum(hw))
  values = rng.uniform(-1, 1, (*hw, 3))
  weights = (rng.uniform(size=hw) < 0.15).astype(np.float32)
  weights.flat[0] = 1.
  got = np.asarray(membrane.pull_push(jnp.asarray(values, jnp.float32),
                                      jnp.asarray(weights)))
  np.testing.assert_allclose(got, _slow_pull_push(values, weights),
                             atol=1e-5)
  known = weights > 0
  np.testing.assert_allclose(got[known], values[known], atol=1e-6)


def test_pull_push_keeps_a_constant():
  weights = np.zeros((24, 40), np.float32)
  weights[3, 5] = weights[20, 33] = 1.
  got = membrane.pull_push(jnp.full((24, 40, 3), 7.), jnp.asarray(weights))
  np.testing.assert_allclose(got, 7., atol=1e-5)


def test_relax_matches_loops():
  rng = np.random.default_rng(3)
  values = rng.uniform(0, 255, (9, 12, 3))
  hole = _hole((9, 12), [(2, 5, 3, 9), (6, 9, 0, 2)])
  got = membrane.relax(jnp.asarray(values, jnp.float32), jnp.asarray(hole),
                       sweeps=7)
  np.testing.assert_allclose(got, _slow_relax(values, hole, 7), atol=1e-3)


def test_membrane_fill_is_harmonic():
  """A linear ramp solves Laplace's equation: the fill gives it back."""
  ramp = np.add.outer(np.arange(20.), 2. * np.arange(24.))[..., None]
  hole = _hole((20, 24), [(5, 9, 2, 22), (12, 16, 6, 10)])
  got = membrane.membrane_fill(jnp.asarray(ramp, jnp.float32),
                               jnp.asarray(hole),
                               jnp.asarray(membrane.ring(hole)))
  np.testing.assert_allclose(np.asarray(got)[hole], ramp[hole], atol=0.05)


def test_weights_match_loops():
  hole = _hole((80, 88), [(4, 7, 3, 80),       # a 3 px stroke
                          (12, 72, 10, 70),    # a 60 px box
                          (72, 80, 80, 88)])   # at the corner
  for scale in (1, 2):
    np.testing.assert_allclose(membrane.weights(hole, scale),
                               _slow_weights(hole, scale), atol=1e-6)
  share = membrane.weights(hole)
  assert (share[4:7, 3:9] == 1.).all()   # The stroke is the membrane's.
  assert share[42, 40] == membrane.FLOOR   # The box's middle: the network's.


def test_ring_is_the_known_neighbours():
  hole = _hole((6, 7), [(2, 4, 2, 4)])
  expected = _hole((6, 7), [(1, 5, 1, 5)]) & ~hole
  np.testing.assert_array_equal(membrane.ring(hole), expected)


def test_seamless_removes_an_offset():
  """A fill off by a constant everywhere comes back exact."""
  rng = np.random.default_rng(0)
  image = rng.integers(0, 200, (1, 32, 40, 3)).astype(np.uint8)
  hole = _hole((32, 40), [(8, 24, 10, 30)])
  raw = image.astype(np.float32) + 37.
  fill = membrane.blend(jnp.asarray(raw), jnp.asarray(image),
                        jnp.asarray(hole)[None],
                        jnp.asarray(membrane.ring(hole))[None],
                        jnp.zeros((1, 32, 40)))
  np.testing.assert_allclose(np.asarray(fill)[0][hole], image[0][hole],
                             atol=1e-3)


@pytest.fixture(scope='module')
def generator():
  return random_generator()


def _photo(hw, seed=0):
  rng = np.random.default_rng(seed)
  ramp = np.linspace(0, 200, hw[1])[None, :, None]
  return np.clip(ramp + rng.normal(0, 20, (*hw, 3)), 0, 255).astype(np.uint8)


def test_inpainter_blend_hole_aware_equals_dense(generator):
  image = _photo((72, 88))
  hole = _hole((72, 88), [(10, 14, 5, 80), (30, 60, 20, 50), (64, 72, 80, 88)])
  outs = [inpainter_lib.Inpainter(generator, attention=mode, blend=True,
                                  two_scale=4).inpaint_batch([image], [hole])
          for mode in ('auto', 'dense')]  # Both passes blend.
  np.testing.assert_array_equal(outs[0], outs[1])
  plain = inpainter_lib.Inpainter(generator).inpaint_batch([image], [hole])
  for out in (outs[0], plain):
    np.testing.assert_array_equal(out[0][~hole], image[~hole])
  assert (outs[0][0][hole] != plain[0][hole]).any()


def test_inpainter_fills_thin_holes_with_the_membrane(generator):
  """A 3 px stroke's share is 1: its fill is the harmonic fill from its
  ring, whatever the network says."""
  image = _photo((40, 48), seed=1)
  hole = _hole((40, 48), [(18, 21, 4, 44)])
  out = inpainter_lib.Inpainter(generator, blend=True)(image, hole)
  want = np.clip(np.round(_slow_membrane(image.astype(float), hole)), 0, 255)
  assert np.abs(out[hole].astype(float) - want[hole]).max() <= 1


def test_from_checkpoint_reads_blend(generator, tmp_path):
  plain = store.save_generator(str(tmp_path / 'p'), generator)
  assert not inpainter_lib.Inpainter.from_checkpoint(plain).blend
  path = store.save_generator(str(tmp_path / 'b'), generator,
                              inference={'blend': True})
  assert inpainter_lib.Inpainter.from_checkpoint(path).blend
  assert not inpainter_lib.Inpainter.from_checkpoint(path, blend=False).blend
  meta_path = os.path.join(path, store.META_FILE)
  with open(meta_path) as f:
    meta = json.load(f)
  meta['inference'] = {'blend': 1}
  with open(meta_path, 'w') as f:
    json.dump(meta, f)
  with pytest.raises(ValueError, match='blend') as e:
    inpainter_lib.Inpainter.from_checkpoint(path)
  assert '\n' not in str(e.value)


def test_working_size_fills_thin_holes_with_the_membrane(generator):
  """A stroke beside a box wide enough for the working size (f > 1) is
  still the harmonic fill of its ring, at full size."""
  image = _photo((256, 320), seed=2)
  hole = _hole((256, 320), [(20, 236, 20, 200), (120, 123, 230, 310)])
  inpainter = inpainter_lib.Inpainter(generator, blend=True)
  assert working_size.choose_factor(hole) > 1
  out = inpainter(image, hole)
  np.testing.assert_array_equal(out[~hole], image[~hole])
  stroke = _hole((256, 320), [(120, 123, 230, 310)])
  want = np.clip(np.round(_slow_membrane(image.astype(float), stroke)),
                 0, 255)
  assert np.abs(out[stroke].astype(float) - want[stroke]).max() <= 1
  plain = inpainter.replace(blend=False)(image, hole)
  assert (plain[stroke] != out[stroke]).any()
