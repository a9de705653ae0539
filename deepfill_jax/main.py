# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Main entry: `python -m deepfill_jax.main --config=CONFIG --workdir=DIR`
(installed as `deepfill-train`).

Deliberately short: flags, multi-host set-up and logging here; the work is in
libraries that can be imported and tested (`deepfill_jax.train`,
`deepfill_jax.demo`). Run the same command on every host of a cluster.
"""

from __future__ import annotations

import logging as std_logging
import sys

import jax
from absl import app
from absl import flags
from absl import logging
from ml_collections import config_flags

from deepfill_jax import compilation_cache
from deepfill_jax import run_config
from deepfill_jax import workdir_lock

FLAGS = flags.FLAGS
flags.DEFINE_string('workdir', None, 'Directory for outputs and checkpoints.')
config_flags.DEFINE_config_file(
    'config', None, 'Configuration file, e.g. configs/places2.py.',
    lock_config=True)
flags.DEFINE_string('coordinator_address', None,
                    'host:port of process 0, for multi-process runs outside '
                    'an auto-detected cluster (Slurm, Open MPI, Cloud TPU).')
flags.DEFINE_integer('num_processes', None, 'With --coordinator_address.')
flags.DEFINE_integer('process_id', None, 'With --coordinator_address.')
flags.mark_flags_as_required(['config', 'workdir'])

# Libraries that log every checkpoint file at INFO; keep their warnings.
_QUIET_LIBRARIES = ('/orbax/', '/grain/')


class _QuietLibraries(std_logging.Filter):

  def filter(self, record: std_logging.LogRecord) -> bool:
    return record.levelno >= std_logging.WARNING or not any(
        lib in record.pathname for lib in _QUIET_LIBRARIES)


def initialize_distributed(coordinator_address: str | None = None,
                           num_processes: int | None = None,
                           process_id: int | None = None) -> None:
  """`jax.distributed.initialize()`: a cluster, or a single process.

  Only "no cluster here" (no coordinator given or detected) means a single
  process; any other failure is an error naming its cause, never a silent
  single-process run on a cluster.

  Raises:
    RuntimeError: the initialisation failed.
  """
  kwargs = {}
  if coordinator_address:
    kwargs = dict(coordinator_address=coordinator_address,
                  num_processes=num_processes, process_id=process_id)
  try:
    jax.distributed.initialize(**kwargs)
  except ValueError as e:
    if kwargs or 'coordinator_address should be defined' not in str(e):
      raise RuntimeError(f'jax.distributed.initialize failed: {e}') from e
    logging.info('No cluster detected: running as a single process.')
  except Exception as e:  # pylint: disable=broad-except
    raise RuntimeError(f'jax.distributed.initialize failed: '
                       f'{type(e).__name__}: {str(e).splitlines()[0]}') from e


def parse_flags(argv: list[str]) -> list[str]:
  """absl's flag parsing, with a config typo as one line and exit status 2.

  `--config.batch_sz=4` makes ml_collections raise deep inside the parser,
  its "did you mean" on the last line of a long traceback.
  """
  try:
    return app.parse_flags_with_usage(argv)
  except (AttributeError, KeyError) as e:
    text = e
    while isinstance(text, BaseException) and text.args:  # KeyError inside.
      text = text.args[0]
    text = str(text)
    lines = [line.strip().strip('\'"') for line in text.splitlines()]
    flag = next((a for a in argv[1:] if a.startswith('--config.')
                 and lines[0] and lines[0] in a.split('=')[0]), '--config')
    hint = ' '.join(line for line in lines[1:] if line)
    print(f'error: {flag}: the config has no field {lines[0]!r}.'
          + (f' {hint}' if hint else ''), file=sys.stderr)
    sys.exit(2)


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  logging.get_absl_handler().addFilter(_QuietLibraries())
  config = FLAGS.config
  compilation_cache.enable()  # $DEEPFILL_JAX_CACHE: a folder or 'off'.
  try:
    initialize_distributed(FLAGS.coordinator_address, FLAGS.num_processes,
                           FLAGS.process_id)
  except RuntimeError as e:
    sys.exit(f'error: {e}')
  logging.info('JAX process %d/%d, local devices: %s', jax.process_index(),
               jax.process_count(), jax.local_devices())
  # pylint: disable=g-import-not-at-top
  from deepfill_jax import demo
  from deepfill_jax import train
  # pylint: enable=g-import-not-at-top
  try:
    if config.mode == 'train':
      train.train_and_evaluate(config, FLAGS.workdir)
      if config.get('demo') and jax.process_index() == 0:
        demo.inpaint_eval_photos(config, FLAGS.workdir)
    elif config.mode == 'demo':
      demo.run(config, FLAGS.workdir)
    else:
      raise ValueError(f"config.mode={config.mode!r}; expected 'train' or "
                       "'demo'.")
  except train.TrainingStopped as e:
    logging.flush()
    print(str(e), file=sys.stderr)
    sys.exit(e.exit_code)
  except (workdir_lock.WorkdirInUse, run_config.ConfigMismatch) as e:
    logging.flush()  # Refused before any work: one line, status 2.
    print(f'error: {e}', file=sys.stderr)
    sys.exit(2)
  except (ValueError, OSError) as e:  # Bad data, config or paths: one line.
    sys.exit(f'error: {e}')


def run() -> None:
  """Console script `deepfill-train`."""
  jax.config.config_with_absl()
  app.run(main, flags_parser=parse_flags)


if __name__ == '__main__':
  run()
