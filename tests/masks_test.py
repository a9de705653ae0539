# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Tests of deepfill_jax.data.masks: hole statistics, boxes, discount, seeding."""

import os
import tempfile

from absl.testing import absltest
from absl.testing import parameterized
import numpy as np
from PIL import Image

from deepfill_jax import default_config as default
from deepfill_jax.data import masks

_NUM_SAMPLES = 300


def _mask_config(mask_type='bbox', **overrides):
  config = default.get_config().masks
  config.type = mask_type
  config.update(overrides)
  return config


def _hole_extent(mask):
  """(top, left, height, width) of the bounding box of the hole."""
  rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
  return (rows[0], cols[0], rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)


def _samples(generator, count=_NUM_SAMPLES, seed=0):
  return [generator(np.random.default_rng([seed, i])) for i in range(count)]


class BboxTest(parameterized.TestCase):

  @parameterized.parameters((256, 128, 96), (512, 256, 192), (128, 64, 48))
  def test_hole_sides_and_box(self, size, box_side, min_side):
    generator = masks.MaskGenerator(_mask_config(), (size, size))
    self.assertEqual(generator.box_hw, (box_side, box_side))
    tops = []
    for mask, box in _samples(generator):
      self.assertEqual(mask.dtype, bool)
      self.assertEqual(mask.shape, (size, size))
      top, left, height, width = _hole_extent(mask)
      self.assertBetween(height, min_side, box_side)
      self.assertBetween(width, min_side, box_side)
      # Full rectangle, centred inside the box (same shrink on both sides).
      self.assertEqual(mask.sum(), height * width)
      self.assertEqual(box[2:].tolist(), [box_side, box_side])
      self.assertEqual(top - box[0], box[0] + box_side - top - height)
      self.assertEqual(left - box[1], box[1] + box_side - left - width)
      tops.append(box[0])
    # Original range: top in [0, size - box) (upper end excluded).
    self.assertBetween(min(tops), 0, size // 16)
    self.assertBetween(max(tops), size - box_side - size // 16,
                       size - box_side - 1)

  def test_margins(self):
    generator = masks.MaskGenerator(
        _mask_config(vertical_margin=20, horizontal_margin=30), (256, 256))
    for _, box in _samples(generator, 100):
      self.assertBetween(box[0], 20, 256 - 20 - 128)
      self.assertBetween(box[1], 30, 256 - 30 - 128)

  def test_no_delta_gives_full_box(self):
    generator = masks.MaskGenerator(
        _mask_config(max_delta_height=0, max_delta_width=0), (256, 256))
    mask, box = generator(np.random.default_rng(0))
    self.assertEqual(_hole_extent(mask), tuple(box))

  @parameterized.parameters(dict(height=300), dict(max_delta_width=128),
                            dict(type='circle'), dict(min_brush_width=50))
  def test_bad_settings(self, **overrides):
    with self.assertRaises(ValueError):
      masks.MaskGenerator(_mask_config(**overrides), (256, 256))


class FreeFormTest(parameterized.TestCase):

  def test_coverage_distribution(self):
    generator = masks.MaskGenerator(_mask_config('free_form'), (256, 256))
    coverage = np.array([m.mean() for m, _ in _samples(generator)])
    # Measured with 1000 samples: mean 0.156, 5 % 0.04, 95 % 0.29.
    self.assertBetween(coverage.mean(), 0.11, 0.21)
    self.assertBetween(np.percentile(coverage, 5), 0.01, 0.08)
    self.assertBetween(np.percentile(coverage, 95), 0.2, 0.4)
    self.assertGreater(coverage.min(), 0)
    self.assertLess(coverage.max(), 0.6)

  def test_box_follows_hole(self):
    generator = masks.MaskGenerator(_mask_config('free_form'), (256, 256))
    for mask, box in _samples(generator, 50):
      top, left, height, width = box
      self.assertEqual((height, width), (128, 128))
      self.assertBetween(top, 0, 128)
      self.assertBetween(left, 0, 128)
      hole_top, hole_left, hole_h, hole_w = _hole_extent(mask)
      # Centred on the hole's extent unless pushed inside the image.
      for start, side, hole_start, hole_side in (
          (top, height, hole_top, hole_h), (left, width, hole_left, hole_w)):
        if 0 < start < 128:
          self.assertAlmostEqual(start + side / 2, hole_start + hole_side / 2,
                                 delta=1)

  def test_non_square(self):
    mask = masks.brush_stroke_mask(np.random.default_rng(3), (96, 320), 5, 12)
    self.assertEqual(mask.shape, (96, 320))
    self.assertTrue(mask.any())

  def test_flips_take_effect(self):
    mask = np.zeros((4, 4), bool)
    mask[0, 0] = True
    corners = {tuple(np.argwhere(masks.random_flips(
        np.random.default_rng(i), mask))[0]) for i in range(40)}
    self.assertEqual(corners, {(0, 0), (0, 3), (3, 0), (3, 3)})

  def test_union_keeps_bbox(self):
    generator = masks.MaskGenerator(_mask_config('bbox+free_form'), (256, 256))
    bbox_only = masks.MaskGenerator(_mask_config('bbox'), (256, 256))
    for seed in range(20):
      mask, box = generator(np.random.default_rng(seed))
      # Same draws first: the bbox hole of the same seed, plus strokes.
      hole, bbox = bbox_only(np.random.default_rng(seed))
      np.testing.assert_array_equal(box, bbox)
      self.assertTrue(mask[hole].all())
      self.assertGreaterEqual(mask.sum(), hole.sum())

  def test_mixed_draws_each_kind_equally(self):
    """`mixed` picks one kind per draw, then draws exactly as that kind."""
    generator = masks.MaskGenerator(_mask_config('mixed'), (256, 256))
    kinds = {kind: masks.MaskGenerator(_mask_config(kind), (256, 256))
             for kind in masks.MIXED_TYPES}
    counts = dict.fromkeys(masks.MIXED_TYPES, 0)
    for seed in range(90):
      rng = np.random.default_rng(seed)
      mask, box = generator(rng)
      # The same stream after the kind's draw gives the same mask.
      replay = np.random.default_rng(seed)
      kind = masks.MIXED_TYPES[replay.integers(len(masks.MIXED_TYPES))]
      want, want_box = kinds[kind](replay)
      np.testing.assert_array_equal(mask, want)
      np.testing.assert_array_equal(box, want_box)
      counts[kind] += 1
    for kind, count in counts.items():
      self.assertBetween(count, 18, 42, msg=kind)


class SeedingTest(parameterized.TestCase):

  @parameterized.parameters('bbox', 'free_form', 'bbox+free_form', 'mixed')
  def test_same_seed_same_mask(self, mask_type):
    generator = masks.MaskGenerator(_mask_config(mask_type), (256, 256))
    first, second = _samples(generator, 5), _samples(generator, 5)
    other = _samples(generator, 5, seed=1)
    for (m1, b1), (m2, b2), (m3, _) in zip(first, second, other):
      np.testing.assert_array_equal(m1, m2)
      np.testing.assert_array_equal(b1, b2)
      self.assertFalse(np.array_equal(m1, m3))


class FolderMasksTest(absltest.TestCase):

  def test_user_masks(self):
    with tempfile.TemporaryDirectory() as root:
      left_half = np.zeros((50, 100), np.uint8)
      left_half[:, :50] = 255
      Image.fromarray(left_half).save(os.path.join(root, 'half.png'))
      with open(os.path.join(root, 'broken.png'), 'wb') as f:
        f.write(b'not a png')
      generator = masks.MaskGenerator(
          _mask_config('folder', path=root), (64, 64))
      with self.assertLogs(level='WARNING'):
        samples = _samples(generator, 40)
    flipped = 0
    for mask, box in samples:
      self.assertEqual(mask.shape, (64, 64))
      self.assertEqual(mask.mean(), 0.5)
      self.assertTrue(mask[:, :32].all() or mask[:, 32:].all())
      flipped += bool(mask[:, 32:].all())
      self.assertEqual(box.tolist()[2:], [32, 32])
    self.assertBetween(flipped, 5, 35)

  def test_folder_masks_follow_the_mask_convention(self):
    """Red >= 128 is a hole (after resizing); a 0/1 mask file is refused."""
    with tempfile.TemporaryDirectory() as root:
      grey = np.zeros((64, 64, 3), np.uint8)
      grey[:, :16] = 127   # Not a hole.
      grey[:, 16:32] = 128  # Hole.
      grey[:, 32:48, 1:] = 255  # Green and blue only: not a hole.
      Image.fromarray(grey).save(os.path.join(root, 'grey.png'))
      generator = masks.MaskGenerator(
          _mask_config('folder', path=root), (64, 64))
      for mask, _ in _samples(generator, 8):
        cols = np.flatnonzero(mask.all(0))
        self.assertEqual(mask.sum(), 16 * 64)
        self.assertIn(cols.tolist(), [list(range(16, 32)),
                                      list(range(32, 48))])  # Flipped.
      ones = np.zeros((64, 64), np.uint8)
      ones[:, :32] = 1
      Image.fromarray(ones).save(os.path.join(root, 'grey.png'))
      with self.assertLogs(level='WARNING') as logs, self.assertRaisesRegex(
          ValueError, 'unreadable masks in a row; last: .*only 0 and 1'):
        generator(np.random.default_rng(0))
      self.assertIn('only 0 and 1', logs.output[0])

  def test_missing_folder(self):
    for path in '/no/such/dir', '':
      with self.assertRaises(FileNotFoundError):
        masks.MaskGenerator(_mask_config('folder', path=path), (64, 64))


class SpatialDiscountTest(absltest.TestCase):

  def test_values(self):
    weights = masks.spatial_discount((128, 128), 0.9)
    self.assertEqual(weights.shape, (128, 128, 1))
    self.assertEqual(weights.dtype, np.float32)
    self.assertAlmostEqual(weights[0, 0, 0], 1.0)
    self.assertAlmostEqual(weights[0, 64, 0], 1.0)
    self.assertAlmostEqual(weights[127, 64, 0], 0.9, places=6)
    self.assertAlmostEqual(weights[64, 64, 0], 0.9**64, places=7)
    self.assertAlmostEqual(weights.mean(), 0.253, places=3)
    with self.assertRaises(ValueError):
      masks.spatial_discount((8, 8), 0.0)

  def test_non_square(self):
    weights = masks.spatial_discount((4, 6), 0.5)[..., 0]
    expected = np.maximum(0.5**np.array([0, 1, 2, 1])[:, None],
                          0.5**np.array([0, 1, 2, 3, 2, 1])[None, :])
    np.testing.assert_allclose(weights, expected)


if __name__ == '__main__':
  absltest.main()
