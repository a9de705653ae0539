# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Exports a generator for serving.

  deepfill-export --checkpoint=places2_jax --output=places2_export \
      --sizes=256x256,512x680

`--checkpoint` is anything `store.load_generator` accepts. The output holds
`generator.json` + `params/` (parameters alone) and one `jax.export`
artifact per size with `export.json`; load them with
`deepfill_jax.inference.export.load(OUTPUT)`. See docs/checkpoints.md.
"""

from __future__ import annotations

import sys
import time

from absl import app
from absl import flags
from absl import logging

from deepfill_jax.apps import cli

_CHECKPOINT = flags.DEFINE_string(
    'checkpoint', None, 'Inference checkpoint or training workdir.',
    required=True)
_OUTPUT = flags.DEFINE_string('output', None, 'Export directory (new).',
                              required=True)
_SIZES = flags.DEFINE_string(
    'sizes', '256x256', 'Comma-separated HEIGHTxWIDTH image sizes (multiples '
    'of 8), one artifact each.')
_PLATFORMS = flags.DEFINE_list('platforms', ['cpu', 'cuda', 'tpu'],
                               'Platforms to lower for.')
_STEP = flags.DEFINE_integer('step', None,
                             'Training step when --checkpoint is a workdir.')


def main(argv: list[str]) -> None:
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  if not flags.FLAGS['verbosity'].present:  # Quiet orbax unless asked.
    logging.set_verbosity(logging.WARNING)
  # pylint: disable=g-import-not-at-top
  from deepfill_jax.checkpoints import store
  from deepfill_jax.inference import export
  # pylint: enable=g-import-not-at-top
  start = time.perf_counter()
  try:
    sizes = export.parse_sizes(_SIZES.value)
    manifest = export.export_checkpoint(
        _CHECKPOINT.value, _OUTPUT.value, sizes, platforms=_PLATFORMS.value,
        step=_STEP.value)
  except (ValueError, FileNotFoundError, FileExistsError) as e:
    sys.exit(f'error: {e}')
  output = store.as_path(_OUTPUT.value)
  for size, name in manifest['artifacts'].items():
    mb = (output / name).stat().length / 1e6
    print(f'{size}: {name} ({mb:.1f} MB)')
  print(f'Exported for {", ".join(manifest["platforms"])} to {output} in '
        f'{time.perf_counter() - start:.1f} s.')


def run() -> None:
  """Console script `deepfill-export`."""
  cli.absl_help('deepfill-export', 'Export a generator for serving '
                '(parameters and jax.export artifacts).')
  app.run(main)


if __name__ == '__main__':
  run()
