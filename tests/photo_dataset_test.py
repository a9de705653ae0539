# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""tools/make_photo_dataset.py: photo table, split, crops, reserved sets."""

import dataclasses
import hashlib
import os

import numpy as np
from PIL import Image
import pytest

from tools import make_photo_dataset as recipe


def test_table_is_split_by_photo_with_enough_held_out():
  names = [p.file for p in recipe.PHOTOS]
  assert len(set(names)) == len(names)
  held_out = [p for p in recipe.PHOTOS if p.split == 'eval']
  assert {p.split for p in recipe.PHOTOS} == {'train', 'eval'}
  assert len(held_out) >= 0.15 * len(recipe.PHOTOS)
  for photo in recipe.PHOTOS:
    assert len(photo.sha256) == 64 and photo.author and photo.licence


def test_eval_crops_and_training_scales():
  image = Image.fromarray(np.random.default_rng(0).integers(
      0, 256, (600, 900, 3), np.uint8))
  crops = recipe.eval_crops(image, np.random.default_rng(0))
  assert len(crops) == sum(n for _, n in recipe.EVAL_CROPS)
  assert all(c.size == (recipe.EVAL_SIZE, recipe.EVAL_SIZE) for c in crops)
  # The first crop is the whole photo's centre square.
  whole = recipe.rescale(image, recipe.EVAL_SIZE)
  left = (whole.size[0] - recipe.EVAL_SIZE) // 2
  np.testing.assert_array_equal(
      np.asarray(crops[0]),
      np.asarray(whole)[:, left:left + recipe.EVAL_SIZE])
  for side in recipe.TRAIN_SHORTER_SIDES:
    assert min(recipe.rescale(image, side).size) == side


def test_photos_are_found_by_name_and_checksum_only(tmp_path, monkeypatch):
  data = b'not the photo'
  (tmp_path / 'coffee.png').write_bytes(data)
  photo = recipe.Photo('coffee.png', hashlib.sha256(data).hexdigest(), 'a',
                       'CC0-1.0', 'p', 'train')
  monkeypatch.setattr(recipe, 'PHOTOS', (photo,))
  assert recipe.find_photos([str(tmp_path)]) == {
      'coffee.png': str(tmp_path / 'coffee.png')}
  wrong = dataclasses.replace(photo, sha256='0' * 64)
  monkeypatch.setattr(recipe, 'PHOTOS', (wrong,))
  with pytest.raises(FileNotFoundError, match='coffee.png'):
    recipe.find_photos([str(tmp_path)])


def test_reserved_test_sets_are_refused(tmp_path):
  reserved = tmp_path / 'mate-backgrounds'
  reserved.mkdir()
  with pytest.raises(ValueError, match='reserved'):
    recipe.search_roots([str(reserved)])


def test_installed_pypi_packages_data_folders_are_searched(tmp_path):
  skimage = pytest.importorskip('skimage')
  roots = recipe.search_roots([str(tmp_path)])
  assert roots[0] == str(tmp_path)
  assert os.path.join(os.path.dirname(skimage.__file__), 'data') in roots
  # Every photo of a PyPI package names a package the recipe searches.
  for photo in recipe.PHOTOS:
    if photo.package.endswith('(PyPI)'):
      assert photo.package in recipe.PYPI_DATA
