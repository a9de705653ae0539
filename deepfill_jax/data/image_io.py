# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Images, masks and output files, shared by training and inference.

* Reading: every reader returns RGB (grey, palette, CMYK, 16-bit and RGBA
  files are converted; alpha is dropped, as `cv2.imread` did in the
  original), applies the EXIF orientation so pixels match what viewers show,
  and turns any failure into a one-line `ValueError` that names the file.
* Masks: one convention for every entry point (`MASK_RULE`, `hole_mask`).
* Writing: `save_image` writes atomically (`files.write_atomic`);
  `output_paths` / `check_outputs` name outputs and refuse runs that would
  overwrite an input or write one file twice.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
from typing import Any, Iterator, Sequence

import numpy as np
from PIL import Image
from PIL import ImageOps

from deepfill_jax.utils import files

# File types found by `list_images` (lower case; matched case-insensitively).
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.webp', '.bmp')
_EXIF_ORIENTATION = 0x0112


def list_images(root: str,
                extensions: Sequence[str] = IMAGE_EXTENSIONS) -> list[str]:
  """All image files under `root` (recursive), sorted for a stable order.

  Args:
    root: directory to scan.
    extensions: accepted file suffixes, lower case with the dot.

  Returns:
    Sorted absolute paths.

  Raises:
    FileNotFoundError: `root` is empty or not a directory.
    ValueError: no image file was found.
  """
  if not root:
    raise FileNotFoundError('No image folder given (empty path).')
  root = os.path.abspath(os.path.expanduser(root))
  if not os.path.isdir(root):
    raise FileNotFoundError(f'{root}: image folder does not exist.')
  paths = []
  for folder, _, names in os.walk(root, followlinks=True):
    paths.extend(os.path.join(folder, n) for n in names
                 if os.path.splitext(n)[1].lower() in extensions)
  if not paths:
    raise ValueError(f'{root}: no images ({", ".join(extensions)}) found.')
  return sorted(paths)


def _to_rgb(img: Image.Image) -> Image.Image:
  """Converts any PIL mode to 8-bit RGB."""
  if img.mode in ('I;16', 'I;16B', 'I;16L', 'I'):
    # 16-bit grey: keep the top 8 bits instead of PIL's clipping to 255.
    grey = np.asarray(img, np.uint32) >> 8
    img = Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8))
  return img if img.mode == 'RGB' else img.convert('RGB')


def open_image(source: str | bytes, name: str | None = None,
               min_size: int | None = None) -> Image.Image:
  """Decodes an image file or encoded bytes into an RGB PIL image.

  Args:
    source: a file path, or the encoded bytes of a PNG/JPEG/... file.
    name: how to call the image in errors (default: the path).
    min_size: JPEG only: decode at the smallest reduced scale (1/2, 1/4, 1/8)
      that keeps both sides >= min_size. Faster when the image is resized
      down anyway; None decodes at full resolution.

  Returns:
    A fully decoded, EXIF-oriented PIL image in mode 'RGB'.

  Raises:
    ValueError: the file is missing, unreadable, truncated or not an image.
  """
  if name is None:
    name = source if isinstance(source, str) else '<bytes>'
  try:
    fp = io.BytesIO(source) if isinstance(source, bytes) else source
    with Image.open(fp) as img:
      if min_size:
        img.draft('RGB', (min_size, min_size))
      img.load()  # Decode now, so truncated files fail here.
      ImageOps.exif_transpose(img, in_place=True)
      img = _to_rgb(img)
  except Exception as e:  # pylint: disable=broad-except
    raise ValueError(f'{name}: cannot read image ({first_line(e)}).') from e
  if img.width == 0 or img.height == 0:
    raise ValueError(f'{name}: image is empty ({img.width}x{img.height}).')
  return img


def load_image(path: str) -> np.ndarray:
  """Reads an image file as uint8 RGB [H, W, 3]; `ValueError` on failure."""
  return np.asarray(open_image(path))


# The one mask convention of every entry point (Python API, CLI, exported
# functions, training folder masks); see `hole_mask`.
MASK_RULE = ('a mask is bool (True = hole), uint8 0..255 (hole where >= 128, '
             'as white = hole in mask images) or float in [0, 1] (hole where '
             '> 0.5)')


def holes_from_values(mask: Any, name: str = 'mask') -> np.ndarray:
  """Applies the mask convention (`MASK_RULE`) to an array of any shape.

  Args:
    mask: bool, integer (0..255) or float ([0, 1]) array; True/high = hole.
    name: how to call the mask in errors.

  Returns:
    bool array of the same shape, True = hole.

  Raises:
    ValueError: values the rule does not cover: NaN, floats outside [0, 1]
      (e.g. a 0/255 mask handed over as float), integers outside 0..255, an
      integer mask holding only 0 and 1 (it would have no hole: pass it as
      bool, or scale it by 255), or a non-numeric dtype.
  """
  mask = np.asarray(mask)
  kind = mask.dtype.kind
  if kind == 'b':
    return mask
  if kind in 'iu':
    if mask.size and (mask.min() < 0 or mask.max() > 255):
      raise ValueError(f'{name}: integer mask values must be in 0..255 (got '
                       f'{mask.min()}..{mask.max()}); {MASK_RULE}.')
    if mask.size and mask.max() == 1:
      raise ValueError(f'{name}: this integer mask holds only 0 and 1, so by '
                       'the 0..255 rule it has no hole; pass mask.astype(bool) '
                       f'or mask * 255 ({MASK_RULE}).')
    return mask >= 128
  if kind == 'f':
    if np.isnan(mask).any():
      raise ValueError(f'{name}: the mask holds NaN; {MASK_RULE}.')
    if mask.size and (mask.min() < 0 or mask.max() > 1):
      raise ValueError(f'{name}: float mask values must be in [0, 1] (got '
                       f'{mask.min():g}..{mask.max():g}; a 0/255 mask must '
                       f'be uint8 or divided by 255); {MASK_RULE}.')
    return mask > 0.5
  raise ValueError(f'{name}: unsupported mask dtype {mask.dtype}; '
                   f'{MASK_RULE}.')


def hole_mask(mask: Any, hw: tuple[int, int] | None = None,
              name: str = 'mask') -> np.ndarray:
  """One [H, W] (or [H, W, 1]) mask -> bool [H, W] by the mask convention.

  Args:
    mask: the mask (see `holes_from_values` for the values).
    hw: the image's (H, W) the mask must match, if known.
    name: how to call the mask in errors.

  Raises:
    ValueError: wrong ndim or size, or values outside the convention.
  """
  mask = np.asarray(mask)
  if mask.ndim == 3 and mask.shape[-1] == 1:
    mask = mask[..., 0]
  if mask.ndim != 2:
    raise ValueError(f'{name}: expected shape [H, W] or [H, W, 1], got '
                     f'{mask.shape}.')
  if hw is not None and mask.shape != tuple(hw):
    raise ValueError(f'{name}: size {mask.shape[1]}x{mask.shape[0]} differs '
                     f'from the image size {hw[1]}x{hw[0]}.')
  return holes_from_values(mask, name)


# A sketch (edge map) pixel is an edge where value / 255 is above this, as
# the original DeepFill v2 thresholds its edge maps (`edge_threshold`).
EDGE_THRESHOLD = 0.6


def as_rgb(image: np.ndarray, name: str = 'image') -> np.ndarray:
  """uint8 [H, W], [H, W, 1|3|4] -> [H, W, 3] (grey repeated, alpha dropped)."""
  image = np.asarray(image)
  if image.dtype != np.uint8:
    raise ValueError(f'{name}: expected uint8 pixels, got {image.dtype}.')
  if image.ndim == 2:
    image = image[..., None]
  if image.ndim != 3 or image.shape[-1] not in (1, 3, 4):
    raise ValueError(f'{name}: expected [H, W], [H, W, 3] or [H, W, 4], got '
                     f'shape {image.shape}.')
  if image.shape[-1] == 1:
    return np.repeat(image, 3, axis=-1)
  return image[..., :3]


def as_edge(edge: np.ndarray, hw: tuple[int, int], name: str = 'edge'
            ) -> np.ndarray:
  """A sketch as bool [H, W]: bool as is; uint8 [H, W] or [H, W, C] (first
  channel) and float [0, 1] where value / 255 (uint8) or value is above
  `EDGE_THRESHOLD`, as the original thresholds its edge maps."""
  edge = np.asarray(edge)
  if edge.ndim == 3:
    edge = edge[..., 0]
  if edge.shape != tuple(hw):
    raise ValueError(f'{name}: expected shape {tuple(hw)} (the image\'s), got '
                     f'{edge.shape}.')
  if edge.dtype == bool:
    return edge
  if edge.dtype == np.uint8:
    return edge / 255. > EDGE_THRESHOLD
  if np.issubdtype(edge.dtype, np.floating) and edge.min() >= 0 and (
      edge.max() <= 1):
    return edge > EDGE_THRESHOLD
  raise ValueError(f'{name}: expected bool, uint8 or float in [0, 1], got '
                   f'{edge.dtype}.')


# A mask file's pixels sit near two levels (hole and not); JPEG moves them
# by a few tens and blurs edges. More than this share of pixels further than
# this from both levels is not a mask (e.g. a photo given as the mask).
# Bundled photos have 18-60% of pixels off level, binary masks with thin
# strokes saved as JPEG at quality 10 have 4%. Masks of fewer pixels than
# MASK_CHECK_MIN_PIXELS are too small to tell and are not checked.
MASK_LEVEL_TOLERANCE = 24
MASK_OFF_LEVEL_SHARE = 0.1
MASK_CHECK_MIN_PIXELS = 256


def check_two_levels(values: np.ndarray, name: str = 'mask') -> None:
  """Refuses a uint8 mask image whose pixels are not near two levels.

  The levels are the most common value below 128 and the most common one
  from 128 up; a pixel further than `MASK_LEVEL_TOLERANCE` from both is off
  level. Binary masks saved as JPEG pass (their noise and edges are a small
  share), photos do not.

  Raises:
    ValueError: more than `MASK_OFF_LEVEL_SHARE` of the pixels are off level.
  """
  if values.size < MASK_CHECK_MIN_PIXELS:
    return
  counts = np.bincount(values.ravel(), minlength=256)
  levels = [int(np.argmax(counts[:128])), 128 + int(np.argmax(counts[128:]))]
  levels = [v for v in levels if counts[v]]
  distance = np.abs(np.arange(256)[:, None] - np.asarray(levels)[None]).min(1)
  off = counts[distance > MASK_LEVEL_TOLERANCE].sum() / max(values.size, 1)
  if off > MASK_OFF_LEVEL_SHARE:
    raise ValueError(
        f'{name}: not a mask: {100 * off:.0f}% of its pixels are neither '
        'dark nor bright (a mask image has two levels, white or >= 128 = '
        'hole); is it a photo?')


def mask_from_image(img: Image.Image, name: str = 'mask') -> np.ndarray:
  """Binarizes an RGB mask image by the convention: hole where red >= 128."""
  return hole_mask(np.asarray(img)[..., 0], name=name)


def load_mask(path: str) -> np.ndarray:
  """Reads a mask file as bool [H, W] (True = hole); `ValueError` on failure
  (also for a file that is not two-level, `check_two_levels`).

  Mask folders of training and evaluation are resized before thresholding
  (soft edges), so they are thresholded without this check.

  The original thresholded channel 0 of OpenCV's BGR image (blue); here it is
  channel 0 of the RGB image. Both agree for grey or black-and-white masks.
  """
  img = open_image(path)
  check_two_levels(np.asarray(img)[..., 0], name=path)
  return mask_from_image(img, name=path)


# PIL's decompression-bomb check is switched off only while `image_size`
# reads a header (the size it returns is what callers check).
_NO_BOMB_CHECK = threading.Lock()


@contextlib.contextmanager
def _open_header(path: str) -> Iterator[Image.Image]:
  """`Image.open(path)`, also for an image above PIL's decompression-bomb
  limit: only its header is read, so its size can be checked by the
  project's own limits (`memory`, the web demo's)."""
  try:
    img = Image.open(path)
  except Image.DecompressionBombError:
    with _NO_BOMB_CHECK:
      limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
      try:
        img = Image.open(path)
      finally:
        Image.MAX_IMAGE_PIXELS = limit
  with img:
    yield img


def image_size(path: str) -> tuple[int, int]:
  """(H, W) of an image file as `open_image` returns it, from its header.

  Reads no pixels (EXIF rotations by 90 degrees swap the sides); a file whose
  header is fine but whose data is broken fails later, in `open_image`.
  Images above PIL's decompression-bomb limit are measured too: the callers
  refuse them with their own limit.
  """
  try:
    with _open_header(path) as img:
      width, height = img.size
      # PIL decodes a whole PNG to look for an EXIF chunk after the pixels;
      # only one before them (in `info`) is read here.
      exif = img.format != 'PNG' or 'exif' in img.info
      if exif and img.getexif().get(_EXIF_ORIENTATION) in (5, 6, 7, 8):
        width, height = height, width
  except Exception as e:  # pylint: disable=broad-except
    raise ValueError(f'{path}: cannot read image ({first_line(e)}).') from e
  if width == 0 or height == 0:
    raise ValueError(f'{path}: image is empty ({width}x{height}).')
  return height, width


def encode_image(image: np.ndarray, suffix: str) -> bytes:
  """A uint8 [H, W, 3] (or [H, W]) image encoded by file suffix (.png, ...)."""
  fmt = Image.registered_extensions().get(suffix.lower())
  if fmt is None:
    raise ValueError(f'unknown image file suffix {suffix!r}.')
  buf = io.BytesIO()
  Image.fromarray(np.asarray(image, np.uint8)).save(buf, format=fmt)
  return buf.getvalue()


def save_image(path: str, image: np.ndarray) -> None:
  """Writes a uint8 image atomically; the format follows the suffix.

  Raises:
    ValueError: the file cannot be written (one line, naming the file).
  """
  try:
    files.write_atomic(path, encode_image(image, os.path.splitext(path)[1]))
  except Exception as e:  # pylint: disable=broad-except
    raise ValueError(f'{path}: cannot write image ({first_line(e)}).') from e


def first_line(e: BaseException) -> str:
  """The first line of an exception's message (its type if empty)."""
  text = str(e).strip()
  return text.splitlines()[0] if text else type(e).__name__


# ----------------------------------------------------------------------------
# Where results go: nothing a user gives is overwritten or written twice.


class OutputConflictError(ValueError):
  """Outputs that would overwrite an input or each other; one line each."""

  def __init__(self, problems: Sequence[str]):
    super().__init__('\n'.join(problems))
    self.problems = list(problems)


def _file_id(path: str) -> tuple[Any, ...]:
  """Identity of a path: the inode of an existing file, else its real path."""
  try:
    st = os.stat(path)
    return ('inode', st.st_dev, st.st_ino)
  except OSError:
    return ('path', os.path.normcase(os.path.realpath(path)))


def check_outputs(outputs: Sequence[str],
                  inputs: Sequence[Sequence[str]]) -> None:
  """The collision rule: no output overwrites an input or another output.

  Args:
    outputs: job i writes `outputs[i]` (a job may write several files: pass
      each as its own entry, with the same inputs).
    inputs: `inputs[i]` are the files job i reads (image, mask, ...).

  Raises:
    OutputConflictError: every output that is also an input of the run
      (naming both), and every output written by more than one job (naming
      all of them); raised before anything is written.
  """
  read = {}
  for files_read in inputs:
    for path in files_read:
      read.setdefault(_file_id(path), path)
  writers: dict[tuple[Any, ...], list[int]] = {}
  problems = []
  for i, out in enumerate(outputs):
    key = _file_id(out)
    if key in read:
      problems.append(f'{out}: the output of {inputs[i][0]} would overwrite '
                      f'the input {read[key]}.')
    writers.setdefault(key, []).append(i)
  for key, jobs in writers.items():
    if len(jobs) > 1:
      sources = ', '.join(inputs[i][0] for i in jobs)
      problems.append(f'{outputs[jobs[0]]}: {len(jobs)} jobs would write this '
                      f'file: {sources}.')
  if problems:
    raise OutputConflictError(problems)


def output_paths(inputs: Sequence[str | Sequence[str]], output_dir: str,
                 suffix: str = '.png', *, root: str | None = None
                 ) -> list[str]:
  """Output file names of a folder run, checked by `check_outputs`.

  The output of `ROOT/a/b.jpg` is `OUTPUT_DIR/a/b<suffix>` (relative names
  kept; without `root`, the base name `b<suffix>`). Inputs that map to one
  name (`a.jpg` and `a.png`) or outputs that would overwrite an input (e.g.
  OUTPUT_DIR == ROOT with suffix '.png') are an error listing all of them.

  Args:
    inputs: the input files; an entry may be a sequence (image, mask, ...)
      whose first file names the output and whose other files must not be
      overwritten either.
    output_dir: the folder for the results.
    suffix: the results' file suffix (format).
    root: the folder relative input names are taken from.

  Returns:
    One output path per input entry.

  Raises:
    OutputConflictError: listing every conflict, before anything is written.
  """
  groups = [[item] if isinstance(item, (str, os.PathLike)) else list(item)
            for item in inputs]
  outputs = []
  for group in groups:
    first = os.fspath(group[0])
    rel = os.path.relpath(first, root) if root else os.path.basename(first)
    outputs.append(os.path.join(output_dir, os.path.splitext(rel)[0] + suffix))
  check_outputs(outputs, [[os.fspath(p) for p in g] for g in groups])
  return outputs
