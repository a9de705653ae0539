# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""`--context`: inpaint huge photos one window around each group of holes.

The default forward sees the whole image: its attention may copy patches
from anywhere, and its memory grows with the image (`memory`). With a
context of C pixels, holes closer than 2C to each other form a group; each
group is inpainted on its own crop, the holes' bounding box widened by C on
every side (clipped to the image), and the result is pasted back into the
group's holes. Memory then follows the windows, not the photo.

What changes (docs/inference.md): the attention copies only from inside the
window; convolutions near the window's border see reflected padding instead
of the pixels beyond it (which matters only where the border is within the
network's receptive field of a hole); holes of another group that fall
inside a window stay holes there (their pixels are never used as context).
With C large enough that every window holds the whole image, the result is
the default one.

A sketch (guided DeepFill v2) is cropped with its image, so each window is
inpainted exactly as the whole-image path would inpaint that crop with its
crop of the sketch (both then padded alike).
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
            ) -> Any:
  """`inpainter(image, holes, ...)` window by window (see the module doc).

  Args:
    inpainter: an `inference.Inpainter` (its `context` is ignored here).
    image: uint8 RGB [H, W, 3].
    holes: bool [H, W].
    context: pixels of context around each group of holes.
    return_flow, return_coarse: as `Inpainter.__call__`; the flow is white
      (attends to itself) outside the windows.
    edge: the sketch (bool [H, W]) of a guided generator, or None; each
      window gets its crop.

  Returns:
    As `Inpainter.__call__`.
  """
  plain = inpainter.replace(context=None)
  outs = [image.copy(),
          np.full_like(image, 255) if return_flow else None,
          image.copy() if return_coarse else None]
  result = None
  for win in windows(holes, context):
    crop = win.crop
    result = plain(image[crop], holes[crop], return_flow=return_flow,
                   return_coarse=return_coarse,
                   edge=None if edge is None else edge[crop])
    parts = result if isinstance(result, tuple) else (result, None, None)
    for out, part in zip(outs, parts):
      if out is not None and part is not None:
        if out is outs[1]:
          out[crop] = part  # The flow of the whole window.
        else:
          out[crop][win.holes] = part[win.holes]
  if isinstance(result, tuple):
    return type(result)(*outs)
  return outs[0]
