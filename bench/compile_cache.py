# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Persistent compilation cache: a second CLI run over the same sizes.

Writes 12 photos in 4 sizes (random pixels, a centred 10% hole) and a
cnum=32 generator checkpoint (random weights) to a temporary folder, then
runs `python -m deepfill_jax.inpaint --input_dir ...` twice with a fresh,
empty cache folder (`DEEPFILL_JAX_CACHE`), and twice more with the cache off.
The second cached run should take <= 0.7x the first (issue 9). Whole
process wall times, JSON in bench/results/compile_cache.json.

  python bench/compile_cache.py
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, 'bench', 'results', 'compile_cache.json')
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, 'bench'))
SIZES = ((256, 256), (320, 480), (480, 320), (512, 384))


def write_inputs(folder: str, per_size: int = 3) -> tuple[str, str]:
  """Photos and masks in `folder`; returns (images dir, masks dir)."""
  # pylint: disable=g-import-not-at-top
  from inference import _hole
  rng = np.random.default_rng(0)
  images, masks = os.path.join(folder, 'in'), os.path.join(folder, 'masks')
  os.makedirs(images)
  os.makedirs(masks)
  for h, w in SIZES:
    hole = _hole(max(h, w), 0.1)[:h, :w]
    for i in range(per_size):
      name = f'{h}x{w}_{i}.png'
      Image.fromarray(rng.integers(0, 256, (h, w, 3), np.uint8)).save(
          os.path.join(images, name))
      Image.fromarray(hole.astype(np.uint8) * 255).save(
          os.path.join(masks, name))
  return images, masks


def write_checkpoint(path: str) -> None:
  # pylint: disable=g-import-not-at-top
  from flax import nnx
  from deepfill_jax import checkpointing
  from deepfill_jax.models import InpaintGenerator
  checkpointing.save_generator(path, InpaintGenerator(32, rngs=nnx.Rngs(0)))


def run_cli(ckpt: str, images: str, masks: str, out: str, cache: str) -> float:
  """Wall time of one CLI process over the folder."""
  env = dict(os.environ, DEEPFILL_JAX_CACHE=cache,
             PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
  start = time.perf_counter()
  subprocess.run([sys.executable, '-m', 'deepfill_jax.inpaint', '--checkpoint',
                  ckpt, '--input_dir', images, '--mask_dir', masks,
                  '--output_dir', out, '--no_progress'], env=env, check=True,
                 capture_output=True)
  return time.perf_counter() - start


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--output', default=RESULTS)
  args = parser.parse_args()
  # pylint: disable=g-import-not-at-top
  from inference import machine
  with tempfile.TemporaryDirectory() as tmp:
    images, masks = write_inputs(tmp)
    ckpt = os.path.join(tmp, 'ckpt')
    write_checkpoint(ckpt)
    cache = os.path.join(tmp, 'cache')
    out = os.path.join(tmp, 'out')
    runs = {}
    # Interleaved: off, cached (cold), off, cached (warm).
    runs['off_1'] = run_cli(ckpt, images, masks, out, 'off')
    runs['cache_first'] = run_cli(ckpt, images, masks, out, cache)
    runs['off_2'] = run_cli(ckpt, images, masks, out, 'off')
    runs['cache_second'] = run_cli(ckpt, images, masks, out, cache)
    entries = len(os.listdir(cache))
  result = dict(machine=machine(), photos=12, sizes=SIZES, runs_s=runs,
                cache_entries=entries,
                second_over_first=runs['cache_second'] / runs['cache_first'])
  print(json.dumps(result, indent=2))
  os.makedirs(os.path.dirname(args.output), exist_ok=True)
  with open(args.output, 'w') as f:
    json.dump(result, f, indent=2)


if __name__ == '__main__':
  main()
