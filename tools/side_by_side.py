# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
r"""A side-by-side figure: the model and classical baselines on the same holes.

  python tools/side_by_side.py --images=data/photos --masks=thin_strokes \
      --num=4 --output=/tmp/side_by_side.png

One row per image (the first `--num` usable ones, in the evaluation's
order), one column per `--columns` entry: `input` (the hole in white),
`ours` (the model), a baseline of `deepfill-evaluate` (telea,
navier_stokes, biharmonic, patchmatch, mean) or `original`. Images and
holes are those `deepfill-evaluate` scores with the same `--masks`,
`--size` and `--seed`; every tile is shown at 100%, under a header of
column titles. A baseline whose optional package is missing is left out
with a one-line note. Exit status: 0 when written, 1 on errors, 2 for bad
flags. See docs/evaluation.md.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
from typing import Callable, Sequence

from absl import flags
from absl import logging
import numpy as np
from PIL import Image
from PIL import ImageDraw
from PIL import ImageFont

from deepfill_jax import default_config
from deepfill_jax.inference import batching
from deepfill_jax.apps import cli
from deepfill_jax.utils import compilation_cache
from deepfill_jax import evaluation
from deepfill_jax.data import image_io
from deepfill_jax.data import strips
from deepfill_jax.evaluation import mask_sets as eval_masks

OURS = 'ours'
COLUMNS = ('input', OURS, 'patchmatch', 'telea', 'original')
TITLES = {'input': 'input', OURS: 'DeepFill (ours)', 'original': 'original',
          **{b: evaluation.METHOD_TITLES[b] for b in evaluation.BASELINES}}
HEADER = 16  # Height of the title row, in pixels.
SEPARATOR = 2  # White gap between tiles and below the titles, in pixels.


@dataclasses.dataclass
class Row:
  """One image of the figure: its relative name, pixels and hole."""
  name: str
  image: np.ndarray  # uint8 [H, W, 3].
  hole: np.ndarray  # bool [H, W], True in the hole.


PROG = 'python tools/side_by_side.py'
DESCRIPTION = 'A figure of the model and baselines side by side.'
_usage_error = functools.partial(cli.usage_error, PROG)


def _define_flags(v: flags.FlagValues) -> flags.FlagValues:
  """The tool's flags, on `v`."""
  for name, text in (('images', 'folder of images (crops)'),
                     ('output', 'the figure, a .png file')):
    flags.DEFINE_string(name, None, text, flag_values=v)
    flags.mark_flag_as_required(name, flag_values=v)
  flags.DEFINE_string('masks', 'center', 'one mask type (center, bbox, '
                      'free_form, thin, medium, thick, thin_strokes) or a '
                      'mask folder', flag_values=v)
  flags.DEFINE_integer('num', 4, 'rows: the first N usable images',
                       flag_values=v)
  flags.DEFINE_string('checkpoint', None, 'inference checkpoint, training '
                      'workdir, export or shipped model name (default: the '
                      'shipped photos_v1 model)', flag_values=v)
  cli.define_inference(v)
  flags.DEFINE_integer('size', 256, 'centre-crop and resize to SIZE x SIZE; '
                       '0 = full size', flag_values=v)
  flags.DEFINE_integer('seed', 0, 'seed of the generated masks',
                       flag_values=v)
  flags.DEFINE_string('columns', ','.join(COLUMNS), 'comma-separated: '
                      f'{", ".join(TITLES)}', flag_values=v)
  return v


FLAGS = _define_flags(flags.FlagValues())


def _columns(text: str) -> list[str]:
  columns = [c.strip() for c in text.split(',') if c.strip()]
  unknown = [c for c in columns if c not in TITLES]
  if unknown or not columns or len(set(columns)) != len(columns):
    _usage_error(f'--columns: need distinct names from {",".join(TITLES)}, '
                 f'got {text!r}')
  return columns


def _source(args: flags.FlagValues) -> eval_masks.MaskSource:
  if ',' in args.masks:
    _usage_error('--masks: one mask type or folder')
  try:
    return eval_masks.mask_sources([args.masks],
                                   default_config.get_config().masks,
                                   args.seed)[0]
  except ValueError as e:
    _usage_error(str(e))


def load_rows(images: str, source: eval_masks.MaskSource, size: int,
              num: int, log: Callable[[str], None]) -> list[Row]:
  """The first `num` images of the folder with a usable hole.

  Raises:
    ValueError, FileNotFoundError: no folder or no usable image.
  """
  root = os.path.abspath(images)
  rows = []
  for path in image_io.list_images(root):
    name = os.path.relpath(path, root).replace(os.sep, '/')
    try:
      original, image = eval_masks.load_image(path, size,
                                              source.needs_full_decode)
      hole = eval_masks.load_hole(source, name, original, image, size)
    except ValueError as e:
      log(f'skipped: {e}')
      continue
    rows.append(Row(name, image, hole))
    if len(rows) == num:
      break
  if not rows:
    raise ValueError(f'{root}: no image with a usable {source.label} mask.')
  return rows


def inpaint(model: batching.Model, rows: Sequence[Row],
            log: Callable[[str], None]) -> list[np.ndarray]:
  """The model's (composited) result of every row.

  Raises:
    ValueError: the model failed on an image.
  """
  outputs = [None] * len(rows)
  for batch in batching.inpaint_many(
      model, [(i, r.image.shape[:2]) for i, r in enumerate(rows)],
      lambda i: (rows[i].image, rows[i].hole), log=log):
    for i, out, err in zip(batch.keys, batch.outputs, batch.errors):
      if err is not None:
        raise ValueError(f'{rows[i].name}: the model failed: '
                         f'{batching.first_line(err)}')
      outputs[i] = out
  return outputs


def tiles(rows: Sequence[Row], columns: Sequence[str],
          ours: Sequence[np.ndarray] | None) -> list[list[np.ndarray]]:
  """Per row, the image of every column."""
  grid = []
  for i, row in enumerate(rows):
    cells = []
    for column in columns:
      if column == 'input':
        cells.append(strips.hole_white(row.image, row.hole))
      elif column == 'original':
        cells.append(row.image)
      elif column == OURS:
        cells.append(ours[i])
      else:
        cells.append(evaluation.BASELINE_FNS[column](row.image, row.hole))
    grid.append(cells)
  return grid


def compose(grid: Sequence[Sequence[np.ndarray]],
            titles: Sequence[str]) -> np.ndarray:
  """The figure: a title row, then the tiles at 100% in a white grid.

  Columns are as wide as their widest tile, rows as high as their highest;
  tiles sit at the top left of their cell, `SEPARATOR` px apart.
  """
  widths = [max(row[c].shape[1] for row in grid) for c in range(len(titles))]
  heights = [max(tile.shape[0] for tile in row) for row in grid]
  lefts = np.cumsum([0] + [w + SEPARATOR for w in widths])
  tops = HEADER + SEPARATOR + np.cumsum([0] + [h + SEPARATOR
                                               for h in heights])
  figure = np.full((tops[-1] - SEPARATOR, lefts[-1] - SEPARATOR, 3), 255,
                   np.uint8)
  font = ImageFont.load_default()
  for c, title in enumerate(titles):
    strip = Image.new('RGB', (widths[c], HEADER), (255, 255, 255))
    ImageDraw.Draw(strip).text((2, 2), title, fill=(0, 0, 0), font=font)
    figure[:HEADER, lefts[c]:lefts[c] + widths[c]] = np.asarray(strip)
  for r, row in enumerate(grid):
    for c, tile in enumerate(row):
      h, w = tile.shape[:2]
      figure[tops[r]:tops[r] + h, lefts[c]:lefts[c] + w] = tile
  return figure


def main(argv: Sequence[str] | None = None) -> int:
  """CLI entry point; returns the exit status."""
  args = cli.parse(FLAGS, argv, PROG, DESCRIPTION)
  columns = _columns(args.columns)
  if args.num < 1:
    _usage_error('--num must be >= 1')
  if args.size < 0 or 0 < args.size < eval_masks.MIN_SIDE:
    _usage_error(f'--size: use 0 (full size) or >= {eval_masks.MIN_SIDE}')
  if os.path.splitext(args.output)[1].lower() != '.png':
    _usage_error('--output must be a .png file')
  source = _source(args)
  log = lambda msg: print(msg, file=sys.stderr)
  wanted = [c for c in columns if c in evaluation.BASELINE_FNS]
  runnable, notes = evaluation.missing_extras(wanted)
  for note in notes:
    log(f'note: {note}')
  columns = [c for c in columns if c not in wanted or c in runnable]
  compilation_cache.enable()  # $DEEPFILL_JAX_CACHE: a folder or 'off'.
  logging.set_verbosity(logging.WARNING)  # Quiet orbax.
  try:
    rows = load_rows(args.images, source, args.size, args.num, log)
    ours = None
    if OURS in columns:
      model = evaluation.load_model(args.checkpoint, two_scale=args.two_scale,
                                    blend=args.blend)
      ours = inpaint(model, rows, log)
    figure = compose(tiles(rows, columns, ours), [TITLES[c] for c in columns])
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    image_io.save_image(args.output, figure)
  except (ValueError, OSError) as e:  # FileNotFoundError is an OSError.
    print(f'error: {e}', file=sys.stderr)
    return 1
  log(f'Wrote {args.output}: {len(rows)} rows x {len(columns)} columns '
      f'({source.label}).')
  return 0


if __name__ == '__main__':
  sys.exit(main())
