# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The evaluation run: every image, mask type and method, scored.

For every mask type, each image is centre-cropped and resized (or kept at
full size), gets a deterministic mask, and is inpainted by the model (in
batches, `batching.inpaint_many`) and by the baselines; the metrics of
`deepfill_jax.utils.metrics` plus SSIM are computed per image and averaged overall
and per hole-area bin, and the hole's L1 is broken down by distance from the
hole's edge (`EDGE_BANDS`). `evaluate` returns everything as one JSON-ready dict.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import os
import time
from typing import Any, Callable, Sequence

import jax
import numpy as np
from PIL import Image
from scipy import ndimage
from tqdm import tqdm

from deepfill_jax.inference import batching
from deepfill_jax.inference import export as export_lib
from deepfill_jax.data import image_io
from deepfill_jax.inference import inpainter as inpainter_lib
from deepfill_jax.utils import metrics
from deepfill_jax.data import pixels
from deepfill_jax.data import strips
from deepfill_jax.checkpoints import pretrained
from deepfill_jax.evaluation.baselines import BASELINE_FNS
from deepfill_jax.evaluation.baselines import BASELINES
from deepfill_jax.evaluation.baselines import METHOD_TITLES
from deepfill_jax.evaluation.baselines import MODEL
from deepfill_jax.evaluation.baselines import missing_extras
from deepfill_jax.evaluation.baselines import ssim
from deepfill_jax.evaluation.mask_sets import MIN_SIDE
from deepfill_jax.evaluation.mask_sets import MaskSource
from deepfill_jax.evaluation.mask_sets import load_hole
from deepfill_jax.evaluation.mask_sets import load_image
from deepfill_jax.evaluation.mask_sets import mask_sources

METRICS = metrics.NAMES + ('ssim',)
NUM_BINS = 10  # Hole-area bins of 10% each.


def hole_bin(fraction: float) -> int:
  """Index of the 10% hole-area bin; [0.1, 0.2) is bin 1, 1.0 is bin 9."""
  return min(int(math.floor(fraction * NUM_BINS)), NUM_BINS - 1)


def bin_label(index: int) -> str:
  width = 100 // NUM_BINS
  return f'{index * width}-{(index + 1) * width}%'


# Distance bands of hole pixels from the nearest known pixel (chessboard
# distance in pixels, both ends included; None: no upper end). A thin stroke
# is all edge; the centre of a wide hole is far from any known pixel.
EDGE_BANDS = ((1, 1), (2, 3), (4, 6), (7, 12), (13, None))


def band_label(band: tuple[int, int | None]) -> str:
  low, high = band
  if high is None:
    return f'>= {low} px'
  return f'{low} px' if low == high else f'{low}-{high} px'


def edge_distance(hole: np.ndarray) -> np.ndarray:
  """Chessboard distance of each hole pixel to the nearest known pixel (1
  next to one; the image border is not known), 0 at known pixels."""
  if hole.all():
    return np.full(hole.shape, np.iinfo(np.int32).max, np.int32)
  padded = np.pad(hole, 1, constant_values=True)
  dist = ndimage.distance_transform_cdt(padded, metric='chessboard')
  return np.where(hole, dist[1:-1, 1:-1], 0).astype(np.int32)


def edge_band_masks(hole: np.ndarray) -> list[np.ndarray]:
  """The hole pixels of each of `EDGE_BANDS` (bool [H, W] each)."""
  dist = edge_distance(hole)
  return [(dist >= low) & (dist <= (high or dist.max()))
          for low, high in EDGE_BANDS]


def edge_l1(pred: np.ndarray, target: np.ndarray, bands: list[np.ndarray]
            ) -> list[float | None]:
  """Per band of `edge_band_masks`: mean |pred - target| x 100 / 255 over
  its pixels and channels (uint8 images), None for an empty band."""
  error = np.abs(pred.astype(np.float64) - target).mean(-1) * (100 / 255)
  return [float(error[band].mean()) if band.any() else None
          for band in bands]


# ----------------------------------------------------------------------------
# Models.
# ----------------------------------------------------------------------------


class ExportedModel:
  """An `export.ExportedGenerator` with the `Inpainter` batch interface."""

  attention = None  # Fixed: the artifacts run the dense model.
  context = None

  def __init__(self, exported: export_lib.ExportedGenerator):
    self.exported = exported

  # pylint: disable=unused-argument
  def plan_sizes(self, masks, min_sizes=None):
    return None  # The artifacts run the dense model: nothing to plan.

  def runs_whole(self, hole) -> bool:
    return True  # At the image's size, in batches.

  def inpaint_batch(self, images, masks, *, sizes=None) -> np.ndarray:
    """Like `Inpainter.inpaint_batch` (uint8 in and out, composited)."""
    images = np.stack(images)
    holes = np.stack(masks).astype(bool)[..., None]
    _, x2, _ = self.exported(images / 127.5 - 1., holes)
    return np.where(holes, np.asarray(pixels.to_uint8(x2)), images)
  # pylint: enable=unused-argument


def load_model(path: str | None, *, step: int | None = None,
               attention: str = 'auto',
               two_scale: int | None = None,
               blend: bool | None = None) -> batching.Model:
  """An export (`.jax` file or directory with export.json), a checkpoint or a
  shipped model's name (None: the default one).

  Exports are evaluated through their serialized artifacts (what is served);
  inference checkpoints and training workdirs through `Inpainter` (with
  `two_scale` and `blend`, None: the checkpoint's own setting).
  """
  path = pretrained.resolve(path)
  if os.path.isfile(path) or os.path.isfile(
      os.path.join(path, export_lib.MANIFEST)):
    if two_scale or blend:
      raise ValueError(f'{path}: an export runs the network alone; '
                       'two-scale inference and blending need a checkpoint.')
    return ExportedModel(export_lib.load(path))
  return inpainter_lib.Inpainter.from_checkpoint(path, step=step,
                                             attention=attention,
                                             two_scale=two_scale,
                                             blend=blend)


@dataclasses.dataclass
class Settings:
  """What to evaluate (the flags of deepfill_jax/tools/evaluate.py)."""
  images: str
  masks: Sequence[str] = ('center',)
  size: int = 256
  seed: int = 0
  baselines: Sequence[str] = BASELINES
  batch_size: int = 8
  max_images: int = 0
  contact_images: int = 6
  progress: bool = True


@dataclasses.dataclass
class _Group:
  """Images of one mask type: (path, name) and size of each, and the
  model's crop sizes shared by each image size."""
  items: list[tuple[tuple[str, str], tuple[int, int]]] = dataclasses.field(
      default_factory=list)
  sizes: dict[tuple[int, int], Any] = dataclasses.field(default_factory=dict)


_metrics_fn = jax.jit(metrics.compute)


class _Timed:
  """A model whose calls' time is added to `seconds[MODEL]`: batches, and
  single images that `batching` runs alone (`runs_whole` False)."""

  def __init__(self, model: batching.Model, seconds: dict[str, float]):
    self._model, self._seconds = model, seconds

  def _timed(self, fn: Callable[..., np.ndarray], *args, **kwargs
             ) -> np.ndarray:
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    self._seconds[MODEL] = (self._seconds.get(MODEL, 0.)
                            + time.perf_counter() - start)
    return out

  def inpaint_batch(self, *args, **kwargs) -> np.ndarray:
    return self._timed(self._model.inpaint_batch, *args, **kwargs)

  def __call__(self, *args, **kwargs) -> np.ndarray:
    return self._timed(self._model, *args, **kwargs)

  def __getattr__(self, name: str) -> Any:
    return getattr(self._model, name)


class _Evaluator:
  """Runs the evaluation; holds the per-image records and timings."""

  def __init__(self, model: batching.Model, settings: Settings,
               log: Callable):
    self.model, self.settings, self.log = model, settings, log
    self.skipped: list[str] = []
    self.records: dict[str, list[dict[str, Any]]] = {}
    self.samples: dict[str, list[list[np.ndarray]]] = {}
    self.seconds: dict[str, float] = {}
    wanted, self.notes = missing_extras(list(settings.baselines) + ['ssim'])
    self.with_ssim = 'ssim' in wanted
    self.methods = [MODEL] + [b for b in wanted if b != 'ssim']
    self.full_decode = False

  def skip(self, error: Exception | str) -> None:
    self.skipped.append(str(error))
    self.log(f'skipped: {error}')

  def _load(self, path: str) -> tuple[Image.Image, np.ndarray]:
    return load_image(path, self.settings.size, self.full_decode)

  def plan(self, paths: list[tuple[str, str]], sources: list[MaskSource]
           ) -> dict[str, _Group]:
    """Pass 1: checks every image and mask and plans each image size."""
    groups = {s.label: _Group() for s in sources}
    self.full_decode = any(s.needs_full_decode for s in sources)
    for path, name in tqdm(paths, desc='checking', unit='img', leave=False,
                           disable=not self.settings.progress):
      try:
        original, image = self._load(path)
      except ValueError as e:
        self.skip(e)
        continue
      for source in sources:
        try:
          hole = load_hole(source, name, original, image, self.settings.size)
        except ValueError as e:
          self.skip(e)
          continue
        group, shape = groups[source.label], image.shape[:2]
        group.items.append(((path, name), shape))
        group.sizes[shape] = self.model.plan_sizes([hole],
                                                   group.sizes.get(shape))
    return groups

  def run_group(self, source: MaskSource, group: _Group, bar: tqdm) -> None:
    """Pass 2 for one mask type: inpaint, score and record every image."""

    def load(key: tuple[str, str]) -> tuple[np.ndarray, np.ndarray] | None:
      path, name = key
      try:
        original, image = self._load(path)
        return image, load_hole(source, name, original, image,
                                self.settings.size)
      except ValueError as e:  # Changed since pass 1.
        self.skip(e)
        return None

    for batch in batching.inpaint_many(
        _Timed(self.model, self.seconds), group.items, load,
        batch_size=self.settings.batch_size, sizes=group.sizes, log=self.log,
        progress=bar.update):
      for (_, name), err in zip(batch.keys, batch.errors):
        if err is not None:
          self.skip(f'{name} ({source.label}): the model failed: {err}')
      done = [i for i, err in enumerate(batch.errors) if err is None]
      if done:
        self._score(source.label, [batch.keys[i][1] for i in done],
                    [batch.images[i] for i in done],
                    [batch.holes[i] for i in done],
                    [batch.outputs[i] for i in done], batch.limit)

  def _timed(self, method: str, fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    out = fn()
    self.seconds[method] = (self.seconds.get(method, 0.)
                            + time.perf_counter() - start)
    return out

  def _score(self, label: str, names: list[str], images: list[np.ndarray],
             holes: list[np.ndarray], model_out: list[np.ndarray],
             limit: int) -> None:
    """Runs the baselines on one batch and records every method's metrics."""
    pad = limit - len(images)

    def padded(xs: list) -> list:  # Repeat the last item: one compiled shape.
      return xs + xs[-1:] * pad

    outputs = {MODEL: list(model_out)}
    for method in self.methods[1:]:
      fn = BASELINE_FNS[method]
      outputs[method] = [self._timed(method, lambda i=i, h=h: fn(i, h))
                         for i, h in zip(images, holes)]
    target = np.stack(padded(images)) / np.float32(255.)
    pred = np.concatenate([np.stack(padded(outputs[m]))
                           for m in self.methods])
    mask = np.stack(padded(holes))[..., None].astype(np.float32)
    reps = (len(self.methods), 1, 1, 1)
    scores = jax.device_get(_metrics_fn(pred / np.float32(255.),
                                        np.tile(target, reps),
                                        np.tile(mask, reps)))
    target_tv = np.asarray(metrics.tv(target))
    for i, name in enumerate(names):
      per_method = {}
      for k, method in enumerate(self.methods):
        row = {m: float(scores[m][k * limit + i]) for m in metrics.NAMES}
        if self.with_ssim:
          row['ssim'] = ssim(outputs[method][i], images[i])
        per_method[method] = row
      fraction = float(holes[i].mean())
      bands = edge_band_masks(holes[i])
      self.records.setdefault(label, []).append(dict(
          image=name, height=images[i].shape[0], width=images[i].shape[1],
          hole_fraction=fraction, bin=bin_label(hole_bin(fraction)),
          target_tv=float(target_tv[i]), metrics=per_method,
          edge_pixels=[int(band.sum()) for band in bands],
          edge_l1={m: edge_l1(outputs[m][i], images[i], bands)
                   for m in self.methods}))
      rows = self.samples.get(label, [])
      if len(rows) < self.settings.contact_images:
        self.samples[label] = rows
        rows.append([strips.hole_white(images[i], holes[i])]
                    + [outputs[m][i] for m in self.methods] + [images[i]])


def _means(records: list[dict[str, Any]], methods: Sequence[str],
           names: Sequence[str]) -> dict[str, dict[str, float]]:
  return {m: {n: float(np.mean([r['metrics'][m][n] for r in records]))
              for n in names} for m in methods}


def edge_bands(records: list[dict[str, Any]], methods: Sequence[str]
               ) -> list[dict[str, Any]]:
  """Per `EDGE_BANDS`: the L1 over the band's pixels of all images pooled
  (each image weighs by its pixels in the band; None: no such pixel)."""
  bands = []
  for k, band in enumerate(EDGE_BANDS):
    pixels_k = [r['edge_pixels'][k] for r in records]
    total = sum(pixels_k)
    l1 = {m: (sum(n * r['edge_l1'][m][k] for n, r in zip(pixels_k, records)
                  if n) / total if total else None) for m in methods}
    bands.append(dict(band=band_label(band), pixels=total, l1=l1))
  return bands


def aggregate(records: list[dict[str, Any]], methods: Sequence[str],
              names: Sequence[str]) -> dict[str, Any]:
  """Means over all images and per hole-area bin (empty bins: count 0), and
  the L1 by distance from the hole's edge (`edge_bands`, when recorded)."""
  bins = []
  for index in range(NUM_BINS):
    inside = [r for r in records if r['bin'] == bin_label(index)]
    entry = dict(bin=bin_label(index), count=len(inside))
    if inside:
      entry['mean'] = _means(inside, methods, names)
    bins.append(entry)
  return dict(count=len(records),
              mean_hole_fraction=float(np.mean(
                  [r['hole_fraction'] for r in records])),
              target_tv=float(np.mean([r['target_tv'] for r in records])),
              mean=_means(records, methods, names), bins=bins,
              **({'edge_bands': edge_bands(records, methods)}
                 if all('edge_l1' in r for r in records) else {}))


def evaluate(model: batching.Model, settings: Settings, masks_config: Any, *,
             log: Callable[[str], None] = print) -> dict[str, Any]:
  """Evaluates `model` and the baselines; returns the JSON-ready results.

  Args:
    model: an `inpainter_lib.Inpainter` or `ExportedModel` (see `load_model`).
    settings: images, mask types and options.
    masks_config: `config.masks` of configs/default.py (bbox and free_form).
    log: receives one line per skipped item and per note.

  Returns:
    {'settings', 'methods', 'metrics', 'notes', 'summary', 'results'}, with
    per mask type the aggregate, the hole-area bins and every image; the
    contact-sheet rows are under the private key '_samples'.

  Raises:
    ValueError, FileNotFoundError: bad settings (no images, unknown type).
  """
  if settings.size < 0 or 0 < settings.size < MIN_SIDE:
    raise ValueError(f'--size={settings.size}: use 0 (full size) or >= '
                     f'{MIN_SIDE}.')
  if isinstance(model, ExportedModel) and settings.size:
    model.exported.exported((settings.size, settings.size))  # Or one line.
  root = os.path.abspath(settings.images)
  paths = image_io.list_images(root)
  if settings.max_images:
    paths = paths[:settings.max_images]
  paths = [(p, os.path.relpath(p, root).replace(os.sep, '/')) for p in paths]
  sources = mask_sources(settings.masks, masks_config, settings.seed)
  ev = _Evaluator(model, settings, log)
  for note in ev.notes:
    log(f'note: {note}')
  start = time.perf_counter()
  groups = ev.plan(paths, sources)
  total = sum(len(g.items) for g in groups.values())
  run_start = time.perf_counter()
  with tqdm(total=total, desc='evaluating', unit='img',
            disable=not settings.progress) as bar:
    for source in sources:
      bar.set_postfix_str(source.label)
      ev.run_group(source, groups[source.label], bar)
  run_seconds = time.perf_counter() - run_start
  names = list(metrics.NAMES) + (['ssim'] if ev.with_ssim else [])
  results = {}
  for source in sources:
    records = ev.records.get(source.label, [])
    results[source.label] = dict(
        **(aggregate(records, ev.methods, names) if records else
           dict(count=0)), images=records)
  evaluated = sum(len(r) for r in ev.records.values())
  return {
      'settings': dict(dataclasses.asdict(settings), images=root,
                       masks=list(settings.masks),
                       baselines=list(settings.baselines)),
      'methods': {m: METHOD_TITLES[m] for m in ev.methods},
      'metrics': names,
      'notes': ev.notes,
      'summary': dict(
          images_found=len(paths), evaluated=evaluated,
          skipped=len(ev.skipped), skipped_items=ev.skipped,
          seconds=time.perf_counter() - start,
          images_per_second=evaluated / max(run_seconds, 1e-9),
          method_seconds=ev.seconds,
          date=datetime.datetime.now(datetime.timezone.utc).isoformat(
              timespec='seconds'),
          backend=jax.default_backend()),
      'results': results,
      '_samples': ev.samples,
  }


