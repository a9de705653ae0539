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

Method. Each task runs three sessions of worker processes, each set up once
(ours compiles) and then timed `--repeats` times: the port alone in a fresh
process, ours alone in a fresh process, then both, in turn (port, ours,
port, ours ...), so both see the same machine load. While one worker is
timed the other is stopped (SIGSTOP), so nothing of it (a thread pool
spinning, a background thread) can run on the cores (`--idle run` leaves it
running, to show what that changes). Every call records its own CPU
seconds, the waiting worker's and those of every other process of the
machine (`other_cpu_s`: load from outside the benchmark).

Validation: each side's median in turn must be within 10% of its median
alone (`TOLERANCE`); only then is the ratio (port time / our time in turn,
> 1: ours is faster) published, else the row says the method failed and
gives none. JSON in bench/results/peer_pytorch.json with the CPU model, its
AVX-512 flags, the float32 peak of a fresh process (`common.peak_gflops`),
the date and every call.

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
import signal
import tempfile
import time
from typing import Callable

import numpy as np

import common  # bench/common.py

ROOT = common.ROOT
RESULTS = os.path.join(ROOT, 'bench', 'results', 'peer_pytorch.json')
# Each side's median in turn must be within this of its median alone.
TOLERANCE = 0.10

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
          f"{row['port_together_s'] / 2:.2f} s, i.e. "
          f"{2 * row['iteration_gflop'] / row['port_together_s']:.0f} GFLOP/s")


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
      out = {'s': time.perf_counter() - start,
             'info': describe() if msg.get('describe') else {}}
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

  def cpu_s(self) -> float:
    return common.process_cpu_s(self.proc.pid)

  def pause(self, paused: bool) -> None:
    """Stops (SIGSTOP) or resumes the whole process, all its threads."""
    os.kill(self.proc.pid, signal.SIGSTOP if paused else signal.SIGCONT)

  def close(self) -> None:
    self.pause(False)
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


def timed(worker: Worker, partners: list[Worker], idle: str) -> dict:
  """One timed call of `worker`, with where the machine's CPU time went.

  `own_cpu_s`: the worker's CPU seconds (all threads) during the call;
  `partner_cpu_s`: the other worker's, which waits for its turn (stopped
  with `idle='stop'`); `other_cpu_s`: every other process of the machine.
  """
  for partner in partners:
    partner.pause(idle == 'stop')
  try:
    busy, own = common.busy_cpu_s(), worker.cpu_s()
    partner_cpu = [p.cpu_s() for p in partners]
    start = time.perf_counter()
    out = worker.ask({'op': 'time'})
    wall = time.perf_counter() - start
    own = worker.cpu_s() - own
    partner_cpu = sum(p.cpu_s() for p in partners) - sum(partner_cpu)
    busy = common.busy_cpu_s() - busy
  finally:
    for partner in partners:
      partner.pause(False)
  times = {'port': out['s']} if 's' in out else out
  return dict(times=times, wall_s=wall, own_cpu_s=own,
              partner_cpu_s=partner_cpu,
              other_cpu_s=max(0., busy - own - partner_cpu))


def session(name: str, sides: dict[str, tuple[list[str], dict[str, str]]],
            repeats: int, idle: str, describe: bool = False) -> dict:
  """Starts a worker per side, sets each up for `name`, then times them in
  turn (port, ours, port, ours ...) `repeats` times. One side: alone."""
  workers = {side: Worker(*how) for side, how in sides.items()}
  try:
    setup = {side: w.ask(dict(TASKS[name], op='setup', describe=describe))
             for side, w in workers.items()}
    calls = {side: [] for side in workers}
    for _ in range(repeats):
      for side, w in workers.items():
        calls[side].append(timed(
            w, [p for p in workers.values() if p is not w], idle))
  finally:
    for w in workers.values():
      w.close()
  return dict(setup=setup, calls=calls)


def run_calls(run: dict) -> list[list[dict]]:
  """The call lists of a session, or of a dict of sessions by side."""
  if 'calls' in run:
    return list(run['calls'].values())
  return [c for session_ in run.values() for c in session_['calls'].values()]


def measure(name: str, sides: dict[str, tuple[list[str], dict[str, str]]],
            repeats: int, idle: str, floor: bool = True) -> dict:
  """Each side alone in a fresh process, then both in turn; ratios only
  where every side's in-turn time agrees with its time alone."""
  alone = {side: session(name, {side: how}, repeats, idle,
                         describe=floor and side == 'ours')
           for side, how in sides.items()}
  both = session(name, sides, repeats, idle)
  port_setup = alone['port']['setup']['port']
  row = dict(TASKS[name], name=name, idle=idle, repeats=repeats,
             torch=port_setup['torch'], torch_threads=port_setup['threads'],
             port_setup_s=port_setup['s'],
             ours_compile_s=alone['ours']['setup']['ours']['s'],
             **alone['ours']['setup']['ours']['info'])
  agree = True
  for side in sides:
    for run, calls in (('alone', alone[side]['calls'][side]),
                       ('together', both['calls'][side])):
      row[f'{side}_{run}_calls'] = calls
      for key in calls[0]['times']:
        label = key if side == 'port' else f'ours_{key}'
        row[f'{label}_{run}_s'] = float(np.median(
            [c['times'][key] for c in calls]))
    for key in calls[0]['times']:
      label = key if side == 'port' else f'ours_{key}'
      change = row[f'{label}_together_s'] / row[f'{label}_alone_s'] - 1
      row[f'{label}_change'] = change
      agree &= abs(change) <= TOLERANCE
  row['method_ok'] = bool(agree)
  # Share of the machine other processes took during the timed calls.
  calls = [c for run in (alone, both) for side_calls in run_calls(run)
           for c in side_calls]
  row['outside_load'] = sum(c['other_cpu_s'] for c in calls) / (
      os.cpu_count() * sum(c['wall_s'] for c in calls))
  for key in both['calls']['ours'][0]['times']:
    if agree:  # Both in turn: the same machine load for both.
      row[f'ratio_{key}'] = row['port_together_s'] / row[
          f'ours_{key}_together_s']
  return row


def table(rows: list[dict]) -> str:
  """Markdown table: one line per (task, our variant), both runs."""
  lines = ['| work | port alone (s) | port in turn (s) | ours alone (s) | '
           'ours in turn (s) | ratio | outside load |',
           '|---|---|---|---|---|---|---|']
  labels = {'forward_256': 'generator forward 256x256',
            'forward_512': 'generator forward 512x512, 10% hole',
            'train_256_b4': 'one training iteration 256x256, batch 4 '
                            '(5 critic + 1 generator updates)'}
  for row in rows:
    for key in ('generator', 'inpainter_auto', 'iteration'):
      if f'ours_{key}_alone_s' not in row:
        continue
      how = {'generator': ' (jit, whole image)',
             'inpainter_auto': ' (Inpainter auto)', 'iteration': ''}[key]
      ratio = (f"{row[f'ratio_{key}']:.2f}x" if row['method_ok'] else
               f"none: method failed (in turn / alone - 1: port "
               f"{row['port_change']:+.0%}, ours "
               f"{row[f'ours_{key}_change']:+.0%}; tolerance "
               f"{TOLERANCE:.0%})")
      lines.append(f"| {labels[row['name']]}{how} | "
                   f"{row['port_alone_s']:.2f} | {row['port_together_s']:.2f}"
                   f" | {row[f'ours_{key}_alone_s']:.2f} | "
                   f"{row[f'ours_{key}_together_s']:.2f} | {ratio} | "
                   f"{row['outside_load']:.0%} |")
  lines += [f'\n{floor_line(row)}.' for row in rows if 'floor_s' in row]
  return '\n'.join(lines)


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--port_dir', help='checkout of the PyTorch port')
  parser.add_argument('--python', help='a Python that has torch')
  parser.add_argument('--tasks', nargs='+', default=list(TASKS),
                      choices=list(TASKS))
  parser.add_argument('--repeats', type=int, default=5)
  parser.add_argument('--idle', choices=('stop', 'run'), default='stop',
                      help='the worker waiting for its turn is stopped '
                      '(SIGSTOP) or left running (the method before '
                      '2026-12-03, kept to show what it measured)')
  parser.add_argument('--no_floor', action='store_true',
                      help="skip the training row's work floor (it compiles "
                      'the steps again and measures the peak in the worker)')
  parser.add_argument('--output', default=RESULTS)
  parser.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
  parser.add_argument('--peak', action='store_true', help=argparse.SUPPRESS)
  args = parser.parse_args()
  if args.worker:
    ours_worker()
    return
  if args.peak:
    print(json.dumps(common.peak_gflops()))
    return
  if not (args.port_dir and args.python):
    parser.error('--port_dir and --python are required (this benchmark is '
                 'optional: without the port there is nothing to compare).')
  where = common.machine()
  where['peak_gflops'] = json.loads(subprocess.run(  # A fresh process.
      [sys.executable, os.path.abspath(__file__), '--peak'], check=True,
      capture_output=True, text=True).stdout.splitlines()[-1])
  print(f"{where['cpu']}, {where['cpus']} CPUs, AVX-512: "
        f"{'yes' if where['avx512'] else 'no'}, float32 peak "
        f"{where['peak_gflops']:.0f} GFLOP/s, {where['date']}", flush=True)
  rows = []
  with tempfile.TemporaryDirectory() as tmp:
    sides = {'port': port_worker(tmp, args.port_dir, args.python),
             'ours': ([sys.executable, os.path.abspath(__file__), '--worker'],
                      dict(os.environ))}
    for name in args.tasks:
      repeats = args.repeats if TASKS[name]['task'] == 'forward' else max(
          2, args.repeats // 2)
      try:
        rows.append(measure(name, sides, repeats, args.idle,
                            floor=not args.no_floor))
      except RuntimeError as e:  # One failed task does not lose the others.
        print(f'{name}: failed: {e}', flush=True)
        continue
      print('\n'.join(table(rows[-1:]).splitlines()[2:]), flush=True)
  print()
  print(table(rows))
  os.makedirs(os.path.dirname(args.output), exist_ok=True)
  with open(args.output, 'w') as f:
    json.dump(dict(machine=where, tolerance=TOLERANCE, rows=rows), f,
              indent=2)
  print(f'wrote {args.output}')


if __name__ == '__main__':
  main()
