# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Inpainting at any resolution: the `Inpainter` API.

`Inpainter(generator)(image, mask)` takes a uint8 image of any size and a hole
mask and returns the inpainted uint8 image of the same size; known pixels are
returned bit-exactly. See docs/inference.md.

Padding: H and W are padded to multiples of 8 by reflection; the mask is
reflected with the image, so padded pixels that mirror known pixels are known
context and those that mirror hole pixels are holes (hole content never leaks
into the context). The output is cropped back.

`attention='auto'` (default) computes exactly the composited output of the
dense generator but only the work that can reach a hole pixel:

* The stage-2 decoders (`pmconv9/10`, `allconv*`) run on a crop around the
  holes, the dilated branch (`xconv*`) on that crop widened by its receptive
  field, and the coarse network on the holes' bounding box widened by its
  receptive field (its output is used only inside holes).
* The attention branch encoder runs on the whole image (its outputs are the
  keys), and the attention (`models.tiled_attention`) computes only the query
  tiles whose pasted patches reach the decoders' receptive field of the
  holes.

Crop sizes are rounded up to multiples of `WINDOW_QUANTUM` pixels so few shapes
compile; which attention tiles run is data, not shape.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from deepfill_jax import checkpointing
from deepfill_jax import context_windows
from deepfill_jax import image_io
from deepfill_jax import memory
from deepfill_jax.models import flow as flow_lib
from deepfill_jax.models import generator as generator_lib
from deepfill_jax.models import tiled_attention
from deepfill_jax.models.contextual_attention import same_pad

ATTENTION_MODES = ('auto', 'dense')
# Crop sizes are multiples of this many full-resolution pixels.
WINDOW_QUANTUM = 64
# Full-resolution crops start at multiples of this (two stride-2 convs).
_ALIGN = 4
# The network's total downscale: H and W must be multiples of it.
GRID = 8
# The dense attention keeps about this many [L, L] float32 tensors alive.
_DENSE_COPIES = 4
# The stages run on crops ("windows"), in forward order; the attention
# decoder and the merged decoder crop 1/4-resolution features.
_WINDOWS = ('coarse', 'hallucination', 'attention_decoder', 'merged_decoder')


class InpaintResult(NamedTuple):
  """Outputs of an `Inpainter` call; unrequested fields are None."""
  image: np.ndarray                    # uint8 [..., H, W, 3]
  flow: np.ndarray | None = None       # uint8 [..., H, W, 3] attention flow
  coarse: np.ndarray | None = None     # uint8 [..., H, W, 3] stage-1 result


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


def _crop(x: jax.Array, starts: jax.Array, size: tuple[int, int]) -> jax.Array:
  """Per-image crops [B, size, C] of x [B, H, W, C] at starts [B, 2]."""
  def one(xi, si):
    return jax.lax.dynamic_slice(xi, (si[0], si[1], 0), (*size, xi.shape[-1]))
  return jax.vmap(one)(x, starts)


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
    y = gen.run_stage(name, _crop(x, starts[:, k], sizes[k]))
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
    crops = [_crop(x_hallu, j - starts[:, 1] // 4, sizes[3])]
    if pm is not None:
      crops.append(_crop(pm, j - starts[:, 2], sizes[3]))
    return super().merge(*crops)

  def _canvas(self, y: jax.Array, starts: jax.Array) -> jax.Array:
    """`y` placed at `starts` on zeros of the image size."""
    zeros = jnp.zeros((y.shape[0], *self.hw, y.shape[-1]), y.dtype)
    return _place(zeros, y, starts)


def hole_aware_forward(
    gen: generator_lib.InpaintGenerator, x: jax.Array, mask: jax.Array,
    plan: Plan, *, tile: tuple[int, int] | None = None,
    with_offsets: bool = True,
) -> tuple[jax.Array, jax.Array, jax.Array]:
  """The generator's forward restricted to what reaches the holes.

  Args:
    gen: the generator.
    x: [B, H, W, 3] in [-1, 1], H and W multiples of 8.
    mask: [B, H, W, 1], 1 = hole; its holes are the plan's.
    plan: a `Plan` (its arrays may be traced).
    tile: attention query tile (the plan's).
    with_offsets: compute the attention offsets (else zeros; faster).

  Returns:
    (x_stage1, x_stage2, offsets) like the generator. Both images are exact
    at every hole pixel that the plan's `out_mask` selected (x_stage1 at every
    hole pixel) and 0 far from them; offsets are exact for the computed
    queries and 0 elsewhere.
  """
  wiring = HoleAwareWiring(plan, x.shape[1:3], tile=tile,
                           with_offsets=with_offsets)
  return gen(x, mask, wiring=wiring)


def to_uint8(y: jax.Array) -> jax.Array:
  """[-1, 1] -> uint8 by rounding (y + 1) * 127.5 (the original truncates)."""
  return jnp.clip(jnp.round((y.astype(jnp.float32) + 1.) * 127.5),
                  0, 255).astype(jnp.uint8)


@functools.partial(jax.jit, static_argnames=('graphdef', 'mode', 'sizes',
                                             'tile', 'coarse', 'flow'))
def _run(graphdef, state, image, mask, starts, tiles, counts, *, mode, sizes,
         tile, coarse, flow):
  """uint8 in, composited uint8 (and offsets, coarse if asked) out, padded."""
  gen = nnx.merge(graphdef, state)
  x = image.astype(jnp.float32) / 127.5 - 1.
  m = mask[..., None].astype(jnp.float32)
  if mode == 'dense':
    x1, x2, offsets = gen(x, m)
  else:
    x1, x2, offsets = hole_aware_forward(
        gen, x, m, Plan(sizes, starts, tiles, counts), tile=tile,
        with_offsets=flow)
  hole = mask[..., None]
  out = jnp.where(hole, to_uint8(x2), image)
  out1 = jnp.where(hole, to_uint8(x1), image) if coarse else None
  return out, offsets if flow else None, out1


# ----------------------------------------------------------------------------
# Host API.
# ----------------------------------------------------------------------------


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


def padded_size(hw: tuple[int, int]) -> tuple[int, int]:
  """(H, W) rounded up to multiples of `GRID`."""
  return tuple(-(-n // GRID) * GRID for n in hw)


def dense_attention_bytes(hw: tuple[int, int]) -> int:
  """Memory one image's dense attention needs: its [L, L] float32 scores
  (L = H/8 * W/8 after padding) live in about `_DENSE_COPIES` copies."""
  hgt, wid = padded_size(hw)
  n = (hgt // GRID) * (wid // GRID)
  return _DENSE_COPIES * 4 * n * n


def available_memory() -> int | None:
  """Bytes free for a computation on the default device, if known."""
  stats = jax.devices()[0].memory_stats()
  if stats and 'bytes_limit' in stats:
    return int(stats['bytes_limit'] - stats.get('bytes_in_use', 0))
  try:  # CPU: the host's available memory (Linux).
    with open('/proc/meminfo') as f:
      for line in f:
        if line.startswith('MemAvailable:'):
          return int(line.split()[1]) * 1024
  except (OSError, ValueError, IndexError):
    pass
  return None


def _reflect_pad(x: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
  """Pads the first two axes at the bottom/right by reflection."""
  pad = [(0, hw[0] - x.shape[0]), (0, hw[1] - x.shape[1])]
  pad += [(0, 0)] * (x.ndim - 2)
  # 'symmetric' for 1-pixel-wide images, where reflection is undefined.
  mode = 'reflect' if min(x.shape[:2]) > 1 else 'symmetric'
  return np.pad(x, pad, mode=mode)


class Inpainter:
  """Inpaints uint8 images of any size with a DeepFill v1 generator.

  Example:
    inpainter = Inpainter.from_checkpoint('ckpt/places2')
    out = inpainter(image, mask)   # uint8 [H, W, 3]
  """

  def __init__(self, generator: generator_lib.InpaintGenerator, *,
               attention: str = 'auto',
               tile: tuple[int, int] | None = None,
               max_pixels: int | None = memory.DEFAULT_MAX_PIXELS,
               context: int | None = None):
    """Wraps a generator.

    Args:
      generator: the (trained) generator; RGB channel order.
      attention: 'auto' (exact, hole-aware and memory-efficient) or 'dense'
        (the reference layer; memory grows with (HW)^2).
      tile: attention query tile for 'auto' (default: by image size).
      max_pixels: largest H * W inpainted at once (None or 0: no limit);
        larger images, or runs whose estimated memory exceeds the free
        memory, raise `memory.MemoryLimitError` before any work.
      context: if set, `__call__` inpaints each group of holes in a window
        of this many pixels around it instead of the whole image (for huge
        photos; results differ, see `context_windows`).
    """
    if attention not in ATTENTION_MODES:
      raise ValueError(f'attention must be one of {ATTENTION_MODES}, got '
                       f'{attention!r}.')
    self.generator = generator
    self.attention = attention
    self.tile = None if tile is None else tuple(tile)
    self.max_pixels = max_pixels
    self.context = context
    self._graphdef, self._state = nnx.split(generator)

  def check_memory(self, hw: tuple[int, int], batch: int = 1,
                   sizes=None, *, dense: bool | None = None) -> None:
    """Raises `memory.MemoryLimitError` if `batch` images of size `hw`
    (with hole windows of plan `sizes`, default: small) do not fit; `dense`
    overrides whether the dense attention's scores count."""
    dense = self.attention == 'dense' if dense is None else dense
    dense = dense_attention_bytes(hw) if dense else 0
    window = max(sizes[:2], key=lambda s: s[0] * s[1]) if sizes else (0, 0)
    need = memory.estimate_bytes(padded_size(hw), cnum=self.generator.cnum,
                                 batch=batch, window_hw=window,
                                 dense_attention_bytes=dense)
    memory.check(hw, need, max_pixels=self.max_pixels,
                 free=available_memory())

  @classmethod
  def from_checkpoint(cls, path: str, *, step: int | None = None,
                      **kwargs) -> Inpainter:
    """Loads an inference checkpoint or the latest step of a training workdir.

    Args:
      path: checkpoint directory (see `deepfill_jax.checkpointing`).
      step: workdir step to load (default: latest).
      **kwargs: forwarded to `Inpainter`.
    """
    gen, _ = checkpointing.load_generator(path, step=step)
    return cls(gen, **kwargs)

  @staticmethod
  def _holes(masks, hw):
    """Padded bool holes [B, H', W'] and the unpadded holes as output mask."""
    phw = padded_size(hw)
    masks = [image_io.hole_mask(m, hw, f'mask {i}')
             for i, m in enumerate(masks)]
    holes = np.stack([_reflect_pad(m, phw) for m in masks])
    out_mask = np.zeros_like(holes)
    out_mask[:, :hw[0], :hw[1]] = masks
    return holes, out_mask

  def plan_sizes(self, masks: Sequence[np.ndarray],
                 min_sizes=None) -> tuple[tuple[int, int], ...]:
    """Crop sizes that cover every mask, to compile one shape for all.

    Args:
      masks: hole masks of one image size ([H, W], see `image_io.MASK_RULE`).
      min_sizes: sizes to grow from (e.g. of earlier masks).

    Returns:
      Pass as `sizes=` to `inpaint_batch`.
    """
    holes, out_mask = self._holes(masks, np.asarray(masks[0]).shape[:2])
    return make_plan(holes, out_mask, tile=self.tile,
                     min_sizes=min_sizes).sizes

  def _run_args(self, images, masks, sizes, coarse=False, flow=False):
    """Arguments of the compiled `_run` for a batch."""
    if len(images) != len(masks) or not len(images):
      raise ValueError(f'inpaint_batch: need as many masks as images (>0), got '
                       f'{len(images)} images and {len(masks)} masks.')
    images = [as_rgb(im, f'image {i}') for i, im in enumerate(images)]
    hw = images[0].shape[:2]
    if any(im.shape[:2] != hw for im in images):
      raise ValueError('inpaint_batch: all images must have the same size.')
    holes, out_mask = self._holes(masks, hw)
    image = np.stack([_reflect_pad(im, padded_size(hw)) for im in images])
    plan = Plan(None, None, None, None)
    if self.attention == 'auto':
      plan = make_plan(holes, out_mask, tile=self.tile, min_sizes=sizes)
    return ((self._graphdef, self._state, image, holes, plan.starts,
             plan.tiles, plan.counts),
            dict(mode=self.attention, sizes=plan.sizes, tile=self.tile,
                 coarse=coarse, flow=flow))

  def lower(self, images, masks, *, sizes=None) -> jax.stages.Lowered:
    """The lowered program `inpaint_batch` runs (cost and memory analysis)."""
    args, kwargs = self._run_args(images, masks, sizes)
    return _run.lower(*args, **kwargs)

  def inpaint_batch(self, images: Sequence[np.ndarray] | np.ndarray,
                    masks: Sequence[np.ndarray] | np.ndarray, *,
                    return_flow: bool = False, return_coarse: bool = False,
                    sizes=None) -> np.ndarray | InpaintResult:
    """Inpaints images of one size in a single compiled batch.

    Args:
      images: B uint8 images [H, W] / [H, W, 3] / [H, W, 4] of one size.
      masks: B masks [H, W]: bool (True = hole), uint8 (hole where >= 128)
        or float in [0, 1] (hole where > 0.5); anything else is an error.
      return_flow: also return the attention flow images.
      return_coarse: also return the composited stage-1 results.
      sizes: crop sizes from `plan_sizes` (to reuse one compiled shape).

    Returns:
      uint8 [B, H, W, 3], or an `InpaintResult` if extra outputs were asked.
    """
    args, kwargs = self._run_args(images, masks, sizes, return_coarse,
                                  return_flow)
    self.check_memory(np.asarray(images[0]).shape[:2], len(images),
                      kwargs['sizes'])
    out, offsets, coarse = _run(*args, **kwargs)
    hgt, wid = np.asarray(images[0]).shape[:2]
    out = np.asarray(out)[:, :hgt, :wid]
    if not (return_flow or return_coarse):
      return out
    flow = None
    if return_flow:
      flow = flow_lib.flow_to_image(np.asarray(offsets))
      flow = np.repeat(np.repeat(flow, GRID, 1), GRID, 2)[:, :hgt, :wid]
    if return_coarse:
      coarse = np.asarray(coarse)[:, :hgt, :wid]
    return InpaintResult(out, flow, coarse if return_coarse else None)

  def __call__(self, image: np.ndarray, mask: np.ndarray, *,
               return_flow: bool = False,
               return_coarse: bool = False) -> np.ndarray | InpaintResult:
    """Inpaints one image.

    Args:
      image: uint8 [H, W], [H, W, 3] (RGB) or [H, W, 4] (alpha ignored).
      mask: [H, W] bool (True = hole), uint8 (hole where >= 128) or float
        in [0, 1] (hole where > 0.5); other values raise ValueError.
      return_flow: also return the attention flow image ([H, W, 3]; each
        1/8-resolution offset shown as an 8x8 block, white = attends to
        itself).
      return_coarse: also return the composited stage-1 (coarse) result.

    Returns:
      uint8 [H, W, 3] (known pixels unchanged), or an `InpaintResult`.
    """
    rgb = as_rgb(image)
    hole = image_io.hole_mask(mask, rgb.shape[:2])
    if self.context and hole.any():
      return context_windows.inpaint(self, rgb, hole, self.context,
                                     return_flow=return_flow,
                                     return_coarse=return_coarse)
    if not hole.any():  # Nothing to inpaint.
      res = InpaintResult(rgb.copy(),
                          np.full_like(rgb, 255) if return_flow else None,
                          rgb.copy() if return_coarse else None)
      return res if return_flow or return_coarse else res.image
    res = self.inpaint_batch([rgb], [hole], return_flow=return_flow,
                             return_coarse=return_coarse)
    if isinstance(res, InpaintResult):
      return InpaintResult(*(None if r is None else r[0] for r in res))
    return res[0]
