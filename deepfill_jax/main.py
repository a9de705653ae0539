# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Main entry: `python -m deepfill_jax.main --config=CONFIG --workdir=DIR`
(installed as `deepfill-train`).

`--config` is a config file, or a config shipped with the package by name
(`--config=demo`) or by its repository path (`--config=configs/tiny.py`),
found from any folder.

Deliberately short: flags, multi-host set-up and logging here; the work is in
libraries that can be imported and tested (`deepfill_jax.training.train`,
`deepfill_jax.apps.demo`). Run the same command on every host of a cluster.
"""

from __future__ import annotations

import logging as std_logging
import os
import sys

import jax
from absl import app
from absl import flags
from absl import logging
from ml_collections import config_flags

from deepfill_jax.apps import cli
from deepfill_jax.utils import compilation_cache
from deepfill_jax.data import image_io
from deepfill_jax.training import resume_checks
from deepfill_jax.training import workdir_lock

FLAGS = flags.FLAGS
flags.DEFINE_string('workdir', None, 'Directory for outputs and checkpoints.')
config_flags.DEFINE_config_file(
    'config', None, 'Configuration file, or the name of a config shipped '
    'with the package (demo, tiny, places2, ...; see configs/), e.g. '
    '--config=demo or --config=configs/places2.py.', lock_config=True)
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


DESCRIPTION = 'Train a DeepFill model, or run the demo, from a config file.'


def _configs_dir() -> str:
  """The folder of the shipped configs (the top-level `configs` package)."""
  import configs  # pylint: disable=g-import-not-at-top
  return os.path.dirname(os.path.abspath(configs.__file__))


def shipped_configs() -> list[str]:
  """Names of the configs shipped with the package (`--config=NAME`)."""
  return sorted(name[:-3] for name in os.listdir(_configs_dir())
                if name.endswith('.py') and not name.startswith('_'))


def config_path(value: str) -> str | None:
  """The file a `--config` value names, or None if there is none.

  A path that exists is kept as given; else a shipped config by name
  (`demo`, `demo.py`) or by its path in the repository (`configs/demo.py`).
  ml_collections' `file.py:args` suffix is kept.
  """
  path, sep, args = value.partition(':')
  if os.path.isfile(path):
    return value
  name = path[len('configs/'):] if path.startswith('configs/') else path
  if os.sep in name or '/' in name or not name:
    return None
  found = os.path.join(_configs_dir(), name if name.endswith('.py')
                       else f'{name}.py')
  return found + sep + args if os.path.isfile(found) else None


def _resolve_config(argv: list[str]) -> list[str]:
  """`argv` with its `--config` value turned into a file path (`config_path`);
  a value that names no file is one line and exit status 2."""
  argv = list(argv)
  for i, arg in enumerate(argv[1:], 1):
    if arg == '--':
      break
    if arg.startswith('--config='):
      value, index, prefix = arg[len('--config='):], i, '--config='
    elif arg == '--config' and i + 1 < len(argv):
      value, index, prefix = argv[i + 1], i + 1, ''
    else:
      continue
    found = config_path(value)
    if found is None:
      print(f'error: --config={value}: no such config file (give a path, or '
            f'a shipped config: {", ".join(shipped_configs())}).',
            file=sys.stderr)
      sys.exit(2)
    argv[index] = prefix + found
  return argv


def parse_flags(argv: list[str]) -> list[str]:
  """absl's flag parsing, with a config typo as one line and exit status 2.

  `--config.batch_sz=4` makes ml_collections raise deep inside the parser,
  its "did you mean" on the last line of a long traceback; a config file
  that does not exist or fails to load is one line too.
  """
  argv = _resolve_config(argv)
  try:
    rest = app.parse_flags_with_usage(argv)
    FLAGS['config'].value  # pylint: disable=pointless-statement
    return rest
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
  except Exception as e:  # pylint: disable=broad-except
    # The config file failed to load (missing, syntax, ...): its first cause.
    while e.__cause__ is not None:
      e = e.__cause__
    print(f'error: --config: {image_io.first_line(e)}', file=sys.stderr)
    sys.exit(2)


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  logging.get_absl_handler().addFilter(_QuietLibraries())
  config = FLAGS.config
  workdir = FLAGS.workdir
  if '://' not in workdir:  # Orbax needs absolute local paths.
    workdir = os.path.abspath(workdir)
  compilation_cache.enable()  # $DEEPFILL_JAX_CACHE: a folder or 'off'.
  try:
    initialize_distributed(FLAGS.coordinator_address, FLAGS.num_processes,
                           FLAGS.process_id)
  except RuntimeError as e:
    sys.exit(f'error: {e}')
  logging.info('JAX process %d/%d, local devices: %s', jax.process_index(),
               jax.process_count(), jax.local_devices())
  # pylint: disable=g-import-not-at-top
  from deepfill_jax.apps import demo
  from deepfill_jax.training import train
  # pylint: enable=g-import-not-at-top
  try:
    train.train_and_evaluate(config, workdir)
    if config.get('demo') and jax.process_index() == 0:
      demo.inpaint_eval_photos(config, workdir)  # configs/demo.py.
  except train.TrainingStopped as e:
    logging.flush()
    print(str(e), file=sys.stderr)
    sys.exit(e.exit_code)
  except (workdir_lock.WorkdirInUse, resume_checks.ConfigMismatch) as e:
    logging.flush()  # Refused before any work: one line, status 2.
    print(f'error: {e}', file=sys.stderr)
    sys.exit(2)
  except (ValueError, OSError) as e:  # Bad data, config or paths: one line.
    sys.exit(f'error: {e}{_data_hint(config, e)}')


def _data_hint(config, error: Exception) -> str:
  """What to set when the config's own data folder is missing (not one the
  command line gave)."""
  path = config.data.get('path', '')
  if (not isinstance(error, FileNotFoundError) or not path
      or os.path.exists(path)
      or any(a.startswith('--config.data.path') for a in sys.argv)
      or os.path.abspath(path) not in str(error)):
    return ''
  return (' Set --config.data.path=FOLDER (the shipped configs read the '
          'bundled photos, data/photos, of a repository checkout or a wheel '
          'install).')


def run() -> None:
  """Console script `deepfill-train`."""
  jax.config.config_with_absl()
  cli.absl_help('deepfill-train', DESCRIPTION)
  app.run(main, flags_parser=parse_flags)


if __name__ == '__main__':
  run()
