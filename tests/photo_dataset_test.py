# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""tools/make_photo_dataset.py: table, splits, crops, manifest, credits."""

import dataclasses
import hashlib
import io
import json
import os

import numpy as np
from PIL import Image
import pytest

from tools import make_photo_dataset as recipe
from tools.photo_sources import SourceFile
from tools.photo_sources import table


def test_table_is_split_by_photo():
  names = [p.file for p in table.PHOTOS]
  assert len(set(names)) == len(names)
  assert {p.split for p in table.PHOTOS} == {'train', 'validation'}
  for photo in table.PHOTOS:
    assert len(photo.sha256) == 64 and photo.author and photo.licence
    assert photo.package in table.PREFIXES


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
  # Never upsampled past the photo's own size (600 px here).
  assert recipe.scales(recipe.TRAIN_SHORTER_SIDES, image) == [320, 512, 600]


def test_photos_are_found_by_name_and_checksum_only(tmp_path, monkeypatch):
  data = b'not the photo'
  (tmp_path / 'coffee.png').write_bytes(data)
  photo = table.Photo('coffee.png', hashlib.sha256(data).hexdigest(), 'a',
                      'CC0-1.0', 'p', 'train')
  monkeypatch.setattr(table, 'PHOTOS', (photo,))
  assert table.find_photos([str(tmp_path)]) == {
      'coffee.png': str(tmp_path / 'coffee.png')}
  wrong = dataclasses.replace(photo, sha256='0' * 64)
  monkeypatch.setattr(table, 'PHOTOS', (wrong,))
  with pytest.raises(FileNotFoundError, match='coffee.png'):
    table.find_photos([str(tmp_path)])


def test_reserved_test_sets_are_refused(tmp_path):
  reserved = tmp_path / 'mate-backgrounds'
  reserved.mkdir()
  with pytest.raises(ValueError, match='reserved'):
    table.search_roots([str(reserved)])
  with pytest.raises(ValueError, match='reserved'):
    recipe.make_dataset([str(reserved)], str(tmp_path / 'out'))


def test_installed_pypi_packages_data_folders_are_searched(tmp_path):
  skimage = pytest.importorskip('skimage')
  roots = table.search_roots([str(tmp_path)])
  assert roots[0] == str(tmp_path)
  assert os.path.join(os.path.dirname(skimage.__file__), 'data') in roots
  for photo in table.PHOTOS:
    if photo.package.endswith('(PyPI)'):
      assert photo.package in table.PYPI_DATA


def _png(seed: int, hw=(300, 400)) -> bytes:
  rng = np.random.default_rng(seed)
  # Smooth random images: distinct average hashes.
  small = rng.integers(0, 256, (4, 4, 3), np.uint8)
  img = Image.fromarray(small).resize(hw[::-1], Image.Resampling.BILINEAR)
  buffer = io.BytesIO()
  img.save(buffer, format='PNG')
  return buffer.getvalue()


def _source(name, data, kind='photo', package='pkg (Debian)'):
  return SourceFile(name=name, package=package, origin=f'o/{name}',
                    author=f'author of {name}', licence='CC0-1.0', kind=kind,
                    read=lambda: data)


def _entries(sources):
  return [recipe.Entry(s, hashlib.sha256(s.read()).hexdigest())
          for s in sources]


def _far_apart_hashes(entries):
  rng = np.random.default_rng(0)  # Random 63-bit values: ~31 bits apart.
  return {e.source.name: int(rng.integers(0, 2**63)) for e in entries}


def test_splits_cycle_per_package_and_keep_near_duplicates_together():
  photos = [_source(f'p/{i}', _png(i)) for i in range(12)]
  textures = [_source('t/0', _png(100), kind='texture')]
  entries = _entries(photos + textures)
  hashes = _far_apart_hashes(entries)
  recipe.assign_splits(entries, {}, hashes)
  ordered = sorted(entries[:12], key=lambda e: e.sha256)
  assert [e.split for e in ordered] == list(recipe.SPLIT_CYCLE) * 2
  assert entries[12].split == 'train'
  # A near-duplicate (hash 1 bit away) of a fixed validation photo follows
  # it, whatever its rank; the cycle goes on without it.
  entries = _entries(photos[:7])
  hashes = _far_apart_hashes(entries)
  first = min(entries[1:], key=lambda e: e.sha256)
  hashes[first.source.name] = hashes['p/0'] ^ 1
  recipe.assign_splits(entries, {'p/0': 'validation'}, hashes)
  assert first.split == 'validation'
  rest = sorted((e for e in entries[1:] if e is not first),
                key=lambda e: e.sha256)
  assert [e.split for e in rest] == list(recipe.SPLIT_CYCLE[:len(rest)])


def test_make_dataset_writes_splits_manifest_and_credits(tmp_path,
                                                         monkeypatch):
  photos = [_source(f'p/{i}', _png(i)) for i in range(6)]
  texture = _source('t/0', _png(50, (128, 128)), kind='texture')
  duplicate = _source('p/copy', photos[0].read())
  monkeypatch.setattr(table, 'find', lambda sources: [])

  class Package:
    find = staticmethod(lambda root: photos + [texture, duplicate])

  monkeypatch.setattr(recipe, 'PACKAGES', (Package,))
  logged = []
  out = tmp_path / 'out'
  manifest = recipe.make_dataset([str(tmp_path)], str(out), log=logged.append)
  assert any('p/copy' in line for line in logged)
  by_name = {f['name']: f for f in manifest['files']}
  assert sorted(by_name) == [f'p/{i}' for i in range(6)] + ['t/0']
  assert [by_name[f'p/{i}']['split'] for i in range(6)].count('test') == 1
  assert by_name['t/0']['split'] == 'train'
  for f in manifest['files']:
    assert f['sha256'] == hashlib.sha256(
        next(s for s in photos + [texture] if s.name == f['name']).read()
    ).hexdigest()
    assert f['author'] and f['licence'] and f['origin']
    for rel in f['files']:
      assert (out / rel).is_file()
  test = next(f for f in manifest['files'] if f['split'] == 'test')
  crops = [r for r in test['files'] if r.startswith('test/')]
  assert len(crops) == sum(n for _, n in recipe.EVAL_CROPS)
  assert Image.open(out / crops[0]).size == (256, 256)
  full = out / f'test_full/{test["name"]}.png'
  assert Image.open(full).size == (400, 300)
  for f in manifest['files']:
    if f['split'] == 'validation':
      assert f'validation_full/{f["name"]}.png' in f['files']
  assert by_name['t/0']['files'] == ['train/textures/t/0.jpg']
  assert json.loads((out / 'manifest.json').read_text()) == manifest
  credits = (out / 'CREDITS.md').read_text()
  train = [f for f in manifest['files'] if f['split'] == 'train']
  assert all(f['name'] in credits and f['author'] in credits for f in train)
  assert test['name'] not in credits
  # Idempotent: a second run writes the same bytes.
  before = {p: p.read_bytes() for p in out.rglob('*') if p.is_file()}
  recipe.make_dataset([str(tmp_path)], str(out), log=logged.append)
  assert before == {p: p.read_bytes() for p in out.rglob('*') if p.is_file()}
