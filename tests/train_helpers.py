# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Shared by the training tests: exact tree equality, an uninterrupted run,
and a run stopped by SIGTERM after its first iteration, then resumed to its
end."""

import os
import signal

import jax
import numpy as np
import pytest

from deepfill_jax.checkpoints import store
from deepfill_jax.training import step as step_lib
from deepfill_jax.training import train


def assert_trees_equal(a, b):
  """Same leaves, bit for bit (paths named on failure)."""
  for (path, x), y in zip(jax.tree.leaves_with_path(a), jax.tree.leaves(b)):
    np.testing.assert_array_equal(x, y, err_msg=jax.tree_util.keystr(path))


def uninterrupted(config, workdir: str):
  """Trains `config` in `workdir` to its end: (workdir, final state on the
  host)."""
  return workdir, jax.device_get(train.train_and_evaluate(config, workdir))


def interrupted_and_resumed(config, workdir: str, monkeypatch):
  """Trains `config` in `workdir`, SIGTERM after iteration 1 (as a
  preempting scheduler), checks the stop, reruns to the end; returns the
  final state on the host."""
  real_iteration = step_lib.train_iteration
  calls = []

  def iteration_then_sigterm(*args, **kwargs):
    result = real_iteration(*args, **kwargs)
    calls.append(1)
    if len(calls) == 1:
      os.kill(os.getpid(), signal.SIGTERM)
    return result

  monkeypatch.setattr(step_lib, 'train_iteration', iteration_then_sigterm)
  with pytest.raises(train.TrainingStopped, match='SIGTERM at step 1') as e:
    train.train_and_evaluate(config, workdir)
  assert e.value.exit_code == 128 + signal.SIGTERM
  assert store.load_generator(workdir)[1]['step'] == 1
  monkeypatch.setattr(step_lib, 'train_iteration', real_iteration)
  return jax.device_get(train.train_and_evaluate(config, workdir))
