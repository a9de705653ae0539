# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""deepfill_jax.utils.metrics against values computed by hand."""

import math

import numpy as np
import pytest

from deepfill_jax.utils import metrics


def _img(rows):
  """A [1, H, W, 1] float32 image from nested lists."""
  return np.asarray(rows, np.float32)[None, ..., None]


def _compute(pred, target, mask):
  return {k: np.asarray(v) for k, v in
          metrics.compute(pred, target, mask).items()}


def test_two_by_two_by_hand():
  # pred - target is 0.5 at the top-left pixel, 0 elsewhere.
  pred = _img([[1., 0.], [0., 0.]])
  target = _img([[.5, 0.], [0., 0.]])
  top_row = _img([[1., 1.], [0., 0.]])
  got = _compute(pred, target, top_row)
  np.testing.assert_allclose(got['l1'], [100 * .5 / 4], rtol=1e-6)  # 12.5
  np.testing.assert_allclose(got['l2'], [100 * .25 / 4], rtol=1e-6)  # 6.25
  # mse = 0.0625: 10 log10(16) = 12.0412 dB.
  np.testing.assert_allclose(got['psnr'], [10 * math.log10(16)], rtol=1e-5)
  # pred: |0 - 1| and |0 - 0| between rows, same between columns: 0.5 + 0.5.
  np.testing.assert_allclose(got['tv'], [100.], rtol=1e-6)
  # Hole = top row: errors 0.5 and 0 -> L1 25 %, mse 0.125 -> 9.0309 dB.
  np.testing.assert_allclose(got['hole_l1'], [25.], rtol=1e-6)
  np.testing.assert_allclose(got['hole_psnr'], [10 * math.log10(8)],
                             rtol=1e-5)


def test_tv_of_a_ramp():
  # Columns step by 0.1, rows are equal: TV = 0 + 0.1 -> 10 %.
  ramp = _img([[0., .1, .2]] * 3)
  np.testing.assert_allclose(np.asarray(metrics.tv(ramp)), [10.], rtol=1e-5)


def test_hole_mean_is_over_pixels_and_channels():
  target = np.zeros((1, 1, 2, 3), np.float32)
  pred = target.copy()
  pred[0, 0, 0, 0] = .6  # One channel of the hole pixel is off by 0.6.
  pred[0, 0, 1] = 1.     # The known pixel is wrong everywhere: ignored.
  hole = np.array([[[[1.], [0.]]]], np.float32)
  got = _compute(pred, target, hole)
  np.testing.assert_allclose(got['hole_l1'], [100 * .6 / 3], rtol=1e-6)
  np.testing.assert_allclose(got['hole_psnr'],
                             [-10 * math.log10(.36 / 3)], rtol=1e-5)
  # Whole image: (0.6 + 3) / 6.
  np.testing.assert_allclose(got['l1'], [100 * 3.6 / 6], rtol=1e-6)


def test_perfect_result_and_empty_hole_are_capped():
  image = np.random.default_rng(0).random((2, 4, 5, 3), np.float32)
  hole = np.zeros((2, 4, 5, 1), np.float32)
  hole[0, 1:3, 1:3] = 1.
  got = _compute(image, image, hole)
  np.testing.assert_array_equal(got['l1'], [0., 0.])
  np.testing.assert_array_equal(got['psnr'], [metrics.PSNR_CAP] * 2)
  np.testing.assert_array_equal(got['hole_psnr'], [metrics.PSNR_CAP] * 2)
  noisy = np.clip(image + .1, 0, 1)
  got = _compute(noisy, image, hole)
  assert got['hole_l1'][1] == 0.  # Image 1 has no hole.
  assert got['hole_psnr'][1] == metrics.PSNR_CAP
  assert 0 < got['hole_l1'][0] <= 10 + 1e-4


def test_values_are_per_image():
  a = _img([[1., 0.], [0., 0.]])
  b = _img([[0., 0.], [0., 0.]])
  hole = _img([[1., 0.], [0., 0.]])
  got = _compute(np.concatenate([a, b]), np.concatenate([b, b]),
                 np.concatenate([hole, hole]))
  np.testing.assert_allclose(got['l1'], [25., 0.], rtol=1e-6)
  np.testing.assert_allclose(got['hole_l1'], [100., 0.], rtol=1e-6)
  assert set(got) == set(metrics.NAMES)


@pytest.mark.parametrize('pred_shape, mask_shape, text', [
    ((1, 4, 4, 3), (1, 4, 4, 1), None),
    ((1, 4, 5, 3), (1, 4, 4, 1), 'must both be'),
    ((4, 4, 3), (4, 4, 1), 'must both be'),
    ((1, 4, 4, 3), (1, 4, 4), 'mask must be'),
    ((1, 4, 4, 3), (1, 4, 4, 3), 'mask must be'),
])
def test_shape_errors(pred_shape, mask_shape, text):
  target = np.zeros((1, 4, 4, 3), np.float32)
  if len(pred_shape) == 3:
    target = target[0]
  pred, mask = np.zeros(pred_shape), np.zeros(mask_shape)
  if text is None:
    metrics.compute(pred, target, mask)
  else:
    with pytest.raises(ValueError, match=text):
      metrics.compute(pred, target, mask)
