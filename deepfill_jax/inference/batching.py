# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Many images: grouped by size, batched to a pixel budget, retried on failure.

`inpaint_many` runs any `Model` (an `inference.Inpainter`, an export, a test
double) over many images of any sizes: images of one size run in batches of
one fixed size (one compile per size), at most `BATCH_PIXELS` padded pixels
each, and a failed batch is retried image by image, so one bad image costs
only itself. The CLI (`inpaint.py`), the web demo and the evaluation runner
use it.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Hashable, Iterable, Iterator
from typing import Protocol, Sequence

import numpy as np

from deepfill_jax.inference import memory
from deepfill_jax.inference.two_scale import Sizes
from deepfill_jax.data import pixels

# Batches hold at most this many (padded) pixels, and dense attention at
# most `memory.MEMORY_FRACTION` of the free memory.
BATCH_PIXELS = 1 << 22


class Model(Protocol):
  """What `inpaint_many` needs of a model (`Inpainter` has it all).

  `batch_outputs` is used only for flows, `__call__` and `outputs` only
  with a `context` or where `runs_whole` is False (the working size),
  `replace` only with 'dense' attention.
  """

  attention: str | None  # 'auto' (plans sizes), 'dense', None: fixed.
  context: int | None  # Set: one image at a time, window by window.

  def replace(self, **changes: Any) -> Model: ...

  def runs_whole(self, hole: np.ndarray) -> bool: ...

  def plan_sizes(self, masks: Sequence[np.ndarray],
                 min_sizes: Sizes | None = None) -> Sizes | None: ...

  def inpaint_batch(self, images: Sequence[np.ndarray],
                    masks: Sequence[np.ndarray], *,
                    sizes: Sizes | None = None, edges=None) -> np.ndarray: ...

  def batch_outputs(self, images: Sequence[np.ndarray],
                    masks: Sequence[np.ndarray], *, return_flow: bool,
                    sizes: Sizes | None = None, edges=None) -> Any: ...

  def __call__(self, image: np.ndarray, mask: np.ndarray, *,
               edge: np.ndarray | None = None) -> np.ndarray: ...

  def outputs(self, image: np.ndarray, mask: np.ndarray, *,
              return_flow: bool, edge: np.ndarray | None = None) -> Any: ...


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
  if model.attention != 'dense':
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
  return model.replace(attention='auto'), limit


def _run_batch(model: Model, images: list[np.ndarray],
               holes: list[np.ndarray], edges: list[np.ndarray | None],
               limit: int, sizes: Sizes | None, log: Callable[[str], None],
               flow: bool = False
               ) -> tuple[list[np.ndarray | None], list[BaseException | None],
                          list[np.ndarray | None]]:
  """Runs one batch padded to `limit`: (outputs, errors, flows). A failed
  batch is retried one image at a time, so one bad image costs only itself;
  flows are None unless `flow`. `edges` (sketches or None) go with their
  images (the model sees none if all are None)."""
  pad = limit - len(images)
  extra = {}
  if any(e is not None for e in edges):
    extra['edges'] = edges + edges[-1:] * pad
  padded = images + images[-1:] * pad, holes + holes[-1:] * pad
  flows = None
  try:
    if model.context and flow:  # Window by window, one at a time.
      res = [model.outputs(image, hole, return_flow=True, edge=edge)
             for image, hole, edge in zip(images, holes, edges)]
      outs, flows = [r.image for r in res], [r.flow for r in res]
    elif model.context or not (flow or all(map(model.runs_whole, holes))):
      outs = [model(image, hole, edge=edge)
              for image, hole, edge in zip(images, holes, edges)]
    elif flow:
      res = model.batch_outputs(*padded, return_flow=True, sizes=sizes,
                                **extra)
      outs, flows = res.image, res.flow
    else:
      outs = model.inpaint_batch(*padded, sizes=sizes, **extra)
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
  return (list(outs[:n]), [None] * n,
          [None] * n if flows is None else list(flows[:n]))


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
    limit = 1 if run.context else limit
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
        if run.attention == 'auto' and not run.context:
          plan = run.plan_sizes(batch.holes, plan)
        batch.outputs, batch.errors, batch.flows = _run_batch(
            run, batch.images, batch.holes, batch.edges, limit, plan, log,
            return_flow)
        yield batch
      progress(len(chunk))
