# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Training masks (1 = hole), local-critic boxes and spatial discount weights.

Mask types (`config.masks.type`): `bbox` (the original v1 hole), `free_form`
(DeepFill v2 brush strokes), `bbox+free_form` (their union), `mixed` (one
of the three per image; the shipped model's masks) and `folder` (the user's
mask files). Sizes in the config are for 256 x 256 and scale with the image.
Masks without a box get one of the configured size centred on the hole.
Everything random comes from the `np.random.Generator` passed in. Details:
docs/data.md and docs/spec.md §5.
"""

from __future__ import annotations

import math
from typing import Any

from absl import logging
import numpy as np
from PIL import Image
from PIL import ImageDraw

from deepfill_jax.data import image_io

MASK_TYPES = ('bbox', 'free_form', 'bbox+free_form', 'mixed', 'folder')
# The kinds that `mixed` draws from, equally likely.
MIXED_TYPES = ('bbox', 'free_form', 'bbox+free_form')
# Config sizes (box, deltas, margins, brush widths) are given for this size.
REFERENCE_SIZE = 256

# DeepFill v2 brush strokes (docs/spec.md §5.3).
MAX_STROKES = 3
MIN_VERTICES, MAX_VERTICES = 4, 11
MEAN_ANGLE = 2 * math.pi / 5
ANGLE_RANGE = 2 * math.pi / 15

# Tries before giving up on a folder of unreadable masks.
_MASK_READ_TRIES = 10


def scale_size(value: float, image_side: int) -> int:
  """A config size given at 256 px, scaled to `image_side` px (rounded)."""
  return int(round(value * image_side / REFERENCE_SIZE))


def random_bbox(rng: np.random.Generator, image_hw: tuple[int, int],
                box_hw: tuple[int, int],
                margins: tuple[int, int] = (0, 0)) -> np.ndarray:
  """Uniform box position inside the margins, as the original `random_bbox`.

  The top is drawn from [margin, H - margin - box_height), upper end excluded
  as in the original (0..127 for a 128 box in 256), likewise the left.

  Returns:
    int32 [4]: (top, left, height, width).
  """
  corner = [rng.integers(m, max(m + 1, side - m - box))
            for side, box, m in zip(image_hw, box_hw, margins)]
  return np.array([*corner, *box_hw], np.int32)


def bbox_hole(rng: np.random.Generator, image_hw: tuple[int, int],
              box: np.ndarray, max_delta_hw: tuple[int, int]) -> np.ndarray:
  """The hole inside `box`, shrunk by U{0..max_delta/2} px per side.

  Returns:
    bool [H, W], True inside the hole.
  """
  top, left, height, width = (int(v) for v in box)
  dh, dw = (int(rng.integers(0, d // 2 + 1)) for d in max_delta_hw)
  mask = np.zeros(image_hw, bool)
  mask[top + dh:top + height - dh, left + dw:left + width - dw] = True
  return mask


def brush_stroke_mask(rng: np.random.Generator, image_hw: tuple[int, int],
                      min_width: float, max_width: float) -> np.ndarray:
  """DeepFill v2 free-form brush strokes (docs/spec.md §5.3).

  Args:
    rng: random generator.
    image_hw: (H, W) of the mask.
    min_width: smallest brush width in pixels.
    max_width: largest brush width in pixels (exclusive, as `U(12, 40)`).

  Returns:
    bool [H, W], True on the strokes.
  """
  height, width = image_hw
  avg_radius = math.sqrt(height**2 + width**2) / 8
  canvas = Image.new('L', (width, height), 0)
  draw = ImageDraw.Draw(canvas)
  for _ in range(rng.integers(1, MAX_STROKES + 1)):
    num_vertices = int(rng.integers(MIN_VERTICES, MAX_VERTICES + 1))
    angle_min = MEAN_ANGLE - rng.uniform(0, ANGLE_RANGE)
    angle_max = MEAN_ANGLE + rng.uniform(0, ANGLE_RANGE)
    angles = rng.uniform(angle_min, angle_max, num_vertices)
    angles[::2] = 2 * math.pi - angles[::2]  # Zig-zag.
    lengths = np.clip(rng.normal(avg_radius, avg_radius // 2, num_vertices),
                      0, 2 * avg_radius)
    x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
    points = [(x, y)]
    for length, angle in zip(lengths, angles):
      x = int(np.clip(x + length * math.cos(angle), 0, width - 1))
      y = int(np.clip(y + length * math.sin(angle), 0, height - 1))
      points.append((x, y))
    brush = int(rng.uniform(min_width, max_width))
    draw.line(points, fill=255, width=brush)
    r = brush // 2
    for x, y in points:
      draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
  return random_flips(rng, np.asarray(canvas) > 0)


def random_flips(rng: np.random.Generator, mask: np.ndarray) -> np.ndarray:
  """Flips `mask` left-right, then up-down, each with probability 1/2."""
  if rng.random() < 0.5:
    mask = mask[:, ::-1]
  if rng.random() < 0.5:
    mask = mask[::-1, :]
  return np.ascontiguousarray(mask)


def box_around_hole(mask: np.ndarray, box_hw: tuple[int, int]) -> np.ndarray:
  """A `box_hw` box centred on the hole's bounding box, inside the image.

  Returns:
    int32 [4]: (top, left, height, width).
  """
  corner = []
  for axis, (side, box) in enumerate(zip(mask.shape, box_hw)):
    used = np.flatnonzero(mask.any(axis=1 - axis))
    centre = (used[0] + used[-1] + 1) / 2 if used.size else side / 2
    corner.append(int(np.clip(round(centre - box / 2), 0, side - box)))
  return np.array([*corner, *box_hw], np.int32)


def spatial_discount(box_hw: tuple[int, int], gamma: float) -> np.ndarray:
  """Spatial discount weights of the local L1 loss, as the original code.

  w[i, j] = max(gamma**min(i, h - i), gamma**min(j, w - j)): 1 on the first
  row/column, gamma on the last ones (the original's off-by-one), decaying
  towards the centre with the distance to the box border.

  Returns:
    float32 [h, w, 1].
  """
  if not 0 < gamma <= 1:
    raise ValueError(f'config.masks.gamma={gamma} must be in (0, 1].')
  rows, cols = (gamma ** np.minimum(np.arange(n), n - np.arange(n))
                for n in box_hw)
  return np.maximum(rows[:, None], cols[None, :]).astype(np.float32)[..., None]


class MaskGenerator:
  """Draws (mask, box) pairs for one image size; picklable for grain workers.

  Attributes:
    image_hw: (H, W) of the masks.
    box_hw: (h, w) of the local critic box, scaled to the image size.
  """

  def __init__(self, config: Any, image_hw: tuple[int, int]):
    """Reads and checks `config.masks`-style settings.

    Args:
      config: a ConfigDict with the fields of `config.masks`.
      image_hw: (H, W) of the training images.
    """
    if config.type not in MASK_TYPES:
      raise ValueError(f'config.masks.type={config.type!r}; expected one of '
                       f'{MASK_TYPES}.')
    height, width = image_hw
    self.type = config.type
    self.image_hw = (height, width)
    self.box_hw = (scale_size(config.height, height),
                   scale_size(config.width, width))
    self.max_delta_hw = (scale_size(config.max_delta_height, height),
                         scale_size(config.max_delta_width, width))
    self.margins = (scale_size(config.vertical_margin, height),
                    scale_size(config.horizontal_margin, width))
    brush_scale = math.sqrt(height * width) / REFERENCE_SIZE
    self.brush_widths = (config.min_brush_width * brush_scale,
                         config.max_brush_width * brush_scale)
    for side, box, delta, margin, name in zip(
        self.image_hw, self.box_hw, self.max_delta_hw, self.margins,
        ('height', 'width')):
      if not 0 < box <= side - 2 * margin:
        raise ValueError(f'config.masks.{name}: a {box} px box with {margin} '
                         f'px margins does not fit a {side} px image.')
      if not 0 <= delta < box:
        raise ValueError(f'config.masks.max_delta_{name}: {delta} px must be '
                         f'in [0, {box}) px.')
    if not 1 <= self.brush_widths[0] <= self.brush_widths[1]:
      raise ValueError('config.masks: need 1 <= min_brush_width <= '
                       'max_brush_width.')
    self.paths = (image_io.list_images(config.path)
                  if config.type == 'folder' else [])

  def __call__(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draws one mask.

    Returns:
      (mask bool [H, W] with True = hole, box int32 [4] (top, left, h, w)).
    """
    kind = self.type
    if kind == 'mixed':
      kind = MIXED_TYPES[rng.integers(len(MIXED_TYPES))]
    if kind == 'folder':
      mask = self._user_mask(rng)
      return mask, box_around_hole(mask, self.box_hw)
    if kind == 'free_form':
      mask = brush_stroke_mask(rng, self.image_hw, *self.brush_widths)
      return mask, box_around_hole(mask, self.box_hw)
    box = random_bbox(rng, self.image_hw, self.box_hw, self.margins)
    mask = bbox_hole(rng, self.image_hw, box, self.max_delta_hw)
    if kind == 'bbox+free_form':
      mask |= brush_stroke_mask(rng, self.image_hw, *self.brush_widths)
    return mask, box

  def _user_mask(self, rng: np.random.Generator) -> np.ndarray:
    """A random user mask, resized to the image and randomly flipped."""
    error = None
    for _ in range(_MASK_READ_TRIES):
      path = self.paths[rng.integers(len(self.paths))]
      height, width = self.image_hw
      try:
        img = image_io.open_image(path).resize((width, height),
                                               Image.Resampling.BILINEAR)
        mask = image_io.mask_from_image(img, name=path)
      except ValueError as e:
        logging.warning('Skipping mask: %s', e)
        error = e
        continue
      return random_flips(rng, mask)
    raise ValueError(f'{_MASK_READ_TRIES} unreadable masks in a row; last: '
                     f'{error}')
