# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Training: sharding, multi-process, resume, non-finite guard, outputs."""

import os
import socket
import subprocess
import sys

from etils import epath
import jax
import numpy as np
import pytest

from configs import tiny
from deepfill_jax.checkpoints import store
from deepfill_jax.training import cpu_hours
from deepfill_jax.inference import inpainter as inpainter_lib
from deepfill_jax.data import input_pipeline
from deepfill_jax.training import step as step_lib
from deepfill_jax.training import train
from deepfill_jax import testing
import train_helpers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PHOTOS = os.path.join(ROOT, 'data', 'photos')


def _config(**overrides):
  config = tiny.get_config()
  config.data.path = PHOTOS
  config.update_from_flattened_dict(overrides)  # {'loss.gan_loss_alpha': 0}
  return config


def _run_iterations(config, devices, batches):
  setup = step_lib.make_setup(config, step_lib.create_mesh(devices))
  steps = step_lib.compile_steps(setup)
  state = step_lib.init_state(setup)
  initial = jax.device_get(state.generator)
  it = iter(batches)
  metrics = []
  while True:
    try:
      state, critic_m, gen_m = step_lib.train_iteration(steps, setup, state, it)
    except StopIteration:
      break
    metrics.append((critic_m, gen_m))
  return initial, jax.device_get(state), metrics


def _assert_trees_close(a, b, **tol):
  for (path, x), y in zip(jax.tree.leaves_with_path(a), jax.tree.leaves(b)):
    np.testing.assert_allclose(x, y, err_msg=jax.tree_util.keystr(path),
                               **tol)


_assert_trees_equal = train_helpers.assert_trees_equal


@pytest.mark.long
def test_eight_devices_equal_one_device():
  config = _config(batch_size=8, critic_steps=2)
  batches = testing.train_batches(config, 3)
  initial, one, _ = _run_iterations(config, jax.devices()[:1], batches)
  _, eight, _ = _run_iterations(config, jax.devices()[:8], batches)
  for name in ('generator', 'critics', 'opt_g', 'opt_d'):
    _assert_trees_close(getattr(eight, name), getattr(one, name),
                        rtol=2e-4, atol=2e-6)
  # The iteration did change the generator (the comparison is not vacuous).
  moved = [np.abs(a - b).max() for a, b in zip(
      jax.tree.leaves(one.generator), jax.tree.leaves(initial))]
  assert min(moved) > 0
  assert int(one.counters.step) == 1
  assert int(one.counters.updates) == 3


@pytest.mark.long
def test_reconstruction_only_runs_no_critic():
  """gan_loss_alpha = 0: no critic update and critics left as they were."""
  config = _config(batch_size=8, critic_steps=2, **{'loss.gan_loss_alpha': 0.})
  batches = testing.train_batches(config, 1)
  setup = step_lib.make_setup(config, step_lib.create_mesh(jax.devices()[:1]))
  state = step_lib.init_state(setup)
  critics = jax.device_get(state.critics)
  state, critic_m, gen_m = step_lib.train_iteration(
      step_lib.compile_steps(setup), setup, state, iter(batches))
  assert critic_m == [] and 'd_loss' not in gen_m
  _assert_trees_equal(jax.device_get(state.critics), critics)
  assert int(state.counters.updates) == 1


def _free_port() -> int:
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


@pytest.mark.long
def test_two_processes_equal_one_process(tmp_path):
  """jax.distributed on localhost (gloo CPU collectives), 1 device each."""
  port = _free_port()
  script = os.path.join(ROOT, 'tests', 'multiprocess_train.py')
  env = dict(os.environ, XLA_FLAGS='', PYTHONPATH=os.pathsep.join(
      filter(None, [ROOT, os.environ.get('PYTHONPATH')])))
  procs = [subprocess.Popen(
      [sys.executable, script, str(port), '2', str(i),
       str(tmp_path / 'two.npz')], env=env, stdout=subprocess.PIPE,
      stderr=subprocess.STDOUT, text=True) for i in range(2)]
  single = subprocess.Popen(
      [sys.executable, script, '0', '1', '0', str(tmp_path / 'one.npz')],
      env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
  for p in procs + [single]:
    out, _ = p.communicate(timeout=540)
    assert p.returncode == 0, out[-3000:]
  two, one = np.load(tmp_path / 'two.npz'), np.load(tmp_path / 'one.npz')
  assert sorted(two) == sorted(one) and len(one) > 50
  for key in one:
    np.testing.assert_allclose(two[key], one[key], rtol=2e-4, atol=2e-6,
                               err_msg=key)


def test_global_batch_is_the_same_for_any_process_count():
  config = _config(batch_size=4)
  one = next(input_pipeline.create_dataset(config, process_index=0,
                                           process_count=1))
  parts = [next(input_pipeline.create_dataset(config, process_index=i,
                                              process_count=2))
           for i in range(2)]
  for key in one:
    np.testing.assert_array_equal(
        np.concatenate([p[key] for p in parts]), one[key], err_msg=key)


@pytest.mark.long
def test_bfloat16_computes_with_float32_parameters_and_states():
  config = _config(**{'model.dtype': 'bfloat16', 'critic_steps': 1})
  _, state, metrics = _run_iterations(config, jax.devices()[:1],
                                      testing.train_batches(config, 2))
  for path, leaf in jax.tree.leaves_with_path(
      {k: getattr(state, k)
       for k in ('generator', 'critics', 'opt_g', 'opt_d')}):
    if np.issubdtype(leaf.dtype, np.floating):
      assert leaf.dtype == np.float32, jax.tree_util.keystr(path)
  (_, gen_m), = metrics
  assert np.isfinite(float(gen_m['g_loss'])) and not float(gen_m['skipped'])


@pytest.mark.long
def test_non_finite_update_is_skipped_and_counted():
  config = _config(critic_steps=1)
  batches = testing.train_batches(config, 4)
  batches[0]['image'][0, 0, 0, 0] = np.nan  # Poisons the critic update.
  setup = step_lib.make_setup(config, step_lib.create_mesh(jax.devices()[:1]))
  steps = step_lib.compile_steps(setup)
  state = step_lib.init_state(setup)
  before = jax.device_get(state.critics)
  state, metrics = steps.critic(state, step_lib.global_batch(setup, batches[0]))
  assert float(metrics['skipped']) == 1.
  _assert_trees_equal(jax.device_get(state.critics), before)
  counters = jax.device_get(state.counters)
  assert (counters.bad_streak, counters.bad_total,
          counters.updates) == (1, 1, 1)
  state, metrics = steps.critic(state, step_lib.global_batch(setup, batches[1]))
  assert float(metrics['skipped']) == 0.
  counters = jax.device_get(state.counters)
  assert (counters.bad_streak, counters.bad_total) == (0, 1)
  changed = jax.device_get(state.critics)
  assert any(np.any(a != b) for a, b in zip(jax.tree.leaves(changed),
                                            jax.tree.leaves(before)))


def test_indivisible_batch_is_a_clear_error():
  with pytest.raises(ValueError, match=r'config.batch_size=6 must be a '
                     r'positive multiple of the 8 devices'):
    step_lib.make_setup(_config(batch_size=6))


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
  """A tiny run of 3 steps, uninterrupted: (workdir, final state)."""
  return train_helpers.uninterrupted(
      _config(num_train_steps=3), str(tmp_path_factory.mktemp('uninterrupted')))


def test_run_writes_checkpoints_logs_and_strips(trained):
  workdir, state = trained
  names = set(os.listdir(workdir))
  assert {'checkpoints', 'generator.json', 'config.json', 'strips',
          cpu_hours.FILE} <= names
  rows = cpu_hours.read(epath.Path(workdir) / cpu_hours.FILE)
  assert [step for step, _ in rows] == [1, 2, 3]  # Logged every step.
  assert 0 < rows[0][1] <= rows[1][1] <= rows[2][1]
  assert any(n.startswith('events.out.tfevents') for n in names)
  assert sorted(os.listdir(os.path.join(workdir, 'strips'))) == [
      'step_0000000.png', 'step_0000002.png', 'step_0000003.png']
  # keep_checkpoints=3 of the steps 1, 2, 3 saved every step.
  steps = sorted(int(n) for n in os.listdir(os.path.join(workdir,
                                                         'checkpoints'))
                 if n.isdigit())
  assert steps == [1, 2, 3]
  # The workdir is a checkpoint for inference, at its latest step.
  gen, meta = store.load_generator(workdir)
  assert meta['step'] == 3
  _assert_trees_equal(store.pure_params(gen), state.generator)
  inpainter = inpainter_lib.Inpainter.from_checkpoint(workdir)
  image = np.full((40, 48, 3), 100, np.uint8)
  hole = np.zeros((40, 48), bool)
  hole[10:20, 12:30] = True
  out = inpainter(image, hole)
  assert out.shape == image.shape
  np.testing.assert_array_equal(out[~hole], image[~hole])


def test_workdir_trained_on_8_devices_loads_on_1(trained):
  """A TPU pod's workdir must load on a laptop: no saved topology needed."""
  workdir, state = trained
  code = ('import sys, numpy as np, jax; '
          'from deepfill_jax.checkpoints import store; '
          'gen, meta = store.load_generator(sys.argv[1]); '
          'assert jax.device_count() == 1; '
          'leaves = jax.tree.leaves(store.pure_params(gen)); '
          'print(meta["step"], sum(float(np.abs(x).sum()) for x in leaves))')
  proc = subprocess.run([sys.executable, '-c', code, workdir], cwd=ROOT,
                        capture_output=True, text=True, timeout=300,
                        env=dict(os.environ, XLA_FLAGS=''))
  assert proc.returncode == 0, proc.stderr[-2000:]
  step, total = proc.stdout.split()
  assert int(step) == 3
  want = sum(float(np.abs(x).sum()) for x in jax.tree.leaves(
      state.generator))
  np.testing.assert_allclose(float(total), want, rtol=1e-6)


def test_interrupted_and_resumed_run_is_bit_identical(trained, tmp_path,
                                                      monkeypatch):
  _, uninterrupted = trained
  resumed = train_helpers.interrupted_and_resumed(
      _config(num_train_steps=3), str(tmp_path), monkeypatch)
  for name in ('generator', 'critics', 'opt_g', 'opt_d', 'counters'):
    _assert_trees_equal(getattr(resumed, name),
                        getattr(uninterrupted, name))


def test_unfinished_checkpoint_is_never_picked_up(trained, tmp_path):
  workdir, _ = trained
  # A save killed mid-write leaves orbax's temporary directory behind.
  os.makedirs(os.path.join(workdir, 'checkpoints',
                           '9.orbax-checkpoint-tmp-1234', 'generator'))
  assert store.load_generator(workdir)[1]['step'] == 3


@pytest.mark.long
def test_too_many_non_finite_updates_stop_the_run(tmp_path):
  config = _config(num_train_steps=6, critic_steps=1, max_bad_steps=2,
                   learning_rate=float('nan'))
  with pytest.raises(train.TrainingStopped,
                     match=r'^stopped at step 1: 2 updates in a row had a '
                     r'non-finite loss or gradient.*last good checkpoint '
                     r'\(step 1\) is kept'):
    train.train_and_evaluate(config, str(tmp_path))


@pytest.mark.long
def test_init_from_a_workdir_takes_generator_and_critics(trained, tmp_path):
  source, state = trained
  config = _config(num_train_steps=0, init_from=source)
  started = jax.device_get(train.train_and_evaluate(config, str(tmp_path)))
  _assert_trees_equal(started.generator, state.generator)
  _assert_trees_equal(started.critics, state.critics)
  assert int(started.counters.step) == 0
  wider = _config(num_train_steps=0, init_from=source, **{'model.cnum': 8})
  with pytest.raises(ValueError, match='its generator is'):
    train.train_and_evaluate(wider, str(tmp_path / 'wider'))
