# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Evaluation of a generator and classical baselines on a folder of images.

Used by `tools/evaluate.py` (see docs/evaluation.md). For every mask type, each
image is centre-cropped and resized (or kept at full size), gets a
deterministic mask, and is inpainted by the model and by the baselines; the
metrics of `deepfill_jax.metrics` plus SSIM are computed per image and
averaged overall and per hole-area bin. `evaluate` returns everything as one
JSON-ready dict; `write_report` writes the JSON, a Markdown table and one
contact sheet per mask type.

Optional extras (requirements-eval.txt): OpenCV for the Telea and
Navier-Stokes baselines, scikit-image for the biharmonic baseline and SSIM.
When one is missing, what needs it is left out with a one-line note and
everything else still runs.
"""

from __future__ import annotations

import dataclasses
import datetime
import importlib.util
import json
import math
import os
import time
from typing import Any, Callable, Iterator, Protocol, Sequence

import jax
import numpy as np
from PIL import Image
from PIL import ImageDraw
from PIL import ImageFont
from tqdm import tqdm

from deepfill_jax import eval_masks
from deepfill_jax import export as export_lib
from deepfill_jax import files
from deepfill_jax import image_io
from deepfill_jax import inference
from deepfill_jax import metrics
from deepfill_jax import pretrained

MODEL = 'deepfill'
BASELINES = ('telea', 'navier_stokes', 'biharmonic', 'mean')
METHOD_TITLES = {
    MODEL: 'DeepFill v1 (this checkpoint)',
    'telea': 'OpenCV Telea',
    'navier_stokes': 'OpenCV Navier-Stokes',
    'biharmonic': 'scikit-image biharmonic',
    'mean': 'mean known colour',
}
METRICS = metrics.NAMES + ('ssim',)
# Optional packages: import name -> pip name, and what needs them.
EXTRAS = {'cv2': 'opencv-python-headless', 'skimage': 'scikit-image'}
NEEDS = {'telea': 'cv2', 'navier_stokes': 'cv2', 'biharmonic': 'skimage',
         'ssim': 'skimage'}
# Neighbourhood radius of cv2.inpaint, in pixels (OpenCV's documented example).
INPAINT_RADIUS = 3
NUM_BINS = 10  # Hole-area bins of 10% each.
# Images smaller than this are skipped (SSIM's 7x7 window needs room).
MIN_SIDE = 16
# Pixels per model batch: large images run in smaller batches.
_BATCH_PIXELS = 1 << 22

# ----------------------------------------------------------------------------
# Optional extras and baselines.
# ----------------------------------------------------------------------------


def has_module(name: str) -> bool:
  """Whether the optional package `name` can be imported."""
  return importlib.util.find_spec(name) is not None


def missing_extras(wanted: Sequence[str]) -> tuple[list[str], list[str]]:
  """Splits baselines/'ssim' into (runnable, notes on the missing ones)."""
  runnable, notes = [], []
  for module, package in EXTRAS.items():
    lost = [w for w in wanted if NEEDS.get(w) == module]
    if lost and not has_module(module):
      notes.append(f'{", ".join(lost)} skipped: {package} is not installed '
                   '(pip install -r requirements-eval.txt).')
  for w in wanted:
    if w not in NEEDS or has_module(NEEDS[w]):
      runnable.append(w)
  return runnable, notes


def _composite(image: np.ndarray, hole: np.ndarray,
               filled: np.ndarray) -> np.ndarray:
  """`filled` in the hole, `image` elsewhere (uint8 [H, W, 3])."""
  return np.where(hole[..., None], filled, image)


def _cv2_inpaint(image: np.ndarray, hole: np.ndarray, flag_name: str
                 ) -> np.ndarray:
  import cv2  # pylint: disable=g-import-not-at-top
  filled = cv2.inpaint(np.ascontiguousarray(image), hole.astype(np.uint8),
                       INPAINT_RADIUS, getattr(cv2, flag_name))
  return _composite(image, hole, filled)


def telea(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
  """OpenCV's fast-marching inpainting (Telea 2004)."""
  return _cv2_inpaint(image, hole, 'INPAINT_TELEA')


def navier_stokes(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
  """OpenCV's Navier-Stokes inpainting (Bertalmio et al. 2001)."""
  return _cv2_inpaint(image, hole, 'INPAINT_NS')


def biharmonic(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
  """scikit-image's biharmonic inpainting, rounded to uint8."""
  from skimage import restoration  # pylint: disable=g-import-not-at-top
  filled = restoration.inpaint_biharmonic(image / 255., hole, channel_axis=-1)
  filled = np.clip(np.round(filled * 255.), 0, 255).astype(np.uint8)
  return _composite(image, hole, filled)


def mean_fill(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
  """The hole filled with the mean colour of the known pixels (rounded)."""
  known = image[~hole]
  colour = known.mean(axis=0) if known.size else np.full(3, 127.5)
  return _composite(image, hole, np.round(colour).astype(np.uint8))


BASELINE_FNS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    'telea': telea, 'navier_stokes': navier_stokes, 'biharmonic': biharmonic,
    'mean': mean_fill}


def ssim(pred: np.ndarray, target: np.ndarray) -> float:
  """SSIM of two uint8 RGB images (scikit-image defaults, data range 1)."""
  from skimage import metrics as skm  # pylint: disable=g-import-not-at-top
  return float(skm.structural_similarity(
      pred / 255., target / 255., channel_axis=-1, data_range=1.))


def hole_bin(fraction: float) -> int:
  """Index of the 10% hole-area bin; [0.1, 0.2) is bin 1, 1.0 is bin 9."""
  return min(int(math.floor(fraction * NUM_BINS)), NUM_BINS - 1)


def bin_label(index: int) -> str:
  width = 100 // NUM_BINS
  return f'{index * width}-{(index + 1) * width}%'


# ----------------------------------------------------------------------------
# Models.
# ----------------------------------------------------------------------------


class Model(Protocol):
  """What `evaluate` needs of a model (`inference.Inpainter` has it)."""

  def plan_sizes(self, masks: Sequence[np.ndarray], min_sizes=None): ...

  def inpaint_batch(self, images: Sequence[np.ndarray],
                    masks: Sequence[np.ndarray], *, sizes=None
                    ) -> np.ndarray: ...


class ExportedModel:
  """An `export.ExportedGenerator` with the `Inpainter` batch interface."""

  def __init__(self, exported: export_lib.ExportedGenerator):
    self.exported = exported

  # pylint: disable=unused-argument
  def plan_sizes(self, masks, min_sizes=None):
    return None  # The artifacts run the dense model: nothing to plan.

  def inpaint_batch(self, images, masks, *, sizes=None):
    """Like `Inpainter.inpaint_batch` (uint8 in and out, composited)."""
    images = np.stack(images)
    holes = np.stack(masks).astype(bool)[..., None]
    _, x2, _ = self.exported(images / 127.5 - 1., holes)
    return np.where(holes, np.asarray(inference.to_uint8(x2)), images)
  # pylint: enable=unused-argument


def load_model(path: str | None, *, step: int | None = None,
               attention: str = 'auto') -> Model:
  """An export (`.jax` file or directory with export.json), a checkpoint or a
  shipped model's name (None: the default one).

  Exports are evaluated through their serialized artifacts (what is served);
  inference checkpoints and training workdirs through `Inpainter`.
  """
  path = pretrained.resolve(path)
  if os.path.isfile(path) or os.path.isfile(
      os.path.join(path, export_lib.MANIFEST)):
    return ExportedModel(export_lib.load(path))
  return inference.Inpainter.from_checkpoint(path, step=step,
                                             attention=attention)


# ----------------------------------------------------------------------------
# Images and masks.
# ----------------------------------------------------------------------------


def fit(img: Image.Image, size: int,
        resample: Image.Resampling = Image.Resampling.BICUBIC) -> Image.Image:
  """The centred square crop of `img` resized to `size` (0: `img` unchanged)."""
  if not size:
    return img
  side = min(img.size)
  left, top = (img.width - side) // 2, (img.height - side) // 2
  return img.crop((left, top, left + side, top + side)).resize(
      (size, size), resample)


class FolderMasks:
  """User masks matched by relative file name, any image suffix.

  The mask of IMAGES/a/b.jpg is MASKS/a/b.<suffix>. A mask the size of the
  original image is cropped and resized like the image (nearest neighbour);
  one of the evaluated size is used as is.
  """

  def __init__(self, root: str):
    self.root = os.path.abspath(root)
    self.by_stem = {}
    for path in image_io.list_images(self.root):
      stem = os.path.splitext(os.path.relpath(path, self.root))[0]
      self.by_stem[stem.replace(os.sep, '/')] = path

  def __call__(self, name: str, original: Image.Image, size: int
               ) -> np.ndarray:
    path = self.by_stem.get(os.path.splitext(name)[0])
    if path is None:
      raise ValueError(f'{name}: no mask for it in {self.root}.')
    img = image_io.open_image(path)
    if img.size == original.size:
      img = fit(img, size, Image.Resampling.NEAREST)
    elif size and img.size != (size, size):
      raise ValueError(f'{path}: mask size {img.width}x{img.height} is '
                       f'neither the image size {original.width}x'
                       f'{original.height} nor {size}x{size}.')
    return image_io.mask_from_image(img, name=path)


@dataclasses.dataclass
class MaskSource:
  """A named mask type: `draw(name, original image, size)` -> bool [H, W]."""
  label: str
  draw: Callable[[str, Image.Image, int], np.ndarray]
  needs_full_decode: bool = False


def mask_sources(spec: Sequence[str], masks_config: Any,
                 seed: int) -> list[MaskSource]:
  """Mask types from `--masks` items: generated type names or folders."""
  sources = []
  for item in spec:
    if item in eval_masks.GENERATED:
      gen = eval_masks.EvalMasks(item, masks_config, seed)
      sources.append(MaskSource(
          item, lambda n, img, s, g=gen: g(n, _fitted_hw(img, s))))
    elif os.path.isdir(item):
      folder = FolderMasks(item)
      label = 'folder_' + os.path.basename(os.path.normpath(folder.root))
      sources.append(MaskSource(label, folder, needs_full_decode=True))
    else:
      raise ValueError(f'--masks: {item!r} is neither a mask type '
                       f'({", ".join(eval_masks.GENERATED)}) nor a folder.')
  labels = [s.label for s in sources]
  if len(set(labels)) != len(labels) or not labels:
    raise ValueError(f'--masks: need distinct mask types, got {labels}.')
  return sources


def _fitted_hw(img: Image.Image, size: int) -> tuple[int, int]:
  return (size, size) if size else (img.height, img.width)


def load_image(path: str, size: int, full_decode: bool = False
               ) -> tuple[Image.Image, np.ndarray]:
  """The decoded file and the evaluated image (uint8 [H, W, 3]).

  Args:
    path: image file.
    size: side of the centre crop, 0 for full size.
    full_decode: decode JPEGs at full resolution even if resized down (for
      masks of the original size).

  Raises:
    ValueError: unreadable or too small (one line, naming the file).
  """
  img = image_io.open_image(path,
                            min_size=None if full_decode else size or None)
  image = np.asarray(fit(img, size))
  if min(image.shape[:2]) < MIN_SIDE:
    raise ValueError(f'{path}: image is smaller than {MIN_SIDE} px.')
  return img, image


def load_hole(source: MaskSource, name: str, original: Image.Image,
              image: np.ndarray, size: int) -> np.ndarray:
  """The checked hole (bool [H, W]) of `source` for an image.

  Raises:
    ValueError: unreadable mask, wrong size, no hole or no known pixel.
  """
  hole = source.draw(name, original, size)
  if hole.shape != image.shape[:2]:
    raise ValueError(f'{name}: {source.label} mask is {hole.shape[1]}x'
                     f'{hole.shape[0]}, the image {image.shape[1]}x'
                     f'{image.shape[0]}.')
  if not hole.any() or hole.all():
    raise ValueError(f'{name}: the {source.label} mask has '
                     f'{"no hole" if not hole.any() else "no known pixel"}.')
  return hole


# ----------------------------------------------------------------------------
# The evaluation loop.
# ----------------------------------------------------------------------------


@dataclasses.dataclass
class Settings:
  """What to evaluate (the flags of tools/evaluate.py)."""
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
  """Images of one mask type and size, with the model's shared crop sizes."""
  items: list[tuple[str, str]] = dataclasses.field(default_factory=list)
  sizes: Any = None


_metrics_fn = jax.jit(metrics.compute)


def _chunks(items: list, size: int) -> Iterator[list]:
  for start in range(0, len(items), size):
    yield items[start:start + size]


class _Evaluator:
  """Runs the evaluation; holds the per-image records and timings."""

  def __init__(self, model: Model, settings: Settings, log: Callable):
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
           ) -> dict[str, dict[tuple[int, int], _Group]]:
    """Pass 1: checks every image and mask and groups them by size."""
    groups = {s.label: {} for s in sources}
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
        group = groups[source.label].setdefault(image.shape[:2], _Group())
        group.items.append((path, name))
        group.sizes = self.model.plan_sizes([hole], group.sizes)
    return groups

  def run_group(self, source: MaskSource, shape: tuple[int, int],
                group: _Group, bar: tqdm) -> None:
    """Pass 2 for one group: inpaint, score and record every image."""
    pixels = shape[0] * shape[1]
    limit = max(1, min(self.settings.batch_size, _BATCH_PIXELS // pixels,
                       len(group.items)))
    for chunk in _chunks(group.items, limit):
      names, images, holes = [], [], []
      for path, name in chunk:
        try:
          original, image = self._load(path)
          hole = load_hole(source, name, original, image, self.settings.size)
        except ValueError as e:  # Changed since pass 1.
          self.skip(e)
          continue
        names.append(name)
        images.append(image)
        holes.append(hole)
      bar.update(len(chunk))
      if names:
        self._score(source.label, names, images, holes, limit, group.sizes)

  def _timed(self, method: str, fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    out = fn()
    self.seconds[method] = (self.seconds.get(method, 0.)
                            + time.perf_counter() - start)
    return out

  def _score(self, label: str, names: list[str], images: list[np.ndarray],
             holes: list[np.ndarray], limit: int, sizes: Any) -> None:
    """Runs every method on one batch and records the metrics."""
    pad = limit - len(images)

    def padded(xs: list) -> list:  # Repeat the last item: one compiled shape.
      return xs + xs[-1:] * pad

    try:
      model_out = self._timed(MODEL, lambda: self.model.inpaint_batch(
          padded(images), padded(holes), sizes=sizes))[:len(images)]
    except ValueError as e:
      for name in names:
        self.skip(f'{name} ({label}): the model failed: {e}')
      return
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
      self.records.setdefault(label, []).append(dict(
          image=name, height=images[i].shape[0], width=images[i].shape[1],
          hole_fraction=fraction, bin=bin_label(hole_bin(fraction)),
          target_tv=float(target_tv[i]), metrics=per_method))
      rows = self.samples.get(label, [])
      if len(rows) < self.settings.contact_images:
        self.samples[label] = rows
        rows.append([masked_input(images[i], holes[i])]
                    + [outputs[m][i] for m in self.methods] + [images[i]])


def masked_input(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
  """The input as the model sees it: the hole painted white."""
  return np.where(hole[..., None], np.uint8(255), image)


def _means(records: list[dict[str, Any]], methods: Sequence[str],
           names: Sequence[str]) -> dict[str, dict[str, float]]:
  return {m: {n: float(np.mean([r['metrics'][m][n] for r in records]))
              for n in names} for m in methods}


def aggregate(records: list[dict[str, Any]], methods: Sequence[str],
              names: Sequence[str]) -> dict[str, Any]:
  """Means over all images and per hole-area bin (empty bins: count 0)."""
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
              mean=_means(records, methods, names), bins=bins)


def evaluate(model: Model, settings: Settings, masks_config: Any, *,
             log: Callable[[str], None] = print) -> dict[str, Any]:
  """Evaluates `model` and the baselines; returns the JSON-ready results.

  Args:
    model: an `inference.Inpainter` or `ExportedModel` (see `load_model`).
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
  total = sum(len(g.items) for by_shape in groups.values()
              for g in by_shape.values())
  run_start = time.perf_counter()
  with tqdm(total=total, desc='evaluating', unit='img',
            disable=not settings.progress) as bar:
    for source in sources:
      bar.set_postfix_str(source.label)
      for shape, group in groups[source.label].items():
        ev.run_group(source, shape, group, bar)
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


# ----------------------------------------------------------------------------
# Reports.
# ----------------------------------------------------------------------------

_HEADERS = {'l1': 'L1 (%) ↓', 'l2': 'L2 (%) ↓', 'psnr': 'PSNR (dB) ↑',
            'tv': 'TV (%)', 'hole_l1': 'hole L1 (%) ↓',
            'hole_psnr': 'hole PSNR (dB) ↑', 'ssim': 'SSIM ↑'}


def _cell(name: str, value: float) -> str:
  return f'{value:.4f}' if name == 'ssim' else f'{value:.2f}'


def markdown(results: dict[str, Any], title: str = 'Evaluation') -> str:
  """The Markdown report: a table per mask type and its hole-area bins."""
  s, summary = results['settings'], results['summary']
  names = results['metrics']
  size = f'{s["size"]}x{s["size"]} centre crops' if s['size'] else 'full size'
  lines = [f'# {title}', '',
           f'{summary["evaluated"]} (image, mask) pairs from `{s["images"]}` '
           f'({size}, seed {s["seed"]}); {summary["skipped"]} skipped. '
           'Metrics are per-image means; definitions in docs/evaluation.md.']
  lines += [f'Note: {n}' for n in results['notes']]
  for label, res in results['results'].items():
    lines += ['', f'## Masks: {label}', '']
    if not res['count']:
      lines.append('No image could be evaluated.')
      continue
    lines.append(f'{res["count"]} images, mean hole '
                 f'{100 * res["mean_hole_fraction"]:.1f}% of the image; TV of '
                 f'the ground truth: {res["target_tv"]:.2f}%.')
    lines += ['', '| Method | ' + ' | '.join(_HEADERS[n] for n in names)
              + ' |', '|---' * (len(names) + 1) + '|']
    for method, row in res['mean'].items():
      lines.append(f'| {results["methods"][method]} | '
                   + ' | '.join(_cell(n, row[n]) for n in names) + ' |')
    methods = list(results['methods'])
    lines += ['', 'By hole area (L1 % / PSNR dB):', '',
              '| Hole area | Images | ' + ' | '.join(methods) + ' |',
              '|---' * (len(methods) + 2) + '|']
    for entry in res['bins']:
      if entry['count']:
        lines.append(f'| {entry["bin"]} | {entry["count"]} | ' + ' | '.join(
            f'{entry["mean"][m]["l1"]:.2f} / {entry["mean"][m]["psnr"]:.2f}'
            for m in methods) + ' |')
  return '\n'.join(lines) + '\n'


def contact_sheet(rows: list[list[np.ndarray]], columns: Sequence[str],
                  cell: int = 256, gap: int = 4) -> np.ndarray:
  """A grid of images (each fitted into `cell` px) under column labels."""
  font = ImageFont.load_default()
  header = 16
  sheet = Image.new('RGB', (len(columns) * (cell + gap) - gap,
                            header + len(rows) * (cell + gap) - gap),
                    (255, 255, 255))
  draw = ImageDraw.Draw(sheet)
  for c, name in enumerate(columns):
    draw.text((c * (cell + gap) + 2, 2), name, fill=(0, 0, 0), font=font)
  for r, row in enumerate(rows):
    for c, tile in enumerate(row):
      img = Image.fromarray(tile)
      img.thumbnail((cell, cell), Image.Resampling.BICUBIC)
      sheet.paste(img, (c * (cell + gap) + (cell - img.width) // 2,
                        header + r * (cell + gap) + (cell - img.height) // 2))
  return np.asarray(sheet)


def write_report(results: dict[str, Any], output: str,
                 title: str = 'Evaluation') -> list[str]:
  """Writes results.json, results.md and contact_<type>.png into `output`.

  Returns:
    The written paths.

  Raises:
    ValueError: a file cannot be written (one line).
  """
  try:
    os.makedirs(output, exist_ok=True)
    written = [os.path.join(output, 'results.json'),
               os.path.join(output, 'results.md')]
    data = {k: v for k, v in results.items() if not k.startswith('_')}
    files.write_atomic(written[0], json.dumps(data, indent=1) + '\n')
    files.write_atomic(written[1], markdown(results, title))
    columns = ['input'] + list(results['methods']) + ['ground truth']
    cell = results['settings']['size'] or 256
    for label, rows in results['_samples'].items():
      path = os.path.join(output, f'contact_{label}.png')
      image_io.save_image(path, contact_sheet(rows, columns, cell))  # Atomic.
      written.append(path)
  except OSError as e:
    raise ValueError(f'{output}: cannot write the report '
                     f'({e.strerror or e}).') from e
  return written
