# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""One training iteration in one process of a `jax.distributed` job.

Run by tests/train_test.py, several times on localhost, with the repository
root on PYTHONPATH (for configs/):

  python tests/multiprocess_train.py PORT NUM_PROCESSES PROCESS_ID OUT.npz

Every process builds the same global batches (from a fixed seed), feeds its
block of each, runs one generator iteration and process 0 writes the
generator's parameters to OUT.npz. With NUM_PROCESSES=1 it is the reference.
"""

import os
import sys

os.environ['XLA_FLAGS'] = '--xla_force_host_platform_device_count=1'

import jax  # pylint: disable=g-import-not-at-top
import numpy as np  # pylint: disable=g-import-not-at-top

jax.config.update('jax_num_cpu_devices', 1)
jax.config.update('jax_cpu_collectives_implementation', 'gloo')


def main(port: int, num_processes: int, process_id: int, out: str) -> None:
  if num_processes > 1:
    jax.distributed.initialize(coordinator_address=f'127.0.0.1:{port}',
                               num_processes=num_processes,
                               process_id=process_id,
                               initialization_timeout=120)
  from configs import tiny  # pylint: disable=g-import-not-at-top
  from deepfill_jax.training import step as step_lib  # pylint: disable=g-import-not-at-top
  from deepfill_jax import testing  # pylint: disable=g-import-not-at-top
  config = tiny.get_config()
  config.batch_size = 4
  config.critic_steps = 1
  setup = step_lib.make_setup(config)
  assert setup.mesh.size == num_processes
  block = config.batch_size // num_processes
  local = [{k: v[process_id * block:(process_id + 1) * block]
            for k, v in batch.items()}
           for batch in testing.train_batches(config, 2)]
  steps = step_lib.compile_steps(setup)
  state = step_lib.init_state(setup)
  state, _, _ = step_lib.train_iteration(steps, setup, state, iter(local))
  params = jax.device_get(jax.tree.leaves_with_path(state.generator))
  if process_id == 0:
    np.savez(out, **{jax.tree_util.keystr(k): v for k, v in params})


if __name__ == '__main__':
  main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
