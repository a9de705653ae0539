# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The main job (inference demo) end to end on two bundled photos."""

import json
import os
import subprocess
import sys

import numpy as np
from PIL import Image

from configs import demo as demo_config
from deepfill_jax import demo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_demo_writes_strips_and_summary(tmp_path):
  config = demo_config.get_config()
  config.data.path = os.path.join(ROOT, 'data', 'photos')
  config.model.cnum = 4  # Tiny and fast; the path is the same.
  config.demo.num_images = 2
  summary = demo.run(config, str(tmp_path))
  assert len(summary['images']) == 2
  with open(tmp_path / 'summary.json') as f:
    assert json.load(f) == summary
  for row in summary['images']:
    strip = np.asarray(Image.open(row['output']))
    # [input with hole | result | flow], each the photo's size.
    assert strip.shape == (row['height'], 3 * row['width'], 3)
    assert 0.05 < row['hole_fraction'] < 0.3


def test_demo_skips_a_corrupt_photo(tmp_path):
  photos = tmp_path / 'photos'
  photos.mkdir()
  (photos / 'broken.jpg').write_bytes(b'not a jpeg')
  Image.fromarray(np.full((64, 96, 3), 120, np.uint8)).save(photos / 'ok.png')
  config = demo_config.get_config()
  config.data.path = str(photos)
  config.model.cnum = 4
  summary = demo.run(config, str(tmp_path / 'out'))
  assert [os.path.basename(r['image']) for r in summary['images']] == ['ok.png']


def _main(*args: str) -> subprocess.CompletedProcess:
  return subprocess.run([sys.executable, '-m', 'deepfill_jax.main', *args],
                        cwd=ROOT, capture_output=True, text=True, timeout=120)


def _last_line(proc: subprocess.CompletedProcess) -> str:
  assert proc.returncode != 0
  assert 'Traceback' not in proc.stderr
  return proc.stderr.strip().splitlines()[-1]


def test_main_rejects_training_mode_with_one_line(tmp_path):
  proc = _main('--config=configs/places2.py', f'--workdir={tmp_path}')
  assert _last_line(proc).startswith(
      "config.mode='train': training is not part of this release yet")


def test_main_missing_photo_folder_is_one_line(tmp_path):
  proc = _main('--config=configs/demo.py', f'--workdir={tmp_path}',
               f'--config.data.path={tmp_path}/nowhere')
  assert _last_line(proc) == (
      f'error: {tmp_path}/nowhere: image folder does not exist.')
