# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""What the bench scripts share: the machine, timing, FLOPs, the training
set-up and the test holes. Scripts run as `python bench/<name>.py` and import
this as `common` (their own folder is first on the path)."""

from __future__ import annotations

import datetime
import os
import platform
import time

import numpy as np
from absl import app
from absl import flags

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS_DIR = os.path.join(ROOT, 'bench', 'results')


def parsed_flags(argv) -> flags.FlagValues:
  """absl's parsed flags of a bench script; positional arguments refused."""
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  return flags.FLAGS


def machine() -> dict:
  """Where and when the numbers were measured (with the CPU's AVX-512 flags:
  XLA's and torch's kernels differ with and without them)."""
  cpu, flags = platform.processor() or platform.machine(), []
  try:
    with open('/proc/cpuinfo') as f:
      for line in f:
        if line.startswith('model name'):
          cpu = line.split(':', 1)[1].strip()
        elif line.startswith('flags'):
          flags = line.split(':', 1)[1].split()
          break
  except OSError:
    pass
  return dict(cpu=cpu, cpus=os.cpu_count(), load_average=os.getloadavg(),
              avx512=sorted(f for f in flags if f.startswith('avx512')),
              date=datetime.date.today().isoformat(),
              python=platform.python_version())


def process_stat(pid: int) -> tuple[int, float, float]:
  """Minor page faults, user and system CPU seconds (all threads) process
  `pid` has had."""
  with open(f'/proc/{pid}/stat') as f:
    fields = f.read().rsplit(')', 1)[1].split()
  tick = os.sysconf('SC_CLK_TCK')
  return int(fields[7]), int(fields[11]) / tick, int(fields[12]) / tick


def process_cpu_s(pid: int) -> float:
  """CPU seconds (user + system, all threads) process `pid` has used."""
  _, user, system = process_stat(pid)
  return user + system


def busy_cpu_s() -> float:
  """CPU seconds all processes of the machine have used since boot."""
  with open('/proc/stat') as f:
    ticks = [int(v) for v in f.readline().split()[1:]]
  return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf('SC_CLK_TCK')


def hole(size: int, frac: float) -> np.ndarray:
  """A centred square hole of about `frac` of a size x size image."""
  side = int(round(size * frac ** 0.5))
  start = (size - side) // 2
  mask = np.zeros((size, size), bool)
  mask[start:start + side, start:start + side] = True
  return mask


def holes(size: int, frac: float, count: int) -> np.ndarray:
  """`count` equal square holes, together about `frac` of a size x size
  image, their centres spread along the diagonal."""
  side = int(round(size * (frac / count) ** 0.5))
  mask = np.zeros((size, size), bool)
  for i in range(count):
    start = (i + 1) * size // (count + 1) - side // 2
    mask[start:start + side, start:start + side] = True
  return mask


def config(model: str, dtype: str, devices: int = 1,
           name: str = 'deepfill_v1'):
  """tiny (batch 8), or the paper's model at 256x256, batch 4 (on 8 devices
  batch 8, the smallest batch they can share); with `name` 'deepfill_v2'
  the full v2 model and objective (`default.deepfill_v2`: one critic
  update per generator update)."""
  # pylint: disable=g-import-not-at-top
  from deepfill_jax import default_config as default
  from configs import tiny
  if model == 'tiny':
    config = tiny.get_config()
  else:
    config = default.get_config()
    config.batch_size = config.eval.batch_size = max(4, devices)
  config.critic_steps = 5
  if name in default.PRESETS:
    default.PRESETS[name](config, schedule=False)
  config.model.dtype = dtype
  return config


def forward_work(name: str, size: int, frac: float) -> dict[str, tuple]:
  """The paper's `name` generator (width 32, random weights) on one random
  size x size uint8 image with a centred hole of `frac` of its area:
  {'generator': the jitted whole-image forward, 'inpainter_auto': the
  `Inpainter`'s hole-aware call}, each as (call, lower): `call()` runs it to
  completion, `lower()` gives its `jax.stages.Lowered` (for the HLO)."""
  # pylint: disable=g-import-not-at-top
  import jax
  from flax import nnx
  from deepfill_jax.inference import inpainter as inpainter_lib
  from deepfill_jax.models import make_generator
  model = config('full', 'float32', name=name).model
  gen = nnx.jit(lambda: make_generator(model.name, model.cnum,
                                       rngs=nnx.Rngs(0)))()
  graphdef, params = nnx.split(gen)
  mask = hole(size, frac)
  image = np.random.default_rng(0).integers(0, 256, (size, size, 3), np.uint8)
  x = jax.numpy.asarray(image[None] / 127.5 - 1., jax.numpy.float32)
  m = jax.numpy.asarray(mask[None, :, :, None], jax.numpy.float32)
  forward = jax.jit(lambda p, x, m: nnx.merge(graphdef, p)(x, m)[1])
  inpainter = inpainter_lib.Inpainter(gen, attention='auto')
  return {
      'generator': (lambda: jax.block_until_ready(forward(params, x, m)),
                    lambda: forward.lower(params, x, m)),
      'inpainter_auto': (lambda: inpainter(image, mask),
                         lambda: inpainter.lower([image], [mask])),
  }


def training(config, devices: int = 1, num_batches: int = 2):
  """(setup, jitted steps, initial state, host batches) of `config` on the
  first `devices` devices; the batches are the tests' fixed random ones."""
  # pylint: disable=g-import-not-at-top
  import jax
  from deepfill_jax.training import step as step_lib
  from deepfill_jax import testing
  setup = step_lib.make_setup(
      config, step_lib.create_mesh(jax.devices()[:devices]))
  return (setup, step_lib.compile_steps(setup), step_lib.init_state(setup),
          testing.train_batches(config, num_batches))


def median_time(fn, repeats: int) -> float:
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    fn()
    times.append(time.perf_counter() - start)
  return float(np.median(times))


def best_time(fn, *args, repeats: int) -> float:
  """The fastest of `repeats` calls of `fn(*args)` after a first one."""
  # pylint: disable=g-import-not-at-top
  import jax
  jax.block_until_ready(fn(*args))
  best = float('inf')
  for _ in range(repeats):
    start = time.perf_counter()
    jax.block_until_ready(fn(*args))
    best = min(best, time.perf_counter() - start)
  return best


def gflop(jitted, *args) -> float:
  """XLA's FLOP count of a jitted function on `args` (cost analysis), GFLOP."""
  cost = jitted.lower(*args).compile().cost_analysis()
  cost = cost[0] if isinstance(cost, list) else cost
  return float(cost['flops']) / 1e9


def peak_gflops(dtype: str = 'float32', repeats: int = 5) -> float:
  """The fastest rate XLA reaches on this machine in `dtype`, GFLOP/s.

  The best of a 4096x4096 matmul and the generator's commonest layer (3x3
  conv, 128 -> 128 channels, 64x64, batch 4), each the best of `repeats`.
  """
  # pylint: disable=g-import-not-at-top
  import jax
  import jax.numpy as jnp
  rng = np.random.default_rng(0)
  a = jnp.asarray(rng.standard_normal((4096, 4096)), dtype)
  x = jnp.asarray(rng.standard_normal((4, 64, 64, 128)), dtype)
  w = jnp.asarray(rng.standard_normal((3, 3, 128, 128)), dtype)
  conv = lambda x, w: jax.lax.conv_general_dilated(
      x, w, (1, 1), 'SAME', dimension_numbers=('NHWC', 'HWIO', 'NHWC'),
      preferred_element_type=jnp.float32)
  # Both accumulate in float32, XLA's fast form for bfloat16 operands.
  matmul = lambda a, b: jnp.dot(a, b, preferred_element_type=jnp.float32)
  return max(
      work / best_time(jax.jit(fn), *args, repeats=repeats)
      for fn, args, work in (
          (matmul, (a, a), 2 * 4096 ** 3 / 1e9),
          (conv, (x, w), 2 * 9 * 128 * 128 * 4 * 64 * 64 / 1e9)))


def work_floor(steps, state, batch, critic_steps: int,
               dtype: str = 'float32') -> dict:
  """The iteration's GFLOP, the machine's peak in the compute `dtype` and the
  time floor they give.

  Lowering recompiles the steps; `state` is only read (its shapes).
  """
  critic = gflop(steps.critic, state, batch)
  generator = gflop(steps.generator, state, batch)
  iteration = critic_steps * critic + generator
  peak = peak_gflops(dtype)
  return dict(critic_gflop=critic, generator_gflop=generator,
              iteration_gflop=iteration, peak_gflops=peak,
              floor_s=iteration / peak)
