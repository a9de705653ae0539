# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Side-by-side speed against the PyTorch ports, measured in one run.

The v1 PyTorch port (github daa233/generative-inpainting-pytorch, MIT) is run
from a checkout given by `--port_dir`, the v2 port (github
nipponjo/deepfillv2-pytorch) from one given by `--port_v2_dir`, with a Python
that has torch (`--python`); nothing of them is vendored here. Their
`torchvision` imports need only two empty modules, which this script writes
as a stub package into a temporary folder put first on the port's
PYTHONPATH. The tasks run are those whose port is given (or `--tasks`).

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
* DeepFill v2 (`v2_` tasks; ours: `deepfill_v2` at width 48, as the port):
  the generator forward as above, the port's TF-faithful generator
  (`model/networks_tf.py`) with its attention's score fusion switched on
  (`fuse`: the original's and ours; the port's file leaves it off). Before
  timing, a check session in fresh workers redraws the port's weights at a
  scale that keeps the features of order 1 (its own init gives outputs of
  about 1e-6), copies them into ours (its state_dict names mapped to the TF
  names `convert.convert_variables` reads) and runs both on the port's
  input; the row records both stages' largest differences and publishes a
  ratio only if stage 2's is below `CHECK_BOUND`. And one training iteration at 256x256, batch 4, with the
  hinge loss: one critic and one generator update. The port's own
  `train.training_loop` runs one iteration per call (its `model/networks.py`
  generator and SN-PatchGAN, built as its `train.py` builds them, logging
  off); it computes both updates from one batch and one generator forward,
  while ours (as the original) draws a batch per update and computes each
  update's forward anew. Work floor as for v1.

`--size` replaces every task's image size, for smoke tests only (v1
training needs 256: the port's critics are built for it).

Method. Each task runs four sessions of fresh worker processes, each set
up once (ours compiles) and then timed `--repeats` times: the port alone,
ours alone, the port alone again, ours alone again. Every timed call is the
work of one side in a process of its own with no other benchmark process
alive: a second process, even stopped, has made the first one's page
faults several times dearer on this VM (docs/performance.md). Every call
records its own CPU seconds and those of every other process of the
machine (`other_cpu_s`: load from outside the benchmark); a NumPy matmul
between sessions records the machine's speed (`probe_gflops`). `--in_turn`
adds, between the two rounds, a session of both workers timed in turn, the
waiting one stopped (SIGSTOP; `--idle run` leaves it running): the earlier
method, reported beside the alone times but never used for a ratio.

Validation: each side's median in its second session must be within 10%
(`TOLERANCE`) of its median in the first; alternating the sides puts a host
that drifts steadily on both alike. Only then is the ratio (the port's
median alone / ours, both sessions pooled; > 1: ours is faster) published.
A row that fails is measured again (`--attempts`, every attempt kept in the
JSON); if none passes, the row gives no ratio and says how far each side
drifted. JSON in bench/results/peer_pytorch.json with the CPU model, its
AVX-512 flags, the float32 peak of a fresh process (`common.peak_gflops`),
the date and every call.

  python -m venv /tmp/torchvenv
  /tmp/torchvenv/bin/pip install torch==2.13.0 numpy pillow pyyaml
  python bench/peer_pytorch.py --port_dir /tmp/port \\
      --port_v2_dir /tmp/port_v2 --python /tmp/torchvenv/bin/python
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import signal
import tempfile
import time
from typing import Callable, Sequence

from absl import app
from absl import flags
import numpy as np

import common  # bench/common.py

ROOT = common.ROOT
RESULTS = os.path.join(ROOT, 'bench', 'results', 'peer_pytorch.json')
# Each side's median in turn must be within this of its median alone.
TOLERANCE = 0.10
# v2 forward: ours holding the port's weights must give its stage 2 within.
CHECK_BOUND = 1e-3

# The tasks, as (name, setup message for both workers).
TASKS = {}
for _model, _prefix, _critic_steps in (('deepfill_v1', '', 5),
                                       ('deepfill_v2', 'v2_', 1)):
  TASKS.update({
      f'{_prefix}forward_256': dict(task='forward', model=_model, size=256,
                                    hole=0.10),
      f'{_prefix}forward_512': dict(task='forward', model=_model, size=512,
                                    hole=0.10),
      f'{_prefix}train_256_b4': dict(task='train', model=_model, size=256,
                                     batch=4, critic_steps=_critic_steps),
  })

# Worker run by the port's Python: our own driver code, importing the port.
PORT_WORKER = r'''
import json, sys, time
import numpy as np
import torch
import yaml

port_dir = sys.argv[1]  # On PYTHONPATH (port_worker).


def config():  # v1
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
  from model.networks import Generator
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
  from trainer import Trainer
  from utils.tools import mask_image, random_bbox
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


def v2_forward_task(msg):
  from model.networks_tf import Generator
  torch.manual_seed(0)
  gen = Generator(cnum_in=5, cnum=48, return_flow=False).eval()
  gen.contextual_attention.fuse = True  # The original's (and ours).
  size = msg['size']
  mask = hole(size, msg['hole'])
  image = torch.rand(1, 3, size, size) * 2 - 1
  ones = torch.ones_like(mask)
  x = torch.cat([image * (1. - mask), ones, ones * mask], 1)

  def call():
    with torch.no_grad():
      return gen(x, mask)
  if msg.get('export'):  # For the check: weights, input, both stages.
    with torch.no_grad():  # Features of order 1 (the port's own random
      for m in gen.modules():  # init makes the outputs about 1e-6).
        if isinstance(m, torch.nn.Conv2d):
          m.weight.normal_(0., 2. * m.weight[0].numel() ** -.5)
          m.bias.uniform_(-.1, .1)
    x1, x2 = call()
    np.savez(msg['export'], image=image.numpy(), mask=mask.numpy(),
             x1=x1.numpy(), x2=x2.numpy(),
             **{'w/' + k: v.numpy() for k, v in gen.state_dict().items()})
  return call


def v2_train_task(msg):
  import train  # The port's train.py: its training_loop.
  import utils.misc as misc
  from model import losses
  from model.networks import Discriminator, Generator
  torch.manual_seed(0)
  np.random.seed(0)
  cfg = misc.get_config(port_dir + '/configs/train.yaml')
  size = msg['size']
  box = {k: getattr(cfg, k) * size // 256 for k in (
      'height', 'width', 'max_delta_height', 'max_delta_width')}
  cfg.__dict__.update(  # One iteration per call, nothing logged or saved.
      box, batch_size=msg['batch'], img_shapes=[size, size, 3],
      use_cuda_if_available=False, tb_logging=False, max_iters=2,
      print_iter=10 ** 9, save_checkpoint_iter=10 ** 9,
      save_imgs_to_tb_iter=0, save_imgs_to_disc_iter=0, save_cp_backup_iter=0)
  gen = Generator(cnum_in=5, cnum_out=3, cnum=48, return_flow=False)
  disc = Discriminator(cnum_in=4, cnum=64)
  opt_g = torch.optim.Adam(gen.parameters(), lr=cfg.g_lr,
                           betas=(cfg.g_beta1, cfg.g_beta2))
  opt_d = torch.optim.Adam(disc.parameters(), lr=cfg.d_lr,
                           betas=(cfg.d_beta1, cfg.d_beta2))

  def iteration():
    batch = torch.rand(cfg.batch_size, 3, size, size) * 2 - 1
    train.training_loop(gen, disc, opt_g, opt_d, losses.hinge_loss_g,
                        losses.hinge_loss_d, [batch], 0, None, cfg)
  return iteration


SETUPS = {('deepfill_v1', 'forward'): forward_task,
          ('deepfill_v1', 'train'): train_task,
          ('deepfill_v2', 'forward'): v2_forward_task,
          ('deepfill_v2', 'train'): v2_train_task}
call = None
for line in sys.stdin:
  msg = json.loads(line)
  start = time.perf_counter()
  if msg['op'] == 'setup':
    call = SETUPS[msg['model'], msg['task']](msg)
    call()  # Warm-up.
  else:
    call()
  print(json.dumps(dict(s=time.perf_counter() - start,
                        torch=torch.__version__,
                        threads=torch.get_num_threads())), flush=True)
'''


def _ours_forward(msg: dict) -> tuple[dict, Callable[[], dict]]:
  """Our generator forward (jitted, whole image) and the Inpainter's."""
  work = common.forward_work(msg['model'], msg['size'], msg['hole'])
  return {key: call for key, (call, _) in work.items()}, dict


def _ours_train(msg: dict) -> tuple[dict, Callable[[], dict]]:
  """One generator iteration of our training: 5 critic + 1 generator step,
  and its work floor (`common.work_floor`, measured when called)."""
  # pylint: disable=g-import-not-at-top
  import jax
  from deepfill_jax.training import step as step_lib
  config = common.config('full', 'float32', name=msg['model'])
  config.image_size = msg['size']
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


def port_v2_variables(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
  """The v2 port's generator state_dict (`model/networks_tf.py`) under the
  original's TF names and layouts, as `convert.convert_variables` reads them:
  `conv1.conv.weight` [out, in, h, w] -> `inpaint_net/conv1/kernel` [h, w,
  in, out]; `conv13_upsample.conv.conv.bias` ->
  `inpaint_net/conv13_upsample/conv13_upsample_conv/bias`."""
  out = {}
  for name, value in state.items():
    layer, *inner, param = name.split('.')
    scope = f'{layer}/{layer}_conv' if len(inner) == 2 else layer
    out[f'inpaint_net/{scope}/{"kernel" if param == "weight" else "bias"}'] = (
        value.transpose(2, 3, 1, 0) if param == 'weight' else value)
  return out


def _ours_check(msg: dict) -> dict:
  """Our v2 generator holding the port's weights, on the port's input
  (`msg['path']`, written by the port's worker): each stage's largest
  difference from the port's."""
  # pylint: disable=g-import-not-at-top
  import jax
  from flax import nnx
  from deepfill_jax.checkpoints import store
  from deepfill_jax.checkpoints import convert
  data = np.load(msg['path'])
  converted = convert.convert_variables(port_v2_variables(
      {k[2:]: data[k] for k in data.files if k.startswith('w/')}), rgb=False)
  gen = store.generator_from_params(
      converted.generator, converted.cnum, **converted.model)
  nhwc = lambda a: a.transpose(0, 2, 3, 1)
  x1, x2, _ = nnx.jit(lambda g, x, m: g(x, m))(
      gen, jax.numpy.asarray(nhwc(data['image'])),
      jax.numpy.asarray(nhwc(data['mask'])))
  out = {f'{k}_max_abs_diff': float(np.max(np.abs(
      np.asarray(ours) - nhwc(data[k])))) for k, ours in (('x1', x1),
                                                          ('x2', x2))}
  return dict(out, port_x2_max_abs=float(np.max(np.abs(data['x2']))))


def floor_line(row: dict) -> str:
  """What the training row's work floor says about a 2x target."""
  return (f"our iteration is {row['iteration_gflop']:.0f} GFLOP; at this "
          f"machine's peak {row['peak_gflops']:.0f} GFLOP/s (same run) it "
          f"takes at least {row['floor_s']:.2f} s; 2x the port needs "
          f"{row['port_alone_s'] / 2:.2f} s, i.e. "
          f"{2 * row['iteration_gflop'] / row['port_alone_s']:.0f} GFLOP/s")


def check_line(row: dict) -> str:
  """What the v2 forward row's check (`equal_work`) found."""
  return (f"{label(row)}: ours holding the port's weights, max |ours - port| "
          f"stage 1 {row['x1_max_abs_diff']:.1e}, stage 2 "
          f"{row['x2_max_abs_diff']:.1e} (bound {row['check_bound']:g}; "
          f"port's max |stage 2| {row['port_x2_max_abs']:.2f}): "
          f"{'same work' if row['check_ok'] else 'FAILED'}")


def ours_worker() -> None:
  """Our side of the protocol: JSON lines in, timings out."""
  calls = None
  for line in sys.stdin:
    msg = json.loads(line)
    start = time.perf_counter()
    if msg['op'] == 'check':
      out = _ours_check(msg)
    elif msg['op'] == 'setup':
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
    if self.proc.poll() is None:  # A worker that died has nothing to pause.
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


def session(task: dict, sides: dict[str, tuple[list[str], dict[str, str]]],
            repeats: int, idle: str, describe: bool = False) -> dict:
  """Starts a worker per side, sets each up for `task`, then times them in
  turn (port, ours, port, ours ...) `repeats` times. One side: alone."""
  workers = {side: Worker(*how) for side, how in sides.items()}
  try:
    setup = {side: w.ask(dict(task, op='setup', describe=describe))
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


def side_calls(run: dict, side: str) -> list[dict]:
  """One side's calls in a session, or in a dict of sessions by side."""
  return (run if 'calls' in run else run[side])['calls'][side]


def ask_once(how: tuple[list[str], dict[str, str]], msg: dict) -> dict:
  """One request to a fresh worker, closed after."""
  worker = Worker(*how)
  try:
    return worker.ask(msg)
  finally:
    worker.close()


def equal_work(task: dict, sides: dict[str, tuple[list[str], dict[str, str]]]
               ) -> dict:
  """v2 forward: ours holding the port's weights (redrawn at a scale that
  keeps the features of order 1), on the port's input; each stage's largest
  difference, and whether stage 2's is below `CHECK_BOUND`. Fresh workers,
  closed before any timing."""
  with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, 'port_v2.npz')
    ask_once(sides['port'], dict(task, op='setup', export=path))
    check = ask_once(sides['ours'], dict(task, op='check', path=path))
  return dict(check, check_bound=CHECK_BOUND,
              check_ok=check['x2_max_abs_diff'] < CHECK_BOUND)


def probe_gflops(size: int = 2048, repeats: int = 3) -> float:
  """The machine's speed now: the best of `repeats` float32 NumPy matmuls,
  GFLOP/s. Taken between sessions (no worker alive), it shows host drift."""
  a = np.random.default_rng(0).standard_normal((size, size), np.float32)
  best = min(common.median_time(lambda: a @ a, 1) for _ in range(repeats))
  return 2 * size ** 3 / best / 1e9


def measure(name: str, task: dict,
            sides: dict[str, tuple[list[str], dict[str, str]]],
            repeats: int, idle: str, floor: bool = True,
            in_turn: bool = False) -> dict:
  """Each side alone in a fresh process, twice, alternating (port, ours,
  port, ours); the ratio of the pooled medians, published only where each
  side's two sessions agree (and, for the v2 forward, the outputs agree:
  `equal_work`). Alternating puts a host that drifts on both sides alike;
  `probe_gflops` between sessions records it. `in_turn` adds, between the
  two rounds, a session of both workers timed in turn (the earlier method),
  reported beside the alone times but never used for the ratio."""
  check = {}
  if task['model'] == 'deepfill_v2' and task['task'] == 'forward':
    check = equal_work(task, sides)
    print(check_line(dict(task, **check)), flush=True)
  probes = [probe_gflops()]

  def alone(describe: bool) -> dict:
    run = {side: session(task, {side: how}, repeats, idle,
                         describe=describe and side == 'ours')
           for side, how in sides.items()}
    probes.append(probe_gflops())
    return run

  rounds = {'alone_before': alone(floor)}
  if in_turn:
    rounds['together'] = session(task, sides, repeats, idle)
    probes.append(probe_gflops())
  rounds['alone_after'] = alone(False)
  port_setup = rounds['alone_before']['port']['setup']['port']
  ours_setup = rounds['alone_before']['ours']['setup']['ours']
  row = dict(task, name=name, idle=idle, repeats=repeats, **check,
             torch=port_setup['torch'], torch_threads=port_setup['threads'],
             port_setup_s=port_setup['s'], ours_compile_s=ours_setup['s'],
             probe_gflops=probes, **ours_setup['info'])
  median = lambda calls, key: float(np.median([c['times'][key]
                                               for c in calls]))
  agree = True
  for side in sides:
    runs = {run: side_calls(sessions, side)
            for run, sessions in rounds.items()}
    for run, calls in runs.items():
      row[f'{side}_{run}_calls'] = calls
    for key in runs['alone_before'][0]['times']:
      label = key if side == 'port' else f'ours_{key}'
      for run, calls in runs.items():
        row[f'{label}_{run}_s'] = median(calls, key)
      row[f'{label}_alone_s'] = median(
          runs['alone_before'] + runs['alone_after'], key)
      row[f'{label}_drift'] = (row[f'{label}_alone_after_s'] /
                               row[f'{label}_alone_before_s'] - 1)
      agree &= abs(row[f'{label}_drift']) <= TOLERANCE
      if in_turn:
        row[f'{label}_change'] = (row[f'{label}_together_s'] /
                                  row[f'{label}_alone_s'] - 1)
  row['method_ok'] = bool(agree)
  # Share of the machine other processes took during the timed calls.
  calls = [c for run in rounds.values() for session_calls in run_calls(run)
           for c in session_calls]
  row['outside_load'] = sum(c['other_cpu_s'] for c in calls) / (
      os.cpu_count() * sum(c['wall_s'] for c in calls))
  for key in side_calls(rounds['alone_before'], 'ours')[0]['times']:
    if agree and check.get('check_ok', True):
      row[f'ratio_{key}'] = row['port_alone_s'] / row[f'ours_{key}_alone_s']
  return row


def label(row: dict) -> str:
  """What a row measures, from its task."""
  size = f"{row['size']}x{row['size']}"
  what = (f"generator forward {size}, {row['hole']:.0%} hole"
          if row['task'] == 'forward' else
          f"one training iteration {size}, batch {row['batch']} "
          f"({row['critic_steps']} critic + 1 generator updates)")
  return ('v2 ' if row['model'] == 'deepfill_v2' else '') + what


def table(rows: list[dict]) -> str:
  """Markdown table: one line per (task, our variant)."""
  in_turn = any('port_together_s' in row for row in rows)
  lines = ['| work | port alone, 1st / 2nd (s) | ours alone, 1st / 2nd (s) | '
           'ratio | outside load |' + (' in turn / alone - 1 |'
                                       if in_turn else ''),
           '|---|---|---|---|---|' + ('---|' if in_turn else '')]
  for row in rows:
    for key in ('generator', 'inpainter_auto', 'iteration'):
      if f'ours_{key}_alone_s' not in row:
        continue
      how = {'generator': ' (jit, whole image)',
             'inpainter_auto': ' (Inpainter auto)', 'iteration': ''}[key]
      labels = ('port', f'ours_{key}')
      if f'ratio_{key}' in row:
        ratio = f"{row[f'ratio_{key}']:.2f}x"
      elif not row['method_ok']:
        own = any(abs(row[f'{l}_drift']) > TOLERANCE for l in labels)
        ratio = ('none: the machine drifted' +
                 ('' if own else ' (in another line of this task)') +
                 ' (2nd / 1st - 1: ' +
                 ', '.join(f"{l.split('_')[0]} {row[f'{l}_drift']:+.0%}"
                           for l in labels) + f'; tolerance {TOLERANCE:.0%})')
      else:
        ratio = 'none: the outputs differ (below)'
      cells = [f"{row[f'{l}_alone_before_s']:.2f} / "
               f"{row[f'{l}_alone_after_s']:.2f}" for l in labels]
      line = (f"| {label(row)}{how} | {' | '.join(cells)} | {ratio} | "
              f"{row['outside_load']:.0%} |")
      if in_turn:
        line += (' ' + ', '.join(
            f"{l.split('_')[0]} {row[f'{l}_change']:+.0%}" for l in labels)
                 if f'ours_{key}_change' in row else ' -') + ' |'
      lines.append(line)
  lines += [f'\n{floor_line(row)}.' for row in rows if 'floor_s' in row]
  lines += [f'\n{check_line(row)}.' for row in rows if 'check_ok' in row]
  lines += [f"\n{row['name']}: machine speed between sessions (NumPy "
            f"2048x2048 matmul, GFLOP/s): "
            f"{', '.join(f'{p:.0f}' for p in row['probe_gflops'])}"
            + (f"; {len(row['earlier_attempts'])} earlier attempt(s) drifted "
               '(in the JSON)' if row.get('earlier_attempts') else '')
            for row in rows]
  return '\n'.join(lines)


def write_json(path: str, results: dict) -> None:
  """Writes the results so far (a later failure keeps the rows measured)."""
  os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
  with open(path, 'w') as f:
    json.dump(results, f, indent=2)


def define_flags() -> None:
  """This script's flags (not at import: bench/page_faults.py imports it)."""
  flags.DEFINE_string('port_dir', None, 'checkout of the v1 PyTorch port')
  flags.DEFINE_string('port_v2_dir', None, 'checkout of the v2 PyTorch port')
  flags.DEFINE_string('python', None, 'a Python that has torch')
  flags.DEFINE_list('tasks', None, f'of {",".join(TASKS)} (default: every '
                    'task whose port is given)')
  flags.register_validator('tasks', lambda v: not v or set(v) <= set(TASKS),
                           f'--tasks: choose from {",".join(TASKS)}')
  flags.DEFINE_integer('repeats', 5, 'timed calls of each side')
  flags.DEFINE_integer('size', None, "replaces every task's image size (smoke "
                       'tests)')
  flags.DEFINE_enum('idle', 'stop', ['stop', 'run'], 'with --in_turn: the '
                    'worker waiting for its turn is stopped (SIGSTOP) or left '
                    'running (the method before 2026-12-03, kept to show what '
                    'it measured)')
  flags.DEFINE_bool('no_floor', False, "skip the training row's work floor "
                    '(it compiles the steps again and measures the peak in '
                    'the worker)')
  flags.DEFINE_bool('in_turn', False, 'also time both workers in turn between '
                    'the two rounds (the earlier method), to show how far it '
                    'is from the alone times; never used for the ratio')
  flags.DEFINE_integer('attempts', 2, 'measure a row again (up to this many '
                       'times in all) while its check fails; every attempt is '
                       'kept')
  flags.DEFINE_string('output', RESULTS, 'where to write the JSON')
  flags.DEFINE_bool('worker', False, 'internal: be our worker (stdin/stdout)')
  flags.DEFINE_bool('peak', False, 'internal: print the float32 peak GFLOP/s')


def main(argv: Sequence[str]) -> None:
  args = common.parsed_flags(argv)
  if args.worker:
    ours_worker()
    return
  if args.peak:
    print(json.dumps(common.peak_gflops()))
    return
  port_dirs = {'deepfill_v1': args.port_dir, 'deepfill_v2': args.port_v2_dir}
  tasks = args.tasks or [n for n, t in TASKS.items() if port_dirs[t['model']]]
  missing = sorted({TASKS[n]['model'] for n in tasks
                    if not port_dirs[TASKS[n]['model']]})
  if not (tasks and args.python) or missing:
    raise app.UsageError(
        '--python and --port_dir (v1) or --port_v2_dir (v2) are '
        f'required{" for " + ", ".join(missing) if missing else ""}'
        ' (this benchmark is optional: without the port there is nothing to '
        'compare).')
  where = common.machine()
  where['peak_gflops'] = json.loads(subprocess.run(  # A fresh process.
      [sys.executable, os.path.abspath(__file__), '--peak'], check=True,
      capture_output=True, text=True).stdout.splitlines()[-1])
  print(f"{where['cpu']}, {where['cpus']} CPUs, AVX-512: "
        f"{'yes' if where['avx512'] else 'no'}, float32 peak "
        f"{where['peak_gflops']:.0f} GFLOP/s, {where['date']}", flush=True)
  rows = []
  with tempfile.TemporaryDirectory() as tmp:
    ours = ([sys.executable, os.path.abspath(__file__), '--worker'],
            dict(os.environ))
    for name in tasks:
      task = dict(TASKS[name], **({'size': args.size} if args.size else {}))
      sides = {'port': port_worker(tmp, port_dirs[task['model']],
                                   args.python), 'ours': ours}
      repeats = args.repeats if task['task'] == 'forward' else max(
          2, args.repeats // 2)
      attempts = []
      try:
        while len(attempts) < args.attempts and not (
            attempts and attempts[-1]['method_ok']):
          attempts.append(measure(name, task, sides, repeats, args.idle,
                                  floor=not args.no_floor,
                                  in_turn=args.in_turn))
      except RuntimeError as e:  # One failed task does not lose the others.
        print(f'{name}: failed: {e}', flush=True)
      if not attempts:
        continue
      rows.append(dict(attempts[-1], earlier_attempts=attempts[:-1]))
      write_json(args.output, dict(machine=where, tolerance=TOLERANCE,
                                   rows=rows))  # Each row as it ends.
      print('\n'.join(table(rows[-1:]).splitlines()[2:]), flush=True)
  print()
  print(table(rows))
  print(f'wrote {args.output}')


if __name__ == '__main__':
  define_flags()
  app.run(main)
