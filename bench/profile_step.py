# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Where a training step or an inference call spends its time, per XLA op.

Compiles one step of the full model (256x256, batch 4, one device), or one
inference call (`--step forward`: the jitted whole-image generator;
`--step inpaint`: the `Inpainter`'s hole-aware `auto` call; one image of
`--size` with a centred square hole of `--hole` of its area, as in
`bench/peer_pytorch.py`; float32 whatever `--dtype` says), runs it twice,
then once under `jax.profiler.trace` and sums the trace's events per XLA
instruction. Each instruction is described from the compiled HLO (its fused
ops, the convolution's window and dimension labels) and put into a
kind: convolution kernel gradients (a window as large as the feature map),
other convolutions (forward and input gradients), dots, element-wise and the
rest. Times are thread time summed over XLA's worker threads, so they add up
to more than the step's wall time.

  python bench/profile_step.py --step generator
  python bench/profile_step.py --step critic --dtype bfloat16 --top 30
  python bench/profile_step.py --step inpaint --size 512 --hole 0.1
"""

from __future__ import annotations

import collections
import glob
import itertools
import os
import re
import tempfile
import time
from typing import Callable, Sequence

from absl import app
from absl import flags


import common  # bench/common.py

ROOT = common.ROOT

_INSTRUCTION = re.compile(r'\s+(?:ROOT )?%?([\w.\-]+) = (\S+) ([\w\-]+)\((.*)')
_COMPUTATION = re.compile(r'^(?:ENTRY )?%?([\w.\-]+) .*\{$')


def describe_hlo(text: str) -> dict[str, str]:
  """Instruction name -> 'op shape [fused ops] window dims' from HLO text."""
  bodies, current = {}, None
  for line in text.splitlines():
    m = _COMPUTATION.match(line)
    if m:
      current = bodies.setdefault(m.group(1), [])
    elif current is not None:
      current.append(line)
  described = {}
  for line in text.splitlines():
    m = _INSTRUCTION.match(line)
    if not m:
      continue
    name, shape, op, rest = m.groups()
    info = f'{op} {shape}'
    called = re.search(r'calls=%?([\w.\-]+)', rest)
    body = bodies.get(called.group(1), []) if called else []
    ops = [i.group(3) for i in map(_INSTRUCTION.match, body) if i]
    ops = [o for o in dict.fromkeys(ops)
           if o not in ('parameter', 'constant', 'bitcast', 'broadcast')]
    if ops:
      info += ' [' + ','.join(ops) + ']'
    for inner in body:
      if ' convolution(' in inner or ' dot(' in inner:
        info += ' ' + ' '.join(re.findall(
            r'window=\{[^}]*\}|dim_labels=\S+|lhs_contracting_dims=\S+', inner))
        break
    described[name] = info
  return described


def kind(info: str) -> str:
  """The kind of an instruction from its description."""
  window = re.search(r'window=\{size=(\d+)x', info)
  if 'convolution' in info:
    if window and int(window.group(1)) > 5:
      return 'convolution kernel gradients'
    return 'other convolutions (forward, input gradients)'
  if 'dot' in info:
    return 'dots (attention, dense heads)'
  return 'element-wise and the rest'


def training_call(step: str, dtype: str) -> tuple[Callable[[], None], str]:
  """One critic or generator update (each call advances the state)."""
  # pylint: disable=g-import-not-at-top
  import jax
  from deepfill_jax.training import step as step_lib
  setup, steps, state, batches = common.training(common.config('full', dtype))
  fn = getattr(steps, step)
  batches = [step_lib.global_batch(setup, b) for b in batches]
  hlo = fn.lower(state, batches[0]).compile().as_text()
  calls = itertools.count()

  def call():
    nonlocal state
    state, metrics = fn(state, batches[next(calls) % len(batches)])
    jax.block_until_ready(metrics)
  return call, hlo


def profile(call: Callable[[], None]) -> tuple[float, collections.Counter]:
  """(traced call's wall seconds, thread ns per instruction)."""
  # pylint: disable=g-import-not-at-top
  import jax
  from jax.profiler import ProfileData
  for _ in range(2):  # Compile, then one warm call.
    call()
  with tempfile.TemporaryDirectory() as folder:
    start = time.perf_counter()
    with jax.profiler.trace(folder):
      call()
    wall = time.perf_counter() - start
    trace = sorted(glob.glob(os.path.join(folder, '**', '*.xplane.pb'),
                             recursive=True))[-1]
    per_op = collections.Counter()
    for plane in ProfileData.from_file(trace).planes:
      for line in plane.lines:
        if 'XLAEigen' not in line.name:  # XLA's worker threads.
          continue
        for event in line.events:
          if not event.name.startswith(('ThunkExecutor', 'Slinky')):
            per_op[event.name] += event.duration_ns
  return wall, per_op


flags.DEFINE_enum('step', 'generator',
                  ['critic', 'generator', 'forward', 'inpaint'],
                  'what to profile')
flags.DEFINE_string('dtype', 'float32', 'critic / generator: compute dtype')
flags.DEFINE_integer('size', 256, 'forward / inpaint: the image size')
flags.DEFINE_float('hole', 0.1, 'forward / inpaint: the hole, a share of the '
                   'area')
flags.DEFINE_integer('top', 20, 'ops listed')


def main(argv: Sequence[str]) -> None:
  args = common.parsed_flags(argv)
  if args.step in ('critic', 'generator'):
    call, hlo = training_call(args.step, args.dtype)
    what = f'{args.step} step, full model, 256x256, batch 4, {args.dtype}'
  else:
    call, lower = common.forward_work('deepfill_v1', args.size, args.hole)[
        'inpainter_auto' if args.step == 'inpaint' else 'generator']
    hlo = lower().compile().as_text()
    what = (f'{args.step}, full model, {args.size}x{args.size}, '
            f'{args.hole:.0%} hole, float32')
  wall, per_op = profile(call)
  described = describe_hlo(hlo)
  kinds, counts = collections.Counter(), collections.Counter()
  for name, ns in per_op.items():
    k = kind(described.get(name, name))
    kinds[k] += ns
    counts[k] += 1
  print(f'{what}: {wall:.2f} s traced, '
        f'{sum(per_op.values()) / 1e9:.2f} s of thread time')
  print('| kind | ops | thread time (s) |\n|---|---|---|')
  for k, ns in kinds.most_common():
    print(f'| {k} | {counts[k]} | {ns / 1e9:.2f} |')
  print(f'\nTop {args.top} ops (ms, description):')
  for name, ns in per_op.most_common(args.top):
    print(f'{ns / 1e6:8.1f}  {name:24s} {described.get(name, "")[:200]}')


if __name__ == '__main__':
  app.run(main)
