# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Converts an original DeepFill v1 or v2 TF1 checkpoint for deepfill_jax.

  deepfill-convert \
      --tf_checkpoint=model_logs/release_places2_256 --output=places2_jax

`--tf_checkpoint` is a checkpoint directory or a prefix. The output is an
inference checkpoint taking and returning RGB; v1 or v2 is told from the
variables. Needs TensorFlow for reading only (`pip install
tensorflow-cpu`). See docs/checkpoints.md.
"""

from __future__ import annotations

import os
import sys

from absl import app
from absl import flags
from absl import logging

from deepfill_jax.apps import cli

_TF_CHECKPOINT = flags.DEFINE_string(
    'tf_checkpoint', None, 'TF1 checkpoint directory or prefix.',
    required=True)
_OUTPUT = flags.DEFINE_string(
    'output', None, 'Directory for the converted checkpoint (must not hold '
    'one yet).', required=True)


def main(argv: list[str]) -> None:
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  if not flags.FLAGS['verbosity'].present:  # Quiet orbax unless asked.
    logging.set_verbosity(logging.WARNING)
  # Imported here so that --help works without JAX start-up cost.
  import jax  # pylint: disable=g-import-not-at-top
  from deepfill_jax.checkpoints import convert  # pylint: disable=g-import-not-at-top
  try:
    converted = convert.convert_checkpoint(_TF_CHECKPOINT.value, _OUTPUT.value)
  except (ImportError, FileNotFoundError, FileExistsError,
          convert.CheckpointMismatchError) as e:
    sys.exit(f'error: {e}')
  n_gen = len(jax.tree.leaves(converted.generator))
  critics = ('and the critics' if converted.critics is not None
             else '(no discriminator variables in the checkpoint)')
  shown = ', '.join(converted.ignored[:4])
  more = len(converted.ignored) - 4
  print(f'Ignored {len(converted.ignored)} variables (optimizer slots, '
        f'counters){": " + shown if shown else ""}'
        f'{f" and {more} more" if more > 0 else ""}.')
  guided = ', guided' if converted.model.get('guided') else ''
  print(f'Converted {n_gen} {converted.model_name}{guided} generator tensors '
        f'{critics} to {os.path.abspath(_OUTPUT.value)} (RGB in, RGB out).')


def run() -> None:
  """Console script `deepfill-convert`."""
  cli.absl_help('deepfill-convert', 'Convert an original DeepFill v1 or v2 '
                'TF1 checkpoint for deepfill_jax.')
  app.run(main)


if __name__ == '__main__':
  run()
