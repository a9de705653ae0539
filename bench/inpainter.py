# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Inference benchmark: latency, peak RSS and FLOPs, dense vs auto attention.

Runs the full `Inpainter` call (uint8 in, composited uint8 out) of a cnum=32
generator (random weights: speed does not depend on them) on square images
of 256..2048 pixels with a centred square hole of ~10% or ~25% of the area.

Only this project's numbers are reported, with the machine they were measured
on (CPU model, core count, load, date); compare against other implementations
only with numbers measured in the same run on the same machine.

Each configuration runs in a fresh subprocess, so peak RSS
(`ru_maxrss` of that process) belongs to it alone. Latency is the median of
`--repeats` calls after a first (compiling) call. FLOPs come from XLA's cost
analysis of the compiled program; it counts the body of the attention's tile
loop once, so for 'auto' the matmul flops of the other executed tiles are
added (`tiled_attention.tile_flops`). Dense configurations whose score matrices
cannot fit in RAM are reported as such instead of being run.

Fresh-process rows (`--fresh SIZE:HOLE:COUNT`, default 2048x2048 with two
holes of together 9% of the area): the wall time of a whole new process
that imports, builds the model, compiles and inpaints once (`auto`
attention, no compilation cache), and its peak RSS.

  python bench/inpainter.py                  # all, writes the JSON
  python bench/inpainter.py --sizes=256,512 --modes=auto
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from typing import Sequence

from absl import app
from absl import flags
import numpy as np

import common  # bench/common.py

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'results',
                       'inference.json')
ROOT = common.ROOT
_GIB = 1 << 30


def dense_scores_gib(size: int) -> float:
  """RAM the dense attention's score tensors need at `size` x `size`."""
  # pylint: disable=g-import-not-at-top
  from deepfill_jax.inference import memory
  return memory.dense_attention_bytes((size, size)) / _GIB


def child(size: int, frac: float, mode: str, repeats: int) -> dict:
  """Measures one configuration in this process."""
  # pylint: disable=g-import-not-at-top
  import jax
  from flax import nnx
  from deepfill_jax.models import tiled_attention
  from deepfill_jax.inference import inpainter as inpainter_lib
  from deepfill_jax.models import hole_aware
  from deepfill_jax.models import InpaintGenerator
  gen = nnx.jit(lambda: InpaintGenerator(32, rngs=nnx.Rngs(0)))()
  inp = inpainter_lib.Inpainter(gen, attention=mode)
  image = np.random.default_rng(0).integers(0, 256, (size, size, 3), np.uint8)
  mask = common.hole(size, frac)
  t0 = time.perf_counter()
  inp(image, mask)
  first = time.perf_counter() - t0
  times = []
  for _ in range(repeats):
    t0 = time.perf_counter()
    out = inp(image, mask)
    times.append(time.perf_counter() - t0)
  assert (out[~mask] == image[~mask]).all()
  peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / _GIB
  # FLOPs of the same compiled program.
  compiled = inp.lower([image], [mask]).compile()
  flops = float(compiled.cost_analysis()['flops'])
  tiles = None
  if mode == 'auto':
    plan = hole_aware.make_plan(mask[None], mask[None])
    tiles = int(plan.counts[0])
    grid = (size // 8, size // 8)
    geo = tiled_attention.tile_geometry(grid,
                                       tiled_attention.default_tile(grid))
    flops += max(tiles - 1, 0) * tiled_attention.tile_flops(geo, 4 * 32)
  return dict(
      size=size, hole=frac, mode=mode, status='ok',
      hole_area=float(mask.mean()),
      latency_s=float(np.median(times)), latencies_s=times,
      first_call_s=first, gflop=flops / 1e9,
      peak_rss_gib=peak, attention_tiles=tiles,
      crop_sizes=plan.sizes if mode == 'auto' else None,
      jax=jax.__version__)


def one_call(size: int, frac: float, count: int) -> dict:
  """A fresh process's single `auto` inpainting; its peak RSS."""
  start = time.perf_counter()
  # pylint: disable=g-import-not-at-top
  from flax import nnx
  from deepfill_jax.inference import inpainter as inpainter_lib
  from deepfill_jax.models import InpaintGenerator
  gen = nnx.jit(lambda: InpaintGenerator(32, rngs=nnx.Rngs(0)))()
  inp = inpainter_lib.Inpainter(gen, attention='auto')
  image = np.random.default_rng(0).integers(0, 256, (size, size, 3), np.uint8)
  mask = common.holes(size, frac, count)
  ready = time.perf_counter()
  out = inp(image, mask)
  assert (out[~mask] == image[~mask]).all()
  return dict(size=size, hole=frac, holes=count, hole_area=float(mask.mean()),
              setup_s=ready - start, call_s=time.perf_counter() - ready,
              peak_rss_gib=resource.getrusage(
                  resource.RUSAGE_SELF).ru_maxrss * 1024 / _GIB)


def fresh_row(spec: str) -> dict:
  """Runs `one_call` in a new process (cache off); its wall time."""
  size, frac, count = spec.split(':')
  cmd = [sys.executable, os.path.abspath(__file__),
         f'--one={size},{frac},{count}']
  env = dict(os.environ, DEEPFILL_JAX_CACHE='off',
             PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
  start, busy = time.perf_counter(), common.busy_cpu_s()
  before = resource.getrusage(resource.RUSAGE_CHILDREN)
  res = subprocess.run(cmd, capture_output=True, text=True, env=env,
                       check=False)
  wall = time.perf_counter() - start
  after = resource.getrusage(resource.RUSAGE_CHILDREN)
  own = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
  # Share of the cores other processes took meanwhile (0 when idle).
  outside = max(0., common.busy_cpu_s() - busy - own) / (
      os.cpu_count() * wall)
  if res.returncode != 0:
    tail = (res.stderr.strip().splitlines() or ['?'])[-1]
    return dict(spec=spec, status='failed', reason=f'exit {res.returncode}: '
                f'{tail}')
  row = json.loads(res.stdout.strip().splitlines()[-1])
  return dict(row, spec=spec, status='ok', process_wall_s=wall,
              process_cpu_s=own, outside_load=outside)


def fresh_table(rows: list[dict]) -> str:
  """Markdown table of the fresh-process rows."""
  lines = ['| size | holes | hole area | process wall (s) | of which the call, '
           'compile included (s) | peak RSS (GiB) | outside load |',
           '|' + '---|' * 7]
  for r in rows:
    if r['status'] != 'ok':
      lines.append(f"| {r['spec']} | {r['reason']} | | | | | |")
      continue
    lines.append(f"| {r['size']} | {r['holes']} | {r['hole_area']:.1%} | "
                 f"{r['process_wall_s']:.1f} | {r['call_s']:.1f} | "
                 f"{r['peak_rss_gib']:.2f} | {r['outside_load']:.0%} |")
  return '\n'.join(lines)


def run_config(size: int, frac: float, mode: str, repeats: int,
               max_dense_gib: float) -> dict:
  """Runs one configuration in a subprocess (or explains why not)."""
  need = dense_scores_gib(size)
  if mode == 'dense' and need > max_dense_gib:
    return dict(size=size, hole=frac, mode=mode, status='skipped',
                reason=f'does not fit (needs ~{need:.0f} GiB for scores)')
  cmd = [sys.executable, os.path.abspath(__file__),
         f'--child={size},{frac},{mode}', f'--repeats={repeats}']
  env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep +
             os.environ.get('PYTHONPATH', ''))
  res = subprocess.run(cmd, capture_output=True, text=True, env=env,
                       check=False)
  if res.returncode != 0:
    tail = (res.stderr.strip().splitlines() or ['?'])[-1]
    return dict(size=size, hole=frac, mode=mode, status='failed',
                reason=f'exit {res.returncode}: {tail}')
  return json.loads(res.stdout.strip().splitlines()[-1])


def table(results: list[dict]) -> str:
  """Markdown table of the results."""
  head = ('| size | hole | attention | latency (s) | first call (s) | GFLOP | '
          'GFLOP/s | peak RSS (GiB) |')
  rows = [head, '|' + '---|' * 8]
  for r in results:
    if r['status'] != 'ok':
      rows.append(f"| {r['size']} | {r['hole']:.0%} | {r['mode']} | "
                  f"{r['reason']} | | | | |")
      continue
    rows.append(
        f"| {r['size']} | {r['hole']:.0%} | {r['mode']} | "
        f"{r['latency_s']:.2f} | {r['first_call_s']:.1f} | {r['gflop']:.0f} |"
        f" {r['gflop'] / r['latency_s']:.0f} | {r['peak_rss_gib']:.2f} |")
  return '\n'.join(rows)


flags.DEFINE_list('sizes', ['256', '512', '1024', '2048'], 'image sizes '
                  '(square; empty: no latency rows)')
flags.DEFINE_list('holes', ['0.10', '0.25'], 'hole areas, shares of the image')
flags.DEFINE_list('modes', ['dense', 'auto'], 'attention modes')
flags.DEFINE_integer('repeats', 3, 'timed calls after the first (median)')
flags.DEFINE_float('max_dense_gib', 12., 'skip dense runs whose scores need '
                   'more RAM')
flags.DEFINE_list('fresh', ['2048:0.09:2'], 'SIZE:HOLE:COUNT of each '
                  'fresh-process row (wall time and peak RSS of a new process '
                  'that inpaints once; empty: none)')
flags.DEFINE_string('output', RESULTS, 'where to write the JSON')
flags.DEFINE_list('one', None, 'internal: SIZE,HOLE,COUNT of a fresh-process '
                  'row, run in this process')
flags.DEFINE_list('child', None, 'internal: SIZE,HOLE,MODE of one latency '
                  'row, run in this process')


def main(argv: Sequence[str]) -> None:
  args = common.parsed_flags(argv)
  if args.child:
    size, frac, mode = args.child
    print(json.dumps(child(int(size), float(frac), mode, args.repeats)))
    return
  if args.one:
    size, frac, count = args.one
    print(json.dumps(one_call(int(size), float(frac), int(count))))
    return
  where = common.machine()
  print(f"{where['cpu']}, {where['cpus']} CPUs, {where['date']}", flush=True)
  results = []
  for size in map(int, args.sizes):
    for frac in map(float, args.holes):
      for mode in args.modes:
        r = run_config(size, frac, mode, args.repeats, args.max_dense_gib)
        results.append(r)
        print(table([r]).splitlines()[-1], flush=True)
  fresh = []
  for spec in args.fresh:
    fresh.append(fresh_row(spec))
    print(fresh_table(fresh[-1:]).splitlines()[-1], flush=True)
  print()
  print(table(results))
  print()
  print(fresh_table(fresh))
  os.makedirs(os.path.dirname(args.output), exist_ok=True)
  with open(args.output, 'w') as f:
    json.dump(dict(machine=where, results=results, fresh=fresh), f, indent=2)


if __name__ == '__main__':
  app.run(main)
