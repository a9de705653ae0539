# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Command-line inpainting with a trained generator.

Single image:
  python -m deepfill_jax.inpaint --checkpoint DIR --image in.png \
      --mask mask.png --output out.png [--flow flow.png] [--coarse c.png]

Batches (a progress bar, a summary, bad items reported and skipped):
  python -m deepfill_jax.inpaint --checkpoint DIR --flist FILE
      FILE lines: "input mask output" (the original's batch-test format);
      blank lines and lines starting with '#' are ignored.
  python -m deepfill_jax.inpaint --checkpoint DIR --input_dir IN \
      --mask_dir MASKS --output_dir OUT
      The mask of IN/a/b.jpg is MASKS/a/b.<any image suffix>; the result is
      written to OUT/a/b.png.

Masks: a pixel is a hole where the first channel is > 127.5 (a non-binary mask
is thresholded there). Images of any size are accepted; sizes are grouped so
each one compiles once. Exit status: 0 if every image was written, 1 if any
failed, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from typing import Sequence

import numpy as np
from tqdm import tqdm

from deepfill_jax import image_io
from deepfill_jax import inference

# Pixels per device batch: large images run one at a time.
_BATCH_PIXELS = 1 << 22


@dataclasses.dataclass
class Job:
  """One image to inpaint."""
  image: str
  mask: str
  output: str
  shape: tuple[int, int] | None = None  # Set once the inputs were checked.
  has_hole: bool = True


def _fail(msg: str) -> None:
  raise ValueError(msg)


def jobs_from_flist(path: str) -> tuple[list[Job], list[str]]:
  """Parses "input mask output" lines; returns (jobs, errors)."""
  try:
    with open(path) as f:
      lines = f.read().splitlines()
  except OSError as e:
    raise ValueError(f'{path}: cannot read file list ({e.strerror}).') from e
  jobs, errors = [], []
  for num, line in enumerate(lines, 1):
    parts = line.split()
    if not parts or parts[0].startswith('#'):
      continue
    if len(parts) != 3:
      errors.append(f'{path}:{num}: expected "input mask output", got '
                    f'{len(parts)} field(s).')
      continue
    jobs.append(Job(*parts))
  if not jobs and not errors:
    raise ValueError(f'{path}: the file list is empty.')
  return jobs, errors


def _find_mask(mask_dir: str, rel: str) -> str:
  """MASK_DIR/rel if it exists, else MASK_DIR/<rel stem>.<image suffix>."""
  exact = os.path.join(mask_dir, rel)
  if os.path.isfile(exact):
    return exact
  stem = os.path.splitext(exact)[0]
  for ext in image_io.IMAGE_EXTENSIONS:
    for cand in (stem + ext, stem + ext.upper()):
      if os.path.isfile(cand):
        return cand
  return exact  # Missing: reported when the job is checked.


def jobs_from_dirs(input_dir: str, mask_dir: str,
                   output_dir: str) -> list[Job]:
  """Pairs every image under input_dir with its mask by relative name."""
  if not os.path.isdir(mask_dir):
    raise ValueError(f'{mask_dir}: mask folder does not exist.')
  root = os.path.abspath(input_dir)
  jobs = []
  for path in image_io.list_images(root):
    rel = os.path.relpath(path, root)
    out = os.path.join(output_dir, os.path.splitext(rel)[0] + '.png')
    jobs.append(Job(path, _find_mask(mask_dir, rel), out))
  return jobs


def check_writable_dir(path: str) -> None:
  """Creates `path` if needed; ValueError if it cannot be written."""
  path = path or '.'
  try:
    os.makedirs(path, exist_ok=True)
  except OSError as e:
    raise ValueError(f'{path}: cannot create output directory '
                     f'({e.strerror}).') from e
  if not os.access(path, os.W_OK | os.X_OK):
    raise ValueError(f'{path}: output directory is not writable.')


def load_job(job: Job) -> tuple[np.ndarray, np.ndarray]:
  """Reads and checks a job's image and mask (one-line ValueErrors)."""
  for path, what in ((job.image, 'image'), (job.mask, 'mask')):
    if not os.path.exists(path):
      _fail(f'{path}: {what} file does not exist.')
  image = image_io.load_image(job.image)
  mask = image_io.load_mask(job.mask)
  if mask.shape != image.shape[:2]:
    _fail(f'{job.mask}: mask size {mask.shape[1]}x{mask.shape[0]} differs '
          f'from image size {image.shape[1]}x{image.shape[0]} '
          f'({job.image}).')
  return image, mask


def _batch_size(shape: tuple[int, int], limit: int) -> int:
  hgt, wid = inference.padded_size(shape)
  return max(1, min(limit, _BATCH_PIXELS // (hgt * wid)))


def run_jobs(inpainter: inference.Inpainter, jobs: list[Job], *,
             batch_size: int = 8, progress: bool = True,
             log=print) -> int:
  """Inpaints every job; reports bad ones via `log`. Returns #failures."""
  failed = 0

  def report(err):
    nonlocal failed
    failed += 1
    log(f'error: {err}')

  # Pass 1: check inputs, group by size and plan one crop shape per size.
  groups: dict[tuple[int, int], list[Job]] = {}
  sizes: dict[tuple[int, int], tuple] = {}
  for job in tqdm(jobs, desc='checking', unit='img', disable=not progress,
                  leave=False):
    try:
      image, mask = load_job(job)
    except ValueError as e:
      report(e)
      continue
    job.shape, job.has_hole = image.shape[:2], bool(mask.any())
    if mask.all():
      log(f'warning: {job.mask}: the mask covers the whole image; there is '
          'no context to inpaint from.')
    groups.setdefault(job.shape, []).append(job)
    if job.has_hole and inpainter.attention == 'auto':
      sizes[job.shape] = inpainter.plan_sizes([mask], sizes.get(job.shape))
  # Pass 2: run each size group in fixed-size batches (one compile each).
  bar = tqdm(total=sum(len(g) for g in groups.values()), desc='inpainting',
             unit='img', disable=not progress)
  for shape, group in groups.items():
    todo = [j for j in group if j.has_hole]
    limit = min(_batch_size(shape, batch_size), max(len(todo), 1))
    for job in group:
      if not job.has_hole:  # Nothing to inpaint: the input is the result.
        log(f'note: {job.mask}: the mask has no hole; writing the input.')
        _save(job, lambda j=job: load_job(j)[0], report)
        bar.update(1)
    for start in range(0, len(todo), limit):
      chunk, images, masks = [], [], []
      for job in todo[start:start + limit]:
        try:
          image, mask = load_job(job)
        except ValueError as e:  # Changed since pass 1.
          report(e)
          continue
        chunk.append(job)
        images.append(image)
        masks.append(mask)
      if chunk:
        # Repeat the last item so every batch has the same (compiled) size.
        pad = limit - len(chunk)
        outs = inpainter.inpaint_batch(images + images[-1:] * pad,
                                       masks + masks[-1:] * pad,
                                       sizes=sizes.get(shape))
        for job, out in zip(chunk, outs):
          _save(job, lambda o=out: o, report)
      bar.update(len(todo[start:start + limit]))
  bar.close()
  return failed


def _save(job: Job, image_fn, report) -> None:
  """Writes `image_fn()` to the job's output; failures go to `report`."""
  try:
    check_writable_dir(os.path.dirname(job.output))
    image_io.save_image(job.output, image_fn())
  except ValueError as e:
    report(e)


def _parser() -> argparse.ArgumentParser:
  p = argparse.ArgumentParser(
      prog='python -m deepfill_jax.inpaint',
      description='Inpaint images with a DeepFill v1 generator.')
  p.add_argument('--checkpoint', required=True,
                 help='inference checkpoint dir or training workdir')
  p.add_argument('--step', type=int, default=None,
                 help='workdir step to load (default: latest)')
  p.add_argument('--image', help='input image (single-image mode)')
  p.add_argument('--mask', help='mask image, white (> 127.5) = hole')
  p.add_argument('--output', help='output image')
  p.add_argument('--flow', help='also write the attention flow image')
  p.add_argument('--coarse', help='also write the coarse (stage-1) result')
  p.add_argument('--flist', help='file of "input mask output" lines')
  p.add_argument('--input_dir', help='folder of input images')
  p.add_argument('--mask_dir', help='folder of masks (same relative names)')
  p.add_argument('--output_dir', help='folder for the results (PNG)')
  p.add_argument('--attention', choices=inference.ATTENTION_MODES,
                 default='auto', help='attention implementation')
  p.add_argument('--batch_size', type=int, default=8,
                 help='images per device batch (fewer for large images)')
  p.add_argument('--no_progress', action='store_true',
                 help='no progress bar')
  return p


def _mode(args, parser) -> str:
  single = [args.image, args.mask, args.output]
  dirs = [args.input_dir, args.mask_dir, args.output_dir]
  modes = [name for name, used in (('single', any(single)),
                                   ('flist', args.flist),
                                   ('dirs', any(dirs))) if used]
  if len(modes) != 1:
    parser.error('give exactly one of --image/--mask/--output, --flist, or '
                 '--input_dir/--mask_dir/--output_dir')
  if modes == ['single'] and not all(single):
    parser.error('--image, --mask and --output are all required')
  if modes == ['dirs'] and not all(dirs):
    parser.error('--input_dir, --mask_dir and --output_dir are all required')
  if modes != ['single'] and (args.flow or args.coarse):
    parser.error('--flow and --coarse are for single-image mode')
  if args.batch_size < 1:
    parser.error('--batch_size must be >= 1')
  return modes[0]


def _run_single(args, image, mask) -> None:
  """Single-image mode; raises ValueError on any problem."""
  inpainter = inference.Inpainter.from_checkpoint(
      args.checkpoint, step=args.step, attention=args.attention)
  if not mask.any():
    print(f'note: {args.mask}: the mask has no hole; writing the input.',
          file=sys.stderr)
  elif mask.all():
    print(f'warning: {args.mask}: the mask covers the whole image; there is '
          'no context to inpaint from.', file=sys.stderr)
  res = inpainter(image, mask, return_flow=bool(args.flow),
                  return_coarse=bool(args.coarse))
  if isinstance(res, inference.InpaintResult):
    for path, img in ((args.flow, res.flow), (args.coarse, res.coarse)):
      if path:
        image_io.save_image(path, img)
    res = res.image
  image_io.save_image(args.output, res)


def main(argv: Sequence[str] | None = None) -> int:
  """CLI entry point; returns the exit status."""
  parser = _parser()
  args = parser.parse_args(argv)
  mode = _mode(args, parser)
  try:
    if mode == 'single':
      outputs = [p for p in (args.output, args.flow, args.coarse) if p]
      for path in outputs:
        check_writable_dir(os.path.dirname(path))
      _run_single(args, *load_job(Job(args.image, args.mask, args.output)))
      return 0
    if mode == 'flist':
      jobs, errors = jobs_from_flist(args.flist)
    else:
      check_writable_dir(args.output_dir)
      jobs, errors = jobs_from_dirs(args.input_dir, args.mask_dir,
                                    args.output_dir), []
    inpainter = inference.Inpainter.from_checkpoint(
        args.checkpoint, step=args.step, attention=args.attention)
  except (ValueError, FileNotFoundError) as e:
    print(f'error: {e}', file=sys.stderr)
    return 1
  for err in errors:
    print(f'error: {err}', file=sys.stderr)
  log = lambda msg: tqdm.write(msg, file=sys.stderr)
  failed = len(errors) + run_jobs(inpainter, jobs,
                                  batch_size=args.batch_size,
                                  progress=not args.no_progress, log=log)
  total = len(jobs) + len(errors)
  print(f'inpainted {total - failed} of {total} images, {failed} failed.',
        file=sys.stderr)
  return 1 if failed else 0


if __name__ == '__main__':
  sys.exit(main())
