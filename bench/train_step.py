# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Training-step benchmark: critic update, generator update, whole iteration.

For each model (`tiny` at batch 8; the full 256x256 model at batch 4, or 8
on 8 devices), compute dtype (float32, bfloat16) and device count (1, and 8
simulated CPU devices sharing this machine's cores), times after a compiling
call:

* one critic update (generator forward + critic loss with its gradient
  penalty, gradient w.r.t. both critics, Adam);
* one generator update (gradient of g_loss w.r.t. the generator, Adam);
* one generator iteration: `critic_steps` (5) critic updates + 1 generator
  update, as training runs it;
* images/s of the iteration (it reads 6 batches);
* the iteration as a multiple of one batch-4 generator forward of the same
  model and dtype, measured in the same run: a machine-independent number;
* on one device, the work floor: the iteration's FLOPs (XLA's cost analysis
  of the compiled steps) over the fastest rate XLA reaches on this machine in
  the same run and dtype (`peak_gflops`): the iteration's time if every op
  ran as fast as the fastest single op does;
* with `--port_dir` and `--python`, the PyTorch port's iteration (256x256,
  batch 4) timed alternately with ours, and the ratio (bench/peer_pytorch.py).

Each row runs in a fresh subprocess (its own device count). Medians of
`--repeats` calls. JSON in bench/results/train_step.json.

  python bench/train_step.py
  python bench/train_step.py --models=tiny --devices=1
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Sequence

from absl import app
from absl import flags

import common  # bench/common.py

ROOT = common.ROOT
RESULTS = os.path.join(ROOT, 'bench', 'results', 'train_step.json')


def child(model: str, dtype: str, devices: int, repeats: int) -> dict:
  """Measures one row in this process."""
  # pylint: disable=g-import-not-at-top
  import jax
  import jax.numpy as jnp
  from flax import nnx
  from deepfill_jax.training import step as step_lib
  from deepfill_jax import testing

  config = common.config(model, dtype, devices)
  setup, steps, state, batches = common.training(config, devices)
  batches = [step_lib.global_batch(setup, b) for b in batches]
  holder = {'state': state}

  def critic():
    holder['state'], m = steps.critic(holder['state'], batches[0])
    jax.block_until_ready(m)

  def generator():
    holder['state'], m = steps.generator(holder['state'], batches[1])
    jax.block_until_ready(m)

  def iteration():
    for _ in range(config.critic_steps):
      holder['state'], _ = steps.critic(holder['state'], batches[0])
    holder['state'], m = steps.generator(holder['state'], batches[1])
    jax.block_until_ready(m)

  # A copy: the train steps donate (and so delete) the state's buffers.
  gen = nnx.merge(setup.networks.generator,
                  jax.tree.map(jnp.copy, state.generator))
  graphdef, params = nnx.split(gen)
  forward_batch = testing.train_batches(common.config(model, dtype), 1)[0]
  forward_batch = {k: v[:1].repeat(4, axis=0) for k, v in
                   forward_batch.items()}
  forward_jit = jax.jit(lambda p, x, m: nnx.merge(graphdef, p)(x, m)[1])

  def forward():
    jax.block_until_ready(forward_jit(params, forward_batch['image'],
                                      forward_batch['mask']))

  start = time.perf_counter()
  critic(), generator(), forward()
  compile_seconds = time.perf_counter() - start
  # Measured before the timings: it lowers with the live state's shapes.
  floor = (common.work_floor(steps, holder['state'], batches[0],
                             config.critic_steps, dtype)
           if devices == 1 else {})
  row = dict(model=model, dtype=dtype, devices=devices,
             batch=config.batch_size, image=config.image_size,
             critic_steps=config.critic_steps,
             compile_s=compile_seconds,
             critic_s=common.median_time(critic, repeats),
             generator_s=common.median_time(generator, repeats),
             iteration_s=common.median_time(iteration, max(1, repeats // 2)),
             forward_b4_s=common.median_time(forward, repeats))
  row['images_per_s'] = (config.batch_size * (config.critic_steps + 1)
                         / row['iteration_s'])
  row['iteration_over_forward'] = row['iteration_s'] / row['forward_b4_s']
  row.update(floor)
  if floor:
    row['iteration_gflops'] = floor['iteration_gflop'] / row['iteration_s']
    row['forward_b4_gflop'] = common.gflop(forward_jit, params,
                                    forward_batch['image'],
                                    forward_batch['mask'])
  return row


flags.DEFINE_list('child', None, 'internal: MODEL,DTYPE,DEVICES of one row, '
                  'run in this process')
flags.DEFINE_list('models', ['tiny', 'full'], 'models: tiny, full')
flags.DEFINE_list('dtypes', ['float32', 'bfloat16'], 'compute dtypes')
flags.DEFINE_list('devices', ['1', '8'], 'device counts (host platform '
                  'devices)')
flags.DEFINE_integer('repeats', 3, 'timed iterations per row')
flags.DEFINE_string('xla_flags', '', 'extra XLA_FLAGS for every row, e.g. to '
                    'compare XLA:CPU convolution paths')
flags.DEFINE_string('output', RESULTS, 'where to write the JSON')
flags.DEFINE_string('port_dir', None, 'PyTorch port checkout: also time its '
                    'iteration beside ours (bench/peer_pytorch.py)')
flags.DEFINE_string('python', None, 'a Python with torch, for --port_dir')


def main(argv: Sequence[str]) -> None:
  args = common.parsed_flags(argv)
  if args.child:
    model, dtype, devices = args.child
    row = child(model, dtype, int(devices), args.repeats)
    print(json.dumps(row))
    return

  # pylint: disable=g-import-not-at-top
  rows = []
  header = ('model', 'dtype', 'dev', 'batch', 'critic (s)', 'generator (s)',
            'iteration (s)', 'img/s', 'iter / fwd b4', 'GFLOP/iter',
            'GFLOP/s', 'peak GFLOP/s', 'floor (s)', 'compile (s)')
  print(' | '.join(header))
  for model in args.models:
    for dtype in args.dtypes:
      for devices in map(int, args.devices):
        env = dict(os.environ, XLA_FLAGS=(
            f'--xla_force_host_platform_device_count={devices} '
            f'{args.xla_flags}').strip())
        proc = subprocess.run(
            [sys.executable, __file__, f'--repeats={args.repeats}',
             f'--child={model},{dtype},{devices}'],
            env=env, capture_output=True, text=True, check=False)
        if proc.returncode:
          print(f'{model} {dtype} {devices}: failed\n{proc.stderr[-2000:]}')
          continue
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(' | '.join([
            model, dtype, str(devices), str(row['batch']),
            f'{row["critic_s"]:.3f}',
            f'{row["generator_s"]:.3f}', f'{row["iteration_s"]:.2f}',
            f'{row["images_per_s"]:.1f}',
            f'{row["iteration_over_forward"]:.1f}',
            *([f'{row["iteration_gflop"]:.0f}', f'{row["iteration_gflops"]:.0f}',
               f'{row["peak_gflops"]:.0f}', f'{row["floor_s"]:.2f}']
              if 'floor_s' in row else ['-'] * 4),
            f'{row["compile_s"]:.0f}']), flush=True)
  peer = None
  if args.port_dir and args.python:  # bench/peer_pytorch.py prints its row.
    # pylint: disable=g-import-not-at-top
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
      out = os.path.join(tmp, 'peer.json')
      subprocess.run(  # Its train task runs max(2, repeats // 2) times.
          [sys.executable, os.path.join(ROOT, 'bench', 'peer_pytorch.py'),
           f'--port_dir={args.port_dir}', f'--python={args.python}',
           '--tasks=train_256_b4', f'--repeats={2 * args.repeats}',
           f'--output={out}'], check=True)
      with open(out) as f:
        peer = (json.load(f)['rows'] or [None])[0]  # None: the task failed.
  os.makedirs(os.path.dirname(args.output), exist_ok=True)
  with open(args.output, 'w') as f:
    json.dump(dict(machine=common.machine(), xla_flags=args.xla_flags, rows=rows,
                   peer_pytorch=peer), f, indent=2)
  print(f'wrote {args.output}')


if __name__ == '__main__':
  app.run(main)
