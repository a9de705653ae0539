# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""`store.average_generators` (`tools/ship_model.py --average`): the
mean of several steps' generators."""

import jax
import numpy as np
import orbax.checkpoint as ocp
from flax import nnx

from deepfill_jax.checkpoints import store
from deepfill_jax.testing import random_generator


def _params(gen):
  return jax.tree.leaves(nnx.state(gen, nnx.Param))


def test_average_is_the_mean_of_the_steps(tmp_path):
  gens = {5: random_generator(seed=0), 9: random_generator(seed=1),
          12: random_generator(seed=2)}
  workdir = tmp_path / 'workdir'
  store.write_meta(workdir, store.generator_meta(gens[5]))
  with ocp.CheckpointManager(workdir / 'checkpoints') as mngr:
    for step, gen in gens.items():
      mngr.save(step, args=ocp.args.Composite(generator=ocp.args.StandardSave(
          store.pure_params(gen))))
    mngr.wait_until_finished()
  averaged, meta = store.average_generators(str(workdir), [5, 12])
  assert meta['step'] == 12 and meta['averaged_steps'] == [5, 12]
  for got, a, b in zip(_params(averaged), _params(gens[5]), _params(gens[12])):
    want = (np.asarray(a, np.float64) + np.asarray(b, np.float64)) / 2
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
  assert any(not np.allclose(a, b)
             for a, b in zip(_params(averaged), _params(gens[12])))
  alone, _ = store.average_generators(str(workdir), [9])
  for got, want in zip(_params(alone), _params(gens[9])):
    np.testing.assert_array_equal(got, want)
