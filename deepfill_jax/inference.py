# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Inpainting at any resolution: the `Inpainter` API.

`Inpainter(generator)(image, mask)` takes a uint8 image of any size and a hole
mask and returns the inpainted uint8 image of the same size; known pixels are
returned bit-exactly. See docs/inference.md.

H and W are padded to multiples of 8 by reflection, the mask (and sketch)
with the image, and the output cropped back (`pixels.pad_stack`).

`attention='auto'` (default) computes exactly the composited output of the
dense generator but only the work that can reach a hole pixel
(`models.hole_aware`).

DeepFill v2 generators run the same way (flow pictures enlarged
bilinearly, as the original's). A guided one also takes a sketch per image,
which goes wherever its image goes: padded with it, cropped with it to each
context window, batched and retried with it.

`Inpainter.inpaint_many` runs many images of any sizes: grouped by size,
batched to `BATCH_PIXELS`, a failed batch retried image by image. The CLI
(`inpaint.py`) and the evaluation runner use it.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Callable, Hashable, Iterable, Iterator, NamedTuple
from typing import Protocol, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from deepfill_jax import checkpointing
from deepfill_jax import context_windows
from deepfill_jax import image_io
from deepfill_jax import memory
from deepfill_jax import pixels
from deepfill_jax import pretrained
from deepfill_jax.models import flow as flow_lib
from deepfill_jax.models import generator as generator_lib
from deepfill_jax.models.generator import GRID
from deepfill_jax.models.hole_aware import Plan
from deepfill_jax.models.hole_aware import hole_aware_forward
from deepfill_jax.models.hole_aware import make_plan

ATTENTION_MODES = ('auto', 'dense')
# `inpaint_many` batches hold at most this many (padded) pixels, and dense
# attention at most `memory.MEMORY_FRACTION` of the free memory.
BATCH_PIXELS = 1 << 22


class InpaintResult(NamedTuple):
  """Outputs of an `Inpainter` call; unrequested fields are None."""
  image: np.ndarray                    # uint8 [..., H, W, 3]
  flow: np.ndarray | None = None       # uint8 [..., H, W, 3] attention flow
  coarse: np.ndarray | None = None     # uint8 [..., H, W, 3] stage-1 result


@functools.partial(jax.jit, static_argnames=('graphdef', 'mode', 'sizes',
                                             'tile', 'coarse', 'flow'))
def _run(graphdef, state, image, mask, edge, starts, tiles, counts, *, mode,
         sizes, tile, coarse, flow):
  """uint8 in, composited uint8 (and offsets, coarse if asked) out, padded;
  `edge` (bool, like `mask`) only for a guided generator."""
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
  out = jnp.where(hole, pixels.to_uint8(x2), image)
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
               context: int | None = None):
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
    dense = memory.dense_attention_bytes(hw) if dense else 0
    window = max(sizes[:2], key=lambda s: s[0] * s[1]) if sizes else (0, 0)
    need = memory.estimate_bytes(pixels.padded_size(hw),
                                 cnum=self.generator.cnum, batch=batch,
                                 window_hw=window, dense_attention_bytes=dense)
    memory.check(hw, need, max_pixels=self.max_pixels,
                 free=memory.available_memory())

  @classmethod
  def from_checkpoint(cls, path: str | None, *, step: int | None = None,
                      **kwargs) -> Inpainter:
    """Loads an inference checkpoint or the latest step of a training workdir.

    Args:
      path: checkpoint directory (see `deepfill_jax.checkpointing`), or the
        name of a shipped model (None: `deepfill_jax.pretrained.DEFAULT`).
      step: workdir step to load (default: latest).
      **kwargs: forwarded to `Inpainter`.
    """
    gen, _ = checkpointing.load_generator(path, step=step)
    return cls(gen, **kwargs)

  @classmethod
  def pretrained(cls, name: str = pretrained.DEFAULT, **kwargs
                 ) -> Inpainter:
    """The model `name` shipped with the package (`deepfill_jax.pretrained`).

    Args:
      name: one of `deepfill_jax.pretrained.MODELS`.
      **kwargs: forwarded to `Inpainter`.
    """
    return cls.from_checkpoint(pretrained.path(name), **kwargs)

  @staticmethod
  def _holes(masks, hw):
    """Padded bool holes [B, H', W'] and the unpadded holes as output mask."""
    masks = [image_io.hole_mask(m, hw, f'mask {i}')
             for i, m in enumerate(masks)]
    holes = pixels.pad_stack(masks, hw)
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

  def _run_args(self, images, masks, sizes, coarse=False, flow=False,
                edges=None):
    """Arguments of the compiled `_run` for a batch."""
    if len(images) != len(masks) or not len(images):
      raise ValueError(f'inpaint_batch: need as many masks as images (>0), got '
                       f'{len(images)} images and {len(masks)} masks.')
    images = [as_rgb(im, f'image {i}') for i, im in enumerate(images)]
    hw = images[0].shape[:2]
    if any(im.shape[:2] != hw for im in images):
      raise ValueError('inpaint_batch: all images must have the same size.')
    holes, out_mask = self._holes(masks, hw)
    edges = self._edges(edges, len(images), hw)
    plan = Plan(None, None, None, None)
    if self.attention == 'auto':
      plan = make_plan(holes, out_mask, tile=self.tile, min_sizes=sizes)
    edges = None if edges is None else pixels.pad_stack(edges, hw)
    return ((self._graphdef, self._state, pixels.pad_stack(images, hw), holes,
             edges, plan.starts, plan.tiles, plan.counts),
            dict(mode=self.attention, sizes=plan.sizes, tile=self.tile,
                 coarse=coarse, flow=flow))

  def lower(self, images, masks, *, sizes=None) -> jax.stages.Lowered:
    """The lowered program `inpaint_batch` runs (cost and memory analysis)."""
    args, kwargs = self._run_args(images, masks, sizes)
    return _run.lower(*args, **kwargs)

  def inpaint_batch(self, images: Sequence[np.ndarray] | np.ndarray,
                    masks: Sequence[np.ndarray] | np.ndarray, *,
                    return_flow: bool = False, return_coarse: bool = False,
                    sizes=None, edges=None) -> np.ndarray | InpaintResult:
    """Inpaints images of one size in a single compiled batch.

    Args:
      images: B uint8 images [H, W] / [H, W, 3] / [H, W, 4] of one size.
      masks: B masks [H, W]: bool (True = hole), uint8 (hole where >= 128)
        or float in [0, 1] (hole where > 0.5); anything else is an error.
      return_flow: also return the attention flow images.
      return_coarse: also return the composited stage-1 results.
      sizes: crop sizes from `plan_sizes` (to reuse one compiled shape).
      edges: B sketches for a guided v2 generator (`image_io.as_edge`; a
        None one: empty), or None (no sketch).

    Returns:
      uint8 [B, H, W, 3], or an `InpaintResult` if extra outputs were asked.
    """
    args, kwargs = self._run_args(images, masks, sizes, return_coarse,
                                  return_flow, edges)
    self.check_memory(np.asarray(images[0]).shape[:2], len(images),
                      kwargs['sizes'])
    out, offsets, coarse = _run(*args, **kwargs)
    hgt, wid = np.asarray(images[0]).shape[:2]
    out = np.asarray(out)[:, :hgt, :wid]
    if not (return_flow or return_coarse):
      return out
    flow = None
    if return_flow:
      flow = flow_lib.enlarge(flow_lib.flow_to_image(np.asarray(offsets)), GRID,
                              self.generator.flow_upsampling)[:, :hgt, :wid]
    if return_coarse:
      coarse = np.asarray(coarse)[:, :hgt, :wid]
    return InpaintResult(out, flow, coarse if return_coarse else None)

  def __call__(self, image: np.ndarray, mask: np.ndarray, *,
               return_flow: bool = False, return_coarse: bool = False,
               edge: np.ndarray | None = None
               ) -> np.ndarray | InpaintResult:
    """Inpaints one image.

    Args:
      image: uint8 [H, W], [H, W, 3] (RGB) or [H, W, 4] (alpha ignored).
      mask: [H, W] bool (True = hole), uint8 (hole where >= 128) or float
        in [0, 1] (hole where > 0.5); other values raise ValueError.
      return_flow: also return the attention flow image ([H, W, 3]; the
        1/8-resolution offsets enlarged, v1: 8x8 blocks, v2: bilinearly;
        white = attends to itself).
      return_coarse: also return the composited stage-1 (coarse) result.
      edge: a sketch [H, W] (`image_io.as_edge`) for a guided v2
        generator; it counts inside the hole only. With `context` each
        window gets its crop of the sketch.

    Returns:
      uint8 [H, W, 3] (known pixels unchanged), or an `InpaintResult`.
    """
    rgb = as_rgb(image)
    hole = image_io.hole_mask(mask, rgb.shape[:2])
    if edge is not None:  # Checked even when there is nothing to inpaint.
      edge, = self._edges([edge], 1, rgb.shape[:2])
    if self.context and hole.any():
      return context_windows.inpaint(self, rgb, hole, self.context,
                                     return_flow=return_flow,
                                     return_coarse=return_coarse, edge=edge)
    if not hole.any():  # Nothing to inpaint.
      res = InpaintResult(rgb.copy(),
                          np.full_like(rgb, 255) if return_flow else None,
                          rgb.copy() if return_coarse else None)
      return res if return_flow or return_coarse else res.image
    res = self.inpaint_batch([rgb], [hole], return_flow=return_flow,
                             return_coarse=return_coarse,
                             edges=None if edge is None else [edge])
    if isinstance(res, InpaintResult):
      return InpaintResult(*(None if r is None else r[0] for r in res))
    return res[0]

  def inpaint_many(self, items: Iterable[tuple[Hashable, tuple[int, int]]],
                   load: Callable[[Any], tuple[np.ndarray, ...] | None],
                   **kwargs) -> Iterator[Batch]:
    """Inpaints many images of any sizes in batches; see `inpaint_many`."""
    return inpaint_many(self, items, load, **kwargs)


# ----------------------------------------------------------------------------
# Many images: grouped by size, batched to a pixel budget, retried on failure.
# ----------------------------------------------------------------------------


class Model(Protocol):
  """What `inpaint_many` needs of a model (`Inpainter` has it)."""

  def plan_sizes(self, masks: Sequence[np.ndarray], min_sizes=None): ...

  def inpaint_batch(self, images: Sequence[np.ndarray],
                    masks: Sequence[np.ndarray], *, sizes=None,
                    return_flow: bool = False, edges=None
                    ) -> np.ndarray | InpaintResult: ...


@dataclasses.dataclass
class Batch:
  """One batch of `inpaint_many`: its keys, inputs and results.

  `outputs[i]` is the uint8 result of `keys[i]`, or None if inpainting it
  failed; `errors[i]` then says why. `limit` is the batch size the model
  ran (short batches are padded by repeating their last item). `flows[i]`
  is its attention flow image when `inpaint_many` was asked for flows;
  `edges[i]` its sketch, or None.
  """
  keys: list[Any]
  images: list[np.ndarray]
  holes: list[np.ndarray]
  outputs: list[np.ndarray | None]
  errors: list[BaseException | None]
  limit: int
  flows: list[np.ndarray | None] = dataclasses.field(default_factory=list)
  edges: list[np.ndarray | None] = dataclasses.field(default_factory=list)


def first_line(e: BaseException) -> str:
  """'Type: first line of the message', for one-line error reports."""
  text = str(e).strip()
  return f'{type(e).__name__}: {text.splitlines()[0]}' if text else (
      type(e).__name__)


def batch_size_for(shape: tuple[int, int], limit: int) -> int:
  """At most `limit` images of `shape` within `BATCH_PIXELS` padded pixels."""
  hgt, wid = pixels.padded_size(shape)
  return max(1, min(limit, BATCH_PIXELS // (hgt * wid)))


def fit_attention(model: Model, shape: tuple[int, int], limit: int,
                  log: Callable[[str], None] = print) -> tuple[Model, int]:
  """(model, batch size) for images of `shape` that fit in memory.

  'dense' attention needs `memory.dense_attention_bytes` per image: the
  batch is cut to what the free memory holds, and if not even one image
  fits, these images use 'auto' (same results, less memory) with a note.
  """
  if getattr(model, 'attention', None) != 'dense':
    return model, limit
  need, free = memory.dense_attention_bytes(shape), memory.available_memory()
  if free is None:
    return model, limit
  fits = int(free * memory.MEMORY_FRACTION) // need
  if fits >= 1:
    return model, min(limit, fits)
  log(f'note: {shape[1]}x{shape[0]} images: dense attention needs '
      f'{need / 2**30:.1f} GiB per image, {free / 2**30:.1f} GiB are free; '
      "using --attention=auto for them (same results, less memory).")
  return Inpainter(model.generator, attention='auto', tile=model.tile,
                   max_pixels=model.max_pixels, context=model.context), limit


def _run_batch(model: Model, images: list[np.ndarray],
               holes: list[np.ndarray], edges: list[np.ndarray | None],
               limit: int, sizes: Any, log: Callable[[str], None],
               flow: bool = False
               ) -> tuple[list[np.ndarray | None], list[BaseException | None],
                          list[np.ndarray | None]]:
  """Runs one batch padded to `limit`: (outputs, errors, flows). A failed
  batch is retried one image at a time, so one bad image costs only itself;
  flows are None unless `flow`. `edges` (sketches or None) go with their
  images (the model sees none if all are None)."""
  pad = limit - len(images)
  extra = {'return_flow': True} if flow else {}
  if any(e is not None for e in edges):
    extra['edges'] = edges + edges[-1:] * pad
  try:
    if getattr(model, 'context', None):  # Window by window, one at a time.
      outs = [model(image, hole, return_flow=flow, edge=edge)
              for image, hole, edge in zip(images, holes, edges)]
      outs = InpaintResult(*map(list, zip(*outs))) if flow else outs
    else:
      outs = model.inpaint_batch(images + images[-1:] * pad,
                                 holes + holes[-1:] * pad, sizes=sizes,
                                 **extra)
  except Exception as e:  # pylint: disable=broad-except
    if len(images) == 1:
      return [None], [e], [None]
    log(f'note: a batch of {len(images)} failed ({first_line(e)}); '
        'retrying its images one at a time.')
    outputs, errors, flows = [], [], []
    for image, hole, edge in zip(images, holes, edges):
      out, err, flw = _run_batch(model, [image], [hole], [edge], 1, None, log,
                                 flow)
      outputs += out
      errors += err
      flows += flw
    return outputs, errors, flows
  n = len(images)
  if flow:
    return list(outs.image[:n]), [None] * n, list(outs.flow[:n])
  return list(outs[:n]), [None] * n, [None] * n


def inpaint_many(model: Model,
                 items: Iterable[tuple[Hashable, tuple[int, int]]],
                 load: Callable[[Any], tuple[np.ndarray, ...] | None],
                 *, batch_size: int = 8, sizes: dict[Any, Any] | None = None,
                 log: Callable[[str], None] = print,
                 progress: Callable[[int], None] = lambda n: None,
                 return_flow: bool = False) -> Iterator[Batch]:
  """Inpaints many images, grouped by size, in batches; yields each `Batch`.

  Args:
    model: an `Inpainter` or any `Model`.
    items: (key, (H, W)) of every image, from a cheap first pass (headers).
    load: key -> (uint8 image, bool hole [H, W]) or (image, hole, sketch
      or None) for a guided generator, decoded when its batch runs, or None
      to leave the key out (the caller reported why).
    batch_size: images per batch at most (fewer for large images, see
      `BATCH_PIXELS`, and for dense attention, see `fit_attention`).
    sizes: {(H, W): crop sizes} to start each size's plan from (e.g.
      planned over all its masks in the first pass); by default the plan
      grows batch by batch.
    log: receives notes (retries, attention fallbacks).
    progress: called with the number of keys each batch consumed.
    return_flow: also fill each `Batch.flows` with attention flow images.

  Each size runs in batches of one fixed size (one compile per size unless a
  later mask needs larger crops). A failed batch is retried image by image.
  A model with a `context` runs one image at a time, window by window.
  """
  groups: dict[tuple[int, int], list[Any]] = {}
  for key, shape in items:
    groups.setdefault(tuple(shape), []).append(key)
  for shape, keys in groups.items():
    run, limit = fit_attention(
        model, shape, min(batch_size_for(shape, batch_size), len(keys)), log)
    context = getattr(run, 'context', None)
    limit = 1 if context else limit
    plan = (sizes or {}).get(shape)
    for start in range(0, len(keys), limit):
      chunk = keys[start:start + limit]
      batch = Batch([], [], [], [], [], limit)
      for key in chunk:
        loaded = load(key)
        if loaded is not None:
          batch.keys.append(key)
          batch.images.append(loaded[0])
          batch.holes.append(loaded[1])
          batch.edges.append(loaded[2] if len(loaded) > 2 else None)
      if batch.keys:
        if getattr(run, 'attention', None) == 'auto' and not context:
          plan = run.plan_sizes(batch.holes, plan)
        batch.outputs, batch.errors, batch.flows = _run_batch(
            run, batch.images, batch.holes, batch.edges, limit, plan, log,
            return_flow)
        yield batch
      progress(len(chunk))
