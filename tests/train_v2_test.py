# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""DeepFill v2 end to end on a tiny config: training on 8 devices, a resume
bit-identical to the uninterrupted run (spectral-norm state included), and
the trained workdir through load_generator, the Inpainter and the CLI."""

import os

import jax
import numpy as np
import pytest

from configs import tiny_v2
from deepfill_jax.checkpoints import store
from deepfill_jax.data import image_io
from deepfill_jax.inference import inpainter as inpainter_lib
from deepfill_jax.apps import inpaint
from deepfill_jax.training import step as step_lib
from deepfill_jax.models import GatedGenerator
import train_helpers

# About 3 minutes on 2 cores: run by CI's extras step (`-m long`).
pytestmark = pytest.mark.long

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _config(**overrides):
  config = tiny_v2.get_config()
  config.data.path = os.path.join(ROOT, 'data', 'photos')
  config.update(overrides)
  return config


def _assert_trees_equal(a, b):
  assert jax.tree.structure(a) == jax.tree.structure(b)
  train_helpers.assert_trees_equal(a, b)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
  """A tiny v2 run of 2 steps, uninterrupted: (workdir, final state)."""
  return train_helpers.uninterrupted(
      _config(num_train_steps=2),
      str(tmp_path_factory.mktemp('v2_uninterrupted')))


def test_run_trains_v2_and_carries_spectral_state(trained):
  workdir, state = trained
  assert set(state.critics) == {'sn_patch_gan'}
  assert set(state.items()) == {'generator', 'sn_patch_gan', 'opt_g', 'opt_d',
                                'counters', 'critic_state'}
  # Two critic and two generator forwards of the critic advanced u.
  fresh = jax.device_get(step_lib.init_state(step_lib.make_setup(_config())))
  moved = [np.abs(a - b).max() for a, b in zip(
      jax.tree.leaves(state.critic_state), jax.tree.leaves(fresh.critic_state))]
  assert len(moved) == 6 and min(moved) > 0
  assert int(state.counters.updates) == 4 and int(state.counters.step) == 2
  gen, meta = store.load_generator(workdir)
  assert isinstance(gen, GatedGenerator) and gen.cnum == 8
  assert meta['model'] == {'cnum': 8, 'name': 'deepfill_v2'}
  _assert_trees_equal(store.pure_params(gen), state.generator)


def test_interrupted_and_resumed_v2_run_is_bit_identical(trained, tmp_path,
                                                         monkeypatch):
  _, uninterrupted = trained
  resumed = train_helpers.interrupted_and_resumed(
      _config(num_train_steps=2), str(tmp_path), monkeypatch)
  for name in ('generator', 'critics', 'critic_state', 'opt_g', 'opt_d',
               'counters'):
    _assert_trees_equal(getattr(resumed, name), getattr(uninterrupted, name))


def test_inpainter_on_a_v2_workdir(trained):
  workdir, _ = trained
  rng = np.random.default_rng(0)
  image = rng.integers(0, 256, (44, 60, 3), np.uint8)
  hole = np.zeros((44, 60), bool)
  hole[10:30, 20:44] = True
  auto = inpainter_lib.Inpainter.from_checkpoint(workdir)
  res = auto.outputs(image, hole, return_flow=True)
  np.testing.assert_array_equal(res.image[~hole], image[~hole])
  assert res.flow.shape == image.shape
  dense = inpainter_lib.Inpainter.from_checkpoint(workdir, attention='dense')
  np.testing.assert_array_equal(dense(image, hole), res.image)


def test_cli_on_a_v2_checkpoint(trained, tmp_path, capsys):
  workdir, _ = trained
  rng = np.random.default_rng(1)
  image = rng.integers(0, 256, (40, 48, 3), np.uint8)
  mask = np.zeros((40, 48), np.uint8)
  mask[8:24, 10:30] = 255
  paths = {n: str(tmp_path / f'{n}.png') for n in ('in', 'mask', 'out')}
  image_io.save_image(paths['in'], image)
  image_io.save_image(paths['mask'], mask)
  code = inpaint.main(['--checkpoint', workdir, '--image', paths['in'],
                       '--mask', paths['mask'], '--output', paths['out']])
  assert code == 0, capsys.readouterr().err
  want = inpainter_lib.Inpainter.from_checkpoint(workdir)(image, mask > 127)
  np.testing.assert_array_equal(image_io.load_image(paths['out']), want)
  # A sketch needs a guided checkpoint: a one-line error, nothing written.
  image_io.save_image(str(tmp_path / 'edge.png'), mask)
  code = inpaint.main(['--checkpoint', workdir, '--image', paths['in'],
                       '--mask', paths['mask'], '--output',
                       str(tmp_path / 'o2.png'), '--edge',
                       str(tmp_path / 'edge.png')])
  assert code == 1 and 'guided' in capsys.readouterr().err
  assert not os.path.exists(tmp_path / 'o2.png')


def test_guided_inpainter_uses_the_sketch(guided_ckpt):
  inpainter = inpainter_lib.Inpainter.from_checkpoint(guided_ckpt)
  assert inpainter.generator.guided
  rng = np.random.default_rng(3)
  image = rng.integers(0, 256, (32, 40, 3), np.uint8)
  hole = np.zeros((32, 40), bool)
  hole[8:24, 8:32] = True
  edge = np.zeros((32, 40), np.uint8)
  edge[16, :] = 255  # A line across the hole.
  with_edge = inpainter(image, hole, edge=edge)
  np.testing.assert_array_equal(with_edge[~hole], image[~hole])
  assert not np.array_equal(with_edge, inpainter(image, hole))
  # The edge outside the hole is ignored, as in the original.
  outside = np.where(hole, 0, 255).astype(np.uint8)
  np.testing.assert_array_equal(inpainter(image, hole, edge=outside),
                                inpainter(image, hole))
