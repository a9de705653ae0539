# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Inpainting at any resolution: the `Inpainter` API.

`Inpainter(generator)(image, mask)` takes a uint8 image of any size and a
hole mask and returns the inpainted uint8 image of that size; known pixels
are returned bit-exactly. H, W are padded to multiples of 8 by reflection
(`pixels.pad_stack`). `attention='auto'` is exact but hole-aware
(`models.hole_aware`); `two_scale=D` adds a 2x pass for each hole's rim
(`two_scale`); a guided v2 generator also takes a sketch per image;
`inpaint_many` runs images of any sizes (`batching`). See docs/inference.md.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import math
from typing import Any, Callable, Hashable, Iterable, Iterator, NamedTuple
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from deepfill_jax.inference import batching
from deepfill_jax.checkpoints import store
from deepfill_jax.inference import context_windows
from deepfill_jax.data import image_io
from deepfill_jax.inference import memory
from deepfill_jax.data import pixels
from deepfill_jax.checkpoints import pretrained
from deepfill_jax.inference import membrane
from deepfill_jax.inference import two_scale as two_scale_lib
from deepfill_jax.inference import working_size as working_size_lib
from deepfill_jax.models import flow as flow_lib
from deepfill_jax.models import generator as generator_lib
from deepfill_jax.models.generator import GRID
from deepfill_jax.models.hole_aware import Plan
from deepfill_jax.models.hole_aware import hole_aware_forward
from deepfill_jax.models.hole_aware import make_plan

ATTENTION_MODES = ('auto', 'dense')
# Called after each compiled pass, if set (`pass_progress`).
_PASS_DONE: contextvars.ContextVar[Callable[[], None] | None] = (
    contextvars.ContextVar('pass_done', default=None))


@contextlib.contextmanager
def pass_progress(done: Callable[[], None]) -> Iterator[None]:
  """Within the block, `done()` is called after each pass an `Inpainter`
  runs (two per image with `two_scale`, one per window with `context`), in
  this thread: a progress bar's hook."""
  token = _PASS_DONE.set(done)
  try:
    yield
  finally:
    _PASS_DONE.reset(token)


class InpaintResult(NamedTuple):
  """Outputs of an `Inpainter` call; unrequested fields are None."""
  image: np.ndarray                    # uint8 [..., H, W, 3]
  flow: np.ndarray | None = None       # uint8 [..., H, W, 3] attention flow
  coarse: np.ndarray | None = None     # uint8 [..., H, W, 3] stage-1 result


@functools.partial(jax.jit, static_argnames=('graphdef', 'mode', 'sizes',
                                             'tile', 'coarse', 'flow'))
def _run(graphdef, state, image, mask, edge, starts, tiles, counts, blend,
         *, mode, sizes, tile, coarse, flow):
  """uint8 in, composited uint8 (and offsets, coarse if asked) out, padded;
  `edge` (bool, like `mask`) only for a guided generator; `blend`: None or
  (known ring, membrane share) of `membrane.blend`."""
  gen = nnx.merge(graphdef, state)
  x = pixels.to_unit(image)
  m = mask[..., None].astype(jnp.float32)
  e = None if edge is None else edge[..., None].astype(jnp.float32)
  if mode == 'dense':
    x1, x2, offsets = gen(x, m, edge=e)
  else:
    x1, x2, offsets = hole_aware_forward(
        gen, x, m, Plan(sizes, starts, tiles, counts), tile=tile,
        with_offsets=flow, edge=e)
  hole = mask[..., None]
  if blend is None:
    out = jnp.where(hole, pixels.to_uint8(x2), image)
  else:
    fill = membrane.blend(pixels.from_unit(x2), image, mask, *blend)
    out = jnp.where(hole, pixels.round_uint8(fill), image)
  out1 = jnp.where(hole, pixels.to_uint8(x1), image) if coarse else None
  return out, offsets if flow else None, out1


# ----------------------------------------------------------------------------
# Host API.
# ----------------------------------------------------------------------------


as_rgb = image_io.as_rgb  # For callers of `inference.as_rgb`.


class Inpainter:
  """Inpaints uint8 images of any size with a DeepFill v1 or v2 generator.

  Example:
    inpainter = Inpainter.pretrained()   # the model shipped with the package
    inpainter = Inpainter.from_checkpoint('ckpt/places2')
    out = inpainter(image, mask)   # uint8 [H, W, 3]
  """

  def __init__(self, generator: generator_lib.InpaintGenerator, *,
               attention: str = 'auto',
               tile: tuple[int, int] | None = None,
               max_pixels: int | None = memory.DEFAULT_MAX_PIXELS,
               context: int | None = None, two_scale: int = 0,
               working_size: str | int = 'auto', blend: bool = False):
    """Wraps a generator.

    Args:
      generator: the (trained) generator (v1 or v2); RGB channel order.
      attention: 'auto' (exact, hole-aware and memory-efficient) or 'dense'
        (the reference layer; memory grows with (HW)^2).
      tile: attention query tile for 'auto' (default: by image size).
      max_pixels: largest H * W inpainted at once (None or 0: no limit);
        larger images, or runs whose estimated memory exceeds the free
        memory, raise `memory.MemoryLimitError` before any work.
      context: if set, `__call__` inpaints each group of holes in a window
        of this many pixels around it instead of the whole image (for huge
        photos; results differ, see `context_windows`).
      two_scale: D > 0: the hole pixels near the known ones come from a
        second pass at twice the size, all of them up to D/2 px away, blended
        into the 1x pass by 3D/2 px (`two_scale`; about 5x the work and 4x
        the memory of one pass); 0: one pass.
      working_size: how `__call__` treats large photos (`working_size`):
        'auto' inpaints a shrunk copy where the holes are wide for the
        network, each group of holes in a window, and restores the detail
        (at the image's size, windows only: the rest as 'full'); an int N
        shrinks the image to a longest side of at most N; 'full' runs the
        generator on the whole image at its size (exactly as
        `inpaint_batch`, which always does).
      blend: shift the network's fill to meet the hole's border and fill
        thin holes with a membrane from it (`membrane`); False: the
        network's own fill, as the original.
    """
    if attention not in ATTENTION_MODES:
      raise ValueError(f'attention must be one of {ATTENTION_MODES}, got '
                       f'{attention!r}.')
    self.generator = generator
    self.attention = attention
    self.tile = None if tile is None else tuple(tile)
    self.max_pixels = max_pixels
    self.context = context
    self.two_scale = two_scale_lib.check_width(two_scale)
    self.working_size = working_size_lib.check(working_size)
    self.blend = bool(blend)
    self._graphdef, self._state = nnx.split(generator)

  def replace(self, **changes: Any) -> Inpainter:
    """This generator with some settings changed (as `__init__` takes)."""
    settings = dict(attention=self.attention, tile=self.tile,
                    max_pixels=self.max_pixels, context=self.context,
                    two_scale=self.two_scale, working_size=self.working_size,
                    blend=self.blend)
    return type(self)(self.generator, **{**settings, **changes})

  def check_memory(self, hw: tuple[int, int], batch: int = 1,
                   sizes=None, *, dense: bool | None = None) -> None:
    """Raises `memory.MemoryLimitError` if `batch` images of size `hw`
    (with hole windows of plan `sizes`, default: small) do not fit; `dense`
    overrides whether the dense attention's scores count. With `two_scale`
    the 2x pass, the larger, is checked; with a `working_size` other than
    'full', its largest working pass and the restoration at full size."""
    if self.working_size != 'full':
      pixels_hw = int(hw[0]) * int(hw[1])
      side = math.isqrt(working_size_lib.MAX_PIXELS)
      small = pixels_hw <= working_size_lib.MAX_PIXELS
      need = self._need(hw if small else (side, side), batch, None, False)
      if not small:
        need += working_size_lib.BYTES_PER_PIXEL * batch * pixels_hw
      memory.check(hw, need, max_pixels=self.max_pixels,
                   free=memory.available_memory())
      return
    if self.two_scale:
      self._check_pass(self._enlarged(hw), batch, sizes.two if sizes else None,
                       dense, image_hw=hw)
    else:
      self._check_pass(hw, batch, sizes.one if sizes else None, dense)

  @staticmethod
  def _enlarged(hw) -> tuple[int, int]:
    """The size of the 2x pass over an image of size `hw`."""
    return tuple(two_scale_lib.FACTOR * int(n) for n in hw)

  def _need(self, hw, batch, sizes, dense) -> int:
    """`memory.estimate_bytes` of one pass over images of size `hw`."""
    dense = self.attention == 'dense' if dense is None else dense
    dense = memory.dense_attention_bytes(hw) if dense else 0
    window = max(sizes[:2], key=lambda s: s[0] * s[1]) if sizes else (0, 0)
    return memory.estimate_bytes(pixels.padded_size(hw),
                                 cnum=self.generator.cnum, batch=batch,
                                 window_hw=window, dense_attention_bytes=dense)

  def _check_pass(self, hw, batch, sizes, dense, image_hw=None) -> None:
    """`check_memory` of one pass over images of size `hw` (the 2x pass of
    images of size `image_hw`, if given)."""
    memory.check(hw, self._need(hw, batch, sizes, dense),
                 max_pixels=self.max_pixels, free=memory.available_memory(),
                 image_hw=image_hw)

  def pass_costs(self, holes: np.ndarray
                 ) -> list[tuple[tuple[int, int], int]]:
    """(size, estimated peak bytes) of each pass that inpainting one image
    with the hole mask `holes` (bool [H, W]) runs, in order (the 2x pass
    first with `two_scale`); the whole image, whatever `context` says."""
    hw = tuple(holes.shape[:2])
    sizes = self.plan_sizes([holes]) if self.attention == 'auto' else None
    one, two = sizes or (None, None)
    if not self.two_scale:
      return [(hw, self._need(hw, 1, one, None))]
    big = self._enlarged(hw)
    return [(big, self._need(big, 1, two, None)),
            (hw, self._need(hw, 1, one, None))]

  @classmethod
  def from_checkpoint(cls, path: str | None, *, step: int | None = None,
                      two_scale: int | None = None,
                      blend: bool | None = None, **kwargs) -> Inpainter:
    """Loads an inference checkpoint or the latest step of a training workdir.

    Args:
      path: checkpoint directory (see `deepfill_jax.checkpoints.store`), or the
        name of a shipped model (None: `deepfill_jax.checkpoints.pretrained.DEFAULT`).
      step: workdir step to load (default: latest).
      two_scale: as `Inpainter`; None: what the checkpoint's generator.json
        asks for ("inference": {"two_scale": D}), else 0.
      blend: as `Inpainter`; None: the checkpoint's ("inference":
        {"blend": true}), else False.
      **kwargs: forwarded to `Inpainter`.
    """
    gen, meta = store.load_generator(path, step=step)
    asks = meta.get('inference', {})
    two_scale = asks.get('two_scale', 0) if two_scale is None else two_scale
    blend = asks.get('blend', False) if blend is None else blend
    return cls(gen, two_scale=two_scale, blend=blend, **kwargs)

  @classmethod
  def pretrained(cls, name: str = pretrained.DEFAULT, **kwargs
                 ) -> Inpainter:
    """The model `name` shipped with the package (`deepfill_jax.checkpoints.pretrained`).

    Args:
      name: one of `deepfill_jax.checkpoints.pretrained.MODELS`.
      **kwargs: forwarded to `Inpainter`.
    """
    return cls.from_checkpoint(pretrained.path(name), **kwargs)

  @staticmethod
  def _hole_masks(masks, hw) -> list[np.ndarray]:
    """Bool holes [H, W] by the mask convention; one-line errors."""
    return [image_io.hole_mask(m, hw, f'mask {i}')
            for i, m in enumerate(masks)]

  def _holes(self, masks, hw):
    """Padded bool holes [B, H', W'] and the pixels whose output counts
    (unpadded holes, and with `blend` their rings)."""
    masks = self._hole_masks(masks, hw)
    holes = pixels.pad_stack(masks, hw)
    out_mask = np.zeros_like(holes)
    out_mask[:, :hw[0], :hw[1]] = masks
    if self.blend:
      out_mask[:, :hw[0], :hw[1]] |= np.stack([membrane.ring(m)
                                               for m in masks])
    return holes, out_mask

  def plan_sizes(self, masks: Sequence[np.ndarray],
                 min_sizes: two_scale_lib.Sizes | None = None
                 ) -> two_scale_lib.Sizes:
    """Crop sizes that cover every mask, to compile one shape for all.

    Args:
      masks: hole masks of one image size ([H, W], see `image_io.MASK_RULE`).
      min_sizes: sizes to grow from (e.g. of earlier masks).

    Returns:
      Pass as `sizes=` to `inpaint_batch`; `.two` is None without
      `two_scale`.
    """
    one, two = min_sizes or (None, None)
    return two_scale_lib.Sizes(
        self._plan_pass(masks, one),
        self._plan_pass(
            [two_scale_lib.enlarge_mask(np.asarray(m)) for m in masks], two)
        if self.two_scale else None)

  def _plan_pass(self, masks, min_sizes):
    """`plan_sizes` of one pass over `masks`."""
    holes, out_mask = self._holes(masks, np.asarray(masks[0]).shape[:2])
    return make_plan(holes, out_mask, tile=self.tile,
                     min_sizes=min_sizes).sizes

  def _edges(self, edges, count: int, hw) -> list[np.ndarray] | None:
    """Bool sketches [H, W] (a None one: empty, as a guided generator's
    default) checked for a guided generator; None without sketches."""
    if edges is None:
      return None
    if not self.generator.guided:
      raise ValueError('a sketch (edge) needs a sketch-guided DeepFill v2 '
                       'generator; this one has guided=False.')
    if len(edges) != count:
      raise ValueError(f'edges: one sketch (or None) per image, got '
                       f'{len(edges)} for {count} images.')
    return [np.zeros(hw, bool) if e is None else
            image_io.as_edge(e, hw, f'edge {i}') for i, e in enumerate(edges)]

  @staticmethod
  def _rgb_batch(images, masks) -> tuple[list[np.ndarray], tuple[int, int]]:
    """RGB images of one size, one per mask, and their size; else a
    one-line ValueError."""
    if len(images) != len(masks) or not len(images):
      raise ValueError(f'inpaint_batch: need as many masks as images (>0), got '
                       f'{len(images)} images and {len(masks)} masks.')
    images = [as_rgb(im, f'image {i}') for i, im in enumerate(images)]
    hw = images[0].shape[:2]
    if any(im.shape[:2] != hw for im in images):
      raise ValueError('inpaint_batch: all images must have the same size.')
    return images, hw

  def _run_args(self, images, masks, sizes, coarse=False, flow=False,
                edges=None, scale=1):
    """Arguments of the compiled `_run` for a batch (`scale`: 2 for the
    2x pass of `two_scale`)."""
    images, hw = self._rgb_batch(images, masks)
    holes, out_mask = self._holes(masks, hw)
    blend = None
    if self.blend:
      unpadded = out_mask & holes
      pad = [(0, 0), (0, holes.shape[1] - hw[0]), (0, holes.shape[2] - hw[1])]
      blend = (out_mask & ~holes,
               np.pad(np.stack([membrane.weights(h[:hw[0], :hw[1]], scale)
                                for h in unpadded]), pad))
    edges = self._edges(edges, len(images), hw)
    plan = Plan(None, None, None, None)
    if self.attention == 'auto':
      plan = make_plan(holes, out_mask, tile=self.tile, min_sizes=sizes)
    edges = None if edges is None else pixels.pad_stack(edges, hw)
    return ((self._graphdef, self._state, pixels.pad_stack(images, hw), holes,
             edges, plan.starts, plan.tiles, plan.counts, blend),
            dict(mode=self.attention, sizes=plan.sizes, tile=self.tile,
                 coarse=coarse, flow=flow))

  def lower(self, images, masks, *, sizes: two_scale_lib.Sizes | None = None
            ) -> jax.stages.Lowered:
    """The lowered program `inpaint_batch` runs (cost and memory analysis;
    with `two_scale`, that of the 1x pass)."""
    args, kwargs = self._run_args(images, masks, sizes.one if sizes else None)
    return _run.lower(*args, **kwargs)

  def inpaint_batch(self, images: Sequence[np.ndarray] | np.ndarray,
                    masks: Sequence[np.ndarray] | np.ndarray, *,
                    sizes: two_scale_lib.Sizes | None = None,
                    edges=None) -> np.ndarray:
    """Inpaints images of one size in a single compiled batch.

    Args:
      images: B uint8 images [H, W] / [H, W, 3] / [H, W, 4] of one size.
      masks: B masks [H, W]: bool (True = hole), uint8 (hole where >= 128)
        or float in [0, 1] (hole where > 0.5); anything else is an error.
      sizes: crop sizes from `plan_sizes` (to reuse one compiled shape).
      edges: B sketches for a guided v2 generator (`image_io.as_edge`; a
        None one: empty), or None (no sketch).

    Returns:
      uint8 [B, H, W, 3].
    """
    return self.batch_outputs(images, masks, sizes=sizes, edges=edges).image

  def batch_outputs(self, images: Sequence[np.ndarray] | np.ndarray,
                    masks: Sequence[np.ndarray] | np.ndarray, *,
                    return_flow: bool = False, return_coarse: bool = False,
                    sizes: two_scale_lib.Sizes | None = None,
                    edges=None) -> InpaintResult:
    """`inpaint_batch` with the extra outputs asked for: the attention flow
    images and the composited stage-1 results (with `two_scale`, the 1x
    pass's), each uint8 [B, H, W, 3]."""
    one, two = sizes or (None, None)
    if self.two_scale:
      return self._two_scale_batch(images, masks, return_flow, return_coarse,
                                   one, two, edges)
    return self._inpaint_pass(images, masks, return_flow, return_coarse,
                              one, edges)

  def _inpaint_pass(self, images, masks, return_flow, return_coarse, sizes,
                    edges, image_hw=None) -> InpaintResult:
    """`inpaint_batch` of one pass: one compiled program over the batch
    (`image_hw`: the images' own size, if this is their 2x pass)."""
    args, kwargs = self._run_args(images, masks, sizes, return_coarse,
                                  return_flow, edges,
                                  1 if image_hw is None else 2)
    self._check_pass(np.asarray(images[0]).shape[:2], len(images),
                     kwargs['sizes'], None, image_hw)
    out, offsets, coarse = _run(*args, **kwargs)
    done = _PASS_DONE.get()
    if done is not None:
      done()
    hgt, wid = np.asarray(images[0]).shape[:2]
    out = np.asarray(out)[:, :hgt, :wid]
    flow = None
    if return_flow:
      flow = flow_lib.enlarge(flow_lib.flow_to_image(np.asarray(offsets)), GRID,
                              self.generator.flow_upsampling)[:, :hgt, :wid]
    if return_coarse:
      coarse = np.asarray(coarse)[:, :hgt, :wid]
    return InpaintResult(out, flow, coarse if return_coarse else None)

  def _two_scale_batch(self, images, masks, return_flow, return_coarse,
                       one, two, edges) -> InpaintResult:
    """`inpaint_batch` with `two_scale`: the 2x pass (the larger, so memory
    errors come before any work), the 1x pass, then `two_scale.combine`."""
    images, hw = self._rgb_batch(images, masks)
    holes = self._hole_masks(masks, hw)
    edges = self._edges(edges, len(images), hw)
    self.check_memory(hw, len(images),
                      two_scale_lib.Sizes(one, two))  # Before enlarging.
    big = self._inpaint_pass(
        [two_scale_lib.enlarge_image(im) for im in images],
        [two_scale_lib.enlarge_mask(h) for h in holes], False, False, two,
        edges and [two_scale_lib.enlarge_mask(e) for e in edges], hw)
    res = self._inpaint_pass(images, holes, return_flow, return_coarse, one,
                             edges)
    out = two_scale_lib.combine(res.image, big.image, np.stack(holes),
                                self.two_scale)
    return res._replace(image=out)

  def runs_whole(self, hole: np.ndarray) -> bool:
    """Whether `__call__` runs `hole` (bool [H, W]) as `inpaint_batch`
    does (else window by window, `working_size`)."""
    return working_size_lib.whole_image(hole, self.working_size,
                                        self.context)

  def __call__(self, image: np.ndarray, mask: np.ndarray, *,
               edge: np.ndarray | None = None) -> np.ndarray:
    """Inpaints one image.

    Args:
      image: uint8 [H, W], [H, W, 3] (RGB) or [H, W, 4] (alpha ignored).
      mask: [H, W] bool (True = hole), uint8 (hole where >= 128) or float
        in [0, 1] (hole where > 0.5); other values raise ValueError.
      edge: a sketch [H, W] (`image_io.as_edge`) for a guided v2
        generator; it counts inside the hole only. With `context` each
        window gets its crop of the sketch.

    Returns:
      uint8 [H, W, 3] (known pixels unchanged).
    """
    return self.outputs(image, mask, edge=edge).image

  def outputs(self, image: np.ndarray, mask: np.ndarray, *,
              return_flow: bool = False, return_coarse: bool = False,
              edge: np.ndarray | None = None) -> InpaintResult:
    """`__call__` with the extra outputs asked for.

    Args:
      image, mask, edge: as `__call__`.
      return_flow: also the attention flow image ([H, W, 3]; the
        1/8-resolution offsets enlarged, v1: 8x8 blocks, v2: bilinearly;
        white = attends to itself).
      return_coarse: also the composited stage-1 (coarse) result.
    """
    rgb = as_rgb(image)
    hole = image_io.hole_mask(mask, rgb.shape[:2])
    if edge is not None:  # Checked even when there is nothing to inpaint.
      edge, = self._edges([edge], 1, rgb.shape[:2])
    if (self.working_size != 'full' and hole.any() and not return_flow
        and not return_coarse):
      return InpaintResult(working_size_lib.inpaint(self, rgb, hole, edge,
                                                    _PASS_DONE.get()))
    if self.context and hole.any():
      return InpaintResult(*context_windows.inpaint(
          self, rgb, hole, self.context, return_flow=return_flow,
          return_coarse=return_coarse, edge=edge))
    if not hole.any():  # Nothing to inpaint.
      return InpaintResult(rgb.copy(),
                           np.full_like(rgb, 255) if return_flow else None,
                           rgb.copy() if return_coarse else None)
    res = self.batch_outputs([rgb], [hole], return_flow=return_flow,
                             return_coarse=return_coarse,
                             edges=None if edge is None else [edge])
    return InpaintResult(*(None if r is None else r[0] for r in res))

  def inpaint_many(self, items: Iterable[tuple[Hashable, tuple[int, int]]],
                   load: Callable[[Any], tuple[np.ndarray, ...] | None],
                   **kwargs) -> Iterator[batching.Batch]:
    """Inpaints many images of any sizes in batches; see
    `batching.inpaint_many`."""
    return batching.inpaint_many(self, items, load, **kwargs)
