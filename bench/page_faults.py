# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""What a second resident process does to our training iteration's memory.

Our worker of `bench/peer_pytorch.py` (one training iteration, 256x256,
batch 4) is timed alone, then with the port's worker set up for the same
task and a process holding `--hold_gib` GiB, both stopped (SIGSTOP: they
keep their memory, use no CPU), then alone again; once with glibc's default
malloc and once with `GLIBC_TUNABLES` set to keep freed memory in the
process (`TUNABLES`). Each call gives its wall time, the worker's user and
kernel CPU seconds and its page faults (`/proc/PID/stat`), and the
machine's free memory after.

  python bench/page_faults.py --port_dir=/tmp/port_v2 \\
      --python=/tmp/torchvenv/bin/python --model=deepfill_v2 --hold_gib=5

JSON in bench/results/page_faults.json.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from typing import Sequence

from absl import app
from absl import flags

import common  # bench/common.py
import peer_pytorch

RESULTS = os.path.join(common.ROOT, 'bench', 'results', 'page_faults.json')
# One arena, no mmap'd blocks, a 4 GiB trim threshold: freed memory stays.
TUNABLES = ('glibc.malloc.arena_max=1:glibc.malloc.mmap_max=0:'
            'glibc.malloc.trim_threshold=4294967296')
# A process that touches `argv[1]` GiB, says so, then waits.
_HOLD = ('import sys, time, numpy as np; a = np.ones(int(float(sys.argv[1]) '
         '* 2**28), np.float32); print("{}", flush=True); time.sleep(1e9)')


def _free_gib() -> float:
  with open('/proc/meminfo') as f:
    info = dict(line.split(':', 1) for line in f)
  return int(info['MemFree'].split()[0]) / 2**20


def _timed(worker: peer_pytorch.Worker, condition: str) -> dict:
  faults, user, kernel = common.process_stat(worker.proc.pid)
  start = time.perf_counter()
  worker.ask({'op': 'time'})
  wall = time.perf_counter() - start
  faults2, user2, kernel2 = common.process_stat(worker.proc.pid)
  return dict(condition=condition, wall_s=wall, user_s=user2 - user,
              kernel_s=kernel2 - kernel, faults=faults2 - faults,
              free_gib=_free_gib())


def run(task: dict, tunables: str, port: tuple[list[str], dict[str, str]],
        hold_gib: float, repeats: int) -> list[dict]:
  """The three conditions for one malloc setting ('' = glibc's default)."""
  env = dict(os.environ, GLIBC_TUNABLES=tunables)
  ours = peer_pytorch.Worker(
      [sys.executable, os.path.join(common.ROOT, 'bench', 'peer_pytorch.py'),
       '--worker'], env)
  calls = []
  try:
    ours.ask(dict(task, op='setup'))
    calls += [_timed(ours, 'alone') for _ in range(repeats)]
    resident = peer_pytorch.Worker(*port)
    holder = None
    try:
      resident.ask(dict(task, op='setup'))
      holder = peer_pytorch.Worker(
          [sys.executable, '-c', _HOLD, str(hold_gib)], dict(os.environ))
      holder.ask({})  # Waits until the memory is touched.
      resident.pause(True)
      holder.pause(True)
      calls += [_timed(ours, f'port + {hold_gib:g} GiB resident, stopped')
                for _ in range(repeats)]
    finally:
      if holder:  # It never ends by itself; SIGKILL ends it stopped too.
        holder.proc.kill()
        holder.proc.wait()
      resident.close()
    calls += [_timed(ours, 'alone again') for _ in range(repeats)]
  finally:
    ours.close()
  return [dict(c, glibc_tunables=tunables) for c in calls]


flags.DEFINE_string('port_dir', None, "checkout of the model's PyTorch port",
                    required=True)
flags.DEFINE_string('python', None, 'a Python with torch', required=True)
flags.DEFINE_enum('model', 'deepfill_v2', ['deepfill_v1', 'deepfill_v2'],
                  'the model whose training iteration runs')
flags.DEFINE_float('hold_gib', 5., 'memory the second resident process holds')
flags.DEFINE_integer('repeats', 2, 'timed calls per condition')
flags.DEFINE_string('output', RESULTS, 'where to write the JSON')


def main(argv: Sequence[str]) -> None:
  args = common.parsed_flags(argv)
  name = ('v2_' if args.model == 'deepfill_v2' else '') + 'train_256_b4'
  task = peer_pytorch.TASKS[name]
  rows = []
  with tempfile.TemporaryDirectory() as tmp:
    port = peer_pytorch.port_worker(tmp, args.port_dir, args.python)
    for tunables in ('', TUNABLES):
      rows += run(task, tunables, port, args.hold_gib, args.repeats)
  print('| malloc | condition | wall (s) | user CPU (s) | '
        'kernel CPU (s) | page faults | free memory (GiB) |')
  print('|---|---|---|---|---|---|---|')
  for r in rows:
    print(f"| {'kept' if r['glibc_tunables'] else 'default'} | "
          f"{r['condition']} | {r['wall_s']:.2f} | {r['user_s']:.1f} | "
          f"{r['kernel_s']:.1f} | {r['faults']:,} | {r['free_gib']:.1f} |")
  os.makedirs(os.path.dirname(args.output), exist_ok=True)
  with open(args.output, 'w') as f:
    json.dump(dict(machine=common.machine(), task=task, rows=rows), f,
              indent=2)
  print(f'wrote {args.output}')


if __name__ == '__main__':
  app.run(main)
