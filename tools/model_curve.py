# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Evaluation metrics of a training run against CPU hours, with baselines.

  python -m tools.model_curve --workdir=/ckpt/photos --images=photos/validation \
      --output=/tmp/curve

Evaluates every kept checkpoint of the workdir (or `--steps`) with the same
code and masks as `deepfill-evaluate` (centre-cropped to `--size`, masks
`center`, `bbox`, `free_form` from `--seed`), and the classical baselines
once. `--cpu_log` maps steps to the CPU time the run had used: lines
`STEP CPU_SECONDS` (cumulative, user + system time of the training process,
as the trainer writes to WORKDIR/cpu_hours.tsv, `deepfill_jax.training.cpu_hours`);
without one the x axis is the step. Writes OUTPUT/curve.json and OUTPUT/curve.png (L1 and PSNR per mask
type; the baselines as horizontal lines). Steps already in an existing
OUTPUT/curve.json are not evaluated again. Points with a `stage` field (runs
continued from another run's weights, e.g. a resolution stage) are drawn as
one line per stage.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

from absl import app
from absl import flags
import numpy as np
import orbax.checkpoint as ocp
from PIL import Image
from PIL import ImageDraw

from deepfill_jax import default_config
from deepfill_jax.checkpoints import store
from deepfill_jax.training import cpu_hours
from deepfill_jax import evaluation
from deepfill_jax.utils import files

_WORKDIR = flags.DEFINE_string('workdir', None, 'Training workdir.')
_IMAGES = flags.DEFINE_string('images', None, 'Folder of evaluation images.')
_OUTPUT = flags.DEFINE_string('output', None, 'Report folder.')
_CPU_LOG = flags.DEFINE_string(
    'cpu_log', '', '"STEP CPU_SECONDS" lines (default: WORKDIR/cpu_hours.tsv '
    'when it exists).')
_MASKS = flags.DEFINE_list('masks', ['center', 'bbox', 'free_form'],
                           'Mask types.')
_STEPS = flags.DEFINE_list('steps', [], 'Steps to evaluate (default: all).')
_SIZE = flags.DEFINE_integer('size', 256, 'Evaluation image size.')
_SEED = flags.DEFINE_integer('seed', 0, 'Seed of the masks.')

METRICS = ('l1', 'psnr')


def workdir_steps(workdir: str) -> list[int]:
  """The steps a training workdir holds checkpoints of."""
  with ocp.CheckpointManager(store.as_path(workdir) /
                             store.CHECKPOINTS_DIR) as mngr:
    return sorted(mngr.all_steps())


def read_cpu_log(path: str) -> tuple[np.ndarray, np.ndarray] | None:
  """(steps, cumulative CPU hours) of a `STEP CPU_SECONDS` file, if any."""
  rows = cpu_hours.read(store.as_path(path))
  if not rows:
    return None
  steps, seconds = np.array(rows, np.float64).T
  return steps, seconds / 3600.


def mean_metrics(results: dict[str, Any], methods: Sequence[str]
                 ) -> dict[str, dict[str, dict[str, float]]]:
  """{mask type: {method: {metric: mean}}} of `evaluation.evaluate`."""
  return {mask: {m: {k: entry['mean'][m][k] for k in METRICS}
                 for m in methods}
          for mask, entry in results['results'].items()}


def settings(baselines: Sequence[str]) -> evaluation.Settings:
  return evaluation.Settings(images=_IMAGES.value, masks=_MASKS.value,
                             size=_SIZE.value, seed=_SEED.value,
                             baselines=list(baselines), progress=False)


def plot(curve: dict[str, Any], path: str) -> None:
  """L1 and PSNR against CPU hours (or steps), one panel per mask type."""
  masks = list(curve['baselines'])
  w, h, pad = 330, 250, 46
  image = Image.new('RGB', (w * len(masks), h * len(METRICS)), 'white')
  draw = ImageDraw.Draw(image)
  colours = {'deepfill': (200, 30, 30), 'telea': (40, 90, 200),
             'navier_stokes': (30, 150, 60), 'biharmonic': (150, 60, 160),
             'patchmatch': (230, 140, 20), 'mean': (120, 120, 120)}
  xs = np.array([p['x'] for p in curve['points']])
  for col, mask in enumerate(masks):
    for row, metric in enumerate(METRICS):
      x0, y0 = col * w + pad, row * h + 22  # Panel; its labels left of x0.
      x1, y1 = (col + 1) * w - 10, (row + 1) * h - 30
      ys = np.array([p['metrics'][mask][metric] for p in curve['points']])
      base = {m: v[metric] for m, v in curve['baselines'][mask].items()}
      values = np.concatenate([ys, list(base.values())])
      lo, hi = float(values.min()), float(values.max())
      lo, hi = lo - 0.05 * (hi - lo + 1e-6), hi + 0.05 * (hi - lo + 1e-6)
      xmax = float(xs.max()) if len(xs) and xs.max() > 0 else 1.
      fx = lambda x: x0 + (x1 - x0) * x / xmax
      fy = lambda y: y1 - (y1 - y0) * (y - lo) / (hi - lo)
      draw.rectangle((x0, y0, x1, y1), outline='black')
      draw.text((x0, y0 - 16), f'{mask}: {metric}', fill='black')
      for value in (lo, hi):
        draw.text((col * w + 2, fy(value) - 6), f'{value:.2f}', fill='black')
      draw.text((x1 - 40, y1 + 4), f'{xmax:.2f}', fill='black')
      draw.text((x0, y1 + 4), f'0  {curve["x_label"]}', fill='black')
      for name, value in base.items():
        draw.line((x0, fy(value), x1, fy(value)), fill=colours.get(
            name, (0, 0, 0)), width=1)
      points = [(fx(x), fy(y)) for x, y in zip(xs, ys)]
      stages = [p.get('stage', '') for p in curve['points']]
      for stage in dict.fromkeys(stages):  # One line per training stage.
        line = [pt for pt, s in zip(points, stages) if s == stage]
        if len(line) > 1:
          draw.line(line, fill=colours['deepfill'], width=2)
      for px, py in points:
        draw.ellipse((px - 2, py - 2, px + 2, py + 2), fill=colours['deepfill'])
  x = 4
  for name, colour in colours.items():  # The legend, each name in its colour.
    draw.text((x, image.height - 12), name, fill=colour)
    x += 8 * len(name) + 16
  image.save(path)


def main(argv: Sequence[str]) -> None:
  del argv
  os.makedirs(_OUTPUT.value, exist_ok=True)
  json_path = os.path.join(_OUTPUT.value, 'curve.json')
  curve = (files.read_json(json_path) if os.path.exists(json_path) else
           {'points': []})
  masks_config = default_config.get_config().masks
  if 'baselines' not in curve:
    model = evaluation.load_model(_WORKDIR.value)
    results = evaluation.evaluate(model, settings(evaluation.BASELINES),
                                  masks_config, log=print)
    methods = [m for m in results['methods'] if m != evaluation.MODEL]
    curve['baselines'] = mean_metrics(results, methods)
    curve['images'] = results['summary']['evaluated']
  steps = ([int(s) for s in _STEPS.value] if _STEPS.value else
           workdir_steps(_WORKDIR.value))
  done = {p['step'] for p in curve['points']}
  cpu = read_cpu_log(_CPU_LOG.value or os.path.join(_WORKDIR.value,
                                                    cpu_hours.FILE))
  for step in steps:
    if step in done:
      continue
    model = evaluation.load_model(_WORKDIR.value, step=step)
    results = evaluation.evaluate(model, settings([]), masks_config,
                                  log=print)
    metrics = mean_metrics(results, [evaluation.MODEL])
    curve['points'].append({
        'step': step,
        'cpu_hours': (float(np.interp(step, *cpu)) if cpu else None),
        'metrics': {k: v[evaluation.MODEL] for k, v in metrics.items()}})
    print(f'step {step}: ' + ', '.join(
        f'{mask} L1 {v["l1"]:.3f} PSNR {v["psnr"]:.2f}'
        for mask, v in curve['points'][-1]['metrics'].items()), flush=True)
    curve['points'].sort(key=lambda p: p['step'])
    files.write_json(json_path, curve)
  curve['x_label'] = 'CPU hours' if cpu else 'step'
  for point in curve['points']:
    point['x'] = point['cpu_hours'] if cpu else point['step']
  files.write_json(json_path, curve)
  plot(curve, os.path.join(_OUTPUT.value, 'curve.png'))


if __name__ == '__main__':
  flags.mark_flags_as_required(['workdir', 'images', 'output'])
  app.run(main)
