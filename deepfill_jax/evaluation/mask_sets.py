# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Deterministic evaluation masks (1 = hole), one per (image, mask type).

Types (`GENERATED`): `center` (the paper's centred half-size hole), `bbox`
and `free_form` (the training masks of `deepfill_jax.data.masks`), `thin`,
`medium`, `thick` (after LaMa's evaluation sets, `LAMA_STYLES`) and
`thin_strokes` (5-15 px at any size, `THIN_STROKES`). Each mask is seeded by
(seed, type, image name). `FolderMasks` are the user's own, matched by file
name; `load_image` / `load_hole` give the checked image and hole. See
docs/evaluation.md.
"""

from __future__ import annotations

import dataclasses
import math
import os
import zlib
from typing import Any, Callable, Sequence

import numpy as np
from PIL import Image
from PIL import ImageDraw

from deepfill_jax.data import image_io
from deepfill_jax.data import masks as masks_lib

# New types go at the end: the index seeds each type's masks (`mask_rng`).
GENERATED = ('center', 'bbox', 'free_form', 'thin', 'medium', 'thick',
             'thin_strokes')
# LaMa's mask sizes are given for 512 px images and scale with the image.
LAMA_REFERENCE_SIZE = 512
# Redraw LaMa-style masks covering more than this fraction of the image.
MAX_HOLE_FRACTION = 0.5
_MAX_TRIES = 1000


@dataclasses.dataclass(frozen=True)
class LamaStyle:
  """Parameters of a LaMa-style mask set, in pixels at 512 px."""
  strokes: tuple[int, int]       # Inclusive range of the number of strokes.
  max_width: int                 # Stroke widths are U[min_width, max_width].
  max_length: int                # Stroke lengths are U[1, max_length].
  box_probability: float = 0.    # Chance that the mask also has boxes.
  box_sides: tuple[int, int] = (0, 0)  # Box sides are U[lo, hi].
  boxes: tuple[int, int] = (1, 3)      # Inclusive range of the box count.
  min_width: int = 5
  # Widths in pixels at any image size; the number of strokes scales with
  # the image side instead, so the hole's share of the image stays similar.
  pixel_widths: bool = False


LAMA_STYLES = {
    'thin': LamaStyle(strokes=(4, 70), max_width=20, max_length=100),
    'medium': LamaStyle(strokes=(4, 10), max_width=100, max_length=200,
                        box_probability=0.3, box_sides=(30, 150)),
    'thick': LamaStyle(strokes=(1, 5), max_width=250, max_length=450,
                       box_probability=0.3, box_sides=(30, 300)),
}
# `thin_strokes`: 5-15 px wide brush strokes at any size (counts and lengths
# at 512 px, as in `LAMA_STYLES`).
THIN_STROKES = LamaStyle(strokes=(14, 22), min_width=5, max_width=15,
                         max_length=300, pixel_widths=True)
STYLES = {**LAMA_STYLES, 'thin_strokes': THIN_STROKES}


def center_mask(image_hw: tuple[int, int]) -> np.ndarray:
  """The paper's centred hole of half the height and width (bool [H, W])."""
  height, width = image_hw
  mask = np.zeros(image_hw, bool)
  mask[height // 4:height // 4 + height // 2,
       width // 4:width // 4 + width // 2] = True
  return mask


def _scaled(value: float, scale: float) -> int:
  return max(1, int(round(value * scale)))


def lama_style_mask(rng: np.random.Generator, image_hw: tuple[int, int],
                    style: LamaStyle) -> np.ndarray:
  """One irregular mask of `style`, at most `MAX_HOLE_FRACTION` of the image.

  Strokes form a random walk: each starts where the previous one ended (the
  first at a random pixel), goes in a uniform random direction for a random
  length (clipped to the image) and has a random width with round ends.
  Sizes scale with sqrt(H W) / `LAMA_REFERENCE_SIZE`; with
  `style.pixel_widths` the widths do not, the number of strokes does.

  Returns:
    bool [H, W], True in the hole.
  """
  height, width = image_hw
  scale = math.sqrt(height * width) / LAMA_REFERENCE_SIZE
  width_scale = 1. if style.pixel_widths else scale
  strokes = style.strokes
  if style.pixel_widths:
    strokes = (_scaled(strokes[0], scale), _scaled(strokes[1], scale))
  for _ in range(_MAX_TRIES):
    canvas = Image.new('L', (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
    for _ in range(int(rng.integers(strokes[0], strokes[1] + 1))):
      angle = rng.uniform(0, 2 * math.pi)
      length = rng.uniform(1, _scaled(style.max_length, scale))
      brush = int(rng.integers(_scaled(style.min_width, width_scale),
                               _scaled(style.max_width, width_scale) + 1))
      x2 = int(np.clip(x + length * math.cos(angle), 0, width - 1))
      y2 = int(np.clip(y + length * math.sin(angle), 0, height - 1))
      draw.line([(x, y), (x2, y2)], fill=255, width=brush)
      r = brush // 2
      for cx, cy in ((x, y), (x2, y2)):
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=255)
      x, y = x2, y2
    if rng.random() < style.box_probability:
      for _ in range(int(rng.integers(style.boxes[0], style.boxes[1] + 1))):
        bh, bw = (min(side, int(rng.integers(_scaled(style.box_sides[0], scale),
                                             _scaled(style.box_sides[1], scale)
                                             + 1)))
                  for side in (height, width))
        top = int(rng.integers(0, height - bh + 1))
        left = int(rng.integers(0, width - bw + 1))
        draw.rectangle((left, top, left + bw - 1, top + bh - 1), fill=255)
    mask = np.asarray(canvas) > 0
    if mask.mean() <= MAX_HOLE_FRACTION:
      return mask
  raise ValueError(f'No {image_hw} mask under {MAX_HOLE_FRACTION:.0%} of the '
                   f'image in {_MAX_TRIES} tries.')


def mask_rng(seed: int, kind: str, name: str) -> np.random.Generator:
  """The random generator of the `kind` mask of the image called `name`."""
  return np.random.default_rng(
      [seed, GENERATED.index(kind), zlib.crc32(name.encode('utf-8'))])


class EvalMasks:
  """Draws the evaluation mask of one type for any image, deterministically."""

  def __init__(self, kind: str, masks_config: Any, seed: int = 0):
    """Checks the type.

    Args:
      kind: one of `GENERATED`.
      masks_config: `config.masks` of configs/default.py (sizes of `bbox` and
        `free_form`; its `type` is ignored).
      seed: base seed of every mask.
    """
    if kind not in GENERATED:
      raise ValueError(f'Unknown mask type {kind!r}; expected one of '
                       f'{", ".join(GENERATED)} or a mask folder.')
    self.kind = kind
    self.seed = seed
    self._config = None
    if kind in ('bbox', 'free_form'):
      self._config = masks_config.copy_and_resolve_references()
      self._config.type = kind

  def __call__(self, name: str, image_hw: tuple[int, int]) -> np.ndarray:
    """The mask (bool [H, W], True = hole) of the image called `name`."""
    if self.kind == 'center':
      return center_mask(image_hw)
    rng = mask_rng(self.seed, self.kind, name)
    if self._config is not None:
      return masks_lib.MaskGenerator(self._config, image_hw)(rng)[0]
    return lama_style_mask(rng, image_hw, STYLES[self.kind])


# ----------------------------------------------------------------------------
# Images and masks of an evaluation.

# Images smaller than this are skipped (SSIM's 7x7 window needs room).
MIN_SIDE = 16


def fit(img: Image.Image, size: int,
        resample: Image.Resampling = Image.Resampling.BICUBIC) -> Image.Image:
  """The centred square crop of `img` resized to `size` (0: `img` unchanged)."""
  if not size:
    return img
  side = min(img.size)
  left, top = (img.width - side) // 2, (img.height - side) // 2
  return img.crop((left, top, left + side, top + side)).resize(
      (size, size), resample)


class FolderMasks:
  """User masks matched by relative file name, any image suffix.

  The mask of IMAGES/a/b.jpg is MASKS/a/b.<suffix>. A mask the size of the
  original image is cropped and resized like the image (nearest neighbour);
  one of the evaluated size is used as is.
  """

  def __init__(self, root: str):
    self.root = os.path.abspath(root)
    self.by_stem = {}
    for path in image_io.list_images(self.root):
      stem = os.path.splitext(os.path.relpath(path, self.root))[0]
      self.by_stem[stem.replace(os.sep, '/')] = path

  def __call__(self, name: str, original: Image.Image, size: int
               ) -> np.ndarray:
    path = self.by_stem.get(os.path.splitext(name)[0])
    if path is None:
      raise ValueError(f'{name}: no mask for it in {self.root}.')
    img = image_io.open_image(path)
    if img.size == original.size:
      img = fit(img, size, Image.Resampling.NEAREST)
    elif size and img.size != (size, size):
      raise ValueError(f'{path}: mask size {img.width}x{img.height} is '
                       f'neither the image size {original.width}x'
                       f'{original.height} nor {size}x{size}.')
    return image_io.mask_from_image(img, name=path)


@dataclasses.dataclass
class MaskSource:
  """A named mask type: `draw(name, original image, size)` -> bool [H, W]."""
  label: str
  draw: Callable[[str, Image.Image, int], np.ndarray]
  needs_full_decode: bool = False


def mask_sources(spec: Sequence[str], masks_config: Any,
                 seed: int) -> list[MaskSource]:
  """Mask types from `--masks` items: generated type names or folders."""
  sources = []
  for item in spec:
    if item in GENERATED:
      gen = EvalMasks(item, masks_config, seed)
      sources.append(MaskSource(
          item, lambda n, img, s, g=gen: g(n, _fitted_hw(img, s))))
    elif os.path.isdir(item):
      folder = FolderMasks(item)
      label = 'folder_' + os.path.basename(os.path.normpath(folder.root))
      sources.append(MaskSource(label, folder, needs_full_decode=True))
    else:
      raise ValueError(f'--masks: {item!r} is neither a mask type '
                       f'({", ".join(GENERATED)}) nor a folder.')
  labels = [s.label for s in sources]
  if len(set(labels)) != len(labels) or not labels:
    raise ValueError(f'--masks: need distinct mask types, got {labels}.')
  return sources


def _fitted_hw(img: Image.Image, size: int) -> tuple[int, int]:
  return (size, size) if size else (img.height, img.width)


def load_image(path: str, size: int, full_decode: bool = False
               ) -> tuple[Image.Image, np.ndarray]:
  """The decoded file and the evaluated image (uint8 [H, W, 3]).

  Args:
    path: image file.
    size: side of the centre crop, 0 for full size.
    full_decode: decode JPEGs at full resolution even if resized down (for
      masks of the original size).

  Raises:
    ValueError: unreadable or too small (one line, naming the file).
  """
  img = image_io.open_image(path,
                            min_size=None if full_decode else size or None)
  image = np.asarray(fit(img, size))
  if min(image.shape[:2]) < MIN_SIDE:
    raise ValueError(f'{path}: image is smaller than {MIN_SIDE} px.')
  return img, image


def load_hole(source: MaskSource, name: str, original: Image.Image,
              image: np.ndarray, size: int) -> np.ndarray:
  """The checked hole (bool [H, W]) of `source` for an image.

  Raises:
    ValueError: unreadable mask, wrong size, no hole or no known pixel.
  """
  hole = source.draw(name, original, size)
  if hole.shape != image.shape[:2]:
    raise ValueError(f'{name}: {source.label} mask is {hole.shape[1]}x'
                     f'{hole.shape[0]}, the image {image.shape[1]}x'
                     f'{image.shape[0]}.')
  if not hole.any() or hole.all():
    raise ValueError(f'{name}: the {source.label} mask has '
                     f'{"no hole" if not hole.any() else "no known pixel"}.')
  return hole
