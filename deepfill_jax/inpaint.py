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

Masks: a pixel is a hole where the first (red) channel is >= 128 (JPEG noise
and soft edges are thresholded there; a file whose pixels are not near two
levels, e.g. a photo, is refused, `image_io.check_two_levels`; a mask holding
only the values 0 and 1 is an error, see `image_io.MASK_RULE`). Images of any size are accepted; sizes
are grouped so each one compiles once, and each file is decoded once.

Outputs: no output may overwrite an input of the run (image or mask), and no
two jobs may write the same file (e.g. IN/a.jpg and IN/a.png both give
OUT/a.png); such runs stop before anything is written, naming every conflict
(`image_io.check_outputs`). Files are written atomically (a temporary file,
then a rename), so an interrupted run never leaves a truncated result.

Any failure of one image (unreadable file, wrong mask, out of memory, any
runtime error) is one line naming the file; the others are still written.
Exit status: 0 if every image was written, 1 if any failed, 2 for bad
arguments or conflicting outputs.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from typing import Sequence

import numpy as np
from tqdm import tqdm

from deepfill_jax import compilation_cache
from deepfill_jax import image_io
from deepfill_jax import inference
from deepfill_jax import memory

# Pixels per device batch: large images run one at a time.
_BATCH_PIXELS = 1 << 22
# Share of the free memory that dense attention batches may fill.
_MEMORY_FRACTION = 0.8


@dataclasses.dataclass
class Job:
  """One image to inpaint."""
  image: str
  mask: str
  output: str


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
  """Pairs every image under input_dir with its mask by relative name.

  Output names follow `image_io.output_paths` (IN/a/b.jpg -> OUT/a/b.png);
  inputs that would share an output, or outputs that would overwrite an
  input, raise `image_io.OutputConflictError` listing all of them.
  """
  if not os.path.isdir(mask_dir):
    raise ValueError(f'{mask_dir}: mask folder does not exist.')
  root = os.path.abspath(input_dir)
  pairs = [(path, _find_mask(mask_dir, os.path.relpath(path, root)))
           for path in image_io.list_images(root)]
  outputs = image_io.output_paths(pairs, output_dir, '.png', root=root)
  return [Job(image, mask, out) for (image, mask), out in zip(pairs, outputs)]


def check_jobs(jobs: Sequence[Job], extra_outputs: Sequence[str] = ()) -> None:
  """`image_io.check_outputs` for a run: raises before anything is written.

  `extra_outputs` are further files of a single-job run (flow, coarse).
  """
  outputs = [j.output for j in jobs] + list(extra_outputs)
  inputs = [(j.image, j.mask) for j in jobs]
  inputs += [inputs[0]] * len(extra_outputs)
  image_io.check_outputs(outputs, inputs)


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


def _check_exists(job: Job) -> None:
  for path, what in ((job.image, 'image'), (job.mask, 'mask')):
    if not os.path.exists(path):
      _fail(f'{path}: {what} file does not exist.')


def _size_error(job: Job, mask_hw, image_hw) -> None:
  if tuple(mask_hw) != tuple(image_hw):
    _fail(f'{job.mask}: mask size {mask_hw[1]}x{mask_hw[0]} differs from '
          f'image size {image_hw[1]}x{image_hw[0]} ({job.image}).')


def check_job(job: Job) -> tuple[int, int]:
  """Checks a job from the file headers only (no decoding); returns (H, W)."""
  _check_exists(job)
  hw = image_io.image_size(job.image)
  _size_error(job, image_io.image_size(job.mask), hw)
  return hw


def check_memory(inpainter: inference.Inpainter, job: Job,
                 hw: tuple[int, int]) -> None:
  """Refuses (ValueError naming the file) an image too large to inpaint at
  once, from its size alone; with `--context` the windows are checked.
  Dense attention is left to `fit_attention` (it falls back to 'auto')."""
  if inpainter.context:
    return
  try:
    inpainter.check_memory(hw, dense=False)
  except memory.MemoryLimitError as e:
    raise ValueError(f'{job.image}: {e}') from e


def load_job(job: Job) -> tuple[np.ndarray, np.ndarray]:
  """Decodes and checks a job's image and mask (one-line ValueErrors)."""
  _check_exists(job)
  image = image_io.load_image(job.image)
  mask = image_io.load_mask(job.mask)
  _size_error(job, mask.shape, image.shape[:2])
  return image, mask


def _batch_size(shape: tuple[int, int], limit: int) -> int:
  hgt, wid = inference.padded_size(shape)
  return max(1, min(limit, _BATCH_PIXELS // (hgt * wid)))


def _first_line(e: BaseException) -> str:
  text = str(e).strip()
  return f'{type(e).__name__}: {text.splitlines()[0]}' if text else (
      type(e).__name__)


def fit_attention(inpainter: inference.Inpainter, shape: tuple[int, int],
                  limit: int, log=print) -> tuple[inference.Inpainter, int]:
  """(inpainter, batch size) for images of `shape` that fit in memory.

  'dense' attention needs `inference.dense_attention_bytes` per image: the
  batch is cut to what the free memory holds, and if not even one image
  fits, these images use 'auto' (same results, less memory) with a note.
  """
  if inpainter.attention != 'dense':
    return inpainter, limit
  need, free = inference.dense_attention_bytes(shape), (
      inference.available_memory())
  if free is None:
    return inpainter, limit
  fits = int(free * _MEMORY_FRACTION) // need
  if fits >= 1:
    return inpainter, min(limit, fits)
  log(f'note: {shape[1]}x{shape[0]} images: dense attention needs '
      f'{need / 2**30:.1f} GiB per image, {free / 2**30:.1f} GiB are free; '
      "using --attention=auto for them (same results, less memory).")
  return inference.Inpainter(inpainter.generator, attention='auto',
                             tile=inpainter.tile,
                             max_pixels=inpainter.max_pixels,
                             context=inpainter.context), limit


class _Runner:
  """Inpaints checked jobs chunk by chunk; every failure is one log line."""

  def __init__(self, log):
    self.log = log
    self.failed = 0

  def report(self, err: Exception | str) -> None:
    self.failed += 1
    self.log(f'error: {err}')

  def save(self, job: Job, image: np.ndarray) -> None:
    try:
      check_writable_dir(os.path.dirname(job.output))
      image_io.save_image(job.output, image)
    except ValueError as e:
      self.report(e)

  def decode(self, job: Job):
    """(image, holes) of a job to inpaint, or None (written or failed)."""
    try:
      image, mask = load_job(job)
    except ValueError as e:
      self.report(e)
      return None
    if not mask.any():  # Nothing to inpaint: the input is the result.
      self.log(f'note: {job.mask}: the mask has no hole; writing the input.')
      self.save(job, image)
      return None
    if mask.all():
      self.log(f'warning: {job.mask}: the mask covers the whole image; there '
               'is no context to inpaint from.')
    return image, mask

  def run(self, inpainter: inference.Inpainter, chunk: list[Job],
          images: list[np.ndarray], masks: list[np.ndarray], limit: int,
          sizes) -> None:
    """Inpaints one chunk padded to `limit` items; failures one line each."""
    pad = limit - len(chunk)
    try:
      if inpainter.context:  # Window by window, one image at a time.
        outs = [inpainter(im, m) for im, m in zip(images, masks)]
      else:
        outs = inpainter.inpaint_batch(images + images[-1:] * pad,
                                       masks + masks[-1:] * pad, sizes=sizes)
    except Exception as e:  # pylint: disable=broad-except
      if len(chunk) == 1 and isinstance(e, memory.MemoryLimitError):
        self.report(f'{chunk[0].image}: {e}')
        return
      if len(chunk) == 1:
        self.report(f'{chunk[0].image}: inpainting failed ({_first_line(e)}).')
        return
      self.log(f'note: a batch of {len(chunk)} failed ({_first_line(e)}); '
               'retrying its images one at a time.')
      for job, image, mask in zip(chunk, images, masks):
        self.run(inpainter, [job], [image], [mask], 1, None)
      return
    for job, out in zip(chunk, outs):
      self.save(job, out)


def run_jobs(inpainter: inference.Inpainter, jobs: list[Job], *,
             batch_size: int = 8, progress: bool = True,
             log=print) -> int:
  """Inpaints every job; reports bad ones via `log`. Returns #failures.

  Pass 1 reads only file headers, to check sizes and group the jobs by size.
  Pass 2 decodes each image and mask once, chunk by chunk, and runs each size
  in fixed-size batches (one compile per size unless a later mask needs
  larger crops).
  """
  runner = _Runner(log)
  groups: dict[tuple[int, int], list[Job]] = {}
  for job in tqdm(jobs, desc='checking', unit='img', disable=not progress,
                  leave=False):
    try:
      hw = check_job(job)
      check_memory(inpainter, job, hw)
      groups.setdefault(hw, []).append(job)
    except ValueError as e:
      runner.report(e)
  bar = tqdm(total=sum(len(g) for g in groups.values()), desc='inpainting',
             unit='img', disable=not progress)
  for shape, group in groups.items():
    model, limit = fit_attention(
        inpainter, shape, min(_batch_size(shape, batch_size), len(group)), log)
    limit = 1 if model.context else limit
    sizes = None
    for start in range(0, len(group), limit):
      chunk, images, masks = [], [], []
      for job in group[start:start + limit]:
        item = runner.decode(job)
        if item is not None:
          chunk.append(job)
          images.append(item[0])
          masks.append(item[1])
      if chunk:
        if model.attention == 'auto' and not model.context:
          sizes = model.plan_sizes(masks, sizes)
        runner.run(model, chunk, images, masks, limit, sizes)
      bar.update(len(group[start:start + limit]))
  bar.close()
  return runner.failed


def _parser() -> argparse.ArgumentParser:
  p = argparse.ArgumentParser(
      prog='python -m deepfill_jax.inpaint',
      description='Inpaint images with a DeepFill v1 generator.')
  p.add_argument('--checkpoint', required=True,
                 help='inference checkpoint dir or training workdir')
  p.add_argument('--step', type=int, default=None,
                 help='workdir step to load (default: latest)')
  p.add_argument('--image', help='input image (single-image mode)')
  p.add_argument('--mask', help='mask image, hole where red >= 128')
  p.add_argument('--output', help='output image')
  p.add_argument('--flow', help='also write the attention flow image')
  p.add_argument('--coarse', help='also write the coarse (stage-1) result')
  p.add_argument('--flist', help='file of "input mask output" lines')
  p.add_argument('--input_dir', help='folder of input images')
  p.add_argument('--mask_dir', help='folder of masks (same relative names)')
  p.add_argument('--output_dir', help='folder for the results (PNG)')
  p.add_argument('--attention', choices=inference.ATTENTION_MODES,
                 default='auto', help='attention implementation')
  p.add_argument('--max_pixels', type=int,
                 default=memory.DEFAULT_MAX_PIXELS,
                 help='largest image (H * W) inpainted at once; larger ones, '
                 'or ones whose estimated memory exceeds the free memory, are '
                 'refused before any work (0: no pixel limit)')
  p.add_argument('--context', type=int, default=None, metavar='PIXELS',
                 help='inpaint each group of holes in a window of PIXELS '
                 'around it, not the whole image (huge photos; the attention '
                 'copies only from the window, see docs/inference.md)')
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
  if args.max_pixels < 0 or (args.context is not None and args.context < 1):
    parser.error('--max_pixels must be >= 0 and --context >= 1')
  return modes[0]


def _run_single(args, log) -> int:
  """Single-image mode; returns the exit status."""
  job = Job(args.image, args.mask, args.output)
  inpainter = _load(args)
  check_memory(inpainter, job, check_job(job))  # Before decoding.
  image, mask = load_job(job)
  inpainter, _ = fit_attention(inpainter, image.shape[:2], 1, log)
  if not mask.any():
    log(f'note: {args.mask}: the mask has no hole; writing the input.')
  elif mask.all():
    log(f'warning: {args.mask}: the mask covers the whole image; there is no '
        'context to inpaint from.')
  try:
    res = inpainter(image, mask, return_flow=bool(args.flow),
                    return_coarse=bool(args.coarse))
  except memory.MemoryLimitError as e:
    log(f'error: {args.image}: {e}')
    return 1
  except Exception as e:  # pylint: disable=broad-except
    log(f'error: {args.image}: inpainting failed ({_first_line(e)}).')
    return 1
  if isinstance(res, inference.InpaintResult):
    for path, img in ((args.flow, res.flow), (args.coarse, res.coarse)):
      if path:
        image_io.save_image(path, img)
    res = res.image
  image_io.save_image(args.output, res)
  return 0


def _load(args) -> inference.Inpainter:
  return inference.Inpainter.from_checkpoint(
      args.checkpoint, step=args.step, attention=args.attention,
      max_pixels=args.max_pixels or None, context=args.context)


def main(argv: Sequence[str] | None = None) -> int:
  """CLI entry point; returns the exit status."""
  parser = _parser()
  args = parser.parse_args(argv)
  mode = _mode(args, parser)
  compilation_cache.enable()  # $DEEPFILL_JAX_CACHE: a folder or 'off'.
  log = lambda msg: tqdm.write(msg, file=sys.stderr)
  try:
    if mode == 'single':
      check_jobs([Job(args.image, args.mask, args.output)],
                 [p for p in (args.flow, args.coarse) if p])
      for path in (args.output, args.flow, args.coarse):
        if path:
          check_writable_dir(os.path.dirname(path))
      return _run_single(args, log)
    if mode == 'flist':
      jobs, errors = jobs_from_flist(args.flist)
    else:
      check_writable_dir(args.output_dir)
      jobs, errors = jobs_from_dirs(args.input_dir, args.mask_dir,
                                    args.output_dir), []
    check_jobs(jobs)
    inpainter = _load(args)
  except image_io.OutputConflictError as e:
    for problem in e.problems:
      print(f'error: {problem}', file=sys.stderr)
    print('error: nothing was written; choose other output names.',
          file=sys.stderr)
    return 2
  except (ValueError, FileNotFoundError, FileExistsError) as e:
    print(f'error: {e}', file=sys.stderr)
    return 1
  for err in errors:
    print(f'error: {err}', file=sys.stderr)
  failed = len(errors) + run_jobs(inpainter, jobs,
                                  batch_size=args.batch_size,
                                  progress=not args.no_progress, log=log)
  total = len(jobs) + len(errors)
  print(f'inpainted {total - failed} of {total} images, {failed} failed.',
        file=sys.stderr)
  return 1 if failed else 0


if __name__ == '__main__':
  sys.exit(main())
