# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""`--context`: inpaint huge photos one window around each group of holes.

With a context of C pixels, holes closer than 2C form a group; each group is
inpainted on the holes' bounding box widened by C (clipped to the image) and
pasted back into its holes, so memory follows the windows, not the photo.
Attention copies only from inside the window; other groups' holes stay
holes. A sketch is cropped with its image. With C large enough the result
is the whole-image one. See docs/inference.md.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from scipy import ndimage

# Hole groups are found on blocks of this many pixels (cheap on 100+
# megapixel masks).
_BLOCK = 8


class Window(NamedTuple):
  """A crop (rows top:bottom, cols left:right) and its group's holes."""
  top: int
  bottom: int
  left: int
  right: int
  holes: np.ndarray  # bool [bottom - top, right - left]: this group's holes.

  @property
  def crop(self) -> tuple[slice, slice]:
    """Index of the window in an [H, W, ...] array."""
    return slice(self.top, self.bottom), slice(self.left, self.right)


def windows(holes: np.ndarray, context: int) -> list[Window]:
  """The windows of the hole groups of `holes` (bool [H, W])."""
  if context < 1:
    raise ValueError(f'context must be >= 1 pixel, got {context}.')
  hgt, wid = holes.shape
  pad = (-hgt % _BLOCK, -wid % _BLOCK)
  blocks = np.pad(holes, ((0, pad[0]), (0, pad[1]))).reshape(
      (hgt + pad[0]) // _BLOCK, _BLOCK, (wid + pad[1]) // _BLOCK, _BLOCK
  ).any(axis=(1, 3))
  reach = -(-context // _BLOCK)
  grown = ndimage.maximum_filter(blocks, size=2 * reach + 1)
  labels, _ = ndimage.label(grown)
  out = []
  for k, found in enumerate(ndimage.find_objects(labels), 1):
    rows, cols = found
    top, bottom = rows.start * _BLOCK, min(rows.stop * _BLOCK, hgt)
    left, right = cols.start * _BLOCK, min(cols.stop * _BLOCK, wid)
    group = np.repeat(np.repeat(labels[rows, cols] == k, _BLOCK, 0), _BLOCK,
                      1)[:bottom - top, :right - left]
    out.append(Window(top, bottom, left, right,
                      group & holes[top:bottom, left:right]))
  return out


def inpaint(inpainter: Any, image: np.ndarray, holes: np.ndarray,
            context: int, *, return_flow: bool = False,
            return_coarse: bool = False, edge: np.ndarray | None = None
            ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
  """`inpainter.outputs(image, holes, ...)` window by window (see the
  module doc).

  Args:
    inpainter: an `inference.Inpainter` (its `context` is ignored here).
    image: uint8 RGB [H, W, 3].
    holes: bool [H, W].
    context: pixels of context around each group of holes.
    return_flow, return_coarse: as `Inpainter.outputs`; the flow is white
      (attends to itself) outside the windows.
    edge: the sketch (bool [H, W]) of a guided generator, or None; each
      window gets its crop.

  Returns:
    (image, flow or None, coarse or None), as `Inpainter.outputs`' fields.
  """
  plain = inpainter.replace(context=None)
  outs = [image.copy(),
          np.full_like(image, 255) if return_flow else None,
          image.copy() if return_coarse else None]
  for win in windows(holes, context):
    crop = win.crop
    parts = plain.outputs(image[crop], holes[crop], return_flow=return_flow,
                          return_coarse=return_coarse,
                          edge=None if edge is None else edge[crop])
    for out, part in zip(outs, parts):
      if out is not None and part is not None:
        if out is outs[1]:
          out[crop] = part  # The flow of the whole window.
        else:
          out[crop][win.holes] = part[win.holes]
  return tuple(outs)
