# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
r"""The full-size report: every method on whole photos, timed and measured.

  python tools/full_size_report.py --images=PHOTOS --output=/tmp/full_size

Each photo keeps its size. Per photo and hole case (--cases: box5, box10,
box25, strokes) every method (--methods) inpaints it in its own child
process; the report gives hole L1 and PSNR, SSIM, seconds per call and the
peak memory of each method (docs/evaluation.md, "Full-size report"). Writes
results.json, results.md and crops_<case>.png to --output and prints the
tables. An unreadable image is skipped with a one-line note. Exit status: 0
if any photo was evaluated, 1 otherwise or on errors, 2 for bad flags.
"""

from __future__ import annotations

import functools
import sys
from typing import Sequence

from absl import flags

from deepfill_jax.apps import cli
from deepfill_jax.inference import inpainter as inpainter_lib
from deepfill_jax.evaluation import full_size
from deepfill_jax.evaluation import full_size_report as report_lib


PROG = 'python tools/full_size_report.py'
DESCRIPTION = 'Evaluates inpainting methods on full-size photos.'
_usage_error = functools.partial(cli.usage_error, PROG)


def _define_flags(v: flags.FlagValues) -> flags.FlagValues:
  """The tool's flags, on `v`."""
  flags.DEFINE_string('images', None, 'folder of full-size photos',
                      flag_values=v)
  flags.DEFINE_string('output', None, 'report folder', flag_values=v)
  flags.DEFINE_list('cases', list(full_size.CASES), 'hole cases: '
                    f'{", ".join(full_size.CASES)}', flag_values=v)
  flags.DEFINE_list('methods', list(full_size.DEFAULT_METHODS),
                    'methods: deepfill_auto (the default: working size '
                    'and residual aggregation), deepfill (full size, the '
                    'checkpoint\'s settings), deepfill_1x (full size, one '
                    'pass, network alone), deepfill_previous (full size, '
                    'two_scale=12, network alone) and baselines of '
                    'evaluation.BASELINE_FNS', flag_values=v)
  flags.DEFINE_list('unwarmed', [], 'models timed on their only call, '
                    'compilation included (slow ones: deepfill_previous)',
                    flag_values=v)
  flags.DEFINE_string('checkpoint', None, 'inference checkpoint, training '
                      'workdir or shipped model name (default: the shipped '
                      'model)', flag_values=v)
  flags.DEFINE_integer('max_images', 0, 'only the first N photos (0 = all)',
                       lower_bound=0, flag_values=v)
  flags.DEFINE_integer('seed', 0, 'seed of the holes', flag_values=v)
  flags.DEFINE_enum('attention', 'auto', list(inpainter_lib.ATTENTION_MODES),
                    'Inpainter attention implementation', flag_values=v)
  flags.DEFINE_string('save_outputs', None, 'also write every output here '
                      '(PHOTO/<case>_<method>.png)', flag_values=v)
  flags.DEFINE_string('title', 'Full-size evaluation', 'heading of '
                      'results.md', flag_values=v)
  return v


FLAGS = _define_flags(flags.FlagValues())


def main(argv: Sequence[str] | None = None) -> int:
  """CLI entry point; returns the exit status."""
  args = cli.parse(FLAGS, argv, PROG, DESCRIPTION)
  for name in ('images', 'output'):
    if not args[name].value:
      _usage_error(f'--{name} is required')
  settings = full_size.Settings(
      images=args.images, cases=args.cases, methods=args.methods,
      checkpoint=args.checkpoint, seed=args.seed, max_images=args.max_images,
      attention=args.attention, outputs=args.save_outputs,
      unwarmed=args.unwarmed)
  try:
    full_size.check_methods(settings.methods)
    if set(settings.unwarmed) - set(full_size.MODEL_VARIANTS):
      raise ValueError(f'--unwarmed: choose from '
                       f'{", ".join(full_size.MODEL_VARIANTS)}.')
    if not settings.cases or set(settings.cases) - set(full_size.CASES):
      raise ValueError(f'--cases: choose from {", ".join(full_size.CASES)}, '
                       f'got {",".join(settings.cases)}.')
  except ValueError as e:
    _usage_error(str(e))
  log = lambda msg: print(msg, file=sys.stderr, flush=True)
  try:
    results = full_size.evaluate(settings, log=log)
    paths = report_lib.write_report(results, args.output, args.title)
  except (ValueError, FileNotFoundError) as e:
    print(f'error: {e}', file=sys.stderr)
    return 1
  print(report_lib.markdown(results, args.title), end='')
  summary = results['summary']
  print(f'\nEvaluated {summary["evaluated"]} photos, skipped '
        f'{summary["skipped"]}, in {summary["seconds"]:.0f} s; wrote '
        f'{", ".join(paths)}.', file=sys.stderr)
  return 0 if summary['evaluated'] else 1


if __name__ == '__main__':
  sys.exit(main())
