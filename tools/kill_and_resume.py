# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Fault injection: SIGKILL training at random points, resume, compare.

  python tools/kill_and_resume.py --kills=40 --steps=6 --output=/tmp/kills

Runs `python -m deepfill_jax.main` with the tiny config once uninterrupted,
then in a second workdir again and again, each time killed (SIGKILL: no
handler, no save) at a random point of one phase:

  startup  0-8 s after the process starts (imports, data, restore);
  compile  0-2 s after "compiling the first steps" (the first compile);
  save     as soon as a step is logged (its checkpoint is being written);
  step     0-3 s after a step is logged (the next step runs).

After `--kills` kills it resumes to the end; the final checkpoint (both
generators, critics, optimizer states, counters) must equal the
uninterrupted run's bit for bit. Prints one JSON line (kill points per
phase, how many left an unfinished checkpoint behind, equal or not) and
writes it to OUTPUT/result.json; exit status 0 if equal. The test suite runs
a short version (tests/fault_injection_test.py).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Sequence

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PHASES = ('startup', 'compile', 'save', 'step')
# Orbax items of a training checkpoint compared at the end.
ITEMS = ('generator', 'local_critic', 'global_critic', 'opt_g', 'opt_d',
         'counters')


def _command(workdir: str, steps: int) -> list[str]:
  return [sys.executable, '-u', '-m', 'deepfill_jax.main',
          '--config=configs/tiny.py',
          f'--config.data.path={os.path.join(ROOT, "data", "photos")}',
          f'--config.num_train_steps={steps}', '--config.eval_every_steps=2',
          f'--workdir={workdir}']


def _env() -> dict[str, str]:
  return dict(os.environ, XLA_FLAGS='--xla_force_host_platform_device_count=1',
              PYTHONPATH=os.pathsep.join(
                  [ROOT, os.environ.get('PYTHONPATH', '')]))


class _Process:
  """A training process whose stderr lines are collected as they come."""

  def __init__(self, workdir: str, steps: int):
    self.proc = subprocess.Popen(
        _command(workdir, steps), cwd=ROOT, env=_env(),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    self.lines = []
    self.done = False
    self._new = threading.Condition()
    threading.Thread(target=self._read, daemon=True).start()

  def _read(self) -> None:
    for line in self.proc.stderr:
      with self._new:
        self.lines.append(line.rstrip('\n'))
        self._new.notify_all()
    with self._new:
      self.done = True
      self._new.notify_all()

  def wait_for(self, text: str, timeout: float = 900.) -> bool:
    """True once a line holds `text`; False if the process ended first."""
    deadline = time.monotonic() + timeout
    with self._new:
      while not any(text in line for line in self.lines):
        if self.done:
          return False
        if time.monotonic() > deadline:
          raise TimeoutError(f'no {text!r} after {timeout} s')
        self._new.wait(timeout=1.)
    return True

  def kill(self) -> bool:
    """SIGKILL; True if the process was still running."""
    running = self.proc.poll() is None
    self.proc.kill()
    self.proc.wait()
    return running

  def finish(self) -> int:
    return self.proc.wait(timeout=1800)


def _kill_once(workdir: str, steps: int, phase: str, rng: random.Random
               ) -> dict[str, Any]:
  """Starts a run and kills it in `phase`; returns what happened."""
  checkpoints = os.path.join(workdir, 'checkpoints')
  before = set(os.listdir(checkpoints)) if os.path.isdir(checkpoints) else set()
  proc = _Process(workdir, steps)
  reached = True
  if phase == 'startup':
    time.sleep(rng.uniform(0, 8))
  elif phase == 'compile':
    reached = proc.wait_for('compiling the first steps')
    time.sleep(rng.uniform(0, 2))
  else:
    reached = proc.wait_for(f'/{steps} | ')  # A step's log line.
    if phase == 'step':
      time.sleep(rng.uniform(0, 3))
  killed = proc.kill()
  names = set(os.listdir(checkpoints)) if os.path.isdir(checkpoints) else set()
  return {'phase': phase, 'killed': killed and reached,
          'finalised': sorted(int(n) for n in names if n.isdigit()),
          'unfinished': sum('tmp' in n for n in names - before)}


def final_state(workdir: str) -> dict[str, Any]:
  """The items of the workdir's latest checkpoint, as numpy arrays."""
  import orbax.checkpoint as ocp  # pylint: disable=g-import-not-at-top
  with ocp.CheckpointManager(os.path.join(workdir, 'checkpoints')) as mngr:
    step = mngr.latest_step()
    restored = mngr.restore(step, args=ocp.args.Composite(
        **{k: ocp.args.StandardRestore() for k in ITEMS}))
  import jax  # pylint: disable=g-import-not-at-top
  return {k: jax.tree.map(np.asarray, restored[k]) for k in ITEMS}


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
  """Paths of the leaves that are not bit-identical."""
  import jax  # pylint: disable=g-import-not-at-top
  out = []
  for item in ITEMS:
    left = jax.tree.leaves_with_path(a[item])
    right = jax.tree.leaves(b[item])
    if len(left) != len(right):
      out.append(f'{item}: {len(left)} vs {len(right)} leaves')
      continue
    for (path, x), y in zip(left, right):
      if x.shape != y.shape or x.dtype != y.dtype or not np.array_equal(
          x, y, equal_nan=True):
        out.append(item + jax.tree_util.keystr(path))
  return out


def run(output: str, kills: int, steps: int, seed: int,
        phases: Sequence[str] | None = None) -> dict[str, Any]:
  """The experiment; returns its summary (also in OUTPUT/result.json).

  `phases` of the kills, in order (default: `kills` of them, every phase
  its share, in random order).
  """
  rng = random.Random(seed)
  reference, interrupted = (os.path.join(output, n)
                            for n in ('uninterrupted', 'interrupted'))
  start = time.monotonic()
  status = _Process(reference, steps).finish()
  if status:
    raise RuntimeError(f'the uninterrupted run failed ({status}).')
  points = []
  if phases is None:
    phases = [PHASES[i % len(PHASES)] for i in range(kills)]
    rng.shuffle(phases)
  for phase in phases:
    points.append(_kill_once(interrupted, steps, phase, rng))
    print(json.dumps(points[-1]), file=sys.stderr, flush=True)
  status = _Process(interrupted, steps).finish()
  diffs = (differences(final_state(reference), final_state(interrupted))
           if not status else ['the resumed run failed'])
  summary = {
      'kills_tried': len(points),
      'killed_while_running': sum(p['killed'] for p in points),
      'per_phase': {p: sum(q['phase'] == p and q['killed'] for q in points)
                    for p in PHASES},
      'left_unfinished_checkpoint': sum(p['unfinished'] > 0 for p in points),
      'steps': steps, 'seed': seed, 'equal': not diffs,
      'differences': diffs[:20], 'seconds': round(time.monotonic() - start),
      'points': points}
  with open(os.path.join(output, 'result.json'), 'w') as f:
    json.dump(summary, f, indent=2)
  return summary


def _flags(argv: Sequence[str] | None):
  """The flags parsed from `argv`."""
  from absl import flags  # pylint: disable=g-import-not-at-top
  from deepfill_jax.apps import cli  # pylint: disable=g-import-not-at-top
  v = flags.FlagValues()
  flags.DEFINE_integer('kills', 40, 'SIGKILLs in all', flag_values=v)
  flags.DEFINE_integer('steps', 6, 'training steps', flag_values=v)
  flags.DEFINE_integer('seed', 0, 'order and timing of the kills',
                       flag_values=v)
  flags.DEFINE_string('output', None, 'folder for the two workdirs (default: '
                      'a new temporary one)', flag_values=v)
  return cli.parse(v, argv, 'kill_and_resume', __doc__.splitlines()[0])


def main(argv: Sequence[str] | None = None) -> int:
  args = _flags(argv)
  output = args.output or tempfile.mkdtemp(prefix='deepfill_kills_')
  os.makedirs(output, exist_ok=True)
  summary = run(output, args.kills, args.steps, args.seed)
  print(json.dumps({k: v for k, v in summary.items() if k != 'points'}))
  return 0 if summary['equal'] else 1


if __name__ == '__main__':
  sys.exit(main())
