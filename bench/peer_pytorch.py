# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Side-by-side speed against the PyTorch port, measured in one run.

The v1 PyTorch port (github daa233/generative-inpainting-pytorch, MIT) is run
from a checkout given by `--port_dir` with a Python that has torch
(`--python`); nothing of it is vendored here. Its `torchvision` import needs
only two empty modules, which this script writes as a stub package into a
temporary folder put first on the port's PYTHONPATH.

Rows (random weights and inputs: speed does not depend on them):

* generator forward, batch 1, 256x256 and 512x512 with a centred square hole
  of 10% of the area; ours as the jitted generator on the whole image and as
  the `Inpainter` (`auto` attention: hole-aware crops and tiles, uint8 in and
  out);
* one training iteration at 256x256, batch 4: 5 critic updates + 1 generator
  update. The port's trainer does this as 4 critic-only iterations and one
  that also updates the generator (its `n_critic` loop; both backward passes
  run before the critic's optimizer step, as current torch requires); ours as
  `step_lib.train_iteration` does it. The row also gives our iteration's work
  floor (`common.work_floor`: its FLOPs over the fastest float32 rate XLA
  reaches on this machine, both from this run) beside half the port's time.

Each side runs in its own long-lived worker process that sets up (and, ours,
compiles) once; the driver then alternates timed calls, port, ours, port,
ours ..., so both see the same machine load. Medians of `--repeats` calls.
Ratios are port time / our time (> 1: ours is faster). JSON in
bench/results/peer_pytorch.json with the CPU model and date.

  python -m venv /tmp/torchvenv
  /tmp/torchvenv/bin/pip install torch==2.13.0 numpy pillow pyyaml
  python bench/peer_pytorch.py --port_dir /tmp/port \\
      --python /tmp/torchvenv/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Callable

import numpy as np

import common  # bench/common.py

ROOT = common.ROOT
RESULTS = os.path.join(ROOT, 'bench', 'results', 'peer_pytorch.json')

# The tasks, as (name, setup message for both workers).
TASKS = {
    'forward_256': dict(task='forward', size=256, hole=0.10),
    'forward_512': dict(task='forward', size=512, hole=0.10),
    'train_256_b4': dict(task='train', size=256, batch=4, critic_steps=5),
}

# Worker run by the port's Python: our own driver code, importing the port.
PORT_WORKER = r'''
import json, sys, time
import numpy as np
import torch
import yaml

port_dir = sys.argv[1]  # On PYTHONPATH (port_worker).
from model.networks import Generator  # noqa: E402
from trainer import Trainer  # noqa: E402
from utils.tools import mask_image, random_bbox  # noqa: E402


def config():
  with open(port_dir + '/configs/config.yaml') as f:
    cfg = yaml.safe_load(f)
  cfg.update(cuda=False, gpu_ids=[])
  return cfg


def hole(size, frac):
  side = int(round(size * frac ** 0.5))
  start = (size - side) // 2
  mask = torch.zeros(1, 1, size, size)
  mask[..., start:start + side, start:start + side] = 1.
  return mask


def forward_task(msg):
  torch.manual_seed(0)
  gen = Generator(config()['netG'], False, None).eval()
  size = msg['size']
  mask = hole(size, msg['hole'])
  x = (torch.rand(1, 3, size, size) * 2 - 1) * (1. - mask)

  def call():
    with torch.no_grad():
      gen(x, mask)
  return call


def train_task(msg):
  torch.manual_seed(0)
  np.random.seed(0)
  cfg = config()
  cfg['batch_size'] = msg['batch']
  cfg['n_critic'] = msg['critic_steps']
  trainer = Trainer(cfg)
  d_params = [p for p in trainer.optimizer_d.param_groups[0]['params']]
  size = msg['size']

  def iteration():  # The port's train.py loop body, n_critic times.
    for it in range(1, cfg['n_critic'] + 1):
      truth = torch.rand(cfg['batch_size'], 3, size, size) * 2 - 1
      bboxes = random_bbox(cfg, batch_size=truth.size(0))
      x, mask = mask_image(truth, bboxes, cfg)
      compute_g = it == cfg['n_critic']
      losses, _, _ = trainer(x, bboxes, mask, truth, compute_g)
      trainer.optimizer_d.zero_grad()
      d = losses['wgan_d'] + losses['wgan_gp'] * cfg['wgan_gp_lambda']
      d.backward()
      if compute_g:
        # Current torch refuses the port's order (the critic step changes
        # weights g's backward still needs), so both backward passes run
        # first; the critics keep their d gradients. Same work.
        d_grads = [p.grad.clone() for p in d_params]
        trainer.optimizer_g.zero_grad()
        g = (losses['l1'] * cfg['l1_loss_alpha']
             + losses['ae'] * cfg['ae_loss_alpha']
             + losses['wgan_g'] * cfg['gan_loss_alpha'])
        g.backward()
        for p, grad in zip(d_params, d_grads):
          p.grad = grad
      trainer.optimizer_d.step()
      if compute_g:
        trainer.optimizer_g.step()
  return iteration


call = None
for line in sys.stdin:
  msg = json.loads(line)
  start = time.perf_counter()
  if msg['op'] == 'setup':
    call = (forward_task if msg['task'] == 'forward' else train_task)(msg)
    call()  # Warm-up.
  else:
    call()
  print(json.dumps(dict(s=time.perf_counter() - start,
                        torch=torch.__version__,
                        threads=torch.get_num_threads())), flush=True)
'''


def _ours_forward(msg: dict) -> tuple[dict, Callable[[], dict]]:
  """Our generator forward (jitted, whole image) and the Inpainter's."""
  # pylint: disable=g-import-not-at-top
  import jax
  from flax import nnx
  from deepfill_jax import inference
  from deepfill_jax.models import InpaintGenerator
  gen = nnx.jit(lambda: InpaintGenerator(32, rngs=nnx.Rngs(0)))()
  graphdef, params = nnx.split(gen)
  size = msg['size']
  mask = common.hole(size, msg['hole'])
  image = np.random.default_rng(0).integers(0, 256, (size, size, 3), np.uint8)
  x = jax.numpy.asarray(image[None] / 127.5 - 1., jax.numpy.float32)
  m = jax.numpy.asarray(mask[None, :, :, None], jax.numpy.float32)
  forward = jax.jit(lambda p, x, m: nnx.merge(graphdef, p)(x, m)[1])
  inpainter = inference.Inpainter(gen, attention='auto')
  return {
      'generator': lambda: jax.block_until_ready(forward(params, x, m)),
      'inpainter_auto': lambda: inpainter(image, mask),
  }, dict


def _ours_train(msg: dict) -> tuple[dict, Callable[[], dict]]:
  """One generator iteration of our training: 5 critic + 1 generator step,
  and its work floor (`common.work_floor`, measured when called)."""
  # pylint: disable=g-import-not-at-top
  import jax
  from deepfill_jax import step as step_lib
  config = common.config('full', 'float32')
  config.batch_size = msg['batch']
  config.critic_steps = msg['critic_steps']
  setup, steps, state, batches = common.training(
      config, num_batches=config.critic_steps + 1)
  holder = {'state': state}

  def iteration():
    holder['state'], _, metrics = step_lib.train_iteration(
        steps, setup, holder['state'], iter(batches))
    jax.block_until_ready(metrics)
  def floor():
    return common.work_floor(steps, holder['state'],
                      step_lib.global_batch(setup, batches[0]),
                      config.critic_steps)
  return {'iteration': iteration}, floor


def floor_line(row: dict) -> str:
  """What the training row's work floor says about a 2x target."""
  return (f"our iteration is {row['iteration_gflop']:.0f} GFLOP; at this "
          f"machine's peak {row['peak_gflops']:.0f} GFLOP/s (same run) it "
          f"takes at least {row['floor_s']:.2f} s; 2x the port needs "
          f"{row['port_s'] / 2:.2f} s, i.e. "
          f"{2 * row['iteration_gflop'] / row['port_s']:.0f} GFLOP/s")


def ours_worker() -> None:
  """Our side of the protocol: JSON lines in, timings out."""
  calls = None
  for line in sys.stdin:
    msg = json.loads(line)
    start = time.perf_counter()
    if msg['op'] == 'setup':
      calls, describe = (_ours_forward if msg['task'] == 'forward'
                         else _ours_train)(msg)
      for call in calls.values():
        call()  # Compiles.
      out = {'s': time.perf_counter() - start, 'info': describe()}
    else:
      out = {}
      for name, call in calls.items():
        start = time.perf_counter()
        call()
        out[name] = time.perf_counter() - start
    print(json.dumps(out), flush=True)


class Worker:
  """A worker process answering one JSON line per request."""

  def __init__(self, cmd: list[str], env: dict[str, str]):
    self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True, env=env)

  def ask(self, msg: dict) -> dict:
    self.proc.stdin.write(json.dumps(msg) + '\n')
    self.proc.stdin.flush()
    line = self.proc.stdout.readline()
    if not line:
      raise RuntimeError(f'worker {self.proc.args} died '
                         f'(exit {self.proc.wait()}).')
    return json.loads(line)

  def close(self) -> None:
    self.proc.stdin.close()
    self.proc.wait()


def stub_torchvision(folder: str) -> None:
  """An importable `torchvision` with empty `transforms` and `utils`."""
  pkg = os.path.join(folder, 'torchvision')
  os.makedirs(pkg, exist_ok=True)
  for name in ('__init__.py', 'transforms.py', 'utils.py'):
    with open(os.path.join(pkg, name), 'w') as f:
      f.write('"""Stub: the port imports it but the benchmark uses none."""\n')


def port_worker(tmp: str, port_dir: str, python: str
                ) -> tuple[list[str], dict[str, str]]:
  """Command and environment of a port worker; files go into `tmp`."""
  stub_torchvision(tmp)
  script = os.path.join(tmp, 'port_worker.py')
  with open(script, 'w') as f:
    f.write(PORT_WORKER)
  env = dict(os.environ, PYTHONPATH=os.pathsep.join(
      [tmp, os.path.abspath(port_dir)]))
  return [python, script, os.path.abspath(port_dir)], env


def measure(name: str, port_cmd: list[str], port_env: dict[str, str],
            repeats: int) -> dict:
  """Sets both workers up for `name`, then alternates timed calls."""
  msg = dict(TASKS[name], op='setup')
  port = Worker(port_cmd, port_env)
  ours = Worker([sys.executable, os.path.abspath(__file__), '--worker'],
                dict(os.environ))
  try:
    port_setup, ours_setup = port.ask(msg), ours.ask(msg)
    port_times, ours_times = [], {}
    for _ in range(repeats):
      port_times.append(port.ask({'op': 'time'})['s'])
      for key, value in ours.ask({'op': 'time'}).items():
        ours_times.setdefault(key, []).append(value)
  finally:
    port.close()
    ours.close()
  row = dict(TASKS[name], name=name, port_s=float(np.median(port_times)),
             port_times_s=port_times, port_setup_s=port_setup['s'],
             torch=port_setup['torch'], torch_threads=port_setup['threads'],
             ours_compile_s=ours_setup['s'], **ours_setup['info'])
  for key, values in ours_times.items():
    row[f'ours_{key}_s'] = float(np.median(values))
    row[f'ours_{key}_times_s'] = values
    row[f'ratio_{key}'] = row['port_s'] / row[f'ours_{key}_s']
  return row


def table(rows: list[dict]) -> str:
  """Markdown table: one line per (task, our variant)."""
  lines = ['| work | PyTorch port (s) | deepfill_jax (s) | ratio |',
           '|---|---|---|---|']
  labels = {'forward_256': 'generator forward 256x256',
            'forward_512': 'generator forward 512x512, 10% hole',
            'train_256_b4': 'one training iteration 256x256, batch 4 '
                            '(5 critic + 1 generator updates)'}
  for row in rows:
    for key in ('generator', 'inpainter_auto', 'iteration'):
      if f'ours_{key}_s' not in row:
        continue
      how = {'generator': ' (jit, whole image)',
             'inpainter_auto': ' (Inpainter auto)', 'iteration': ''}[key]
      lines.append(f"| {labels[row['name']]}{how} | {row['port_s']:.2f} | "
                   f"{row[f'ours_{key}_s']:.2f} | "
                   f"{row[f'ratio_{key}']:.2f}x |")
  lines += [f'\n{floor_line(row)}.' for row in rows if 'floor_s' in row]
  return '\n'.join(lines)


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--port_dir', help='checkout of the PyTorch port')
  parser.add_argument('--python', help='a Python that has torch')
  parser.add_argument('--tasks', nargs='+', default=list(TASKS),
                      choices=list(TASKS))
  parser.add_argument('--repeats', type=int, default=5)
  parser.add_argument('--output', default=RESULTS)
  parser.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
  args = parser.parse_args()
  if args.worker:
    ours_worker()
    return
  if not (args.port_dir and args.python):
    parser.error('--port_dir and --python are required (this benchmark is '
                 'optional: without the port there is nothing to compare).')
  where = common.machine()
  print(f"{where['cpu']}, {where['cpus']} CPUs, {where['date']}", flush=True)
  rows = []
  with tempfile.TemporaryDirectory() as tmp:
    port_cmd, port_env = port_worker(tmp, args.port_dir, args.python)
    for name in args.tasks:
      repeats = args.repeats if TASKS[name]['task'] == 'forward' else max(
          2, args.repeats // 2)
      try:
        rows.append(measure(name, port_cmd, port_env, repeats))
      except RuntimeError as e:  # One failed task does not lose the others.
        print(f'{name}: failed: {e}', flush=True)
        continue
      print('\n'.join(table(rows[-1:]).splitlines()[2:]), flush=True)
  print()
  print(table(rows))
  os.makedirs(os.path.dirname(args.output), exist_ok=True)
  with open(args.output, 'w') as f:
    json.dump(dict(machine=where, rows=rows), f, indent=2)
  print(f'wrote {args.output}')


if __name__ == '__main__':
  main()
