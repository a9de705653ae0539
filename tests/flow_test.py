# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Tests `models.flow_to_image` against the NumPy reference colouring (docs/spec.md §2.3).

Offsets are (row, col) = (u, v) displacements; each image is normalised by its
own maximum radius. Colours are compared exactly (uint8), because the spec
asks for the original's float64 arithmetic step by step.
"""

import numpy as np
import pytest

from deepfill_jax import models
import reference_numpy as ref


def _colour(offsets):
  out = np.asarray(models.flow_to_image(np.asarray(offsets, np.int32)))
  assert out.dtype == np.uint8
  assert out.shape == np.shape(offsets)[:-1] + (3,)
  return out


def _random_offsets(seed, shape, high):
  rng = np.random.default_rng(seed)
  return rng.integers(-high, high + 1, shape + (2,)).astype(np.int32)


def test_reference_color_wheel():
  wheel = ref.make_color_wheel()
  assert wheel.shape == (55, 3)
  # Segment starts: red, yellow, green, cyan, blue, magenta.
  for i, rgb in ((0, (255, 0, 0)), (15, (255, 255, 0)), (21, (0, 255, 0)),
                 (25, (0, 255, 255)), (36, (0, 0, 255)), (49, (255, 0, 255))):
    np.testing.assert_array_equal(wheel[i], rgb)
  np.testing.assert_array_equal(wheel[1], (255, 17, 0))  # floor(255/15)
  np.testing.assert_array_equal(wheel[54], (255, 0, 43))  # 255-floor(1275/6)


def test_zero_displacement_is_white():
  out = _colour(np.zeros((2, 3, 5, 2), np.int32))
  assert (out == 255).all()


@pytest.mark.parametrize('seed,shape,high', [
    (0, (3, 5, 7), 6),
    (1, (2, 8, 8), 30),
    (2, (1, 4, 54), 3),
])
def test_random_field_matches_reference(seed, shape, high):
  offsets = _random_offsets(seed, shape, high)
  offsets[0, 0, 0] = 0  # Some white pixels.
  np.testing.assert_array_equal(_colour(offsets), ref.flow_to_image(offsets))


def test_hand_checked_colours():
  # One image, max radius 3, so every pixel below has radius exactly 1.0 in
  # float64 (3 + eps == 3) and shows the plain wheel colour. a = atan2(-v, -u)
  # / pi; fk = (a + 1) / 2 * 54 (0-based).
  offsets = np.array([[[[3, 0], [-3, 0], [0, 3], [0, -3]]]], np.int32)
  expected = [
      # Down (u > 0, v = 0): -v is -0.0, so a = atan2(-0.0, -1)/pi = -1,
      # fk = 0 -> wheel[0], red. (Treating -v as +0.0 would give a = +1,
      # fk = 54 -> wheel[54] = (255, 0, 43).)
      (255, 0, 0),
      # Up: a = atan2(-0.0, 1)/pi = -0, fk = 27 -> wheel[27] (CB, i=2):
      # G = 255 - floor(510/11) = 209.
      (0, 209, 255),
      # Right (v > 0): a = -1/2, fk = 13.5 -> half way between wheel[13] =
      # (255, 221, 0) and wheel[14] = (255, 238, 0): G = floor(229.5) = 229.
      (255, 229, 0),
      # Left: a = 1/2, fk = 40.5 -> half way between wheel[40] = (78, 0, 255)
      # and wheel[41] = (98, 0, 255): R = 88 (the float64 sum lands on 88.0).
      (88, 0, 255),
  ]
  out = _colour(offsets)
  np.testing.assert_array_equal(out[0, 0], expected)
  np.testing.assert_array_equal(ref.flow_to_image(offsets)[0, 0], expected)


def test_hand_checked_diagonal_and_saturation():
  # Down-right (3, 3) next to the maximum (6, 0) (radius 6, shown red):
  # a = -3/4, fk = 6.75 -> 0.25 * wheel[6] + 0.75 * wheel[7] = (255, 114.75,
  # 0); r = sqrt(18)/6 = 0.7071: col = 1 - r * (1 - col) -> G = floor(255 -
  # 0.7071 * 140.25) = 155, B = floor(255 * (1 - 0.7071)) = 74.
  offsets = np.array([[[[3, 3], [6, 0]]]], np.int32)
  out = _colour(offsets)
  np.testing.assert_array_equal(out[0, 0, 0], (255, 155, 74))
  np.testing.assert_array_equal(out[0, 0, 1], (255, 0, 0))
  np.testing.assert_array_equal(ref.flow_to_image(offsets), out)


def test_max_radius_rounding_darkens():
  # (19, 29) is one of the few integer maxima for which the normalised radius
  # rounds to 1 + 2^-52 in float64: the original's `rad <= 1` test fails and
  # the pixel is darkened by 0.75 instead of showing its wheel colour.
  offsets = np.array([[[[19, 29], [-29, -19], [0, 1]]]], np.int32)
  expected = ref.flow_to_image(offsets)
  np.testing.assert_array_equal(_colour(offsets), expected)
  # Every wheel colour keeps one channel at 255; darkened, all are <= 191.
  assert expected[0, 0, :2].max() <= 191
  assert expected[0, 0, 2].max() == 255


def test_per_image_normalisation():
  # Image 0 has max radius 8, image 1 max radius 2; both contain (2, 0).
  # Per image: in image 1 (2, 0) is at radius 1 -> red; in image 0 it is at
  # radius 1/4 -> (255, floor(255 * 0.75), floor(255 * 0.75)) = (255, 191,
  # 191). A running or batch maximum would colour image 1 like image 0.
  offsets = np.zeros((2, 2, 2, 2), np.int32)
  offsets[0, 0, 0] = (8, 0)
  offsets[0, 1, 1] = (2, 0)
  offsets[1, 1, 1] = (2, 0)
  out = _colour(offsets)
  np.testing.assert_array_equal(out[0, 1, 1], (255, 191, 191))
  np.testing.assert_array_equal(out[1, 1, 1], (255, 0, 0))
  np.testing.assert_array_equal(out[0, 0, 0], (255, 0, 0))
  np.testing.assert_array_equal(out, ref.flow_to_image(offsets))
  np.testing.assert_array_equal(out[1:], _colour(offsets[1:]))
