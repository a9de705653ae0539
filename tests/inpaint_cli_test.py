# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The inpainting CLI: modes, error reporting, exit codes, grouping."""

import os
import subprocess
import sys

import numpy as np
import pytest

from deepfill_jax.inference import batching
from deepfill_jax.data import image_io
from deepfill_jax.inference import inpainter as inpainter_lib
from deepfill_jax.apps import inpaint
from deepfill_jax.inference import memory
from deepfill_jax.testing import random_sketch


@pytest.fixture(scope='module')
def api(ckpt):
  """The Python API on the same checkpoint: what the CLI must write."""
  return inpainter_lib.Inpainter.from_checkpoint(ckpt)


def _assert_written(api, image_path, mask_path, out_path):
  """The CLI's output file equals the API's result for the same files."""
  want = api(image_io.load_image(image_path), image_io.load_mask(mask_path))
  np.testing.assert_array_equal(image_io.load_image(out_path), want)


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


def test_single_image_with_flow_and_coarse(ckpt, api, tmp_path, capsys):
  hw = (45, 61)
  img = _write(str(tmp_path / 'in.png'), _image(hw))
  mask = _write(str(tmp_path / 'mask.png'), _mask(hw))
  out, flow, coarse = (str(tmp_path / n) for n in ('o.png', 'f.png', 'c.png'))
  code, err = _run(capsys, '--checkpoint', ckpt, '--image', img, '--mask',
                   mask, '--output', out, '--flow', flow, '--coarse', coarse)
  assert code == 0, err
  want = api.outputs(_image(hw), _mask(hw), return_flow=True,
                     return_coarse=True)
  for path, expected in ((out, want.image), (flow, want.flow),
                         (coarse, want.coarse)):
    np.testing.assert_array_equal(image_io.load_image(path), expected)
  known = _mask(hw) == 0
  np.testing.assert_array_equal(want.image[known], _image(hw)[known])
  assert (want.image[~known] != _image(hw)[~known]).any()
  assert sorted(os.listdir(tmp_path)) == sorted(  # No temporary files left.
      ['in.png', 'mask.png', 'o.png', 'f.png', 'c.png'])


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


def test_flist_batch_reports_and_skips_bad_items(ckpt, api, tmp_path, capsys):
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
  before = inpainter_lib._run._cache_size()
  code, err = _run(capsys, '--checkpoint', ckpt, '--flist', flist,
                   '--batch_size', 2, '--no_progress')
  assert code == 1
  assert 'inpainted 4 of 7 images, 3 failed.' in err
  assert 'missing.png: image file does not exist' in err
  assert 'small.png: mask size 10x10 differs' in err
  assert 'list.txt:7: expected "input mask output"' in err
  assert inpainter_lib._run._cache_size() == before + 2  # One per image size.
  for row in rows[:4]:
    _assert_written(api, *row.split())


def test_directories_match_masks_by_name(ckpt, api, tmp_path, capsys):
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
  for rel, ext in (('a', '.jpg'), ('sub/b', '.png')):
    _assert_written(api, tmp_path / 'in' / (rel + '.png'),
                    tmp_path / 'masks' / (rel + ext),
                    tmp_path / 'out' / (rel + '.png'))


def test_directories_with_sketches_equal_single_runs(guided_ckpt, tmp_path,
                                                     capsys):
  """--edge_dir: each image gets the sketch of its relative name (any image
  suffix), as --edge gives it in single-image mode; a missing or unreadable
  sketch fails its image alone, in one line."""
  hw = (30, 38)
  folders = {n: tmp_path / n for n in ('in', 'masks', 'edges', 'out')}
  for i, (rel, ext) in enumerate((('a', '.png'), ('sub/b', '.jpg'),
                                  ('broken', '.png'), ('lonely', None))):
    _write(str(folders['in'] / (rel + '.png')), _image(hw, seed=i))
    _write(str(folders['masks'] / (rel + '.png')), _mask(hw))
    if ext:
      _write(str(folders['edges'] / (rel + ext)), random_sketch(hw, seed=i))
  (folders['edges'] / 'broken.png').write_bytes(b'\x89PNG broken')
  code, err = _run(capsys, '--checkpoint', guided_ckpt, '--input_dir',
                   folders['in'], '--mask_dir', folders['masks'],
                   '--edge_dir', folders['edges'], '--output_dir',
                   folders['out'], '--no_progress')
  assert code == 1
  errors = [l for l in err.splitlines() if l.startswith('error:')]
  assert len(errors) == 2, err
  assert errors[0].startswith(
      f'error: {folders["edges"]}/broken.png: cannot read image (')
  assert errors[1] == (
      f'error: {folders["edges"]}/lonely.png: sketch file does not exist.')
  assert 'inpainted 2 of 4 images, 2 failed.' in err
  guided = inpainter_lib.Inpainter.from_checkpoint(guided_ckpt)
  for rel, ext in (('a', '.png'), ('sub/b', '.jpg')):
    image, edge = (str(folders[n] / (rel + e)) for n, e in (('in', '.png'),
                                                            ('edges', ext)))
    mask, single = str(folders['masks'] / (rel + '.png')), tmp_path / 's.png'
    code, err = _run(capsys, '--checkpoint', guided_ckpt, '--image', image,
                     '--mask', mask, '--edge', edge, '--output', single)
    assert code == 0, err
    out = folders['out'] / (rel + '.png')
    assert out.read_bytes() == single.read_bytes()
    unguided = guided(image_io.load_image(image), image_io.load_mask(mask))
    assert (image_io.load_image(str(out)) != unguided).any()


def test_sketches_in_a_file_list_and_for_an_unguided_model(
    ckpt, guided_ckpt, tmp_path, capsys):
  """A fourth --flist field is the line's sketch (a line without one runs
  without); a sketch of the wrong size fails its line; sketches for an
  unguided checkpoint stop the run in one line, nothing written."""
  hw = (24, 32)
  rows = []
  for i, edge in enumerate((random_sketch(hw), None, random_sketch((24, 30)))):
    row = [_write(str(tmp_path / f'in{i}.png'), _image(hw, seed=i)),
           _write(str(tmp_path / f'm{i}.png'), _mask(hw)),
           str(tmp_path / 'out' / f'o{i}.png')]
    if edge is not None:
      row.append(_write(str(tmp_path / f'e{i}.png'), edge))
    rows.append(row)
  flist = tmp_path / 'list.txt'
  flist.write_text('\n'.join(' '.join(r) for r in rows))
  code, err = _run(capsys, '--checkpoint', guided_ckpt, '--flist', flist,
                   '--no_progress')
  assert code == 1
  assert f'error: {rows[2][3]}: sketch size 30x24 differs from image size ' \
      f'32x24 ({rows[2][0]}).' in err.splitlines()
  assert 'inpainted 2 of 3 images, 1 failed.' in err
  guided = inpainter_lib.Inpainter.from_checkpoint(guided_ckpt)
  for row in rows[:2]:
    edge = image_io.load_image(row[3]) if len(row) > 3 else None
    want = guided(image_io.load_image(row[0]), image_io.load_mask(row[1]),
                  edge=edge)
    np.testing.assert_array_equal(image_io.load_image(row[2]), want)
  (tmp_path / 'out' / 'o0.png').unlink()
  _write(str(tmp_path / 'dir' / 'in0.png'), _image(hw))
  for args in (['--flist', flist],
               ['--image', rows[0][0], '--mask', rows[0][1], '--output',
                rows[0][2], '--edge', rows[0][3]],
               ['--input_dir', tmp_path / 'dir', '--mask_dir', tmp_path,
                '--edge_dir', tmp_path, '--output_dir', tmp_path / 'out']):
    code, err = _run(capsys, '--checkpoint', ckpt, *args)
    assert code == 1
    assert err.strip() == (
        f'error: {ckpt}: sketches (--edge, --edge_dir, a fourth --flist '
        'field) need a sketch-guided DeepFill v2 checkpoint; this one has '
        'guided=False.'), err
  assert not (tmp_path / 'out' / 'o0.png').exists()


def _snapshot(folder):
  return {p: p.read_bytes() for p in sorted(folder.rglob('*')) if p.is_file()}


def test_outputs_never_overwrite_inputs_or_each_other(ckpt, tmp_path, capsys):
  hw = (16, 24)
  folder = tmp_path / 'in'
  for name in ('a.jpg', 'a.png', 'b.png'):
    _write(str(folder / name), _image(hw))
  _write(str(tmp_path / 'm' / 'a.png'), _mask(hw))
  _write(str(tmp_path / 'm' / 'b.png'), _mask(hw))
  before = _snapshot(tmp_path)
  code, err = _run(capsys, '--checkpoint', ckpt, '--input_dir', folder,
                   '--mask_dir', tmp_path / 'm', '--output_dir', folder)
  assert code == 2
  assert f'{folder}/b.png: the output of {folder}/b.png would overwrite the ' \
      f'input {folder}/b.png.' in err
  assert f'{folder}/a.png: 2 jobs would write this file: {folder}/a.jpg, ' \
      f'{folder}/a.png.' in err
  assert 'Traceback' not in err and 'inpainted' not in err
  assert _snapshot(tmp_path) == before  # Nothing written.
  # A file list: an output that is another job's mask, and a duplicate.
  img, mask = str(folder / 'b.png'), str(tmp_path / 'm' / 'b.png')
  flist = tmp_path / 'list.txt'
  flist.write_text(f'{img} {mask} {tmp_path}/o.png\n'
                   f'{img} {tmp_path}/m/a.png {tmp_path}/o.png\n'
                   f'{img} {tmp_path}/m/a.png {mask}\n')
  before = _snapshot(tmp_path)
  code, err = _run(capsys, '--checkpoint', ckpt, '--flist', flist)
  assert code == 2
  assert f'{tmp_path}/o.png: 2 jobs would write this file' in err
  assert f'{mask}: the output of {img} would overwrite the input {mask}' in err
  assert _snapshot(tmp_path) == before
  # Single image: --output or --flow on an input, --coarse == --output.
  for extra in (['--output', img], ['--output', f'{tmp_path}/x.png', '--flow',
                                    mask],
                ['--output', f'{tmp_path}/x.png', '--coarse',
                 f'{tmp_path}/x.png']):
    code, err = _run(capsys, '--checkpoint', ckpt, '--image', img, '--mask',
                     mask, *extra)
    assert code == 2 and 'would' in err, err
  assert _snapshot(tmp_path) == before


def test_output_paths_rule(tmp_path):
  root = tmp_path / 'in'
  outs = image_io.output_paths([str(root / 'x/a.jpg'), str(root / 'b.webp')],
                               str(tmp_path / 'out'), '.jpg', root=str(root))
  assert outs == [str(tmp_path / 'out/x/a.jpg'), str(tmp_path / 'out/b.jpg')]
  assert image_io.output_paths(['/p/q/c.png'], 'o') == ['o/c.png']
  _write(str(root / 'b.png'), _image((4, 4)))
  with pytest.raises(image_io.OutputConflictError) as e:
    image_io.output_paths([str(root / 'b.png'), str(root / 'b.jpg'),
                           (str(root / 'c.jpg'), str(root / 'c.png'))],
                          str(root), '.png', root=str(root))
  r = str(root)
  assert e.value.problems == [
      f'{r}/b.png: the output of {r}/b.png would overwrite the input '
      f'{r}/b.png.',
      f'{r}/b.png: the output of {r}/b.jpg would overwrite the input '
      f'{r}/b.png.',
      f'{r}/c.png: the output of {r}/c.jpg would overwrite the input '
      f'{r}/c.png.',  # c.png is its mask (not written yet: same path).
      f'{r}/b.png: 2 jobs would write this file: {r}/b.png, {r}/b.jpg.']
  assert str(e.value) == '\n'.join(e.value.problems)


def test_one_failing_image_is_one_line(ckpt, api, tmp_path, capsys,
                                       monkeypatch):
  """A runtime error (e.g. XLA out of memory) on one image: one line."""
  hw = (24, 32)
  rows = []
  for i in range(3):
    image = _image(hw, seed=i)
    image[0, 0] = (1, 2, 3) if i == 1 else (0, 0, 0)  # Marks the bad one.
    img = _write(str(tmp_path / f'in{i}.png'), image)
    mask = _write(str(tmp_path / f'm{i}.png'), _mask(hw))
    rows.append(f'{img} {mask} {tmp_path}/out{i}.png')
  (tmp_path / 'list.txt').write_text('\n'.join(rows))
  real = inpainter_lib.Inpainter.inpaint_batch

  def flaky(self, images, masks, **kwargs):
    if any(tuple(im[0, 0]) == (1, 2, 3) for im in images):
      raise RuntimeError('RESOURCE_EXHAUSTED: Out of memory while trying to '
                         'allocate 123 bytes.\nmore details')
    return real(self, images, masks, **kwargs)

  monkeypatch.setattr(inpainter_lib.Inpainter, 'inpaint_batch', flaky)
  code, err = _run(capsys, '--checkpoint', ckpt, '--flist',
                   tmp_path / 'list.txt', '--no_progress')
  assert code == 1
  errors = [l for l in err.splitlines() if l.startswith('error:')]
  assert errors == [f'error: {tmp_path}/in1.png: inpainting failed '
                    '(RuntimeError: RESOURCE_EXHAUSTED: Out of memory while '
                    'trying to allocate 123 bytes.).']
  assert 'inpainted 2 of 3 images, 1 failed.' in err
  assert not (tmp_path / 'out1.png').exists()
  monkeypatch.setattr(inpainter_lib.Inpainter, 'inpaint_batch', real)
  for i in (0, 2):
    _assert_written(api, *rows[i].split())


def test_each_file_is_decoded_once(ckpt, tmp_path, capsys, monkeypatch):
  hw = (24, 32)
  rows = []
  for i, m in enumerate((_mask(hw), _mask(hw), np.zeros(hw, np.uint8))):
    img = _write(str(tmp_path / f'in{i}.png'), _image(hw, seed=i))
    mask = _write(str(tmp_path / f'm{i}.png'), m)
    rows.append(f'{img} {mask} {tmp_path}/out{i}.png')
  (tmp_path / 'list.txt').write_text('\n'.join(rows))
  decoded = []
  real = image_io.open_image
  monkeypatch.setattr(image_io, 'open_image',
                      lambda path, *a, **k: decoded.append(path) or real(
                          path, *a, **k))
  code, err = _run(capsys, '--checkpoint', ckpt, '--flist',
                   tmp_path / 'list.txt', '--no_progress', '--batch_size', 2)
  assert code == 0, err
  assert sorted(decoded) == sorted(p for r in rows for p in r.split()[:2])


def test_dense_attention_fits_memory_or_falls_back(ckpt, api, tmp_path,
                                                   capsys, monkeypatch):
  # Large enough that half of dense attention's need holds the 'auto' run
  # (whose memory estimate is checked against the free memory too).
  hw = (240, 320)
  need = memory.dense_attention_bytes(hw)
  dense = inpainter_lib.Inpainter(api.generator, attention='dense')
  monkeypatch.setattr(memory, 'available_memory', lambda: int(2.6 * need))
  assert batching.fit_attention(dense, hw, 8) == (dense, 2)
  monkeypatch.setattr(memory, 'available_memory', lambda: None)
  assert batching.fit_attention(dense, hw, 8) == (dense, 8)
  monkeypatch.setattr(memory, 'available_memory', lambda: need // 2)
  img = _write(str(tmp_path / 'in.png'), _image(hw))
  mask = _write(str(tmp_path / 'mask.png'), _mask(hw))
  code, err = _run(capsys, '--checkpoint', ckpt, '--image', img, '--mask',
                   mask, '--output', tmp_path / 'o.png', '--attention',
                   'dense')
  assert code == 0, err
  assert 'using --attention=auto' in err
  _assert_written(api, img, mask, tmp_path / 'o.png')


def test_binary_01_mask_file_is_an_error(ckpt, tmp_path, capsys):
  hw = (16, 16)
  img = _write(str(tmp_path / 'in.png'), _image(hw))
  mask = _write(str(tmp_path / 'mask.png'), _mask(hw, value=1))
  code, err = _run(capsys, '--checkpoint', ckpt, '--image', img, '--mask',
                   mask, '--output', tmp_path / 'o.png')
  assert code == 1
  assert err.strip() == (f'error: {mask}: this integer mask holds only 0 and '
                         '1, so by the 0..255 rule it has no hole; pass '
                         'mask.astype(bool) or mask * 255 (' +
                         image_io.MASK_RULE + ').')
  assert not (tmp_path / 'o.png').exists()


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
  for sketch in (['--edge', 'e.png'], ['--edge_dir', 'e']):
    with pytest.raises(SystemExit) as e:
      inpaint.main(['--checkpoint', 'x', '--flist', 'f', *sketch])
    assert e.value.code == 2
  capsys.readouterr()


def test_module_entry_point(tmp_path):
  res = subprocess.run(
      [sys.executable, '-m', 'deepfill_jax.apps.inpaint', '--checkpoint',
       str(tmp_path / 'none'), '--image', 'a.png', '--mask', 'b.png',
       '--output', str(tmp_path / 'o.png')],
      capture_output=True, text=True, check=False,
      cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
  assert res.returncode == 1
  assert res.stderr.strip().splitlines()[-1].startswith('error: ')
