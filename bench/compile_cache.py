# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Persistent compilation cache: a second CLI run over the same sizes.

Writes 12 photos in 4 sizes (random pixels, a centred 10% hole) and a
cnum=32 generator checkpoint (random weights) to a temporary folder, then
runs `python -m deepfill_jax.apps.inpaint --input_dir ...` twice with a fresh,
empty cache folder (`DEEPFILL_JAX_CACHE`), and twice more with the cache off,
interleaved; `--repeats` rounds, the ratio is their median. Each run also
reports the seconds it spent compiling (JAX's compile log).
The target: the second cached run takes <= 0.7x the first. Whole
process wall times, JSON in bench/results/compile_cache.json.

It also measures what size buckets would cost: each size is inpainted as is
and reflect-padded to a multiple of `--bucket` (one compiled program per
bucket, as a bucketing cache would), cropped back, and the hole pixels of
the two are compared (known pixels are pasted back either way). With the
padding inside the receptive field and the attention's key set, the hole
changes, so the Inpainter does not bucket whole images.

  python bench/compile_cache.py
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from typing import Sequence

from absl import app
from absl import flags
import numpy as np
from PIL import Image

import common  # bench/common.py

ROOT = common.ROOT
RESULTS = os.path.join(ROOT, 'bench', 'results', 'compile_cache.json')
SIZES = ((256, 256), (320, 480), (480, 320), (512, 384))


def write_inputs(folder: str, per_size: int = 3) -> tuple[str, str]:
  """Photos and masks in `folder`; returns (images dir, masks dir)."""
  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(0)
  images, masks = os.path.join(folder, 'in'), os.path.join(folder, 'masks')
  os.makedirs(images)
  os.makedirs(masks)
  for h, w in SIZES:
    hole = common.hole(max(h, w), 0.1)[:h, :w]
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
  from deepfill_jax.checkpoints import store
  from deepfill_jax.models import InpaintGenerator
  store.save_generator(path, InpaintGenerator(32, rngs=nnx.Rngs(0)))


def run_cli(ckpt: str, images: str, masks: str, out: str, cache: str
            ) -> tuple[float, float]:
  """Wall time of one CLI process over the folder, and the seconds it spent
  in XLA compilation (JAX's compile log; a cache hit logs its load time)."""
  env = dict(os.environ, DEEPFILL_JAX_CACHE=cache, JAX_LOG_COMPILES='1',
             PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
  start = time.perf_counter()
  proc = subprocess.run(
      [sys.executable, '-m', 'deepfill_jax.apps.inpaint', '--checkpoint', ckpt,
       '--input_dir', images, '--mask_dir', masks, '--output_dir', out,
       '--no_progress'], env=env, check=True, capture_output=True, text=True)
  wall = time.perf_counter() - start
  compiles = re.findall(r'Finished XLA compilation of .* in ([0-9.]+) sec',
                        proc.stderr)
  return wall, sum(map(float, compiles))


def bucketing_effect(bucket: int) -> list[dict]:
  """Hole pixels with and without padding each size up to `bucket`."""
  # pylint: disable=g-import-not-at-top
  from flax import nnx
  from deepfill_jax.inference.inpainter import Inpainter
  from deepfill_jax.data.pixels import reflect_pad
  from deepfill_jax.models import InpaintGenerator
  inpainter = Inpainter(InpaintGenerator(32, rngs=nnx.Rngs(0)))
  rng = np.random.default_rng(0)
  rows = []
  for h, w in SIZES:
    image = rng.integers(0, 256, (h, w, 3), np.uint8)
    hole = common.hole(max(h, w), 0.1)[:h, :w]
    size = (-(-h // bucket) * bucket, -(-w // bucket) * bucket)
    padded = inpainter(reflect_pad(image, size),
                       reflect_pad(hole, size))[:h, :w]
    diff = np.abs(inpainter(image, hole).astype(int) - padded.astype(int))
    rows.append(dict(size=(h, w), bucket=size,
                     hole_max_diff=int(diff[hole].max()),
                     hole_changed=float((diff[hole] > 0).mean()),
                     known_max_diff=int(diff[~hole].max())))
  return rows


flags.DEFINE_string('output', RESULTS, 'where to write the JSON')
flags.DEFINE_integer('repeats', 3, 'rounds, each from an empty cache (median '
                     'ratio)')
flags.DEFINE_integer('bucket', 128, 'bucket multiple for the padding '
                     'measurement')


def main(argv: Sequence[str]) -> None:
  args = common.parsed_flags(argv)
  # pylint: disable=g-import-not-at-top
  with tempfile.TemporaryDirectory() as tmp:
    images, masks = write_inputs(tmp)
    ckpt = os.path.join(tmp, 'ckpt')
    write_checkpoint(ckpt)
    out = os.path.join(tmp, 'out')
    rounds = []
    for r in range(args.repeats):  # Each round starts with an empty cache.
      cache = os.path.join(tmp, f'cache{r}')
      runs = {}
      # Interleaved: off, cached (cold), off, cached (warm).
      for name, where in (('off_1', 'off'), ('cache_first', cache),
                          ('off_2', 'off'), ('cache_second', cache)):
        runs[name], runs[f'{name}_compile'] = run_cli(ckpt, images, masks,
                                                      out, where)
      runs['second_over_first'] = runs['cache_second'] / runs['cache_first']
      runs['cache_entries'] = len(os.listdir(cache))
      rounds.append(runs)
      print(json.dumps(runs), flush=True)
  result = dict(machine=common.machine(), photos=12, sizes=SIZES, rounds=rounds,
                second_over_first=float(np.median(
                    [r['second_over_first'] for r in rounds])),
                bucketing=bucketing_effect(args.bucket))
  print(json.dumps(result, indent=2))
  os.makedirs(os.path.dirname(args.output), exist_ok=True)
  with open(args.output, 'w') as f:
    json.dump(result, f, indent=2)


if __name__ == '__main__':
  app.run(main)
