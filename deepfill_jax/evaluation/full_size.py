# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The full-size report: every method on whole photos, timed and measured.

Each photo (at its own size, 1-12 megapixels) gets one hole per case
(`CASES`: a box of 5, 10 or 25% of the image, or brush strokes), drawn
deterministically from (seed, case, image name). Every method runs on each
photo in a fresh child process (`full_size_child`), so its time and peak
memory are its own; the parent scores the outputs: hole L1 and PSNR, SSIM
of the whole image and of the hole's bounding box. `evaluate` returns the
JSON-ready results; `full_size_report` writes them out.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import zlib
from typing import Any, Callable, Sequence

import numpy as np

from deepfill_jax.data import image_io
from deepfill_jax.utils import metrics
from deepfill_jax.data import strips
from deepfill_jax.evaluation import baselines
from deepfill_jax.evaluation import mask_sets as eval_masks

CASES = ('box5', 'box10', 'box25', 'strokes')
BOX_FRACTIONS = {'box5': 0.05, 'box10': 0.10, 'box25': 0.25}
CASE_TITLES = {'box5': 'one box, 5% of the image',
               'box10': 'one box, 10% of the image',
               'box25': 'one box, 25% of the image',
               'strokes': 'brush strokes, 2-5% of the image'}
ASPECT_RANGE = (0.5, 2.)  # Height / width of a box, log-uniform.
BORDER = 4                # A box keeps this many pixels from every edge.
STROKE_RANGE = (0.02, 0.05)  # Stroke masks are redrawn until inside.
_CASE_TAG = 1000  # Seeds apart from those of `masks.mask_rng`.
_MAX_TRIES = 200
# Model variants: name -> `Inpainter` settings (None: the checkpoint's own).
MODEL_VARIANTS = {
    'deepfill_auto': dict(two_scale=None, blend=None, working_size='auto'),
    'deepfill': dict(two_scale=None, blend=None, working_size='full'),
    'deepfill_1x': dict(two_scale=0, blend=False, working_size='full'),
    # The shipped model's default before working sizes and blending.
    'deepfill_previous': dict(two_scale=12, blend=False, working_size='full'),
}
MODEL_TITLES = {
    'deepfill_auto': 'DeepFill (working size + residual aggregation, default)',
    'deepfill': "DeepFill (full size, checkpoint's settings)",
    'deepfill_1x': 'DeepFill (full size, one pass, network alone)',
    'deepfill_previous': 'DeepFill (previous default: full size, '
                         'two_scale=12, no blend)',
}
DEFAULT_METHODS = ('deepfill_auto', 'deepfill', 'deepfill_1x', 'patchmatch',
                   'telea', 'navier_stokes')
CROP_SIDE = 512   # Largest crop of the sheets, at 100%.
CROP_ROWS = 8     # Photos shown per crop sheet.
SSIM_MARGIN = 8   # Pixels around the hole's bounding box for `ssim_box`.
CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                     'full_size_child.py')
SCORES = ('hole_l1', 'hole_psnr', 'ssim', 'ssim_box')
RUN_KEYS = ('peak_rss_mb', 'base_rss_mb', 'device_peak_mb', 'load_s',
            'first_call_s', 'wall_s', 'two_scale', 'backend', 'error')


# ----------------------------------------------------------------------------
# Hole cases.


def case_rng(seed: int, case: str, name: str) -> np.random.Generator:
  """The random generator of `case`'s hole in the image called `name`."""
  return np.random.default_rng([seed, _CASE_TAG + CASES.index(case),
                                zlib.crc32(name.encode('utf-8'))])


def box_mask(rng: np.random.Generator, image_hw: tuple[int, int],
             fraction: float) -> np.ndarray:
  """One rectangle of `fraction` of the image (bool [H, W], True = hole).

  Its height / width is log-uniform in `ASPECT_RANGE` (narrowed to what
  fits), its sides are the integers nearest that ratio whose area is within
  0.5% of the target when any is, and it lies `BORDER` px inside the image.
  """
  height, width = image_hw
  area = fraction * height * width
  max_h, max_w = height - 2 * BORDER, width - 2 * BORDER
  if max_h < 1 or max_w < 1 or max_h * max_w < area:
    raise ValueError(f'a {fraction:.0%} box does not fit {BORDER} px inside '
                     f'a {width}x{height} image.')
  fit_lo, fit_hi = area / max_w**2, max_h**2 / area
  lo, hi = max(ASPECT_RANGE[0], fit_lo), min(ASPECT_RANGE[1], fit_hi)
  if lo > hi:  # No ratio in range fits: the nearest one that does.
    lo = hi = fit_lo if fit_lo > ASPECT_RANGE[1] else fit_hi
  aspect = math.exp(rng.uniform(math.log(lo), math.log(hi)))
  h0 = math.sqrt(area * aspect)

  def candidate(h: int) -> tuple[int, int, float]:
    w = min(max_w, max(1, round(area / h)))
    return h, w, abs(h * w - area) / area

  found = [candidate(h) for h in range(max(1, math.floor(0.9 * h0)),
                                       min(max_h, math.ceil(1.1 * h0)) + 1)]
  h, w, _ = min(found, key=lambda c: (c[2] > 0.005, c[2] if c[2] > 0.005
                                      else abs(c[0] - h0)))
  top = int(rng.integers(BORDER, height - BORDER - h + 1))
  left = int(rng.integers(BORDER, width - BORDER - w + 1))
  mask = np.zeros(image_hw, bool)
  mask[top:top + h, left:left + w] = True
  return mask


def stroke_style() -> eval_masks.LamaStyle:
  """The brush of `strokes`: the evaluation masks' `thin_strokes` style
  (5-15 px wide at any size) where it exists, else LaMa-style `thin`."""
  styles = getattr(eval_masks, 'STYLES', eval_masks.LAMA_STYLES)
  return styles.get('thin_strokes', eval_masks.LAMA_STYLES['thin'])


def stroke_mask(rng: np.random.Generator, image_hw: tuple[int, int]
                ) -> np.ndarray:
  """Brush strokes (`stroke_style`) covering `STROKE_RANGE` of the image."""
  style = stroke_style()
  for _ in range(_MAX_TRIES):
    mask = eval_masks.lama_style_mask(rng, image_hw, style)
    if STROKE_RANGE[0] <= mask.mean() <= STROKE_RANGE[1]:
      return mask
  raise ValueError(f'no stroke mask covering {STROKE_RANGE[0]:.0%}-'
                   f'{STROKE_RANGE[1]:.0%} of a {image_hw[1]}x{image_hw[0]} '
                   f'image in {_MAX_TRIES} tries.')


def case_mask(case: str, seed: int, name: str, image_hw: tuple[int, int]
              ) -> np.ndarray:
  """The hole (bool [H, W]) of `case` for the image called `name`."""
  if case not in CASES:
    raise ValueError(f'unknown case {case!r}; expected one of '
                     f'{", ".join(CASES)}.')
  rng = case_rng(seed, case, name)
  if case in BOX_FRACTIONS:
    return box_mask(rng, image_hw, BOX_FRACTIONS[case])
  return stroke_mask(rng, image_hw)


# ----------------------------------------------------------------------------
# Scores and crops.


def hole_scores(pred: np.ndarray, target: np.ndarray, hole: np.ndarray
                ) -> dict[str, float]:
  """Hole L1 (mean |pred - target| over the hole's pixels and channels, in %
  of 255) and hole PSNR (dB, peak 255, capped at `metrics.PSNR_CAP`)."""
  diff = pred[hole].astype(np.float64) - target[hole]
  mse = float(np.mean(np.square(diff / 255.)))
  psnr = metrics.PSNR_CAP if mse == 0 else min(metrics.PSNR_CAP,
                                               -10. * math.log10(mse))
  return dict(hole_l1=float(np.mean(np.abs(diff))) * 100. / 255.,
              hole_psnr=psnr)


def hole_box(hole: np.ndarray, margin: int = 0) -> tuple[int, int, int, int]:
  """(top, bottom, left, right), bottom and right excluded, of the hole's
  bounding box grown by `margin` px and clipped to the image."""
  rows, cols = np.flatnonzero(hole.any(1)), np.flatnonzero(hole.any(0))
  return (max(0, int(rows[0]) - margin),
          min(hole.shape[0], int(rows[-1]) + 1 + margin),
          max(0, int(cols[0]) - margin),
          min(hole.shape[1], int(cols[-1]) + 1 + margin))


def ssim_box(pred: np.ndarray, target: np.ndarray, hole: np.ndarray
             ) -> float | None:
  """SSIM over the hole's bounding box grown by `SSIM_MARGIN` px (None if
  smaller than SSIM's 7 px window)."""
  top, bottom, left, right = hole_box(hole, SSIM_MARGIN)
  if min(bottom - top, right - left) < 7:
    return None
  return baselines.ssim(pred[top:bottom, left:right],
                        target[top:bottom, left:right])


def crop_window(hole: np.ndarray, side: int = CROP_SIDE
                ) -> tuple[slice, slice]:
  """A window of at most side x side px centred on the hole's bounding box
  (moved inside the image)."""
  top, bottom, left, right = hole_box(hole)
  out = []
  for lo, hi, size in ((top, bottom, hole.shape[0]),
                       (left, right, hole.shape[1])):
    extent = min(side, size)
    start = min(max(0, (lo + hi) // 2 - extent // 2), size - extent)
    out.append(slice(start, start + extent))
  return out[0], out[1]


# ----------------------------------------------------------------------------
# The run.


@dataclasses.dataclass
class Settings:
  """What to run (the flags of tools/full_size_report.py)."""
  images: str
  cases: Sequence[str] = CASES
  methods: Sequence[str] = DEFAULT_METHODS
  checkpoint: str | None = None
  seed: int = 0
  max_images: int = 0
  attention: str = 'auto'
  outputs: str | None = None  # Also save every output here (PNG).
  unwarmed: Sequence[str] = ()  # Models timed on their only call.


def method_title(method: str) -> str:
  return {**baselines.METHOD_TITLES, **MODEL_TITLES}.get(method, method)


def check_methods(methods: Sequence[str]) -> tuple[list[str], list[str]]:
  """(runnable methods, notes): models, and baselines of `BASELINE_FNS`
  whose packages are installed; a `DEFAULT_METHODS` baseline this version
  lacks is left out with a note.

  Raises:
    ValueError: an unknown or repeated method (one line).
  """
  known = set(MODEL_VARIANTS) | set(baselines.BASELINE_FNS)
  unknown = [m for m in methods if m not in known]
  bad = [m for m in unknown if m not in DEFAULT_METHODS]
  if bad:
    raise ValueError(f'--methods: unknown {", ".join(bad)}; choose from '
                     f'{", ".join(sorted(known))}.')
  notes = [f'{m} skipped: not in this version.' for m in unknown]
  wanted = [m for m in methods if m in known]
  if not wanted or len(set(methods)) != len(methods):
    raise ValueError(f'--methods: need distinct methods, got {list(methods)}.')
  runnable, missing = baselines.missing_extras(
      [m for m in wanted if m not in MODEL_VARIANTS])
  return [m for m in wanted if m in MODEL_VARIANTS or m in runnable], (
      notes + missing)


def run_child(job: dict[str, Any]) -> dict[str, Any]:
  """Runs `full_size_child` on `job` in a new Python process; its
  child.json, or {'error': one line} if it died."""
  path = os.path.join(job['output'], 'job.json')
  with open(path, 'w') as f:
    json.dump(job, f)
  env = dict(os.environ)
  root = os.path.dirname(os.path.dirname(os.path.dirname(CHILD)))
  env['PYTHONPATH'] = os.pathsep.join(
      p for p in (root, env.get('PYTHONPATH')) if p)
  proc = subprocess.run([sys.executable, '-P', CHILD, path], env=env,
                        capture_output=True, text=True, check=False)
  try:
    with open(os.path.join(job['output'], 'child.json')) as f:
      return json.load(f)
  except (OSError, ValueError):
    lines = proc.stderr.strip().splitlines()
    return dict(error=f'the child process exited with status '
                f'{proc.returncode}: {lines[-1] if lines else "no output"}')


class _Run:
  """The run over all photos: records, crop rows and notes."""

  def __init__(self, settings: Settings, methods: list[str],
               log: Callable[[str], None]):
    self.settings, self.methods, self.log = settings, methods, log
    self.skipped: list[str] = []
    self.photos: list[dict[str, Any]] = []
    self.crops: dict[str, list[list[np.ndarray]]] = {}
    self.with_ssim = baselines.has_module('skimage')

  def skip(self, message: str) -> None:
    self.skipped.append(message)
    self.log(f'skipped: {message}')

  def photo(self, path: str, name: str) -> None:
    """Draws the holes, runs every method's child and scores it."""
    try:
      target = np.asarray(image_io.open_image(path))
    except ValueError as e:
      self.skip(str(e))
      return
    holes = {}
    for case in self.settings.cases:
      try:
        holes[case] = case_mask(case, self.settings.seed, name,
                                target.shape[:2])
      except ValueError as e:
        self.skip(f'{name} ({case}): {e}')
    if not holes:
      return
    height, width = target.shape[:2]
    record = dict(image=name, width=width, height=height,
                  megapixels=height * width / 1e6, runs={}, cases={
                      c: dict(hole_fraction=float(h.mean()),
                              bbox=list(hole_box(h)), results={})
                      for c, h in holes.items()})
    rows = {c: [strips.hole_white(target[crop_window(h)], h[crop_window(h)])]
            for c, h in holes.items()} if len(self.photos) < CROP_ROWS else {}
    with tempfile.TemporaryDirectory(prefix='deepfill_full_size_') as tmp:
      mask_paths = {}
      for case, hole in holes.items():
        mask_paths[case] = os.path.join(tmp, f'{case}.npy')
        np.save(mask_paths[case], hole)
      for method in self.methods:
        self.log(f'{name} ({width}x{height}): {method}')
        out = os.path.join(tmp, method)
        os.makedirs(out)
        info = run_child(dict(
            image=os.path.abspath(path), masks=mask_paths, method=method,
            kind='model' if method in MODEL_VARIANTS else 'baseline',
            checkpoint=self.settings.checkpoint,
            warmup=method not in self.settings.unwarmed,
            attention=self.settings.attention, output=out,
            **MODEL_VARIANTS.get(method, {})))
        record['runs'][method] = {k: info.get(k) for k in RUN_KEYS}
        if info.get('error'):
          self.log(f'{name}: {method} failed: {info["error"]}')
        for case, hole in holes.items():
          result = self._score(info, case, out, target, hole, name, method)
          record['cases'][case]['results'][method] = result
          crop = result.pop('_crop')  # Past CROP_ROWS photos: dropped.
          if case in rows:
            rows[case].append(crop)
    for case, row in rows.items():
      self.crops.setdefault(case, []).append(
          row + [target[crop_window(holes[case])]])
    self.photos.append(record)

  def _score(self, info: dict[str, Any], case: str, out: str,
             target: np.ndarray, hole: np.ndarray, name: str,
             method: str) -> dict[str, Any]:
    """One (case, method) record; '_crop' holds its crop (grey if failed)."""
    window = crop_window(hole)
    error = info.get('error') or info.get('errors', {}).get(case)
    path = os.path.join(out, f'{case}.npy')
    if error or not os.path.exists(path):
      error = error or 'no output'
      self.log(f'{name} ({case}): {method} failed: {error}')
      return dict(error=error, _crop=np.full_like(target[window], 128))
    pred = np.load(path)
    os.remove(path)
    if pred.shape != target.shape or pred.dtype != np.uint8:
      return dict(error=f'output {pred.shape} {pred.dtype}, expected '
                  f'{target.shape} uint8', _crop=np.full_like(
                      target[window], 128))
    result = dict(hole_scores(pred, target, hole),
                  seconds=info['seconds'][case],
                  known_pixels_changed=int(np.any(
                      pred[~hole] != target[~hole], axis=-1).sum()))
    if case in info.get('warmup_s', {}):
      result['warmup_s'] = info['warmup_s'][case]
    if self.with_ssim:
      result['ssim'] = baselines.ssim(pred, target)
      result['ssim_box'] = ssim_box(pred, target, hole)
    if self.settings.outputs:
      stem = os.path.join(self.settings.outputs, os.path.splitext(name)[0])
      os.makedirs(stem, exist_ok=True)
      image_io.save_image(os.path.join(stem, f'{case}_{method}.png'), pred)
    result['_crop'] = pred[window]
    return result


def mean_of(values: list[Any]) -> float | None:
  """The mean of the values that are not None (None if there are none)."""
  values = [v for v in values if v is not None]
  return float(np.mean(values)) if values else None


def means(photos: list[dict[str, Any]], cases: Sequence[str],
          methods: Sequence[str]) -> dict[str, dict[str, Any]]:
  """Per case and method: the mean of each score, of the seconds and of
  the peak memory over the photos where it succeeded, and their count."""
  out = {}
  for case in cases:
    out[case] = {}
    with_case = [p for p in photos if case in p['cases']]
    for method in methods:
      done = [p for p in with_case
              if 'error' not in p['cases'][case]['results'][method]]
      res = [p['cases'][case]['results'][method] for p in done]
      out[case][method] = dict(
          count=len(done), failed=len(with_case) - len(done),
          **{k: mean_of([r.get(k) for r in res])
             for k in SCORES + ('seconds',)},
          peak_rss_mb=mean_of([p['runs'][method]['peak_rss_mb']
                               for p in done]))
    out[case]['_hole_fraction'] = mean_of(
        [p['cases'][case]['hole_fraction'] for p in with_case])
  return out


def evaluate(settings: Settings, *, log: Callable[[str], None] = print
             ) -> dict[str, Any]:
  """Runs every method on every photo; returns the JSON-ready results.

  Args:
    settings: photos, cases, methods and options.
    log: receives progress lines, skipped items and notes.

  Returns:
    {'settings', 'methods', 'notes', 'summary', 'photos', 'means'}; the crop
    rows of the sheets are under the private key '_crops'.

  Raises:
    ValueError, FileNotFoundError: bad settings or no images.
  """
  cases = list(settings.cases)
  unknown = [c for c in cases if c not in CASES]
  if unknown or not cases or len(set(cases)) != len(cases):
    raise ValueError(f'--cases: need distinct cases of {", ".join(CASES)}, '
                     f'got {cases}.')
  methods, notes = check_methods(settings.methods)
  if not methods:
    raise ValueError(f'no method can run: {" ".join(notes)}')
  if not baselines.has_module('skimage'):
    notes.append('no SSIM: scikit-image is not installed.')
  for note in notes:
    log(f'note: {note}')
  root = os.path.abspath(settings.images)
  paths = image_io.list_images(root)
  if settings.max_images:
    paths = paths[:settings.max_images]
  run = _Run(settings, methods, log)
  start = time.perf_counter()
  for path in paths:
    run.photo(path, os.path.relpath(path, root).replace(os.sep, '/'))
  return {
      'settings': dict(dataclasses.asdict(settings), images=root, cases=cases,
                       methods=list(settings.methods),
                       stroke_style=dataclasses.asdict(stroke_style())),
      'methods': {m: method_title(m) + (', unwarmed' if m in
                                        settings.unwarmed else '')
                  for m in methods},
      'notes': notes,
      'summary': dict(
          images_found=len(paths), evaluated=len(run.photos),
          skipped=len(run.skipped), skipped_items=run.skipped,
          seconds=time.perf_counter() - start, cpus=os.cpu_count(),
          date=datetime.datetime.now(datetime.timezone.utc).isoformat(
              timespec='seconds')),
      'photos': run.photos,
      'means': means(run.photos, cases, methods),
      '_crops': run.crops,
  }
