# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Training under misuse: one run per workdir, signals, config checks."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from configs import tiny
from deepfill_jax.training import resume_checks
from deepfill_jax.training import stop_signals
from deepfill_jax.training import workdir_lock

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PHOTOS = os.path.join(ROOT, 'data', 'photos')
TINY = ('--config=configs/tiny.py', f'--config.data.path={PHOTOS}')


def _env() -> dict[str, str]:
  """This checkout first on the path, one CPU device."""
  return dict(os.environ, XLA_FLAGS='--xla_force_host_platform_device_count=1',
              PYTHONPATH=os.pathsep.join(
                  [ROOT, os.environ.get('PYTHONPATH', '')]))


def _start(*args: str) -> subprocess.Popen:
  return subprocess.Popen(
      [sys.executable, '-u', '-m', 'deepfill_jax.main', *args], cwd=ROOT,
      env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
      text=True)


def _run(*args: str) -> subprocess.CompletedProcess:
  return subprocess.run([sys.executable, '-m', 'deepfill_jax.main', *args],
                        cwd=ROOT, env=_env(), capture_output=True, text=True,
                        timeout=600)


def _last_line(proc: subprocess.CompletedProcess) -> str:
  assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
  return proc.stderr.strip().splitlines()[-1]


def _wait_for(proc: subprocess.Popen, text: str, timeout: float = 600.
              ) -> tuple[list[str], float]:
  """Reads `proc`'s stderr until a line holds `text`: (lines, time seen)."""
  lines, deadline = [], time.monotonic() + timeout
  while time.monotonic() < deadline:
    line = proc.stderr.readline()
    if not line:
      break
    lines.append(line.rstrip('\n'))
    if text in line:
      return lines, time.monotonic()
  proc.kill()
  raise AssertionError(f'no {text!r} in:\n' + '\n'.join(lines[-30:]))


@pytest.mark.long  # Two training processes.
def test_second_run_is_refused_and_signals_are_answered_at_once(tmp_path):
  """Two real processes on one workdir; then Ctrl-C twice to the first."""
  workdir = str(tmp_path / 'run')
  first = _start(*TINY, f'--workdir={workdir}',
                 '--config.num_train_steps=100')
  try:
    _wait_for(first, 'compiling the first steps')
    second = _run(*TINY, f'--workdir={workdir}')
    assert second.returncode == 2
    line = _last_line(second)
    assert line.startswith(f'error: {workdir} is in use by another training '
                           f'run (host ')
    assert f', pid {first.pid}, started ' in line
    # Ctrl-C while the first steps compile: answered at once.
    sent = time.monotonic()
    first.send_signal(signal.SIGINT)
    _, seen = _wait_for(first, stop_signals.ACKNOWLEDGEMENT, timeout=60)
    assert seen - sent < 10
    first.send_signal(signal.SIGINT)  # Again: stop now, without a save.
    lines, _ = _wait_for(first, 'SIGINT again', timeout=60)
    assert lines[-1] == ('SIGINT again: stopped now without saving; there is '
                         'no checkpoint yet.')
    assert first.wait(timeout=60) == 128 + signal.SIGINT
  finally:
    first.kill()
    first.wait()
  assert not os.path.exists(os.path.join(workdir, workdir_lock.LOCK_FILE))
  assert not os.path.exists(os.path.join(workdir, 'checkpoints', '1'))


def test_lock_of_a_dead_process_is_taken_over(tmp_path):
  gone = subprocess.Popen([sys.executable, '-c', 'pass'])
  gone.wait()
  stale = {'host': workdir_lock.socket.gethostname(), 'pid': gone.pid,
           'started': 'earlier'}
  lock = tmp_path / workdir_lock.LOCK_FILE
  lock.write_text(json.dumps(stale))
  mine = workdir_lock.acquire(str(tmp_path))
  assert json.loads(lock.read_text())['pid'] == os.getpid()
  with pytest.raises(workdir_lock.WorkdirInUse, match=(
      rf'in use by another training run \(host .*, pid {os.getpid()}, ')):
    workdir_lock.acquire(str(tmp_path))  # This process is alive.
  workdir_lock.release(str(tmp_path), mine)
  assert not lock.exists()


def test_lock_of_another_host_is_never_broken(tmp_path):
  lock = tmp_path / workdir_lock.LOCK_FILE
  lock.write_text(json.dumps({'host': 'elsewhere', 'pid': 1,
                              'started': '2026-01-01 00:00:00 UTC'}))
  with pytest.raises(workdir_lock.WorkdirInUse, match=(
      r'\(host elsewhere, pid 1, started 2026-01-01 00:00:00 UTC\); .*if '
      r'that run is gone, delete .*lock.json')):
    workdir_lock.acquire(str(tmp_path))


def test_run_that_fails_at_start_leaves_no_workdir(tmp_path):
  photos = tmp_path / 'empty'
  photos.mkdir()
  workdir = tmp_path / 'new' / 'run'
  proc = _run('--config=configs/tiny.py', f'--config.data.path={photos}',
              f'--workdir={workdir}')
  assert proc.returncode == 1
  assert _last_line(proc).startswith('error: ')
  assert not (tmp_path / 'new').exists()
  # A workdir that existed is kept, with what it held.
  kept = tmp_path / 'kept'
  kept.mkdir()
  with pytest.raises(RuntimeError):
    with workdir_lock.hold(str(kept)):
      raise RuntimeError('fails at start')
  assert kept.is_dir() and not os.listdir(kept)


def test_config_typo_is_one_line_with_the_suggestion(tmp_path):
  proc = _run(*TINY, f'--workdir={tmp_path / "run"}', '--config.batch_sz=4')
  assert proc.returncode == 2
  assert proc.stderr.strip() == (
      'error: --config.batch_sz=4: the config has no field \'batch_sz\'. Did '
      'you mean "batch_size" instead of "batch_sz"?')
  assert not (tmp_path / 'run').exists()


def test_hole_l1_gamma_out_of_range_is_one_line_even_with_the_term_off(
    tmp_path):
  # configs/tiny.py has hole_l1_alpha = 0: the value is still checked.
  proc = _run(*TINY, f'--workdir={tmp_path / "run"}',
              '--config.loss.hole_l1_gamma=1.5')
  assert proc.returncode == 1
  assert _last_line(proc) == (
      'error: config.loss.hole_l1_gamma=1.5 must be in (0, 1].')
  assert not (tmp_path / 'run').exists()


def _recorded_workdir(path, config) -> str:
  """A workdir as training leaves it: config.json and a finalised step."""
  os.makedirs(path / 'checkpoints' / '3')
  (path / resume_checks.CONFIG_FILE).write_text(config.to_json())
  return str(path)


def test_resume_with_another_model_is_refused_before_restoring(tmp_path):
  workdir = _recorded_workdir(tmp_path, tiny.get_config())
  config = tiny.get_config()
  config.model.cnum = 8
  config.model.contextual_attention = False
  with pytest.raises(resume_checks.ConfigMismatch) as e:
    resume_checks.check_resume(config, workdir, True)
  assert str(e.value) == (
      f'{workdir} holds checkpoints of another model: config.model.cnum 4 -> '
      '8; config.model.contextual_attention True -> False. Resume it with the '
      'config it was trained with, or start a new --workdir with '
      f'--config.init_from={workdir} (with the same widths).')
  config = tiny.get_config()
  config.image_size = 128  # The critics' input sizes change.
  with pytest.raises(resume_checks.ConfigMismatch, match=(
      r'critic input sizes \(config.image_size, config.masks\) '
      r"'32/64 px' -> '64/128 px'")):
    resume_checks.check_resume(config, workdir, True)
  resume_checks.check_resume(config, workdir, False)  # Nothing to resume.


def test_resume_with_other_training_settings_is_allowed(tmp_path):
  workdir = _recorded_workdir(tmp_path, tiny.get_config())
  config = tiny.get_config()
  config.num_train_steps = 1000
  config.batch_size = 16
  config.learning_rate = 1e-5
  config.model.dtype = 'bfloat16'
  config.data.path = '/elsewhere'
  resume_checks.check_resume(config, workdir, True)


def test_resume_with_another_model_is_one_line_from_main(tmp_path):
  workdir = _recorded_workdir(tmp_path, tiny.get_config())
  proc = _run(*TINY, f'--workdir={workdir}', '--config.model.critic_cnum=8')
  assert proc.returncode == 2
  assert _last_line(proc) == (
      f'error: {workdir} holds checkpoints of another model: '
      'config.model.critic_cnum 4 -> 8. Resume it with the config it was '
      f'trained with, or start a new --workdir with --config.init_from='
      f'{workdir} (with the same widths).')
