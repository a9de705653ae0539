# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Evaluates a generator and classical baselines on a folder of images.

  python tools/evaluate.py --checkpoint=/tmp/deepfill_demo \
      --images=data/photos --masks=center,free_form --output=/tmp/eval

`--checkpoint` is an inference checkpoint, a training workdir (latest step,
or `--step`) or an export (directory with export.json, or one `.jax` file).
`--masks` lists mask types (center, bbox, free_form, thin, medium, thick)
and/or folders of mask images matched by file name. Writes results.json,
results.md and contact_<type>.png to `--output`. Bad images are reported in
one line and skipped. Exit status: 0 if anything was evaluated, 1 on errors
or if nothing could be, 2 for bad arguments. See docs/evaluation.md.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

# configs/ lives next to tools/ in the repository.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
  sys.path.insert(0, _ROOT)

# pylint: disable=g-import-not-at-top,wrong-import-position
from absl import logging
from tqdm import tqdm

from configs import default as default_config
from deepfill_jax import compilation_cache
from deepfill_jax import evaluation
from deepfill_jax import inference
from deepfill_jax import pretrained
# pylint: enable=g-import-not-at-top,wrong-import-position


def _parser() -> argparse.ArgumentParser:
  p = argparse.ArgumentParser(
      prog='python tools/evaluate.py',
      description='Evaluate an inpainting model and baselines on images.')
  p.add_argument('--checkpoint', default=None,
                 help='inference checkpoint, training workdir, export or '
                 'shipped model name (default: the shipped photos_v1 model)')
  p.add_argument('--step', type=int, default=None,
                 help='workdir step to load (default: latest)')
  p.add_argument('--images', required=True, help='folder of test images')
  p.add_argument('--masks', default='center',
                 help='comma-separated mask types and/or mask folders')
  p.add_argument('--output', required=True, help='report folder')
  p.add_argument('--size', type=int, default=256,
                 help='centre-crop and resize to SIZE x SIZE; 0 = full size')
  p.add_argument('--seed', type=int, default=0, help='seed of the masks')
  p.add_argument('--baselines', default=','.join(evaluation.BASELINES),
                 help='comma-separated baselines, or "none"')
  p.add_argument('--max_images', type=int, default=0,
                 help='evaluate only the first N images (0 = all)')
  p.add_argument('--contact_images', type=int, default=6,
                 help='rows of each contact sheet')
  p.add_argument('--batch_size', type=int, default=8,
                 help='images per model batch')
  p.add_argument('--attention', choices=inference.ATTENTION_MODES,
                 default='auto', help='Inpainter attention implementation')
  p.add_argument('--title', default='Evaluation',
                 help='heading of results.md')
  p.add_argument('--no_progress', action='store_true', help='no progress bar')
  return p


def _split(text: str) -> list[str]:
  return [item.strip() for item in text.split(',') if item.strip()]


def settings_from_args(args: argparse.Namespace,
                       parser: argparse.ArgumentParser
                       ) -> evaluation.Settings:
  """Checks the flags (exits with status 2 on bad ones)."""
  baselines = [] if args.baselines == 'none' else _split(args.baselines)
  unknown = sorted(set(baselines) - set(evaluation.BASELINES))
  if unknown:
    parser.error(f'--baselines: unknown {unknown}; choose from '
                 f'{",".join(evaluation.BASELINES)} or none')
  if args.batch_size < 1:
    parser.error('--batch_size must be >= 1')
  for name in ('size', 'max_images', 'contact_images'):
    if getattr(args, name) < 0:
      parser.error(f'--{name} must be >= 0')
  if not _split(args.masks):
    parser.error('--masks is empty')
  return evaluation.Settings(
      images=args.images, masks=_split(args.masks), size=args.size,
      seed=args.seed, baselines=baselines, batch_size=args.batch_size,
      max_images=args.max_images, contact_images=args.contact_images,
      progress=not args.no_progress)


def main(argv: Sequence[str] | None = None) -> int:
  """CLI entry point; returns the exit status."""
  parser = _parser()
  args = parser.parse_args(argv)
  settings = settings_from_args(args, parser)
  compilation_cache.enable()  # $DEEPFILL_JAX_CACHE: a folder or 'off'.
  logging.set_verbosity(logging.WARNING)  # Quiet orbax.
  log = lambda msg: tqdm.write(msg, file=sys.stderr)
  try:
    model = evaluation.load_model(args.checkpoint, step=args.step,
                                  attention=args.attention)
    results = evaluation.evaluate(model, settings,
                                  default_config.get_config().masks, log=log)
    results['settings']['checkpoint'] = os.path.abspath(
        pretrained.resolve(args.checkpoint))
    results['settings']['step'] = args.step
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


if __name__ == '__main__':
  sys.exit(main())
