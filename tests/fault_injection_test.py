# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""SIGKILL training at random points, resume after each: bit-exact result.

A short run of tools/kill_and_resume.py: the tiny config, 4 steps, 4 kills,
one in each phase (startup, first compile, a save, a step), in the order
that keeps every kill before the run's end; `python
tools/kill_and_resume.py --kills=40` is the long sweep, in random order.
"""

import pytest

from tools import kill_and_resume


@pytest.mark.long
def test_killed_and_resumed_runs_end_bit_identical(tmp_path):
  summary = kill_and_resume.run(str(tmp_path), kills=4, steps=4, seed=1,
                                phases=kill_and_resume.PHASES)
  assert summary['equal'], summary['differences']
  assert summary['kills_tried'] == 4
  # Each kill hit a running process, in its phase.
  assert summary['per_phase'] == dict.fromkeys(kill_and_resume.PHASES, 1), (
      summary['points'])
