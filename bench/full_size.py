# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Full-size photos: the default against a full-size pass and baselines.

Five cases from the full-size test photos (2048x2048 two boxes of 8%,
2560x1600 10% box and ~2% strokes, 1680x1050 25% box, 4240x2832 10% box);
methods `auto` (`Inpainter.pretrained()`), `previous` (the default before
`working_size` and `blend`: full size, two scales), `full_1x` (full size,
one pass, the network alone), PatchMatch (patch_size 3), Telea; each
(method, case) in a fresh process (`full_size_child`): a model's warm-up
call, then the timed call (`--full_1x_warmup=false`: the only call of
`previous` and `full_1x`). Prints the CPU and a
table, writes bench/results/full_size.json.

  PYTHONPATH=. python bench/full_size.py --photos=photos/test_full

(PYTHONPATH: this checkout's package, in this process and its children.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from absl import app
from absl import flags
from PIL import Image

import common  # bench/common.py
from deepfill_jax.data import image_io
from deepfill_jax.evaluation import full_size
from deepfill_jax.evaluation import mask_sets as eval_masks

RESULTS = os.path.join(common.RESULTS_DIR, 'full_size.json')
CHILD = full_size.CHILD
# name: (photo, (W, H), hole)
CASES = {
    '2048x2048_two_boxes_8': ('enlightenment/Yellow-Flower.png', (2048, 2048),
                              'two_boxes'),
    '2560x1600_box_10': ('enlightenment/White-Flower.png', (2560, 1600),
                         'box10'),
    '2560x1600_strokes_2': ('enlightenment/Sea-of-Lanterns.png', (2560, 1600),
                            'strokes2'),
    '1680x1050_box_25': ('enlightenment/Yellow-Flower.png', (1680, 1050),
                         'box25'),
    '4240x2832_box_10': ('enlightenment/White-Flower.png', (4240, 2832),
                         'box10'),
}
METHODS = {
    'auto': dict(kind='model', **full_size.MODEL_VARIANTS['deepfill_auto']),
    'previous': dict(kind='model',
                     **full_size.MODEL_VARIANTS['deepfill_previous']),
    'full_1x': dict(kind='model', **full_size.MODEL_VARIANTS['deepfill_1x']),
    'patchmatch': dict(kind='baseline'),
    'telea': dict(kind='baseline'),
}
# Slow methods whose warm-up call --full_1x_warmup may skip.
UNWARMED = ('previous', 'full_1x')


def photo(path: str, size: tuple[int, int]) -> np.ndarray:
  """The photo centre-cropped to `size`'s aspect, resized (Lanczos)."""
  image = image_io.open_image(path)
  wid, hgt = image.size
  aspect = size[0] / size[1]
  cw, ch = (min(wid, round(hgt * aspect)), min(hgt, round(wid / aspect)))
  left, top = (wid - cw) // 2, (hgt - ch) // 2
  image = image.crop((left, top, left + cw, top + ch))
  return np.asarray(image.resize(size, Image.LANCZOS))


def hole(kind: str, hw: tuple[int, int], seed: int = 0) -> np.ndarray:
  """The case's hole (bool [H, W])."""
  rng = np.random.default_rng(seed)
  if kind.startswith('box'):
    return full_size.box_mask(rng, hw, int(kind[3:]) / 100.)
  if kind == 'two_boxes':
    out = np.zeros(hw, bool)
    half = hw[1] // 2
    for left in (0, half):
      out[:, left:left + half] |= full_size.box_mask(rng, (hw[0], half),
                                                     0.08)
    return out
  style = eval_masks.STYLES['thin_strokes']
  hgt, wid = hw
  for _ in range(100):  # The strokes of one part of the image, about 2%.
    mask = eval_masks.lama_style_mask(rng, hw, style)
    top, left = rng.integers(0, hgt // 2), rng.integers(0, wid // 2)
    part = np.zeros(hw, bool)
    part[top:top + hgt // 2, left:left + wid // 2 + wid // 8] = True
    mask &= part
    if 0.015 <= mask.mean() <= 0.025:
      return mask
  raise ValueError('no stroke mask of about 2%.')


def run(job: dict, timeout: float) -> dict:
  """`full_size_child` on `job` in a fresh process."""
  path = os.path.join(job['output'], 'job.json')
  with open(path, 'w') as f:
    json.dump(job, f)
  env = dict(os.environ, PYTHONPATH=common.ROOT)
  try:
    subprocess.run([sys.executable, '-P', CHILD, path], env=env,
                   capture_output=True, timeout=timeout, check=False)
  except subprocess.TimeoutExpired:
    return dict(error=f'over {timeout:.0f} s')
  try:
    with open(os.path.join(job['output'], 'child.json')) as f:
      return json.load(f)
  except (OSError, ValueError):
    return dict(error='the child died')


_PHOTOS = flags.DEFINE_string(
    'photos', 'photos/test_full', 'The full-size test photos '
    '(tools/make_photo_dataset.py output).')
_CASES = flags.DEFINE_list('cases', list(CASES), 'Cases to run.')
_METHODS = flags.DEFINE_list('methods', list(METHODS), 'Methods to run.')
_TIMEOUT = flags.DEFINE_float('timeout', 600., 'Seconds per child process.')
_WARMUP = flags.DEFINE_bool('full_1x_warmup', True,
                            'Warm `previous` and `full_1x` up before their '
                            'timed call.')
_OUTPUT = flags.DEFINE_string('output', RESULTS, 'The JSON written.')


def main(argv: list[str]) -> None:
  del argv
  args = flags.FLAGS
  if not os.path.abspath(full_size.CHILD).startswith(common.ROOT + os.sep):
    sys.exit(f'error: deepfill_jax comes from {full_size.CHILD}, not this '
             'checkout; run with PYTHONPATH=.')
  info = common.machine()
  print(f'CPU: {info["cpu"]}, {info["cpus"]} cores, load {info["load_average"]}',
        flush=True)
  rows = []
  with tempfile.TemporaryDirectory(prefix='bench_full_size_') as tmp:
    for name in args.cases:
      src, size, kind = CASES[name]
      target = photo(os.path.join(args.photos, src), size)
      mask = hole(kind, target.shape[:2])
      image_path = os.path.join(tmp, f'{name}.png')
      Image.fromarray(target).save(image_path)
      mask_path = os.path.join(tmp, f'{name}.npy')
      np.save(mask_path, mask)
      for method in args.methods:
        out = os.path.join(tmp, f'{name}_{method}')
        os.makedirs(out)
        job = dict(image=image_path, masks={'case': mask_path},
                   method=method, checkpoint=None, attention='auto',
                   output=out, **METHODS[method])
        if method in UNWARMED:
          job['warmup'] = args.full_1x_warmup
        res = run(job, args.timeout)
        row = dict(case=name, method=method, hole_fraction=float(mask.mean()),
                   peak_rss_gib=(res.get('peak_rss_mb') or 0) / 1024.,
                   seconds=res.get('seconds', {}).get('case'),
                   warmup_s=res.get('warmup_s', {}).get('case'),
                   error=res.get('error') or res.get('errors', {}).get('case'))
        pred_path = os.path.join(out, 'case.npy')
        if os.path.exists(pred_path):
          pred = np.load(pred_path)
          row.update(full_size.hole_scores(pred, target, mask))
          row['ssim_box'] = full_size.ssim_box(pred, target, mask)
          row['known_changed'] = int((pred[~mask] != target[~mask]).any(
              -1).sum())
        rows.append(row)
        print(json.dumps(row), flush=True)
  print('\n| case | method | s | peak RSS GiB | hole L1 % | PSNR dB | '
        'SSIM box |\n|---|---|---|---|---|---|---|')
  for r in rows:
    if r.get('hole_l1') is None:
      print(f'| {r["case"]} | {r["method"]} | {r["error"]} | '
            f'{r["peak_rss_gib"]:.2f} | - | - | - |')
      continue
    print(f'| {r["case"]} | {r["method"]} | {r["seconds"]:.2f} | '
          f'{r["peak_rss_gib"]:.2f} | {r["hole_l1"]:.2f} | '
          f'{r["hole_psnr"]:.2f} | {r["ssim_box"] or 0:.4f} |')
  os.makedirs(os.path.dirname(args.output), exist_ok=True)
  with open(args.output, 'w') as f:
    json.dump(dict(machine=info, rows=rows,
                   full_1x_warmup=args.full_1x_warmup), f, indent=1)


if __name__ == '__main__':
  app.run(main)
