# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""CPU time a training run has used, across resumes: WORKDIR/cpu_hours.tsv.

Each line is `STEP<TAB>CPU_SECONDS`: the user + system time (all threads) of
the training processes of this host up to that step, summed over every run
that led to it. A resumed run drops the lines past its checkpoint's step (that
work is redone) and continues from the last one kept, so the file maps steps
to what they cost (`tools/model_curve.py` plots metrics against it). CPU time
between the last line and a kill is not counted.
"""

from __future__ import annotations

import time

from etils import epath

from deepfill_jax.utils import files

FILE = 'cpu_hours.tsv'


def read(path: epath.Path) -> list[tuple[int, float]]:
  """The (step, cpu seconds) lines of a cpu_hours.tsv."""
  if not path.exists():
    return []
  rows = []
  for line in path.read_text().splitlines():
    parts = line.split()
    if len(parts) == 2 and not line.startswith('#'):
      rows.append((int(parts[0]), float(parts[1])))
  return rows


class CpuLog:
  """Appends the run's cumulative CPU seconds to WORKDIR/cpu_hours.tsv."""

  def __init__(self, workdir: epath.Path, step: int, *, write: bool = True):
    """Starts counting at `step`, keeping what earlier runs logged up to it.

    Args:
      workdir: the training workdir.
      step: the step this run starts from (its checkpoint's).
      write: False on processes that only count (not the chief).
    """
    self.path = workdir / FILE
    self.write = write
    kept = [row for row in read(self.path) if row[0] <= step]
    self.offset = kept[-1][1] if kept else 0.
    self.start = time.process_time()
    if write:
      files.write_atomic(self.path, ''.join(f'{s}\t{c:.1f}\n'
                                            for s, c in kept))

  def seconds(self) -> float:
    """CPU seconds of the whole run so far, earlier runs included."""
    return self.offset + time.process_time() - self.start

  def record(self, step: int) -> float:
    """Appends `step`'s line; returns the CPU hours so far."""
    seconds = self.seconds()
    if self.write:
      with self.path.open('a') as f:
        f.write(f'{step}\t{seconds:.1f}\n')
    return seconds / 3600.
