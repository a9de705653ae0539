# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The console scripts as a user runs them: each in its own process, its
exit status and the exact first line it prints."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from deepfill_jax.data import image_io
from deepfill_jax.inference import inpainter as inpainter_lib
from deepfill_jax.apps import inpaint
from deepfill_jax.apps import inpaint_progress

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Console script -> (module, first line of its --help, flags it lists).
HELP = {
    'deepfill-train': (
        'deepfill_jax.main',
        'Train a DeepFill model, or run the demo, from a config file.',
        ('--config', '--workdir', '--coordinator_address')),
    'deepfill-serve': (
        'deepfill_jax.apps.serve',
        'Serve the paint-a-mask inpainting web demo (Gradio).',
        ('--checkpoint', '--max_pixels', '--two_scale', '--no_photos')),
    'deepfill-export': (
        'deepfill_jax.tools.export',
        'Export a generator for serving (parameters and jax.export '
        'artifacts).', ('--checkpoint', '--platforms', '--sizes')),
    'deepfill-convert': (
        'deepfill_jax.tools.convert_tf_checkpoint',
        'Convert an original DeepFill v1 or v2 TF1 checkpoint for '
        'deepfill_jax.', ('--tf_checkpoint', '--output')),
    'deepfill-build-dataset': (
        'deepfill_jax.tools.build_dataset',
        'Pack a folder or flist of images into ArrayRecord files.',
        ('--input', '--num_shards', '--verify')),
}


def _command(script: str, module: str) -> list[str]:
  """The installed console script, else `python -m` of its module."""
  found = shutil.which(script)
  return [found] if found else [sys.executable, '-m', module]


def _run(args, cwd=ROOT, timeout=600, env=None
         ) -> subprocess.CompletedProcess:
  return subprocess.run(args, cwd=cwd, capture_output=True, text=True,
                        timeout=timeout, check=False, env=env)


def _first(text: str) -> str:
  return text.strip().splitlines()[0] if text.strip() else ''


def test_help_lists_each_tool_own_flags_and_exits_0(tmp_path):
  procs = {script: subprocess.Popen(
      _command(script, module) + ['--help'], cwd=tmp_path, text=True,
      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
           for script, (module, _, _) in HELP.items()}
  for script, proc in procs.items():
    out, err = proc.communicate(timeout=300)
    _, first, names = HELP[script]
    assert proc.returncode == 0, (script, err[-2000:])
    assert _first(out) == first, (script, out[:500])
    assert 'Try --helpfull' not in out + err
    for name in names:  # Each flag with its help text.
      assert re.search(rf'^\s+--(\[no\])?{name[2:]}: \S', out, re.M), (
          script, name, out)


@pytest.mark.parametrize('override', [[], ['--config.num_train_steps=5']])
def test_missing_config_file_is_one_line_and_status_2(tmp_path, override):
  proc = _run([sys.executable, '-m', 'deepfill_jax.main',
               '--config=configs/nope.py', *override,
               f'--workdir={tmp_path}/x'])
  assert proc.returncode == 2
  assert proc.stderr.strip().splitlines() == [
      'error: --config=configs/nope.py: no such config file (give a path, or '
      'a shipped config: celeba, celeba_hq, celeba_hq_v2, default, demo, '
      'demo_v2, dtd, folder, imagenet, photos, places2, places2_v2, tiny, '
      'tiny_v2).']


@pytest.mark.long
def test_shipped_config_by_name_trains_from_any_folder(tmp_path):
  """`--config=tiny` from a folder that is not the repository: the config
  and the bundled photos are found, the relative workdir works."""
  elsewhere = tmp_path / 'elsewhere'
  elsewhere.mkdir()
  proc = _run(_command('deepfill-train', 'deepfill_jax.main') + [
      '--config=tiny', '--workdir=wd', '--config.loss.gan_loss_alpha=0',
      '--config.num_train_steps=1', '--config.batch_size=2',
      '--config.eval.num_images=2', '--config.eval.batch_size=2'],
              cwd=elsewhere, env=dict(  # One device (conftest asks for 8).
                  os.environ,
                  XLA_FLAGS='--xla_force_host_platform_device_count=1'))
  assert proc.returncode == 0, proc.stderr[-3000:]
  # The first line after absl's log prefix.
  assert _first(proc.stderr).split('] ', 1)[1] == (
      'No cluster detected: running as a single process.')
  assert os.listdir(elsewhere / 'wd' / 'checkpoints') == ['1']
  with open(elsewhere / 'wd' / 'config.json') as f:
    assert json.load(f)['data']['path'] == os.path.join(ROOT, 'data',
                                                        'photos')


def _write(path, array) -> str:
  image_io.save_image(str(path), array)
  return str(path)


def _inpaint(*args) -> subprocess.CompletedProcess:
  return _run(_command('deepfill-inpaint', 'deepfill_jax.apps.inpaint')
              + [str(a) for a in args])


def test_inpaint_announces_creates_folder_and_sums_up(ckpt, tmp_path):
  hw = (48, 64)
  image = np.random.default_rng(0).integers(0, 256, hw + (3,), np.uint8)
  holes = np.zeros(hw, bool)
  holes[8:20, 10:30] = holes[30:40, 40:60] = True
  img = _write(tmp_path / 'in.png', image)
  mask = _write(tmp_path / 'mask.png', holes.astype(np.uint8) * 255)
  folder = tmp_path / 'new' / 'sub'
  proc = _inpaint('--checkpoint', ckpt, '--image', img, '--mask', mask,
                  '--output', folder / 'out.png')
  assert proc.returncode == 0, proc.stderr[-2000:]
  lines = proc.stderr.strip().splitlines()
  assert lines[0] == f'created folder {folder}'
  line, _, _ = inpaint_progress.plan_single(inpainter_lib.Inpainter.from_checkpoint(ckpt),
                                   img, holes)
  assert line.startswith(f'{img}: 64x48, 2 holes; one pass; ')
  assert lines[1] == line
  assert re.fullmatch(rf'wrote {folder}/out.png in \d+\.\d s, peak memory '
                      r'\d+\.\d GB\.', lines[-1]), lines
  assert proc.stdout == ''
  quiet = _inpaint('--checkpoint', ckpt, '--image', img, '--mask', mask,
                   '--output', tmp_path / 'new2' / 'out.png', '--quiet')
  assert quiet.returncode == 0, quiet.stderr[-2000:]
  assert quiet.stderr == quiet.stdout == ''
  assert os.path.isfile(tmp_path / 'new2' / 'out.png')


def test_inpaint_size_limit_names_the_file_pass_and_flags(ckpt, tmp_path):
  """A 4000x3000 file with two-scale inference: the file's size, the 2x
  pass's and what fits."""
  path = tmp_path / 'photo.png'
  Image.new('1', (4000, 3000)).save(path)
  proc = _inpaint('--checkpoint', ckpt, '--image', path, '--mask', path,
                  '--output', tmp_path / 'out.png', '--two_scale=12',
                  '--working_size=full')
  assert proc.returncode == 1
  assert _first(proc.stderr) == (
      f'error: {path}: image of 4000x3000 = 12.0 megapixels: two-scale '
      'inference runs a pass at 8000x6000 = 48.0 megapixels, which needs '
      'about 1.5 GB, above the limit of 40,000,000 pixels (--max_pixels / '
      'max_pixels=); to fit, run one pass (--two_scale=0 / two_scale=0), '
      'inpaint only a window around each hole (--context / '
      'Inpainter(context=...)), or raise the limit to 48,000,000 pixels.')


def test_inpaint_refuses_a_decompression_bomb_with_its_own_limit(ckpt,
                                                                 tmp_path):
  path = tmp_path / 'bomb.png'
  Image.new('1', (20000, 20000)).save(path)  # 400 megapixels in ~50 kB.
  assert os.path.getsize(path) < 100_000
  proc = _inpaint('--checkpoint', ckpt, '--image', path, '--mask', path,
                  '--output', tmp_path / 'out.png')
  assert proc.returncode == 1  # The default (working-size) path refuses too.
  assert _first(proc.stderr).startswith(
      f'error: {path}: image of 20000x20000 = 400.0 megapixels needs about ')
  proc = _inpaint('--checkpoint', ckpt, '--image', path, '--mask', path,
                  '--output', tmp_path / 'out.png', '--working_size=full')
  assert proc.returncode == 1
  assert _first(proc.stderr) == (
      f'error: {path}: image of 20000x20000 = 400.0 megapixels needs about '
      '12.8 GB to inpaint, above the limit of 40,000,000 pixels '
      '(--max_pixels / max_pixels=); to fit, inpaint only a window around '
      'each hole (--context / Inpainter(context=...)), or raise the limit to '
      '400,000,000 pixels.')
  assert 'decompression bomb' not in proc.stderr


def test_inpaint_progress_bar_by_pass_for_long_runs(ckpt, tmp_path, capsys,
                                                    monkeypatch):
  """In process (the bar's threshold lowered): a two-scale run's bar reaches
  100 % over its two passes, then the summary line."""
  hw = (40, 48)
  image = np.random.default_rng(1).integers(0, 256, hw + (3,), np.uint8)
  holes = np.zeros(hw, np.uint8)
  holes[10:20, 12:30] = 255
  img, mask = _write(tmp_path / 'in.png', image), _write(tmp_path / 'm.png',
                                                         holes)
  monkeypatch.setattr(inpaint_progress, 'PROGRESS_SECONDS', 0.)
  passes = []
  monkeypatch.setattr(inpaint_progress, 'progress_bar', _counting(
      inpaint_progress.progress_bar, passes))
  assert inpaint.main(['--checkpoint', ckpt, '--image', img, '--mask', mask,
                       '--output', str(tmp_path / 'o.png'),
                       '--two_scale=4']) == 0
  err = capsys.readouterr().err
  assert 'two scales: 1x pass + 2x pass at 96x80' in err
  assert 'inpainting: 100%' in err
  assert len(passes) == 2  # The 2x pass, then the 1x pass.
  assert err.strip().splitlines()[-1].startswith(f'wrote {tmp_path}/o.png')


def _counting(make_bar, calls):
  """`inpaint_progress.progress_bar` whose hook also records each call."""
  def wrapped(needs, show):
    assert show
    bar, done = make_bar(needs, show)
    return bar, lambda: (calls.append(1), done())
  return wrapped
