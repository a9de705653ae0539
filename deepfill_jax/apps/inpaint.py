# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Command-line inpainting with a trained generator (`deepfill-inpaint`).

  python -m deepfill_jax.apps.inpaint --checkpoint DIR --image in.png
      --mask mask.png --output out.png [--flow f.png] [--coarse c.png]
  ... --flist FILE   ("input mask output [sketch]" lines)
  ... --input_dir IN --mask_dir MASKS --output_dir OUT [--edge_dir SKETCHES]

Masks: hole where the red channel is >= 128 (`image_io.MASK_RULE`). Memory
is checked from each file's header first (`inference.memory`). No output
may overwrite an input; writes are atomic. Exit status: 0 all written, 1 any
image failed, 2 bad arguments or conflicting outputs. See docs/inference.md.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
import time
from typing import Callable, Sequence

from absl import flags
import numpy as np
from PIL import Image
from tqdm import tqdm

from deepfill_jax.inference import batching
from deepfill_jax.apps import cli
from deepfill_jax.utils import compilation_cache
from deepfill_jax.data import image_io
from deepfill_jax.inference import inpainter as inpainter_lib
from deepfill_jax.apps import inpaint_progress as report
from deepfill_jax.inference import memory
from deepfill_jax.inference import working_size


@dataclasses.dataclass
class Job:
  """One image to inpaint (`edge`: its sketch file, if any)."""
  image: str
  mask: str
  output: str
  edge: str | None = None

  def inputs(self) -> list[str]:
    """The files the job reads, in the order of `_INPUTS`."""
    return [self.image, self.mask] + ([self.edge] if self.edge else [])


_INPUTS = ('image', 'mask', 'sketch')  # What `Job.inputs` are, for errors.


def _fail(msg: str) -> None:
  raise ValueError(msg)


def jobs_from_flist(path: str) -> tuple[list[Job], list[str]]:
  """Parses "input mask output [sketch]" lines; returns (jobs, errors)."""
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
    if len(parts) not in (3, 4):
      errors.append(f'{path}:{num}: expected "input mask output" or "input '
                    f'mask output sketch", got {len(parts)} field(s).')
      continue
    jobs.append(Job(*parts))
  if not jobs and not errors:
    raise ValueError(f'{path}: the file list is empty.')
  return jobs, errors


def _find_match(folder: str, rel: str) -> str:
  """FOLDER/rel if it exists, else FOLDER/<rel stem>.<image suffix>."""
  exact = os.path.join(folder, rel)
  if os.path.isfile(exact):
    return exact
  stem = os.path.splitext(exact)[0]
  for ext in image_io.IMAGE_EXTENSIONS:
    for cand in (stem + ext, stem + ext.upper()):
      if os.path.isfile(cand):
        return cand
  return exact  # Missing: reported when the job is checked.


def jobs_from_dirs(input_dir: str, mask_dir: str, output_dir: str,
                   edge_dir: str | None = None) -> list[Job]:
  """Pairs every image under input_dir with its mask (and its sketch under
  `edge_dir`, if given) by relative name.

  Output names follow `image_io.output_paths` (IN/a/b.jpg -> OUT/a/b.png);
  inputs that would share an output, or outputs that would overwrite an
  input, raise `image_io.OutputConflictError` listing all of them.
  """
  for folder, what in ((mask_dir, 'mask'), (edge_dir, 'sketch')):
    if folder is not None and not os.path.isdir(folder):
      raise ValueError(f'{folder}: {what} folder does not exist.')
  root = os.path.abspath(input_dir)
  jobs = []
  for path in image_io.list_images(root):
    rel = os.path.relpath(path, root)
    jobs.append(Job(path, _find_match(mask_dir, rel), '',
                    edge_dir and _find_match(edge_dir, rel)))
  outputs = image_io.output_paths(
      [job.inputs() for job in jobs], output_dir, '.png', root=root)
  return [dataclasses.replace(job, output=out)
          for job, out in zip(jobs, outputs)]


def check_jobs(jobs: Sequence[Job], extra_outputs: Sequence[str] = ()) -> None:
  """`image_io.check_outputs` for a run: raises before anything is written.

  `extra_outputs` are further files of a single-job run (flow, coarse).
  """
  outputs = [j.output for j in jobs] + list(extra_outputs)
  inputs = [j.inputs() for j in jobs]
  inputs += [inputs[0]] * len(extra_outputs)
  image_io.check_outputs(outputs, inputs)


def check_writable_dir(path: str) -> bool:
  """Creates `path` if needed (returns True if it did); ValueError if it
  cannot be written."""
  path = path or '.'
  created = not os.path.isdir(path)
  try:
    os.makedirs(path, exist_ok=True)
  except OSError as e:
    raise ValueError(f'{path}: cannot create output directory '
                     f'({e.strerror}).') from e
  if not os.access(path, os.W_OK | os.X_OK):
    raise ValueError(f'{path}: output directory is not writable.')
  return created


def _check_exists(job: Job) -> None:
  for path, what in zip(job.inputs(), _INPUTS):
    if not os.path.exists(path):
      _fail(f'{path}: {what} file does not exist.')


def _size_error(job: Job, path: str, what: str, hw, image_hw) -> None:
  """Refuses a mask or sketch `path` of size `hw` that misfits its image."""
  if tuple(hw) != tuple(image_hw):
    _fail(f'{path}: {what} size {hw[1]}x{hw[0]} differs from image size '
          f'{image_hw[1]}x{image_hw[0]} ({job.image}).')


def check_job(job: Job) -> tuple[int, int]:
  """Checks a job from the file headers only (no decoding); returns (H, W)."""
  _check_exists(job)
  hw = image_io.image_size(job.image)
  for path, what in zip(job.inputs()[1:], _INPUTS[1:]):
    _size_error(job, path, what, image_io.image_size(path), hw)
  return hw


def check_memory(inpainter: inpainter_lib.Inpainter, job: Job,
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


def load_job(job: Job) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
  """Decodes and checks a job's image, mask and sketch (None without one);
  one-line ValueErrors."""
  _check_exists(job)
  image = image_io.load_image(job.image)
  mask = image_io.load_mask(job.mask)
  _size_error(job, job.mask, 'mask', mask.shape, image.shape[:2])
  edge = None
  if job.edge:
    edge = image_io.load_image(job.edge)
    _size_error(job, job.edge, 'sketch', edge.shape[:2], image.shape[:2])
    edge = image_io.as_edge(edge, image.shape[:2], job.edge)
  return image, mask, edge


class _Runner:
  """Inpaints checked jobs chunk by chunk; every failure is one log line."""

  def __init__(self, log, note=None):
    self.log = log
    self.note = note or log
    self.failed = 0

  def report(self, err: Exception | str) -> None:
    self.failed += 1
    self.log(f'error: {err}')

  def save(self, job: Job, image: np.ndarray) -> None:
    try:
      folder = os.path.dirname(job.output)
      if check_writable_dir(folder):
        self.note(f'created folder {folder}')
      image_io.save_image(job.output, image)
    except ValueError as e:
      self.report(e)

  def decode(self, job: Job):
    """(image, holes, sketch or None) of a job to inpaint, or None (written
    or failed)."""
    try:
      image, mask, edge = load_job(job)
    except ValueError as e:
      self.report(e)
      return None
    if not mask.any():  # Nothing to inpaint: the input is the result.
      self.note(f'note: {job.mask}: the mask has no hole; writing the input.')
      self.save(job, image)
      return None
    if mask.all():
      self.log(f'warning: {job.mask}: the mask covers the whole image; there '
               'is no context to inpaint from.')
    return image, mask, edge


def run_jobs(inpainter: inpainter_lib.Inpainter, jobs: list[Job], *,
             batch_size: int = 8, progress: bool = True,
             log=print, note=None) -> int:
  """Inpaints every job; reports bad ones via `log` (notes, e.g. a created
  folder, via `note`; default `log`). Returns #failures.

  Pass 1 reads only file headers, to check sizes and group the jobs by size.
  Pass 2 decodes each image and mask once, chunk by chunk, and runs each size
  in fixed-size batches (one compile per size unless a later mask needs
  larger crops).
  """
  runner = _Runner(log, note)
  items = []
  for job in tqdm(jobs, desc='checking', unit='img', disable=not progress,
                  leave=False):
    try:
      hw = check_job(job)
      check_memory(inpainter, job, hw)
      items.append((job, hw))
    except ValueError as e:
      runner.report(e)
  with tqdm(total=len(items), desc='inpainting', unit='img',
            disable=not progress) as bar:
    for batch in inpainter.inpaint_many(items, runner.decode,
                                        batch_size=batch_size, log=log,
                                        progress=bar.update):
      for job, out, err in zip(batch.keys, batch.outputs, batch.errors):
        if isinstance(err, memory.MemoryLimitError):
          runner.report(f'{job.image}: {err}')
        elif err is not None:
          runner.report(f'{job.image}: inpainting failed '
                        f'({batching.first_line(err)}).')
        else:
          runner.save(job, out)
  return runner.failed


PROG = 'deepfill-inpaint'
DESCRIPTION = 'Inpaint images with a DeepFill v1 or v2 generator.'
_usage_error = functools.partial(cli.usage_error, PROG)


def _working_size_ok(text: str) -> bool:
  try:
    working_size.parse(text)
  except ValueError:
    return False
  return True


def _define_working_size(values: flags.FlagValues) -> None:
  """`--working_size`, as `Inpainter(working_size=...)` takes it."""
  flags.DEFINE_string(
      'working_size', 'auto', "'auto': inpaint a shrunk copy where the holes "
      'are wide for the network, around the holes only, and restore the '
      "full-size detail; N: shrink to a longest side of at most N px; "
      "'full': the whole image at its size (slow on large photos)",
      flag_values=values)
  flags.register_validator(
      'working_size', _working_size_ok, flag_values=values,
      message="must be 'auto', 'full' or a longest side in pixels >= "
      f'{working_size.QUANTUM}')


def _define_flags(v: flags.FlagValues) -> flags.FlagValues:
  """The tool's flags, on `v`."""
  flags.DEFINE_string('checkpoint', None, 'inference checkpoint dir, training '
                      'workdir or shipped model name (default: the shipped '
                      'photos_v1 model)', flag_values=v)
  flags.DEFINE_integer('step', None, 'workdir step to load (default: latest)',
                       flag_values=v)
  for name, text in (('image', 'input image (single-image mode)'),
                     ('mask', 'mask image, hole where red >= 128'),
                     ('output', 'output image'),
                     ('flow', 'also write the attention flow image'),
                     ('coarse', 'also write the coarse (stage-1) result'),
                     ('edge', 'sketch image for a sketch-guided v2 '
                      'checkpoint (edge where the first channel / 255 > 0.6)'),
                     ('flist', 'file of "input mask output" lines (or "input '
                      'mask output sketch")'),
                     ('input_dir', 'folder of input images'),
                     ('mask_dir', 'folder of masks (same relative names)'),
                     ('edge_dir', 'folder of sketches for a sketch-guided v2 '
                      'checkpoint (same relative names; with --input_dir)'),
                     ('output_dir', 'folder for the results (PNG)')):
    flags.DEFINE_string(name, None, text, flag_values=v)
  flags.DEFINE_enum('attention', 'auto', list(inpainter_lib.ATTENTION_MODES),
                    'attention implementation', flag_values=v)
  flags.DEFINE_integer('max_pixels', memory.DEFAULT_MAX_PIXELS,
                       'largest pass (H * W) run at once; with two-scale '
                       'inference the 2x pass has 4x the image\'s pixels, so '
                       'images up to a quarter of this fit. Larger ones, or '
                       'ones whose estimated memory exceeds the free memory, '
                       'are refused before any work (0: no pixel limit)',
                       flag_values=v)
  flags.DEFINE_integer('context', None, 'inpaint each group of holes in a '
                       'window of this many pixels around it, not the whole '
                       'image (huge photos; the attention copies only from '
                       'the window, see docs/inference.md)', flag_values=v)
  cli.define_inference(v)
  _define_working_size(v)
  flags.DEFINE_integer('batch_size', 8, 'images per device batch (fewer for '
                       'large images)', flag_values=v)
  flags.DEFINE_bool('no_progress', False, 'no progress bar', flag_values=v)
  flags.DEFINE_bool('quiet', False, 'print errors and warnings only: no '
                    'announcement, progress bar, notes or summary',
                    flag_values=v)
  return v


FLAGS = _define_flags(flags.FlagValues())


def _mode(args: flags.FlagValues) -> str:
  single = [args.image, args.mask, args.output]
  dirs = [args.input_dir, args.mask_dir, args.output_dir]
  modes = [name for name, used in (('single', any(single)),
                                   ('flist', args.flist),
                                   ('dirs', any(dirs))) if used]
  if len(modes) != 1:
    _usage_error('give exactly one of --image/--mask/--output, --flist, or '
                 '--input_dir/--mask_dir/--output_dir')
  if modes == ['single'] and not all(single):
    _usage_error('--image, --mask and --output are all required')
  if modes == ['dirs'] and not all(dirs):
    _usage_error('--input_dir, --mask_dir and --output_dir are all required')
  if modes != ['single'] and (args.flow or args.coarse or args.edge):
    _usage_error('--flow, --coarse and --edge are for single-image mode '
                 '(sketches of a batch: --edge_dir, or a fourth --flist '
                 'field)')
  if modes != ['dirs'] and args.edge_dir:
    _usage_error('--edge_dir goes with --input_dir/--mask_dir/--output_dir '
                 '(single image: --edge; --flist: a fourth field)')
  if args.batch_size < 1:
    _usage_error('--batch_size must be >= 1')
  if args.max_pixels < 0 or (args.context is not None and args.context < 1):
    _usage_error('--max_pixels must be >= 0 and --context >= 1')
  return modes[0]


def _run_single(args, log, note: Callable[[str], None],
                start: float) -> int:
  """Single-image mode; returns the exit status."""
  job = Job(args.image, args.mask, args.output, args.edge)
  inpainter = _load(args, [job])
  check_memory(inpainter, job, check_job(job))  # Before decoding.
  image, mask, edge = load_job(job)
  inpainter, _ = batching.fit_attention(inpainter, image.shape[:2], 1, log)
  needs, seconds = [], 0.
  if not mask.any():
    note(f'note: {args.mask}: the mask has no hole; writing the input.')
  else:
    if mask.all():
      log(f'warning: {args.mask}: the mask covers the whole image; there is '
          'no context to inpaint from.')
    line, needs, seconds = report.plan_single(inpainter, args.image, mask)
    note(line)
  show = not args.quiet and not args.no_progress and (
      seconds is None or seconds >= report.PROGRESS_SECONDS)
  bar, done = report.progress_bar(needs, show)
  try:
    with bar, inpainter_lib.pass_progress(done):
      res = inpainter.outputs(image, mask, return_flow=bool(args.flow),
                              return_coarse=bool(args.coarse), edge=edge)
  except memory.MemoryLimitError as e:
    log(f'error: {args.image}: {e}')
    return 1
  except Exception as e:  # pylint: disable=broad-except
    log(f'error: {args.image}: inpainting failed '
        f'({batching.first_line(e)}).')
    return 1
  for path, img in ((args.flow, res.flow), (args.coarse, res.coarse)):
    if path:
      image_io.save_image(path, img)
  image_io.save_image(args.output, res.image)
  note(f'wrote {args.output} in {report.summary(start)}.')
  return 0


def _load(args, jobs: Sequence[Job]) -> inpainter_lib.Inpainter:
  """The inpainter the flags ask for; a ValueError if `jobs` have sketches
  and its generator takes none (one line for the run, not one per image)."""
  inpainter = inpainter_lib.Inpainter.from_checkpoint(
      args.checkpoint, step=args.step, attention=args.attention,
      max_pixels=args.max_pixels or None, context=args.context,
      two_scale=args.two_scale, blend=args.blend,
      working_size=working_size.parse(args.working_size))
  if any(job.edge for job in jobs) and not inpainter.generator.guided:
    raise ValueError(f'{args.checkpoint or "the shipped model"}: sketches '
                     '(--edge, --edge_dir, a fourth --flist field) need a '
                     'sketch-guided DeepFill v2 checkpoint; this one has '
                     'guided=False.')
  return inpainter


def main(argv: Sequence[str] | None = None) -> int:
  """CLI entry point; returns the exit status."""
  start = time.perf_counter()
  args = cli.parse(FLAGS, argv, PROG, DESCRIPTION)
  mode = _mode(args)
  compilation_cache.enable()  # $DEEPFILL_JAX_CACHE: a folder or 'off'.
  # Sizes are checked from the headers against `--max_pixels` and the free
  # memory (`check_memory`); PIL's own decompression-bomb limit would refuse
  # what they allow with a message naming no flag.
  Image.MAX_IMAGE_PIXELS = None
  log = lambda msg: tqdm.write(msg, file=sys.stderr)
  note = (lambda msg: None) if args.quiet else log
  try:
    if mode == 'single':
      check_jobs([Job(args.image, args.mask, args.output, args.edge)],
                 [p for p in (args.flow, args.coarse) if p])
      for path in (args.output, args.flow, args.coarse):
        if path and check_writable_dir(os.path.dirname(path)):
          note(f'created folder {os.path.dirname(path)}')
      return _run_single(args, log, note, start)
    if mode == 'flist':
      jobs, errors = jobs_from_flist(args.flist)
    else:
      if check_writable_dir(args.output_dir):
        note(f'created folder {args.output_dir}')
      jobs, errors = jobs_from_dirs(args.input_dir, args.mask_dir,
                                    args.output_dir, args.edge_dir), []
    check_jobs(jobs)
    inpainter = _load(args, jobs)
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
  failed = len(errors) + run_jobs(
      inpainter, jobs, batch_size=args.batch_size,
      progress=not (args.no_progress or args.quiet), log=log, note=note)
  total = len(jobs) + len(errors)
  note(f'inpainted {total - failed} of {total} images, {failed} failed. '
       f'Took {report.summary(start)}.')
  return 1 if failed else 0


def run() -> None:
  """Console script `deepfill-inpaint`."""
  sys.exit(main())


if __name__ == '__main__':
  run()
