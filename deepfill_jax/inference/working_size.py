# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Full-size photos: inpaint at a working size, restore detail (CRA).

A hole much wider than the network's training holes is filled from its
prior (flat, grey). `Inpainter(working_size='auto')` shrinks the image by
an integer factor f (f x f means) chosen from the hole's radius (the
largest distance of a hole pixel to a known one) against `TARGET_RADIUS`,
and grown until the windows it runs fit `MAX_PIXELS`. Each group of holes
runs in its own window (its bounding box plus `CONTEXT` working pixels),
so no pass covers the whole image unless the holes do. The working fill
is enlarged and given the image's detail by contextual residual
aggregation (`residual_aggregation`) with the attention's own top-k
weights. At f = 1 each window runs the generator as given (`two_scale`).
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from scipy import ndimage

from deepfill_jax.inference import context_windows
from deepfill_jax.data import pixels
from deepfill_jax.inference import residual_aggregation as cra
from deepfill_jax.models import tiled_attention
from deepfill_jax.inference import membrane
from deepfill_jax.models.hole_aware import HoleAwareWiring
from deepfill_jax.models.hole_aware import Plan
from deepfill_jax.models.hole_aware import make_plan

# Chosen on the full-size validation photos (docs/inference.md).
TARGET_RADIUS = 64     # Largest hole radius (working px) left unscaled.
MAX_PIXELS = 1 << 18   # Working pixels of all windows together, at most.
CONTEXT = 128          # Working pixels around each group of holes.
TOP_K = 8              # Attention keys per query for the residuals.
QUANTUM = 64           # Window sides are multiples of this (working px).
_RADIUS_BLOCK = 4      # The radius is measured on blocks of this many px.
_REGION_QUANTUM = 16   # Restored regions: multiples of this many half cells.


class Window(NamedTuple):
  """A window of the working image (multiples of `cra.CELL`) and its
  group's holes there."""
  top: int
  bottom: int
  left: int
  right: int
  group: np.ndarray  # bool [bottom - top, right - left]


# Host bytes per full-size pixel of the detail restoration (estimate).
BYTES_PER_PIXEL = 64


def parse(text: str) -> str | int:
  """A command line's --working_size: 'auto', 'full' or a whole number."""
  text = text.strip()
  return check(int(text) if text.isdigit() else text)


def check(working_size: Any) -> str | int:
  """'auto', 'full' or a longest side in pixels (>= 64); else ValueError."""
  if working_size in ('auto', 'full'):
    return working_size
  if isinstance(working_size, (bool, np.bool_)) or not isinstance(
      working_size, (int, np.integer)) or working_size < QUANTUM:
    raise ValueError(f"working_size must be 'auto', 'full' or a longest side "
                     f'in pixels >= {QUANTUM}, got {working_size!r}.')
  return int(working_size)


def hole_radius(hole: np.ndarray) -> float:
  """The largest Euclidean distance (px) of a hole pixel to a known one
  (beyond the border nothing is known), on `_RADIUS_BLOCK` px blocks."""
  b = _RADIUS_BLOCK
  hgt, wid = hole.shape
  pad = ((0, -hgt % b), (0, -wid % b))
  padded = np.pad(hole, pad)
  blocks = padded.reshape(padded.shape[0] // b, b, padded.shape[1] // b,
                          b).any(axis=(1, 3))
  if blocks.all():
    return float(max(hgt, wid))
  return float(ndimage.distance_transform_edt(blocks).max()) * b


def shrink_mask(hole: np.ndarray, factor: int) -> np.ndarray:
  """bool [ceil(H/f), ceil(W/f)]: a working pixel is a hole if any of its
  pixels is."""
  hole = np.pad(hole, [(0, -n % factor) for n in hole.shape])
  hgt, wid = hole.shape
  return hole.reshape(hgt // factor, factor, wid // factor, factor).any(
      axis=(1, 3))


def _quantise(lo: int, hi: int, n: int) -> tuple[int, int]:
  """[lo, hi) grown to a multiple of `QUANTUM` (or n), inside [0, n)."""
  size = min(-(-(hi - lo) // QUANTUM) * QUANTUM, n)
  start = min(max(lo - (size - (hi - lo)) // 2, 0), n - size)
  start -= start % cra.CELL
  return start, min(start + size, n)


def windows(hole: np.ndarray, context: int) -> list[Window]:
  """The windows of the hole groups of a working mask (sides multiples of
  `cra.CELL`, since the mask's are)."""
  out = []
  for win in context_windows.windows(hole, context):
    top, bottom = _quantise(win.top, win.bottom, hole.shape[0])
    left, right = _quantise(win.left, win.right, hole.shape[1])
    group = np.zeros(hole.shape, bool)
    group[win.crop] = win.holes
    out.append(Window(top, bottom, left, right,
                      group[top:bottom, left:right]))
  return out


def _padded_shape(hw: tuple[int, int], factor: int) -> tuple[int, int]:
  step = cra.CELL * factor
  return tuple(-(-n // step) * step for n in hw)


def choose_factor(hole: np.ndarray, working_size: str | int = 'auto', *,
                  target_radius: float = TARGET_RADIUS,
                  max_pixels: int = MAX_PIXELS,
                  context: int = CONTEXT) -> int:
  """The working size's factor f (the image shrinks to 1/f).

  'auto': the smallest f with hole radius / f <= `target_radius` whose
  windows hold at most `max_pixels` working pixels together; an int N: the
  smallest f that makes the longest side at most N.
  """
  hgt, wid = hole.shape
  if working_size == 'full':
    return 1
  if working_size != 'auto':
    return max(1, math.ceil(max(hgt, wid) / working_size))
  factor = max(1, math.ceil(hole_radius(hole) / target_radius))
  while True:
    shape = _padded_shape((hgt, wid), factor)
    small = shrink_mask(np.pad(hole, [(0, s - n) for s, n in
                                      zip(shape, (hgt, wid))]), factor)
    area = sum((w.bottom - w.top) * (w.right - w.left)
               for w in windows(small, context))
    if area <= max_pixels or min(shape) // factor <= QUANTUM:
      return factor
    factor += 1


def _one_window(hole: np.ndarray, context: int) -> bool:
  wins = context_windows.windows(hole, context)
  return len(wins) == 1 and wins[0].holes.shape == hole.shape


def whole_image(hole: np.ndarray, working_size: str | int = 'auto',
                context: int | None = None) -> bool:
  """Whether `working_size` inpaints `hole` (bool [H, W]) as 'full' does:
  at the image's size, in one window that holds the whole image."""
  context = context or CONTEXT
  return working_size == 'full' or not hole.any() or (
      choose_factor(hole, working_size, context=context) == 1
      and _one_window(hole, context))


class _TopKWiring(HoleAwareWiring):
  """The hole-aware forward that also keeps the attention's top-k."""

  def __init__(self, *args, top_k: int, **kwargs):
    super().__init__(*args, **kwargs)
    self.top_k, self.top = top_k, None

  def attention(self, f, b, mask, **kwargs):
    y, offsets, *self.top = tiled_attention.tiled_contextual_attention(
        f, b, mask, work=tiled_attention.Work(self.plan.tiles,
                                              self.plan.counts),
        tile=self.tile, with_offsets=False, top_k=self.top_k, **kwargs)
    return y, offsets


@functools.partial(jax.jit, static_argnames=('graphdef', 'sizes', 'tile',
                                             'top_k'))
def _working_pass(graphdef, state, image, mask, edge, starts, tiles, counts,
                  *, sizes, tile, top_k):
  """One window at the working size: the composited fill (float, 0..255)
  and the top-k attention weights and keys of its queries."""
  gen = nnx.merge(graphdef, state)
  x = pixels.to_unit(image)
  m = mask[..., None].astype(jnp.float32)
  e = None if edge is None else edge[..., None].astype(jnp.float32)
  wiring = _TopKWiring(Plan(sizes, starts, tiles, counts), x.shape[1:3],
                       tile=tile, with_offsets=False, top_k=top_k)
  _, x2, _ = gen(x, m, edge=e, wiring=wiring)
  fill = jnp.where(m > 0, pixels.from_unit(x2), image.astype(jnp.float32))
  return fill, *wiring.top


def _region(hole: np.ndarray, half: int
            ) -> tuple[tuple[int, int], tuple[int, int]]:
  """(start, size) in half cells of `half` px covering the holes, sizes
  rounded up to multiples of `_REGION_QUANTUM` half cells (or all)."""
  start, size = [], []
  for axis in (0, 1):
    idx = np.flatnonzero(hole.any(axis=1 - axis))
    n = hole.shape[axis] // half
    lo, hi = idx[0] // half, idx[-1] // half + 1
    length = min(-(-(hi - lo) // _REGION_QUANTUM) * _REGION_QUANTUM, n)
    start.append(int(min(lo, n - length)))
    size.append(int(length))
  return tuple(start), tuple(size)


def _reflect(array: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
  pad = [(0, s - n) for s, n in zip(shape, array.shape[:2])]
  return np.pad(array, pad + [(0, 0)] * (array.ndim - 2), mode='reflect')


def inpaint(inpainter: Any, image: np.ndarray, hole: np.ndarray,
            edge: np.ndarray | None = None,
            done: Callable[[], None] | None = None) -> np.ndarray:
  """`inpainter(image, hole)` by the working-size pipeline (module doc).

  Args:
    inpainter: an `inference.Inpainter` (its `working_size`, `context`:
      the window margin in working pixels, default `CONTEXT`).
    image: uint8 RGB [H, W, 3].
    hole: bool [H, W] with at least one hole pixel.
    edge: a guided generator's sketch (bool [H, W]) or None.
    done: called after each window (a progress bar's hook).

  Returns:
    uint8 [H, W, 3], known pixels unchanged.
  """
  context = inpainter.context or CONTEXT
  hgt, wid = hole.shape
  factor = choose_factor(hole, inpainter.working_size, context=context)
  exact = inpainter.replace(working_size='full', context=None)
  if factor == 1:
    if _one_window(hole, context):
      return exact(image, hole, edge=edge)
    return context_windows.inpaint(exact, image, hole, context, edge=edge)[0]
  shape = _padded_shape((hgt, wid), factor)
  full = _reflect(np.where(hole[..., None], 0, image).astype(np.uint8), shape)
  full_hole = _reflect(hole, shape)
  low_hole = shrink_mask(full_hole, factor)
  low = np.asarray(cra.downscale(jnp.asarray(full, jnp.float32), factor))
  low_u8 = np.clip(np.round(low), 0, 255).astype(np.uint8)
  low_edge = None if edge is None else shrink_mask(_reflect(edge, shape),
                                                    factor)
  out = image.copy()
  for win in windows(low_hole, context):
    crop = slice(win.top, win.bottom), slice(win.left, win.right)
    big = (slice(win.top * factor, win.bottom * factor),
           slice(win.left * factor, win.right * factor))
    holes = low_hole[crop][None]
    plan = make_plan(holes, win.group[None], tile=inpainter.tile)
    fill, weights, keys = _working_pass(
        inpainter._graphdef, inpainter._state, low_u8[crop][None], holes,
        None if low_edge is None else low_edge[crop][None], plan.starts,
        plan.tiles, plan.counts, sizes=plan.sizes, tile=inpainter.tile,
        top_k=TOP_K)
    paste = np.repeat(np.repeat(win.group, factor, 0), factor, 1)
    paste &= full_hole[big]
    if not paste.any():  # Its holes lie in the padding only.
      continue
    start, size = _region(paste, cra.CELL * factor // 2)
    restored = np.asarray(cra.restore(
        full[big], paste, low[crop], fill[0], low_hole[crop], weights[0],
        keys[0], np.asarray(start, np.int32), factor=factor, size=size))
    half = cra.CELL * factor // 2
    top, left = (win.top * factor + start[0] * half,
                 win.left * factor + start[1] * half)
    rows = slice(top, min(top + restored.shape[0], hgt))
    cols = slice(left, min(left + restored.shape[1], wid))
    keep = paste[top - win.top * factor:, left - win.left * factor:][
        :rows.stop - rows.start, :cols.stop - cols.start]
    region = out[rows, cols]
    region[keep] = restored[:keep.shape[0], :keep.shape[1]][keep]
    if inpainter.blend:  # Thin holes: the membrane at full size.
      inside = paste[:hgt - big[0].start, :wid - big[1].start]
      out[big] = np.asarray(membrane.fill_thin(
          out[big], inside, membrane.ring(inside) & ~hole[big],
          membrane.weights(inside)))
    if done is not None:
      done()
  return out
