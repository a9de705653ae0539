# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Test setup: 8 fake CPU devices (before any backend starts), fast compiles."""

import os
import shutil
import tempfile

# Simulated devices for sharding tests; must precede the first backend use.
os.environ.setdefault('XLA_FLAGS', '--xla_force_host_platform_device_count=8')

import jax  # pylint: disable=g-import-not-at-top

jax.config.update('jax_num_cpu_devices', 8)

import pytest  # pylint: disable=g-import-not-at-top,wrong-import-position


@pytest.fixture(scope='module')
def ckpt(tmp_path_factory) -> str:
  """An inference checkpoint of a small random generator (cnum 4)."""
  # pylint: disable=g-import-not-at-top
  from deepfill_jax.checkpoints import store
  from deepfill_jax.testing import random_generator
  path = str(tmp_path_factory.mktemp('ckpt') / 'gen')
  return store.save_generator(path, random_generator())


@pytest.fixture(scope='module')
def guided_ckpt(tmp_path_factory) -> str:
  """An inference checkpoint of a small random sketch-guided v2 generator
  whose output depends on the sketch (kernels x2.5, `random_generator`)."""
  # pylint: disable=g-import-not-at-top
  from deepfill_jax.checkpoints import store
  from deepfill_jax.testing import random_generator
  gen = random_generator(8, seed=2, kernel_scale=2.5, name='deepfill_v2',
                         guided=True)
  path = str(tmp_path_factory.mktemp('guided') / 'gen')
  return store.save_generator(path, gen)

# Tests that train compile the same steps several times (a run, its resumed
# run, ...): a persistent compilation cache for this test session only, also
# for the entry points the tests start as subprocesses (never the user's).
_CACHE = tempfile.mkdtemp(prefix='deepfill_jax_test_xla_cache_')
jax.config.update('jax_compilation_cache_dir', _CACHE)
os.environ['DEEPFILL_JAX_CACHE'] = _CACHE


def pytest_sessionfinish(session, exitstatus):  # pylint: disable=unused-argument
  """Removes the session's compilation cache (it is of no use afterwards)."""
  shutil.rmtree(_CACHE, ignore_errors=True)
