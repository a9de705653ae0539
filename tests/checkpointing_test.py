# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Checkpoint metadata is checked on load; writes are atomic (local paths)."""

import json
import os

import jax
import numpy as np
import orbax.checkpoint as ocp
import pytest
from etils import epath

from deepfill_jax.checkpoints import store
from deepfill_jax.utils import files
from deepfill_jax.testing import random_generator


@pytest.fixture(scope='module')
def gen():
  return random_generator()


@pytest.fixture(scope='module')
def saved(gen, tmp_path_factory):
  return store.save_generator(
      str(tmp_path_factory.mktemp('ckpt') / 'gen'), gen, note='x')


def _params_equal(a, b):
  jax.tree.map(np.testing.assert_array_equal,
               store.pure_params(a),
               store.pure_params(b))


def _with_meta(tmp_path, saved, **changes):
  """A copy of `saved` whose generator.json has `changes` (None deletes)."""
  path = tmp_path / 'copy'
  os.symlink(os.path.join(saved, store.PARAMS_DIR), tmp_path / 'p')
  path.mkdir()
  os.symlink(tmp_path / 'p', path / store.PARAMS_DIR)
  meta = files.read_json(os.path.join(saved, store.META_FILE))
  for key, value in changes.items():
    if value is None:
      meta.pop(key)
    else:
      meta[key] = value
  (path / store.META_FILE).write_text(json.dumps(meta))
  return path


def test_round_trip_local_and_epath(gen, saved):
  for path in (saved, epath.Path(saved)):
    loaded, meta = store.load_generator(path)
    _params_equal(loaded, gen)
    assert meta['note'] == 'x' and meta['channel_order'] == 'RGB'
  assert sorted(os.listdir(saved)) == ['generator.json', 'params']
  with pytest.raises(FileExistsError, match='already holds a checkpoint'):
    store.save_generator(saved, gen)


@pytest.mark.parametrize('changes, text', [
    (dict(version=2), 'format version 2 was written by a newer'),
    (dict(version='1'), 'bad format version'),
    (dict(format='other'), "unknown format 'other'"),
    (dict(channel_order='GBR'), "unknown channel_order 'GBR'"),
    (dict(model={'cnum': 4, 'width': 3}), "unknown model setting 'width'"),
    (dict(model={'cnum': 0}), 'bad model setting cnum=0'),
    (dict(model=None), 'no "model" config'),
])
def test_metadata_is_checked(saved, tmp_path, changes, text):
  path = _with_meta(tmp_path, saved, **changes)
  with pytest.raises(ValueError, match=text) as e:
    store.load_generator(path)
  assert '\n' not in str(e.value)


def test_steps(gen, saved, tmp_path):
  with pytest.raises(ValueError, match='inference checkpoint has no training '
                     'steps; do not ask for step 3'):
    store.load_generator(saved, step=3)
  workdir = tmp_path / 'workdir'
  store.write_meta(workdir, store.generator_meta(gen))
  with pytest.raises(FileNotFoundError, match='neither'):
    store.load_generator(workdir)
  with ocp.CheckpointManager(workdir / 'checkpoints') as mngr:
    for step in (5, 9):
      mngr.save(step, args=ocp.args.Composite(generator=ocp.args.StandardSave(
          store.pure_params(gen))))
    mngr.wait_until_finished()
  loaded, meta = store.load_generator(str(workdir))
  assert meta['step'] == 9
  _params_equal(loaded, gen)
  assert store.load_generator(workdir, step=5)[1]['step'] == 5
  with pytest.raises(ValueError, match='no checkpoint of step 7; the workdir '
                     'has steps 5, 9'):
    store.load_generator(workdir, step=7)


def test_write_meta_is_atomic(tmp_path):
  store.write_meta(tmp_path / 'w', {'format': 'a'})
  meta_path = tmp_path / 'w' / store.META_FILE
  with pytest.raises(TypeError):  # Fails while writing: the old file stays.
    store.write_meta(tmp_path / 'w', {'format': object()})
  assert json.loads(meta_path.read_text()) == {'format': 'a'}
  assert os.listdir(tmp_path / 'w') == [store.META_FILE]
  assert oct(meta_path.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def test_write_atomic_leaves_old_file_when_interrupted(tmp_path, monkeypatch):
  target = tmp_path / 'f.bin'
  files.write_atomic(target, b'old')

  def crash(src, dst):
    raise KeyboardInterrupt  # Killed between writing and renaming.

  monkeypatch.setattr(os, 'replace', crash)
  with pytest.raises(KeyboardInterrupt):
    files.write_atomic(target, b'new' * 1000)
  assert target.read_bytes() == b'old'
  assert os.listdir(tmp_path) == ['f.bin']


def _umask():
  mask = os.umask(0)
  os.umask(mask)
  return mask
