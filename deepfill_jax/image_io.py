# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Robust image and mask reading with PIL, shared by training and inference.

Every reader returns RGB (grey, palette, CMYK, 16-bit and RGBA files are
converted; alpha is dropped, as `cv2.imread` did in the original), applies the
EXIF orientation so pixels match what viewers show, and turns any failure into
a one-line `ValueError` that names the file.
"""

from __future__ import annotations

import io
import os
from typing import Sequence

import numpy as np
from PIL import Image
from PIL import ImageOps

# File types found by `list_images` (lower case; matched case-insensitively).
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.webp', '.bmp')


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
    msg = str(e).splitlines()[0] if str(e) else type(e).__name__
    raise ValueError(f'{name}: cannot read image ({msg}).') from e
  if img.width == 0 or img.height == 0:
    raise ValueError(f'{name}: image is empty ({img.width}x{img.height}).')
  return img


def load_image(path: str) -> np.ndarray:
  """Reads an image file as uint8 RGB [H, W, 3]; `ValueError` on failure."""
  return np.asarray(open_image(path))


def mask_from_image(img: Image.Image) -> np.ndarray:
  """Binarizes an RGB mask image: hole where channel 0 (red) > 127.5."""
  return np.asarray(img)[..., 0] > 127.5


def load_mask(path: str) -> np.ndarray:
  """Reads a mask file as bool [H, W] (True = hole); `ValueError` on failure.

  The original thresholded channel 0 of OpenCV's BGR image (blue); here it is
  channel 0 of the RGB image. Both agree for grey or black-and-white masks.
  """
  return mask_from_image(open_image(path))


def save_image(path: str, image: np.ndarray) -> None:
  """Writes a uint8 [H, W, 3] (or [H, W]) image; the format follows the suffix.

  Raises:
    ValueError: the file cannot be written (one line, naming the file).
  """
  try:
    Image.fromarray(np.asarray(image, np.uint8)).save(path)
  except Exception as e:  # pylint: disable=broad-except
    msg = str(e).splitlines()[0] if str(e) else type(e).__name__
    raise ValueError(f'{path}: cannot write image ({msg}).') from e
