# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Mask files: two levels, JPEG noise allowed, photos refused."""

import os

import numpy as np
import pytest
from PIL import Image

from deepfill_jax.data import image_io
from deepfill_jax.apps import inpaint
from deepfill_jax.data import masks as masks_lib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PHOTO = os.path.join(ROOT, 'data', 'photos',
                     sorted(os.listdir(os.path.join(ROOT, 'data',
                                                    'photos')))[0])


def _strokes(hw=(256, 320)) -> np.ndarray:
  """A free-form mask (thin strokes: many edges) and a box, bool [H, W]."""
  rng = np.random.default_rng(0)
  hole = np.asarray(masks_lib.brush_stroke_mask(rng, hw, 6, 16)) > 0.5
  hole = hole.reshape(hw)
  hole[40:90, 60:200] = True
  for row in range(120, 250, 16):
    hole[row:row + 3, 10:300] = True  # Thin lines: JPEG's worst case.
  return hole


@pytest.mark.parametrize('quality', [95, 75, 30, 10])
def test_binary_mask_saved_as_jpeg_still_works(tmp_path, quality):
  hole = _strokes()
  path = str(tmp_path / 'mask.jpg')
  Image.fromarray(np.uint8(hole) * 255).convert('RGB').save(path,
                                                            quality=quality)
  loaded = image_io.load_mask(path)
  assert np.mean(loaded != hole) < 0.01


def test_two_other_levels_are_a_mask(tmp_path):
  path = str(tmp_path / 'mask.png')
  values = np.where(_strokes(), 200, 30).astype(np.uint8)
  Image.fromarray(values).save(path)
  np.testing.assert_array_equal(image_io.load_mask(path), _strokes())


def test_photo_given_as_mask_is_refused_in_one_line(tmp_path):
  with pytest.raises(ValueError, match=(
      r'^.*: not a mask: \d+% of its pixels are neither dark nor bright \(a '
      r'mask image has two levels, white or >= 128 = hole\); is it a '
      r'photo\?$')):
    image_io.load_mask(PHOTO)


def test_inpaint_cli_refuses_a_photo_as_mask(tmp_path, ckpt, capsys):
  out = str(tmp_path / 'out.png')
  status = inpaint.main(['--checkpoint', ckpt, '--image', PHOTO, '--mask',
                         PHOTO, '--output', out])
  assert status != 0
  err = capsys.readouterr().err.strip().splitlines()
  assert err[-1].endswith('is it a photo?') and 'Traceback' not in err
  assert not os.path.exists(out)
