# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Compares `models.contextual_attention` with the slow NumPy reference.

The reference (`reference_numpy.py`) is written from the spec (docs/spec.md
§1.6-3, §2.1-2.5) independently of the JAX code. `y` must agree to 1e-5 in
float32 and `offsets` exactly. Exact argmax ties cannot be resolved the same way
by a float32 and a float64 computation, so every comparison first checks (on
the reference's float64 scores) that the best valid background patch of each
query beats the second best by more than `_MIN_GAP`; the random inputs below
were chosen to satisfy this. The full-hole case is the one intended tie (all
weights 0, argmax index 0).
"""

import functools

import jax
import numpy as np
import pytest

from deepfill_jax import models
import reference_numpy as ref

_Y_TOL = 1e-5
# Float32 rounding of the fused scores is ~1e-6 at these sizes.
_MIN_GAP = 1e-5


# ----------------------------------------------------------------------------
# Inputs.
# ----------------------------------------------------------------------------


def _features(seed, batch, h, w, c, low=-1.0, high=1.0):
  rng = np.random.default_rng(seed)
  return rng.uniform(low, high, (batch, h, w, c)).astype(np.float32)


def _mask(kind, h, w, seed=0):
  """One `[H, W, 1]` float32 mask (1 = hole)."""
  m = np.zeros((h, w, 1), np.float32)
  if kind == 'rect':
    m[h // 4:h // 4 + h // 2, w // 4 + 1:w // 4 + 1 + w // 3] = 1
  elif kind == 'edge':  # Hole touching the top and left borders.
    m[:h // 3, :w // 2] = 1
  elif kind == 'irregular':  # A random walk of 2x2 brush strokes.
    rng = np.random.default_rng(seed)
    r, c = h // 2, w // 2
    for _ in range(h * w // 8):
      m[r:r + 2, c:c + 2] = 1
      r = int(np.clip(r + rng.integers(-1, 2), 0, h - 2))
      c = int(np.clip(c + rng.integers(-1, 2), 0, w - 2))
  elif kind == 'full':
    m[:] = 1
  elif kind != 'none':
    raise ValueError(kind)
  return m


def _masks(kinds, h, w):
  return np.stack([_mask(k, h, w, seed=i) for i, k in enumerate(kinds)])


# ----------------------------------------------------------------------------
# Comparison helpers.
# ----------------------------------------------------------------------------


def _impl(f, b, mask, **kwargs):
  y, offsets = models.contextual_attention(f, b, mask, **kwargs)
  return np.asarray(y), np.asarray(offsets)


def _assert_matches_reference(f, b, mask, **kwargs):
  """Runs both sides and checks shapes, y (1e-5) and offsets (exact)."""
  rate = kwargs.get('rate', 2)
  batch, h, w, c = f.shape
  y, offsets = _impl(f, b, mask, **kwargs)
  assert y.shape == (batch, h, w, c)
  assert y.dtype == np.float32
  assert offsets.shape == (batch, h // rate, w // rate, 2)
  assert offsets.dtype == np.int32

  ref_kwargs = {k: v for k, v in kwargs.items() if k != 'softmax_scale'}
  scores, mm = ref.attention_scores(f, b, mask, **ref_kwargs)
  gap = ref.top2_gap(scores, mm)
  assert gap > _MIN_GAP, f'near-tie in the test input (gap {gap}); reseed'
  y_ref, offsets_ref = ref.contextual_attention(f, b, mask, **kwargs)

  diff = np.max(np.abs(y - y_ref))
  assert diff <= _Y_TOL, f'max |y - y_ref| = {diff}'
  np.testing.assert_array_equal(offsets, offsets_ref)
  return y, offsets


# ----------------------------------------------------------------------------
# Reference self-checks (docs/spec.md §1.6-3, §2.2, §2.5).
# ----------------------------------------------------------------------------


def _indices(in_size, out_size):
  return [ref.nearest_source_index(o, in_size, out_size)
          for o in range(out_size)]


def test_reference_resize_64_to_32():
  assert _indices(64, 32) == list(range(0, 31, 2)) + list(range(33, 64, 2))


def test_reference_resize_256_to_64():
  idx = _indices(256, 64)
  assert idx[0] == 0 and idx[-1] == 255
  for i in (40, 45, 125, 130, 206, 210, 215):
    assert i in idx
  assert set(np.diff(idx)) == {4, 5}


def test_reference_resize_float32_and_half_away_ties():
  # 53/26 in float32 puts 13 * scale just below 26.5 (§2.5).
  assert ref.nearest_source_index(13, 54, 27) == 26
  # Exact .5 (2.25 * 2 = 4.5 in float32): away from zero, not to even.
  assert _indices(10, 5) == [0, 2, 5, 7, 9]
  assert _indices(6, 3) == [0, 3, 5]


def test_reference_resize_upsample_is_repetition():
  for n in (8, 32, 64):
    assert _indices(n, 2 * n) == [o // 2 for o in range(2 * n)]


def test_reference_same_padding():
  assert ref.same_padding(16, 4, 2) == (1, 1)  # Raw patches, rate 2.
  assert ref.same_padding(16, 3, 2) == (0, 1)  # §1.6-2.
  assert ref.same_padding(16, 5, 2) == (1, 2)
  assert ref.same_padding(8, 2, 1) == (0, 1)  # Raw patches, rate 1.


def test_reference_fusion_wraps_across_row_ends():
  # 2x2 grid, row-major indices 0=(0,0) 1=(0,1) 2=(1,0) 3=(1,1); one score at
  # (p, q) = (1, 2). Row-major pass: ones at (0,1), (1,2), (2,3); (1,2)->(2,3)
  # steps from (0,1) to (1,0), i.e. wraps across the row end. Column-major
  # order is [0, 2, 1, 3]: in those coordinates the ones sit at (0,2), (2,1),
  # (1,3) and spread along the diagonal to (0,2)x2, (1,3)x2, (2,1), (3,2),
  # (1,0); mapped back to row-major indices below.
  s = np.zeros((4, 4))
  s[1, 2] = 1.0
  expected = np.zeros((4, 4))
  expected[0, 1] = expected[2, 3] = 2.0
  expected[1, 2] = expected[3, 1] = expected[2, 0] = 1.0
  np.testing.assert_array_equal(ref.fuse_scores(s, 2, 2), expected)


# ----------------------------------------------------------------------------
# JAX implementation against the reference.
# ----------------------------------------------------------------------------

# (seed, (B, H, W, C), mask kind per image, keyword arguments). Few distinct
# shapes, because every new shape costs seconds of eager op compilation.
_CASES = {
    'rect_fuse': (0, (1, 16, 16, 4), ['rect'], {}),
    'rect_no_fuse': (0, (1, 16, 16, 4), ['rect'], {'fuse': False}),
    'irregular_fuse': (1, (1, 16, 16, 4), ['irregular'], {}),
    'irregular_no_fuse': (1, (1, 16, 16, 4), ['irregular'], {'fuse': False}),
    'edge_hole': (3, (1, 16, 16, 4), ['edge'], {}),
    'fuse_k5_scale5': (7, (1, 16, 16, 4), ['rect'],
                       {'fuse_k': 5, 'softmax_scale': 5.0}),
    'no_hole_non_square': (2, (3, 16, 12, 3), ['none'] * 3, {}),
    'per_image_masks': (4, (3, 16, 12, 3), ['rect', 'irregular', 'edge'], {}),
    # 54 -> 27 reads column 26 at o=13 (float32 index), 6 -> 3 reads row 3 at
    # o=1 (half away from zero): catches float64 and round-half-even ports.
    'resize_ties': (5, (1, 6, 54, 3), ['rect'], {}),
    'rate1_fuse': (6, (1, 8, 12, 4), ['rect'], {'rate': 1}),
    'rate1_no_fuse': (6, (1, 8, 12, 4), ['irregular'],
                      {'rate': 1, 'fuse': False}),
}


@pytest.mark.parametrize('name', sorted(_CASES))
def test_matches_reference(name):
  seed, (batch, h, w, c), kinds, kwargs = _CASES[name]
  f = _features(seed, batch, h, w, c)
  b = _features(seed + 100, batch, h, w, c)
  _assert_matches_reference(f, b, _masks(kinds, h, w), **kwargs)


def test_self_attention_matches_reference():
  # The generator's call: f is b, rate 2, fusion on.
  f = _features(8, 3, 16, 16, 4)
  _assert_matches_reference(f, f, _masks(['rect', 'irregular', 'edge'], 16, 16))


def test_all_negative_scores_pick_best_valid_patch():
  # f <= 0 and b >= 0 make every score negative, so the masked (invalid)
  # logits of 0 dominate the softmax; the argmax must still be taken over the
  # weights after the second masking, i.e. among valid patches only.
  f = _features(9, 1, 16, 16, 4, low=-0.3, high=0.0)
  b = _features(10, 1, 16, 16, 4, low=0.0, high=1.0)
  _assert_matches_reference(f, b, _masks(['rect'], 16, 16))


_SIDES = {'reference': ref.contextual_attention, 'jax': _impl}


@pytest.mark.parametrize('side', sorted(_SIDES))
def test_full_hole(side):
  # §2.5: all weights 0 after masking -> y = 0, argmax index 0 -> (-row, -col).
  f = _features(11, 3, 16, 12, 3)
  y, offsets = _SIDES[side](f, f, _masks(['full'] * 3, 16, 12))
  assert not np.asarray(y).any()
  rows, cols = np.meshgrid(range(8), range(6), indexing='ij')
  for i in range(3):
    np.testing.assert_array_equal(offsets[i], np.stack([-rows, -cols], -1))


@pytest.mark.parametrize('side', sorted(_SIDES))
def test_self_match_border_scaling(side):
  # One-hot self-attention pastes b back: b inside, b/2 on the edges, b/4 in
  # the corners (§2.5).
  b = _features(12, 1, 16, 16, 4)
  y, offsets = _SIDES[side](b, b, np.zeros((1, 16, 16, 1), np.float32),
                            fuse=False, softmax_scale=1e4)
  coverage = np.full((16, 16, 1), 1.0)
  coverage[[0, -1]] /= 2
  coverage[:, [0, -1]] /= 2
  np.testing.assert_allclose(y[0], b[0] * coverage, atol=1e-6)
  assert not np.asarray(offsets).any()


def test_identical_masks_equal_separate_images():
  f = _features(13, 3, 16, 16, 4)
  b = _features(14, 3, 16, 16, 4)
  mask = _masks(['irregular'] * 3, 16, 16)
  mask[:] = mask[0]
  y, offsets = _impl(f, b, mask)
  for i in range(3):
    y_i, offsets_i = _impl(f[i:i + 1], b[i:i + 1], mask[i:i + 1])
    np.testing.assert_allclose(y[i:i + 1], y_i, atol=1e-6)
    np.testing.assert_array_equal(offsets[i:i + 1], offsets_i)
  # The original's single shared mask [1, H, W, 1] (§1.1), if broadcast.
  y_shared, offsets_shared = _impl(f, b, mask[:1])
  np.testing.assert_allclose(y_shared, y, atol=1e-6)
  np.testing.assert_array_equal(offsets_shared, offsets)


@pytest.mark.parametrize('fuse', [True, False])
def test_jit_matches_eager(fuse):
  f = _features(15, 3, 16, 12, 3)
  b = _features(16, 3, 16, 12, 3)
  mask = _masks(['rect', 'irregular', 'none'], 16, 12)
  jitted = jax.jit(functools.partial(models.contextual_attention, fuse=fuse))
  y_jit, offsets_jit = jitted(f, b, mask)
  y, offsets = _assert_matches_reference(f, b, mask, fuse=fuse)
  np.testing.assert_allclose(np.asarray(y_jit), y, atol=1e-6)
  np.testing.assert_array_equal(np.asarray(offsets_jit), offsets)
