# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The full-size report: hole cases, scores and the tool end to end."""

from __future__ import annotations

import json
import math
import os

import numpy as np
from PIL import Image
import pytest

from deepfill_jax.data import image_io
from deepfill_jax.evaluation import baselines
from deepfill_jax.evaluation import full_size
from deepfill_jax.evaluation import full_size_report as report_lib
from tools import full_size_report

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PHOTOS = os.path.join(ROOT, 'data', 'photos')
HW = (96, 128)


@pytest.mark.parametrize('hw', [HW, (128, 96), (480, 640), (100, 400)])
def test_boxes_have_their_area_and_stay_inside(hw):
  for case, fraction in full_size.BOX_FRACTIONS.items():
    for seed in range(10):
      hole = full_size.case_mask(case, seed, f'img{seed}.jpg', hw)
      assert abs(hole.mean() / fraction - 1) <= 0.01
      top, bottom, left, right = full_size.hole_box(hole)
      assert hole[top:bottom, left:right].all()  # One rectangle.
      assert hole.sum() == (bottom - top) * (right - left)
      assert min(top, left) >= full_size.BORDER
      assert bottom <= hw[0] - full_size.BORDER
      assert right <= hw[1] - full_size.BORDER


def test_cases_are_deterministic_and_differ_by_name_seed_and_case():
  def mask(case, seed=0, name='a.jpg'):
    return full_size.case_mask(case, seed, name, HW)

  for case in full_size.CASES:
    np.testing.assert_array_equal(mask(case), mask(case))
    assert not np.array_equal(mask(case), mask(case, name='b.jpg'))
    assert not np.array_equal(mask(case), mask(case, seed=1))
  assert not np.array_equal(mask('box10'), mask('box25'))
  low, high = full_size.STROKE_RANGE
  for seed in range(5):
    assert low <= mask('strokes', seed).mean() <= high
  with pytest.raises(ValueError, match='unknown case'):
    mask('box50')


def test_hole_scores_match_numpy():
  rng = np.random.default_rng(0)
  target = rng.integers(0, 256, (*HW, 3), np.uint8)
  pred = rng.integers(0, 256, (*HW, 3), np.uint8)
  hole = full_size.case_mask('strokes', 0, 'x', HW)
  pred = np.where(hole[..., None], pred, target)
  scores = full_size.hole_scores(pred, target, hole)
  err = pred.astype(float) - target
  count = hole.sum() * 3
  l1 = np.abs(err * hole[..., None]).sum() / count / 255 * 100
  mse = np.square(err / 255 * hole[..., None]).sum() / count
  assert math.isclose(scores['hole_l1'], l1, rel_tol=1e-9)
  assert math.isclose(scores['hole_psnr'], 10 * np.log10(1 / mse),
                      rel_tol=1e-9)
  assert full_size.hole_scores(target, target, hole)['hole_psnr'] == 100.


def test_crop_window_is_centred_and_inside():
  hole = np.zeros((1000, 700), bool)
  hole[10:20, 650:690] = True
  rows, cols = full_size.crop_window(hole, 512)
  assert (rows.start, rows.stop) == (0, 512)
  assert (cols.start, cols.stop) == (188, 700)
  small = np.zeros(HW, bool)
  small[40:50, 60:70] = True
  rows, cols = full_size.crop_window(small, 512)
  assert (rows.start, rows.stop, cols.start, cols.stop) == (0, 96, 0, 128)


def test_a_failing_child_is_one_line(tmp_path):
  info = full_size.run_child(dict(
      image=str(tmp_path / 'missing.png'), masks={}, method='mean',
      kind='baseline', output=str(tmp_path)))
  assert 'missing.png' in info['error'] and '\n' not in info['error']
  assert info['peak_rss_mb'] > 0


@pytest.fixture(scope='module')
def photos(tmp_path_factory):
  root = tmp_path_factory.mktemp('photos')
  names = sorted(n for n in os.listdir(PHOTOS) if n.endswith('.jpg'))[:2]
  for name in names:
    img = image_io.open_image(os.path.join(PHOTOS, name), min_size=HW[1])
    img = img.resize(HW[::-1], Image.Resampling.BICUBIC)
    image_io.save_image(str(root / (name[:-4] + '.png')), np.asarray(img))
  (root / 'broken.png').write_bytes(b'not a png')
  return root


def test_report_end_to_end(ckpt, photos, tmp_path, capsys, monkeypatch):
  monkeypatch.setattr(full_size, 'CROP_ROWS', 1)  # The second photo: none.
  methods = ['mean', 'deepfill', 'deepfill_1x'] + (
      ['telea'] if baselines.has_module('cv2') else [])
  out, saved = tmp_path / 'out', tmp_path / 'saved'
  code = full_size_report.main([
      f'--images={photos}', f'--output={out}', f'--checkpoint={ckpt}',
      f'--methods={",".join(methods)}', '--attention=dense',
      f'--save_outputs={saved}', '--unwarmed=deepfill_1x'])
  captured = capsys.readouterr()
  assert code == 0, captured.err
  assert '## box25' in captured.out and 'broken.png' in captured.err
  with open(out / 'results.json') as f:
    results = json.load(f)
  assert set(results) == {'settings', 'methods', 'notes', 'summary',
                          'photos', 'means'}
  assert list(results['methods']) == methods
  assert results['summary']['evaluated'] == 2
  assert results['summary']['skipped'] == 1
  for photo in results['photos']:
    original = image_io.load_image(str(photos / photo['image']))
    for method in methods:
      run = photo['runs'][method]
      assert run['peak_rss_mb'] > 0 and run['error'] is None
    assert photo['runs']['deepfill']['first_call_s'] > 0
    assert photo['runs']['deepfill_1x']['first_call_s'] is None  # Unwarmed.
    assert set(photo['cases']) == set(full_size.CASES)
    for case, entry in photo['cases'].items():
      hole = full_size.case_mask(case, 0, photo['image'], HW)
      assert math.isclose(entry['hole_fraction'], hole.mean())
      for method in methods:
        res = entry['results'][method]
        assert res['seconds'] > 0 and res['known_pixels_changed'] == 0
        assert {'hole_l1', 'hole_psnr'} <= set(res)
        output = image_io.load_image(
            str(saved / photo['image'][:-4] / f'{case}_{method}.png'))
        np.testing.assert_array_equal(output[~hole], original[~hole])
        assert math.isclose(
            res['hole_l1'],
            full_size.hole_scores(output, original, hole)['hole_l1'])
  for case in full_size.CASES:
    assert results['means'][case]['mean']['count'] == 2
    sheet = image_io.load_image(str(out / f'crops_{case}.png'))
    assert sheet.shape[0] < 2 * max(HW)  # One row: CROP_ROWS.
  text = (out / 'results.md').read_text()
  assert text == report_lib.markdown(results)
  assert '## Failures' not in text
  results['photos'][0]['cases']['box5']['results']['mean'] = dict(
      error='MemoryLimitError: too big')
  text = report_lib.markdown(results)
  assert '| failed |' in text and 'box5), mean: MemoryLimitError' in text


@pytest.mark.parametrize('argv, text', [
    (['--cases=box5,box7'], '--cases'),
    (['--methods=mean,magic'], 'magic'),
    (['--max_images=-1'], 'max_images'),
    (['--unwarmed=telea'], 'unwarmed'),
])
def test_bad_flags_are_one_line(photos, tmp_path, capsys, argv, text):
  with pytest.raises(SystemExit) as exit_info:
    full_size_report.main([f'--images={photos}', f'--output={tmp_path}']
                          + argv)
  assert exit_info.value.code == 2
  err = capsys.readouterr().err.strip().splitlines()
  assert len(err) == 2 and text in err[1]
