# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The model shipped inside the package: loading, names, CLI default."""

import os

import jax
import numpy as np
import pytest

from deepfill_jax import checkpointing
from deepfill_jax import image_io
from deepfill_jax import inference
from deepfill_jax import inpaint
from deepfill_jax import pretrained

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# A held-out photo of the shipped model (never trained on) and a bundled mask.
PHOTO = os.path.join(ROOT, 'data', 'photos', 'aitzgorri_by_Aitzol_Berasategi.jpg')
MASK = os.path.join(ROOT, 'data', 'masks', 'aitzgorri_tree.png')
# The paper's generator: width 32, both stages, contextual attention.
PAPER_PARAMETERS = 3_601_542


@pytest.fixture(scope='module')
def shipped():
  return inference.Inpainter.pretrained()


def test_shipped_model_is_the_papers_network(shipped):
  meta = checkpointing.read_meta(pretrained.path())
  assert meta['model'] == {'cnum': 32}
  assert shipped.generator.cnum == 32
  count = sum(x.size for x in jax.tree.leaves(
      checkpointing.pure_params(shipped.generator)))
  assert count == PAPER_PARAMETERS
  # Within the size the package may carry.
  size = sum(os.path.getsize(os.path.join(d, f))
             for d, _, fs in os.walk(pretrained.path()) for f in fs)
  assert size <= 16e6


def test_names_resolve_to_the_package_folder(tmp_path):
  folder = pretrained.path(pretrained.DEFAULT)
  assert os.path.isdir(os.path.join(folder, 'params'))
  assert pretrained.resolve(None) == folder
  assert pretrained.resolve(pretrained.DEFAULT) == folder
  assert pretrained.resolve(str(tmp_path)) == str(tmp_path)  # A path stays.
  with pytest.raises(ValueError, match='photos_v1'):
    pretrained.path('places2')  # Unknown: the message lists what ships.


def test_fills_a_held_out_photo_better_than_its_mean_colour(shipped):
  """A learned fill, not noise: closer to the truth than the flat fill."""
  image = image_io.load_image(PHOTO)[:256, 256:512]
  hole = np.zeros(image.shape[:2], bool)
  hole[64:192, 64:192] = True
  out = shipped(image, hole)
  np.testing.assert_array_equal(out[~hole], image[~hole])
  truth = image[hole].astype(np.float64)
  flat = image[~hole].mean(0)
  model_l1 = np.abs(out[hole] - truth).mean()
  assert model_l1 < 0.8 * np.abs(flat - truth).mean()


def test_cli_uses_the_shipped_model_without_checkpoint(shipped, tmp_path,
                                                       capsys):
  out = str(tmp_path / 'out.png')
  code = inpaint.main(['--image', PHOTO, '--mask', MASK, '--output', out])
  assert code == 0, capsys.readouterr().err
  want = shipped(image_io.load_image(PHOTO), image_io.load_mask(MASK))
  np.testing.assert_array_equal(image_io.load_image(out), want)


def test_unknown_model_name_is_one_line(tmp_path, capsys):
  code = inpaint.main(['--checkpoint', 'no_such_model', '--image', PHOTO,
                       '--mask', MASK, '--output', str(tmp_path / 'o.png')])
  err = capsys.readouterr().err
  assert code != 0
  assert 'no_such_model' in err and 'Traceback' not in err
