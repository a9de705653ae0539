# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""SIGINT/SIGTERM during training: answered at once, a second one stops now.

The C-level handler writes the signal to a pipe (`signal.set_wakeup_fd`)
and a watcher thread answers at once, even during an XLA compile. First
signal: a message, `stop_requested()` becomes true, the loop saves and
exits with 128 + the signal number. Second signal: one line naming the
last finalised checkpoint's step, `on_hard_stop` runs, and the process
exits at once without saving. See docs/reliability.md ("Signals").
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Callable

import jax
import numpy as np
from etils import epath
from jax.experimental import multihost_utils

SIGNALS = (signal.SIGTERM, signal.SIGINT)
ACKNOWLEDGEMENT = ('stopping after this step; the checkpoint will be saved; '
                   'press Ctrl-C again to stop now')


def finalised_steps(checkpoints_dir: str) -> list[int]:
  """Steps of `checkpoints_dir` that orbax finalised (a step is a folder
  named by its number only once it is complete)."""
  try:
    names = [p.name for p in epath.Path(checkpoints_dir).iterdir()]
  except OSError:
    return []
  return sorted(int(n) for n in names if n.isdigit())


def _say(line: str) -> None:
  sys.stderr.write(line + '\n')
  sys.stderr.flush()


class Signals:
  """Context manager: SIGTERM/SIGINT become a flag the loop checks."""

  def __init__(self, checkpoints_dir: str,
               on_hard_stop: Callable[[], None] | None = None):
    self.checkpoints_dir = checkpoints_dir
    self.on_hard_stop = on_hard_stop
    self.received = None
    self._old = {}
    self._old_wakeup = None
    self._pipe = None
    self._thread = None

  def __enter__(self) -> 'Signals':
    if threading.current_thread() is not threading.main_thread():
      return self  # Signals belong to the main thread: leave them alone.
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    self._pipe = (read_fd, write_fd)
    self._old_wakeup = signal.set_wakeup_fd(write_fd,
                                            warn_on_full_buffer=False)
    for sig in SIGNALS:
      self._old[sig] = signal.signal(sig, lambda *_: None)
    self._thread = threading.Thread(target=self._watch, daemon=True,
                                    name='deepfill_jax-signals')
    self._thread.start()
    return self

  def _watch(self) -> None:
    read_fd = self._pipe[0]
    while True:
      try:
        data = os.read(read_fd, 64)
      except OSError:
        return
      if not data:
        return
      for signum in data:
        if signum in SIGNALS:
          self._handle(signum)

  def _handle(self, signum: int) -> None:
    if self.received is None:
      self.received = signum
      _say(ACKNOWLEDGEMENT)
      return
    steps = finalised_steps(self.checkpoints_dir)
    held = (f'the last checkpoint holds step {steps[-1]}' if steps
            else 'there is no checkpoint yet')
    _say(f'{signal.Signals(signum).name} again: stopped now without saving; '
         f'{held}.')
    if self.on_hard_stop is not None:
      self.on_hard_stop()
    os._exit(128 + signum)  # pylint: disable=protected-access

  def __exit__(self, *exc) -> None:
    if self._pipe is None:
      return
    signal.set_wakeup_fd(self._old_wakeup)
    for sig, handler in self._old.items():
      signal.signal(sig, handler)
    os.close(self._pipe[1])  # The watcher reads end-of-file and returns.
    self._thread.join(timeout=5)
    os.close(self._pipe[0])
    self._pipe = None

  def stop_requested(self) -> bool:
    """True on every process if any process received a signal."""
    flag = np.int32(self.received is not None)
    if jax.process_count() > 1:
      flag = multihost_utils.process_allgather(flag).max()
    return bool(flag)
