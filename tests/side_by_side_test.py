# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""tools/side_by_side.py: layout, tiles and flags (a cnum=4 generator)."""

import os
import shutil

import numpy as np
import pytest

from deepfill_jax import default_config
from deepfill_jax.data import image_io
from deepfill_jax.evaluation import mask_sets as eval_masks
from tools import side_by_side

PHOTOS = os.path.join(os.path.dirname(__file__), '..', 'data', 'photos')
NAMES = ('Dragonfly_by_Bolly.jpg', 'Wine_by_Jakkub_Mede.jpg')
SIZE = 64
HEADER, SEP = side_by_side.HEADER, side_by_side.SEPARATOR


@pytest.fixture(scope='module')
def photos(tmp_path_factory):
  root = tmp_path_factory.mktemp('crops')
  for name in NAMES:
    shutil.copy(os.path.join(PHOTOS, name), root / name)
  return root


def _tile(figure, row, column):
  top = HEADER + SEP + row * (SIZE + SEP)
  left = column * (SIZE + SEP)
  return figure[top:top + SIZE, left:left + SIZE]


def test_figure_layout_and_tiles(ckpt, photos, tmp_path, capsys):
  out = tmp_path / 'fig.png'
  columns = ['input', 'ours', 'mean', 'original']
  code = side_by_side.main([
      f'--images={photos}', '--masks=thin_strokes', '--num=2',
      f'--checkpoint={ckpt}', '--two_scale=0', f'--size={SIZE}',
      f'--columns={",".join(columns)}', f'--output={out}'])
  assert code == 0, capsys.readouterr().err
  figure = image_io.load_image(str(out))
  assert figure.shape == (HEADER + 2 * (SEP + SIZE),
                          4 * SIZE + 3 * SEP, 3)
  masks = eval_masks.EvalMasks('thin_strokes',
                               default_config.get_config().masks)
  for row, name in enumerate(NAMES):
    _, crop = eval_masks.load_image(os.path.join(PHOTOS, name), SIZE)
    hole = masks(name, (SIZE, SIZE))
    np.testing.assert_array_equal(_tile(figure, row, 3), crop)
    shown = _tile(figure, row, 0)
    assert (shown[hole] == 255).all()
    np.testing.assert_array_equal(shown[~hole], crop[~hole])
    for column in (1, 2):  # Results keep the known pixels.
      np.testing.assert_array_equal(_tile(figure, row, column)[~hole],
                                    crop[~hole])
  # The titles are drawn above the tiles, the separators are white.
  assert (figure[:HEADER] < 128).any()
  assert (figure[HEADER:HEADER + SEP] == 255).all()
  assert (figure[:, SIZE:SIZE + SEP] == 255).all()


def test_full_size_rows_keep_every_pixel(tmp_path, capsys):
  rng = np.random.default_rng(0)
  images = [rng.integers(0, 256, (40, 56, 3), np.uint8),
            rng.integers(0, 256, (48, 32, 3), np.uint8)]
  for i, image in enumerate(images):
    image_io.save_image(str(tmp_path / f'{i}.png'), image)
  (tmp_path / 'z_broken.png').write_bytes(b'not a png')
  out = tmp_path / 'out' / 'fig.png'
  code = side_by_side.main([f'--images={tmp_path}', '--size=0', '--num=5',
                            '--columns=original,input', f'--output={out}'])
  assert code == 0
  assert 'skipped: ' in capsys.readouterr().err
  figure = image_io.load_image(str(out))
  assert figure.shape == (HEADER + SEP + 40 + SEP + 48, 2 * 56 + SEP, 3)
  for row, image in enumerate(images):
    top = HEADER + SEP + (0 if row == 0 else 40 + SEP)
    h, w = image.shape[:2]
    np.testing.assert_array_equal(figure[top:top + h, :w], image)


@pytest.mark.parametrize('arg', ['--columns=input,lama', '--columns=input,'
                                 'input', '--num=0', '--size=-1', '--size=8',
                                 '--masks=circle', '--masks=center,thin',
                                 '--output=fig.jpg', '--two_scale=-1'])
def test_bad_flags_exit_2(arg, capsys):
  base = {'--images': 'i', '--output': 'fig.png'}
  base[arg.split('=')[0]] = arg.split('=', 1)[1]
  with pytest.raises(SystemExit) as exit_info:
    side_by_side.main([f'{k}={v}' for k, v in base.items()])
  assert exit_info.value.code == 2
  err = capsys.readouterr().err
  assert err.count('\n') == 2 and 'error:' in err


def test_missing_folder_is_one_line(tmp_path, capsys):
  code = side_by_side.main(['--images=/nonexistent', '--columns=input',
                            f'--output={tmp_path / "f.png"}'])
  assert code == 1
  err = capsys.readouterr().err
  assert err.count('\n') == 1 and 'image folder does not exist' in err


def test_a_baseline_without_its_package_is_left_out(photos, tmp_path,
                                                    monkeypatch, capsys):
  monkeypatch.setattr(side_by_side.evaluation.baselines, 'has_module',
                      lambda name: name != 'patchmatch')
  out = tmp_path / 'fig.png'
  code = side_by_side.main([f'--images={photos}', '--num=1', f'--size={SIZE}',
                            '--columns=input,patchmatch,original',
                            f'--output={out}'])
  assert code == 0
  assert ('note: patchmatch skipped: pypatchmatch is not installed'
          in capsys.readouterr().err)
  assert image_io.load_image(str(out)).shape == (HEADER + SEP + SIZE,
                                                 2 * SIZE + SEP, 3)
