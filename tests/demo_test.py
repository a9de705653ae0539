# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The main job end to end: train on the bundled photos, then inpaint."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from flax import nnx

from configs import demo as demo_config
from deepfill_jax.apps import demo
from deepfill_jax.data import image_io
from deepfill_jax.inference import inpainter as inpainter_lib
from deepfill_jax.models import make_generator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _random_inpainter(config) -> inpainter_lib.Inpainter:
  """Untrained weights of the config's model: the path is the same."""
  return inpainter_lib.Inpainter(make_generator(
      config.model.name, config.model.cnum, rngs=nnx.Rngs(config.seed)))


@pytest.mark.long  # Full-size photos; the main job's test covers it too.
def test_demo_writes_strips_and_summary(tmp_path):
  config = demo_config.get_config()
  config.model.cnum = 4  # Tiny and fast; the path is the same.
  paths = image_io.list_images(os.path.join(ROOT, 'data', 'photos'))[:2]
  summary = demo.inpaint_photos(config, _random_inpainter(config), paths,
                                str(tmp_path))
  assert len(summary['images']) == 2
  with open(tmp_path / 'summary.json') as f:
    assert json.load(f) == summary
  for row in summary['images']:
    strip = np.asarray(Image.open(row['output']))
    # [input with hole | result | flow], each the photo's size.
    assert strip.shape == (row['height'], 3 * row['width'], 3)
    assert 0.05 < row['hole_fraction'] < 0.3


@pytest.mark.long  # Inpaints a full-size photo.
def test_demo_skips_a_corrupt_photo(tmp_path):
  photos = tmp_path / 'photos'
  photos.mkdir()
  (photos / 'broken.jpg').write_bytes(b'not a jpeg')
  Image.fromarray(np.full((64, 96, 3), 120, np.uint8)).save(photos / 'ok.png')
  config = demo_config.get_config()
  config.model.cnum = 4
  summary = demo.inpaint_photos(config, _random_inpainter(config),
                                image_io.list_images(str(photos)),
                                str(tmp_path / 'out'))
  assert [os.path.basename(r['image']) for r in summary['images']] == ['ok.png']


def _main(*args: str, devices: int = 1) -> subprocess.CompletedProcess:
  env = dict(os.environ,
             XLA_FLAGS=f'--xla_force_host_platform_device_count={devices}')
  return subprocess.run([sys.executable, '-m', 'deepfill_jax.main', *args],
                        cwd=ROOT, capture_output=True, text=True, timeout=600,
                        env=env)


def _last_line(proc: subprocess.CompletedProcess) -> str:
  assert proc.returncode != 0
  assert 'Traceback' not in proc.stderr
  return proc.stderr.strip().splitlines()[-1]


@pytest.mark.long
def test_main_job_trains_then_inpaints_the_held_out_photos(tmp_path):
  """The README's first command, at a tiny scale: train, then inpaint."""
  proc = _main('--config=configs/demo.py', f'--workdir={tmp_path}',
               '--config.image_size=64', '--config.model.cnum=4',
               '--config.model.critic_cnum=4', '--config.num_train_steps=2',
               '--config.eval_every_steps=1', '--config.log_images_every=2',
               '--config.demo.shorter_side=96')
  assert proc.returncode == 0, proc.stderr[-3000:]
  assert 'step 2/2' in proc.stderr and 'eval at step 2' in proc.stderr
  assert os.listdir(tmp_path / 'checkpoints') == ['2']
  with open(tmp_path / 'inpainted' / 'summary.json') as f:
    summary = json.load(f)
  held_out = sorted(os.listdir(os.path.join(ROOT, 'data', 'photos')))
  held_out = [n for n in held_out if n.endswith('.jpg')][-3:]
  assert [os.path.basename(r['image']) for r in summary['images']] == held_out
  for row in summary['images']:
    strip = np.asarray(Image.open(row['output']))
    assert strip.shape == (row['height'], 3 * row['width'], 3)
    assert min(row['height'], row['width']) == 96


def test_main_indivisible_batch_is_one_line(tmp_path):
  proc = _main('--config=configs/tiny.py', f'--workdir={tmp_path}',
               '--config.batch_size=6', devices=4)
  assert _last_line(proc) == ('error: config.batch_size=6 must be a positive '
                              'multiple of the 4 devices of the mesh.')


def test_main_missing_photo_folder_is_one_line(tmp_path):
  proc = _main('--config=configs/demo.py', f'--workdir={tmp_path}',
               f'--config.data.path={tmp_path}/nowhere')
  assert _last_line(proc) == (
      f'error: {tmp_path}/nowhere: image folder does not exist.')


def test_distributed_init_single_process_only_without_a_cluster(monkeypatch):
  from deepfill_jax import main  # pylint: disable=g-import-not-at-top
  calls = []

  def no_cluster(**kwargs):
    calls.append(kwargs)
    raise ValueError('coordinator_address should be defined.')

  monkeypatch.setattr(main.jax.distributed, 'initialize', no_cluster)
  main.initialize_distributed()  # Not a cluster: a single process.
  with pytest.raises(RuntimeError, match='jax.distributed.initialize failed: '
                     'coordinator_address should be defined'):
    main.initialize_distributed('10.0.0.1:1234', 2, 0)  # Asked for one.

  def unreachable(**kwargs):
    raise RuntimeError('DEADLINE_EXCEEDED: barrier timed out\nmore')

  monkeypatch.setattr(main.jax.distributed, 'initialize', unreachable)
  with pytest.raises(RuntimeError, match=r'^jax.distributed.initialize '
                     r'failed: RuntimeError: DEADLINE_EXCEEDED: barrier '
                     r'timed out$'):
    main.initialize_distributed()
