# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""WORKDIR/cpu_hours.tsv: cumulative CPU time per step, across resumes."""

import time

from etils import epath

from deepfill_jax.training import cpu_hours


def _burn(seconds: float) -> None:
  """Uses about `seconds` of CPU time."""
  end = time.process_time() + seconds
  while time.process_time() < end:
    pass


def test_resume_keeps_lines_up_to_its_step_and_continues_from_them(tmp_path):
  workdir = epath.Path(tmp_path)
  first = cpu_hours.CpuLog(workdir, 0)
  for step in (10, 20, 30):
    _burn(0.05)
    first.record(step)
  rows = cpu_hours.read(workdir / cpu_hours.FILE)
  assert [s for s, _ in rows] == [10, 20, 30]
  seconds = [c for _, c in rows]
  assert seconds == sorted(seconds) and seconds[0] > 0

  # Killed after logging step 30, resumed from the step-20 checkpoint: the
  # step-30 line is dropped and the count goes on from step 20's.
  second = cpu_hours.CpuLog(workdir, 20)
  assert second.offset == seconds[1]
  _burn(0.05)
  hours = second.record(30)
  rows = cpu_hours.read(workdir / cpu_hours.FILE)
  assert [s for s, _ in rows] == [10, 20, 30]
  assert rows[:2] == [(10, seconds[0]), (20, seconds[1])]
  assert rows[2][1] >= seconds[1] + 0.05 - 0.1  # Rounded to 0.1 s.
  assert abs(hours * 3600 - rows[2][1]) < 0.1


def test_non_chief_counts_without_writing(tmp_path):
  workdir = epath.Path(tmp_path)
  log = cpu_hours.CpuLog(workdir, 0, write=False)
  _burn(0.02)
  assert log.record(5) > 0
  assert not (workdir / cpu_hours.FILE).exists()
