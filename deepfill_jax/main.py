# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Main entry: `python -m deepfill_jax.main --config=CONFIG --workdir=DIR`.

Deliberately short: flags, multi-host set-up and logging here; the work is in
libraries that can be imported and tested (`deepfill_jax.demo`, ...).
"""

import sys

import jax
from absl import app
from absl import flags
from absl import logging
from ml_collections import config_flags

FLAGS = flags.FLAGS
flags.DEFINE_string('workdir', None, 'Directory for outputs and checkpoints.')
config_flags.DEFINE_config_file(
    'config', None, 'Configuration file, e.g. configs/demo.py.',
    lock_config=True)
flags.mark_flags_as_required(['config', 'workdir'])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  try:  # Multi-host (Slurm, k8s, Cloud TPU); a single process otherwise.
    jax.distributed.initialize()
  except (ValueError, RuntimeError):
    pass
  logging.info('JAX process %d/%d, local devices: %s', jax.process_index(),
               jax.process_count(), jax.local_devices())
  config = FLAGS.config
  if config.mode == 'demo':
    from deepfill_jax import demo  # pylint: disable=g-import-not-at-top
    try:
      demo.run(config, FLAGS.workdir)
    except (ValueError, OSError) as e:  # Bad data or paths: one line.
      sys.exit(f'error: {e}')
  else:
    sys.exit(f'config.mode={config.mode!r}: training is not part of this '
             'release yet; run the inference demo with --config=configs/demo.py '
             '(see README).')


if __name__ == '__main__':
  jax.config.config_with_absl()
  app.run(main)
