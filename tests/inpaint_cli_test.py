# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The inpainting CLI: modes, error reporting, exit codes, grouping."""

import os
import subprocess
import sys

import numpy as np
import pytest

from deepfill_jax import checkpointing
from deepfill_jax import image_io
from deepfill_jax import inference
from deepfill_jax import inpaint
from inference_test import random_generator


@pytest.fixture(scope='module')
def ckpt(tmp_path_factory):
  path = str(tmp_path_factory.mktemp('ckpt') / 'gen')
  return checkpointing.save_generator(path, random_generator())


def _write(path, array):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  image_io.save_image(path, array)
  return path


def _image(hw, seed=0):
  return np.random.default_rng(seed).integers(0, 256, hw + (3,), np.uint8)


def _mask(hw, value=255):
  m = np.zeros(hw, np.uint8)
  m[hw[0] // 4:hw[0] // 2, hw[1] // 3:hw[1] // 2] = value
  return m


def _run(capsys, *argv):
  code = inpaint.main([str(a) for a in argv])
  return code, capsys.readouterr().err


def test_single_image_with_flow_and_coarse(ckpt, tmp_path, capsys):
  hw = (45, 61)
  img = _write(str(tmp_path / 'in.png'), _image(hw))
  mask = _write(str(tmp_path / 'mask.png'), _mask(hw))
  out, flow, coarse = (str(tmp_path / n) for n in ('o.png', 'f.png', 'c.png'))
  code, err = _run(capsys, '--checkpoint', ckpt, '--image', img, '--mask',
                   mask, '--output', out, '--flow', flow, '--coarse', coarse)
  assert code == 0, err
  result = image_io.load_image(out)
  known = _mask(hw) == 0
  np.testing.assert_array_equal(result[known], _image(hw)[known])
  for path in (flow, coarse):
    assert image_io.load_image(path).shape == hw + (3,)


@pytest.mark.parametrize('problem, text', [
    ('size', 'differs from image size'),
    ('missing', 'does not exist'),
    ('corrupt', 'cannot read image'),
    ('unwritable', 'output directory'),
])
def test_single_image_errors(ckpt, tmp_path, capsys, problem, text):
  hw = (32, 40)
  img = _write(str(tmp_path / 'in.png'), _image(hw))
  mask = _write(str(tmp_path / 'mask.png'),
                _mask((30, 40) if problem == 'size' else hw))
  out = str(tmp_path / 'out.png')
  if problem == 'missing':
    img = str(tmp_path / 'nope.png')
  elif problem == 'corrupt':
    with open(img, 'wb') as f:
      f.write(b'\x89PNG broken')
  elif problem == 'unwritable':
    blocker = tmp_path / 'file'
    blocker.write_text('x')
    out = str(blocker / 'out.png')  # A path below a regular file.
  code, err = _run(capsys, '--checkpoint', ckpt, '--image', img, '--mask',
                   mask, '--output', out)
  assert code == 1
  lines = err.strip().splitlines()
  assert len(lines) == 1 and text in lines[0], err
  assert not os.path.exists(out)


def test_no_hole_all_hole_and_threshold(ckpt, tmp_path, capsys):
  hw = (24, 24)
  image = _image(hw)
  img = _write(str(tmp_path / 'in.png'), image)
  cases = {'none': np.zeros(hw, np.uint8), 'all': np.full(hw, 255, np.uint8),
           'grey': _mask(hw, value=127)}  # 127 <= 127.5: not a hole.
  for name, m in cases.items():
    mask = _write(str(tmp_path / f'{name}.png'), m)
    out = str(tmp_path / f'out_{name}.png')
    code, err = _run(capsys, '--checkpoint', ckpt, '--image', img, '--mask',
                     mask, '--output', out)
    assert code == 0, err
    result = image_io.load_image(out)
    if name == 'all':
      assert 'whole image' in err
      assert result.shape == image.shape
    else:
      np.testing.assert_array_equal(result, image)
      assert 'no hole' in err


def test_flist_batch_reports_and_skips_bad_items(ckpt, tmp_path, capsys):
  rows, expect_ok = [], []
  for i, hw in enumerate([(40, 48), (40, 48), (33, 27), (40, 48)]):
    img = _write(str(tmp_path / f'in{i}.png'), _image(hw, seed=i))
    mask = _write(str(tmp_path / f'm{i}.png'), _mask(hw))
    out = str(tmp_path / 'out' / f'o{i}.png')
    rows.append(f'{img} {mask} {out}')
    expect_ok.append(out)
  rows.append(f'{tmp_path}/missing.png {tmp_path}/m0.png {tmp_path}/x.png')
  bad_size = _write(str(tmp_path / 'small.png'), _mask((10, 10)))
  rows.append(f'{tmp_path}/in0.png {bad_size} {tmp_path}/y.png')
  rows.append('only two')
  rows.append('# a comment')
  flist = tmp_path / 'list.txt'
  flist.write_text('\n'.join(rows) + '\n')
  before = inference._run._cache_size()
  code, err = _run(capsys, '--checkpoint', ckpt, '--flist', flist,
                   '--batch_size', 2, '--no_progress')
  assert code == 1
  assert 'inpainted 4 of 7 images, 3 failed.' in err
  assert 'missing.png: image file does not exist' in err
  assert 'small.png: mask size 10x10 differs' in err
  assert 'list.txt:7: expected "input mask output"' in err
  assert all(os.path.exists(p) for p in expect_ok)
  assert inference._run._cache_size() == before + 2  # One per image size.


def test_directories_match_masks_by_name(ckpt, tmp_path, capsys):
  hw = (30, 38)
  for rel, ext in (('a', '.jpg'), ('sub/b', '.png')):
    _write(str(tmp_path / 'in' / (rel + '.png')), _image(hw))
    _write(str(tmp_path / 'masks' / (rel + ext)), _mask(hw))
  _write(str(tmp_path / 'in' / 'lonely.png'), _image(hw))
  code, err = _run(capsys, '--checkpoint', ckpt,
                   '--input_dir', tmp_path / 'in',
                   '--mask_dir', tmp_path / 'masks',
                   '--output_dir', tmp_path / 'out', '--no_progress')
  assert code == 1
  assert 'lonely.png: mask file does not exist' in err
  assert 'inpainted 2 of 3 images, 1 failed.' in err
  assert os.path.exists(tmp_path / 'out' / 'a.png')
  assert os.path.exists(tmp_path / 'out' / 'sub' / 'b.png')


def test_unwritable_output_dir_fails_fast(ckpt, tmp_path, capsys):
  blocker = tmp_path / 'file'
  blocker.write_text('x')
  _write(str(tmp_path / 'in' / 'a.png'), _image((16, 16)))
  code, err = _run(capsys, '--checkpoint', ckpt,
                   '--input_dir', tmp_path / 'in', '--mask_dir', tmp_path,
                   '--output_dir', blocker / 'out')
  assert code == 1 and 'cannot create output directory' in err


def test_argument_errors_exit_2(capsys):
  with pytest.raises(SystemExit) as e:
    inpaint.main(['--checkpoint', 'x', '--image', 'a.png'])
  assert e.value.code == 2
  with pytest.raises(SystemExit) as e:
    inpaint.main(['--checkpoint', 'x', '--flist', 'f', '--input_dir', 'd'])
  assert e.value.code == 2
  capsys.readouterr()


def test_module_entry_point(tmp_path):
  res = subprocess.run(
      [sys.executable, '-m', 'deepfill_jax.inpaint', '--checkpoint',
       str(tmp_path / 'none'), '--image', 'a.png', '--mask', 'b.png',
       '--output', str(tmp_path / 'o.png')],
      capture_output=True, text=True, check=False,
      cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
  assert res.returncode == 1
  assert res.stderr.strip().splitlines()[-1].startswith('error: ')
