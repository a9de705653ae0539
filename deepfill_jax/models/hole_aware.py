# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The generator's forward restricted to what reaches the holes.

`hole_aware_forward` computes exactly the composited output of the dense
generator (v1 or v2: same kernels, strides and dilations) but only the work
that can reach a hole pixel: decoders on a crop around the holes, the
dilated branch and coarse network on crops widened by their receptive
fields, the attention encoder on the whole image and only the query tiles
that reach the holes (`models.tiled_attention`). Crops are rounded up to
multiples of `WINDOW_QUANTUM`. The margins: docs/inference.md.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from deepfill_jax.models import generator as generator_lib
from deepfill_jax.models import layers
from deepfill_jax.models import tiled_attention
from deepfill_jax.models.contextual_attention import same_pad
from deepfill_jax.models.generator import GRID

# Crop sizes are multiples of this many full-resolution pixels.
WINDOW_QUANTUM = 64
# Full-resolution crops start at multiples of this (two stride-2 convs).
_ALIGN = 4
# The stages run on crops ("windows"), in forward order; the attention
# decoder and the merged decoder crop 1/4-resolution features.
_WINDOWS = ('coarse', 'hallucination', 'attention_decoder', 'merged_decoder')


# ----------------------------------------------------------------------------
# Receptive fields (host side, static).
# ----------------------------------------------------------------------------


def needed_input(stage: str, lo, hi):
  """Input rows a stage reads to compute output rows [lo, hi] (per axis).

  Works on ints or int arrays. Strided convs assume even inputs (TF 'SAME'
  then pads only after the data), which holds for crops of multiples of 4.
  """
  for layer in reversed(generator_lib.stage_layers(stage)):
    reach = (layer.kernel - 1) * layer.dilation
    if layer.act == 'up':  # 3x3 conv after a x2 nearest (repeat) upsample.
      lo, hi = (lo - reach // 2) // 2, (hi + reach - reach // 2) // 2
    elif layer.stride == 1:
      lo, hi = lo - reach // 2, hi + reach - reach // 2
    else:
      before = same_pad(2 * layer.stride, reach + 1, layer.stride)[0]
      lo, hi = lo * layer.stride - before, hi * layer.stride - before + reach
  return lo, hi


def _decoder_field(n: int) -> tuple[np.ndarray, np.ndarray]:
  """Attention-output rows (1/4 res) read by each full-res output row."""
  z = np.arange(n)
  return needed_input('attention_decoder',
                      *needed_input('merged_decoder', z, z))


def needed_queries(out_mask: np.ndarray) -> np.ndarray:
  """Attention queries that can influence the output pixels in `out_mask`.

  Args:
    out_mask: bool [B, H, W] pixels whose stage-2 output must be exact.

  Returns:
    bool [B, H/8, W/8] queries of the matching grid.
  """
  needed = out_mask
  for axis in (1, 2):
    n = needed.shape[axis]
    lo, hi = _decoder_field(n)
    # Output rows z with u in [lo(z), hi(z)] form an interval of z.
    u = np.arange(n // 4)
    z_lo = np.searchsorted(hi, u, side='left')
    z_hi = np.searchsorted(lo, u, side='right') - 1
    needed = tiled_attention.any_in_intervals(needed, z_lo, z_hi, axis)
  return tiled_attention.queries_covering(needed, rate=2)


def _window(lo: int, hi: int, n: int, quantum: int, align: int,
            min_size: int) -> tuple[int, int]:
  """(start, size) of a crop of [0, n) covering [lo, hi], size quantised."""
  lo, hi = max(lo, 0), min(hi, n - 1)
  start = lo - lo % align
  size = max(hi + 1 - start, min_size, 1)
  size = min(-(-size // quantum) * quantum, n)
  return min(start, n - size), size


def _axis_windows(out: tuple[int, int], holes: tuple[int, int], n: int,
                  min_sizes: Sequence[int]) -> list[tuple[int, int]]:
  """Crops along one axis of length n for the windows of `_WINDOWS`."""
  q = WINDOW_QUANTUM
  merged = _window(*needed_input('merged_decoder', *out), n // 4, q // 4, 1,
                   min_sizes[3])
  j = (merged[0], merged[0] + merged[1] - 1)
  pm = _window(*needed_input('attention_decoder', *j), n // 4, q // 4, 1,
               min_sizes[2])
  hallu = _window(*needed_input('hallucination', *j), n, q, _ALIGN,
                  min_sizes[1])
  coarse = _window(*needed_input('coarse', *holes), n, q, _ALIGN,
                   min_sizes[0])
  return [coarse, hallu, pm, merged]


def _extent(mask: np.ndarray, axis: int) -> tuple[int, int]:
  """First and last index along `axis` with a True entry ((0, 0) if none)."""
  idx = np.flatnonzero(mask.any(axis=1 - axis))
  return (int(idx[0]), int(idx[-1])) if idx.size else (0, 0)


@dataclasses.dataclass(frozen=True)
class Plan:
  """Static crop sizes and per-image crop starts and attention tiles."""
  sizes: tuple[tuple[int, int], ...]  # per window: (rows, cols)
  starts: np.ndarray                  # int32 [B, windows, 2]
  tiles: np.ndarray                   # int32 [B, N]
  counts: np.ndarray                  # int32 [B]


def make_plan(holes: np.ndarray, out_mask: np.ndarray, *,
              tile: tuple[int, int] | None = None,
              min_sizes: Sequence[tuple[int, int]] | None = None) -> Plan:
  """Plans the hole-aware forward of a batch.

  Args:
    holes: bool [B, H, W], every hole of the (padded) network input.
    out_mask: bool [B, H, W], the pixels whose output is returned.
    tile: attention query tile (default: `attention.default_tile`).
    min_sizes: lower bounds of the crop sizes, e.g. to share one compiled
      shape over many batches (see `Inpainter.plan_sizes`).

  Returns:
    A plan whose crop sizes are the maximum over the batch.
  """
  bsz, hgt, wid = holes.shape
  sizes = [tuple(s) for s in min_sizes] if min_sizes else [(0, 0)] * 4
  while True:  # Grow to the batch maximum; a larger crop may need more.
    starts = np.zeros((bsz, 4, 2), np.int32)
    new = [list(s) for s in sizes]
    for i in range(bsz):
      for axis, n in ((0, hgt), (1, wid)):
        wins = _axis_windows(_extent(out_mask[i], axis),
                             _extent(holes[i], axis), n,
                             [s[axis] for s in sizes])
        for k, (start, size) in enumerate(wins):
          starts[i, k, axis] = start
          new[k][axis] = max(new[k][axis], size)
    new = [tuple(s) for s in new]
    if new == sizes:
      break
    sizes = new
  grid = (hgt // GRID, wid // GRID)
  tile = tiled_attention.default_tile(grid) if tile is None else tuple(tile)
  geo = tiled_attention.tile_geometry(grid, tile)
  tiles, counts = tiled_attention.work_for_queries(needed_queries(out_mask),
                                                   geo)
  return Plan(tuple(sizes), starts, tiles, counts)


# ----------------------------------------------------------------------------
# Device forward.
# ----------------------------------------------------------------------------


def _place(canvas: jax.Array, crops: jax.Array, starts: jax.Array) -> jax.Array:
  """Writes per-image crops into canvas [B, H, W, C] at starts [B, 2]."""
  def one(ci, xi, si):
    return jax.lax.dynamic_update_slice(ci, xi, (si[0], si[1], 0))
  return jax.vmap(one)(canvas, crops, starts)


class HoleAwareWiring(generator_lib.Wiring):
  """Runs the generator's stages on the crops of a `Plan` (see module doc).

  Coarse and merged-decoder outputs are placed back on zero canvases of the
  image size; the other stages' outputs stay in their crop's coordinates,
  which `merge` accounts for.
  """

  def __init__(self, plan: Plan, hw: tuple[int, int], *,
               tile: tuple[int, int] | None, with_offsets: bool):
    self.plan, self.hw = plan, hw
    self.tile, self.with_offsets = tile, with_offsets

  def stage(self, gen, name, x):
    sizes, starts = self.plan.sizes, self.plan.starts
    if name == 'attention_encoder':  # Keys come from anywhere: all of it.
      return gen.run_stage(name, x)
    if name == 'merged_decoder':  # `merge` cropped its input already.
      return self._canvas(gen.run_stage(name, x), 4 * starts[:, 3])
    k = _WINDOWS.index(name)
    y = gen.run_stage(name, layers.crop_each(x, starts[:, k], sizes[k]))
    # The coarse output is used only in the holes, all inside its crop.
    return self._canvas(y, starts[:, 0]) if name == 'coarse' else y

  def attention(self, f, b, mask, **kwargs):
    return tiled_attention.tiled_contextual_attention(
        f, b, mask, work=tiled_attention.Work(self.plan.tiles,
                                              self.plan.counts),
        tile=self.tile, with_offsets=self.with_offsets, **kwargs)

  def merge(self, x_hallu, pm=None):
    sizes, starts = self.plan.sizes, self.plan.starts
    j = starts[:, 3]
    crops = [layers.crop_each(x_hallu, j - starts[:, 1] // 4, sizes[3])]
    if pm is not None:
      crops.append(layers.crop_each(pm, j - starts[:, 2], sizes[3]))
    return super().merge(*crops)

  def _canvas(self, y: jax.Array, starts: jax.Array) -> jax.Array:
    """`y` placed at `starts` on zeros of the image size."""
    zeros = jnp.zeros((y.shape[0], *self.hw, y.shape[-1]), y.dtype)
    return _place(zeros, y, starts)


def hole_aware_forward(
    gen: generator_lib.InpaintGenerator, x: jax.Array, mask: jax.Array,
    plan: Plan, *, tile: tuple[int, int] | None = None,
    with_offsets: bool = True, edge: jax.Array | None = None,
) -> tuple[jax.Array, jax.Array, jax.Array]:
  """The generator's forward restricted to what reaches the holes.

  Args:
    gen: the generator.
    x: [B, H, W, 3] in [-1, 1], H and W multiples of 8.
    mask: [B, H, W, 1], 1 = hole; its holes are the plan's.
    plan: a `Plan` (its arrays may be traced).
    tile: attention query tile (the plan's).
    with_offsets: compute the attention offsets (else zeros; faster).
    edge: the sketch of a guided generator (see the generator's call).

  Returns:
    (x_stage1, x_stage2, offsets) like the generator. Both images are exact
    at every hole pixel that the plan's `out_mask` selected (x_stage1 at every
    hole pixel) and 0 far from them; offsets are exact for the computed
    queries and 0 elsewhere.
  """
  wiring = HoleAwareWiring(plan, x.shape[1:3], tile=tile,
                           with_offsets=with_offsets)
  return gen(x, mask, edge=edge, wiring=wiring)
