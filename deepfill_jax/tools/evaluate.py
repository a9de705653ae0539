# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Evaluates a generator and classical baselines on a folder of images.

  deepfill-evaluate --checkpoint=/tmp/deepfill_demo \
      --images=data/photos --masks=center,free_form --output=/tmp/eval

`--checkpoint`: an inference checkpoint, a training workdir or an export.
`--masks`: mask types and/or folders of masks. Writes results.json,
results.md and contact_<type>.png. Exit status: 0 if anything was
evaluated, 1 on errors or if nothing could be, 2 for bad arguments. See
docs/evaluation.md.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Sequence

from absl import flags
from absl import logging
from tqdm import tqdm

from deepfill_jax import default_config
from deepfill_jax.apps import cli
from deepfill_jax.utils import compilation_cache
from deepfill_jax import evaluation
from deepfill_jax.inference import inpainter as inpainter_lib
from deepfill_jax.checkpoints import pretrained


PROG = 'deepfill-evaluate'
DESCRIPTION = 'Evaluate an inpainting model and baselines on images.'
_usage_error = functools.partial(cli.usage_error, PROG)


def _define_flags(v: flags.FlagValues) -> flags.FlagValues:
  """The tool's flags, on `v`."""
  flags.DEFINE_string('checkpoint', None, 'inference checkpoint, training '
                      'workdir, export or shipped model name (default: the '
                      'shipped photos_v1 model)', flag_values=v)
  for name, text in (('images', 'folder of test images'),
                     ('output', 'report folder')):
    flags.DEFINE_string(name, None, text, flag_values=v)
    flags.mark_flag_as_required(name, flag_values=v)
  flags.DEFINE_integer('step', None, 'workdir step to load (default: '
                       'latest)', flag_values=v)
  flags.DEFINE_string('masks', 'center', 'comma-separated mask types and/or '
                      'mask folders', flag_values=v)
  flags.DEFINE_integer('size', 256, 'centre-crop and resize to SIZE x SIZE; '
                       '0 = full size', flag_values=v)
  flags.DEFINE_integer('seed', 0, 'seed of the masks', flag_values=v)
  flags.DEFINE_string('baselines', ','.join(evaluation.BASELINES),
                      'comma-separated baselines, or "none"', flag_values=v)
  flags.DEFINE_integer('max_images', 0, 'evaluate only the first N images '
                       '(0 = all)', flag_values=v)
  flags.DEFINE_integer('contact_images', 6, 'rows of each contact sheet',
                       flag_values=v)
  flags.DEFINE_integer('batch_size', 8, 'images per model batch',
                       flag_values=v)
  flags.DEFINE_enum('attention', 'auto', list(inpainter_lib.ATTENTION_MODES),
                    'Inpainter attention implementation', flag_values=v)
  cli.define_inference(v)
  flags.DEFINE_string('title', 'Evaluation', 'heading of results.md',
                      flag_values=v)
  flags.DEFINE_bool('no_progress', False, 'no progress bar', flag_values=v)
  return v


FLAGS = _define_flags(flags.FlagValues())


def _split(text: str) -> list[str]:
  return [item.strip() for item in text.split(',') if item.strip()]


def settings_from_args(args: flags.FlagValues) -> evaluation.Settings:
  """Checks the flags (exits with status 2 on bad ones)."""
  baselines = [] if args.baselines == 'none' else _split(args.baselines)
  unknown = sorted(set(baselines) - set(evaluation.BASELINES))
  if unknown:
    _usage_error(f'--baselines: unknown {unknown}; choose from '
                 f'{",".join(evaluation.BASELINES)} or none')
  if args.batch_size < 1:
    _usage_error('--batch_size must be >= 1')
  for name in ('size', 'max_images', 'contact_images'):
    if getattr(args, name) < 0:
      _usage_error(f'--{name} must be >= 0')
  if not _split(args.masks):
    _usage_error('--masks is empty')
  return evaluation.Settings(
      images=args.images, masks=_split(args.masks), size=args.size,
      seed=args.seed, baselines=baselines, batch_size=args.batch_size,
      max_images=args.max_images, contact_images=args.contact_images,
      progress=not args.no_progress)


def main(argv: Sequence[str] | None = None) -> int:
  """CLI entry point; returns the exit status."""
  args = cli.parse(FLAGS, argv, PROG, DESCRIPTION)
  settings = settings_from_args(args)
  compilation_cache.enable()  # $DEEPFILL_JAX_CACHE: a folder or 'off'.
  logging.set_verbosity(logging.WARNING)  # Quiet orbax.
  log = lambda msg: tqdm.write(msg, file=sys.stderr)
  try:
    model = evaluation.load_model(args.checkpoint, step=args.step,
                                  attention=args.attention,
                                  two_scale=args.two_scale,
                                  blend=args.blend)
    results = evaluation.evaluate(model, settings,
                                  default_config.get_config().masks, log=log)
    results['settings']['checkpoint'] = os.path.abspath(
        pretrained.resolve(args.checkpoint))
    results['settings']['step'] = args.step
    results['settings']['two_scale'] = getattr(model, 'two_scale', 0)
    results['settings']['blend'] = getattr(model, 'blend', False)
    paths = evaluation.write_report(results, args.output, args.title)
  except (ValueError, FileNotFoundError) as e:
    print(f'error: {e}', file=sys.stderr)
    return 1
  summary = results['summary']
  print(evaluation.markdown(results, args.title), end='')
  print(f'\nEvaluated {summary["evaluated"]} (image, mask) pairs, skipped '
        f'{summary["skipped"]}, at {summary["images_per_second"]:.2f} '
        f'images/s; wrote {", ".join(paths)}.', file=sys.stderr)
  return 0 if summary['evaluated'] else 1


def run() -> None:
  """Console script `deepfill-evaluate`."""
  sys.exit(main())


if __name__ == '__main__':
  run()
