# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Tests of the serving export (deepfill_jax/inference/export.py, deepfill_jax/tools/export.py)."""

import json
import os
import subprocess
import sys

import jax
import numpy as np
import orbax.checkpoint as ocp
import pytest
from flax import nnx

from deepfill_jax.checkpoints import store
from deepfill_jax.inference import export
from deepfill_jax.models import InpaintGenerator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZES = [(64, 64), (48, 80)]
live = nnx.jit(lambda g, x, m: g(x, m))


def _inputs(bsz, h, w, seed=0):
  rng = np.random.default_rng(seed)
  x = rng.uniform(-1, 1, (bsz, h, w, 3)).astype(np.float32)
  mask = np.zeros((bsz, h, w, 1), np.float32)
  for i in range(bsz):
    top, left = rng.integers(0, h // 2), rng.integers(0, w // 2)
    mask[i, top:top + h // 3, left:left + w // 3] = 1.
  return x, mask


@pytest.fixture(scope='module')
def gen():
  return InpaintGenerator(8, rngs=nnx.Rngs(0))


@pytest.fixture(scope='module')
def exported_dir(gen, tmp_path_factory):
  """An export made by the CLI from an inference checkpoint."""
  tmp = tmp_path_factory.mktemp('export')
  store.save_generator(str(tmp / 'ckpt'), gen, note='test')
  run = subprocess.run(
      [sys.executable, '-m', 'deepfill_jax.tools.export',
       f'--checkpoint={tmp / "ckpt"}', f'--output={tmp / "out"}',
       '--sizes=' + ','.join(export.size_name(s) for s in SIZES)],
      capture_output=True, text=True, check=False, cwd=ROOT)
  assert run.returncode == 0, run.stderr
  assert 'cpu, cuda, tpu' in run.stdout
  return tmp / 'out'


def test_exported_artifacts_match_live_model(gen, exported_dir):
  served = export.load(str(exported_dir))
  assert served.sizes == sorted(SIZES)
  for bsz, (h, w) in [(1, SIZES[0]), (3, SIZES[0]), (2, SIZES[1])]:
    x, mask = _inputs(bsz, h, w, seed=bsz)
    got = served(x, mask)
    want = live(gen, x, mask)
    assert [a.shape for a in got] == [a.shape for a in want]
    np.testing.assert_allclose(got[0], want[0], atol=1e-5, rtol=0)
    np.testing.assert_allclose(got[1], want[1], atol=1e-5, rtol=0)
    np.testing.assert_array_equal(got[2], want[2])
    np.testing.assert_allclose(
        served.inpaint(x, mask), want[1] * mask + x * (1 - mask), atol=1e-5)


def test_export_directory_contents(gen, exported_dir):
  with open(exported_dir / export.MANIFEST) as f:
    manifest = json.load(f)
  assert manifest['platforms'] == ['cpu', 'cuda', 'tpu']
  assert manifest['model'] == {'cnum': 8}
  assert set(manifest['artifacts']) == {'64x64', '48x80'}
  exported = export.load(str(exported_dir)).exported((48, 80))
  assert exported.platforms == ('cpu', 'cuda', 'tpu')
  assert jax.export.is_symbolic_dim(exported.in_avals[0].shape[0])
  # The directory is also a params-only inference checkpoint.
  loaded, meta = store.load_generator(str(exported_dir))
  assert meta['note'] == 'test' and meta['exported_from'].endswith('ckpt')
  jax.tree.map(np.testing.assert_array_equal,
               store.pure_params(loaded),
               store.pure_params(gen))
  assert sorted(os.listdir(exported_dir)) == sorted(
      ['generator.json', 'params', 'export.json', 'deepfill_64x64.jax',
       'deepfill_48x80.jax'])


def test_single_artifact_and_wrong_size(exported_dir):
  served = export.load(str(exported_dir / 'deepfill_48x80.jax'))
  assert served.sizes == [(48, 80)]
  x, mask = _inputs(1, 48, 80)
  # A [b, H, W] mask is accepted; so is one mask for the whole batch.
  np.testing.assert_array_equal(served(x, mask[..., 0])[2],
                                served(x, mask)[2])
  with pytest.raises(ValueError, match=r'no artifact for 64x72 .*available: '
                     r'48x80, 64x64'):
    export.load(str(exported_dir))(np.zeros((1, 64, 72, 3)),
                                   np.zeros((1, 64, 72, 1)))
  with pytest.raises(FileNotFoundError, match='not a deepfill_jax export'):
    export.load(str(exported_dir / 'params'))


def test_exported_masks_follow_the_mask_convention(exported_dir):
  served = export.load(str(exported_dir))
  x, mask = _inputs(2, *SIZES[0])
  want = served(x, mask)
  holes = mask > 0.5
  for same in (holes, holes.astype(np.uint8) * 255, holes[..., 0],
               np.where(holes, 0.9, 0.1)):
    for a, b in zip(served(x, same), want):
      np.testing.assert_array_equal(a, b)
  nan = mask.copy()
  nan[0, 0, 0, 0] = np.nan
  for bad, text in [(mask * 255, r'must be in \[0, 1\]'), (nan, 'NaN'),
                    (holes.astype(np.uint8), 'only 0 and 1'),
                    (mask[:, :-8], 'mask must be'),
                    (mask[..., 0, None, None], 'mask must be')]:
    with pytest.raises(ValueError, match=text):
      served(x, bad)
    with pytest.raises(ValueError, match=text):
      served.inpaint(x, bad)


def test_export_from_training_workdir(gen, tmp_path):
  workdir = tmp_path / 'workdir'
  store.write_meta(str(workdir), store.generator_meta(gen))
  with ocp.CheckpointManager(str(workdir / 'checkpoints')) as mngr:
    mngr.save(7, args=ocp.args.Composite(generator=ocp.args.StandardSave(
        store.pure_params(gen))))
    mngr.wait_until_finished()
  manifest = export.export_checkpoint(str(workdir), str(tmp_path / 'out'),
                                      [(32, 32)], platforms=['cpu'])
  assert manifest['platforms'] == ['cpu']
  x, mask = _inputs(2, 32, 32)
  got = export.load(str(tmp_path / 'out'))(x, mask)
  np.testing.assert_allclose(got[1], live(gen, x, mask)[1], atol=1e-5,
                             rtol=0)
  _, meta = store.load_generator(str(tmp_path / 'out'))
  assert meta['step'] == 7


def test_parse_sizes():
  assert export.parse_sizes('256x256, 512X680,256x256') == [(256, 256),
                                                            (512, 680)]
  for bad in ('256', '250x256', '0x8', ''):
    with pytest.raises(ValueError):
      export.parse_sizes(bad)


def test_unknown_platform_is_an_error(gen, tmp_path):
  with pytest.raises(ValueError, match=r"Unknown platforms \['gpu'\]"):
    export.export(gen, str(tmp_path / 'out'), [(32, 32)],
                  platforms=['cpu', 'gpu'])
  assert not (tmp_path / 'out').exists()
