# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""One training run per workdir: a lock file naming its holder.

Training takes `WORKDIR/lock.json` ({"host", "pid", "started", ...}) at
start and removes it at exit; a second run is refused (`WorkdirInUse`,
naming the holder). A stale lock on the same host is taken over with a note;
one from another host never is. The file appears atomically (hard link) and
takers on one host are serialised with `flock`. In a multi-host job only
process 0 locks; remote workdirs are not locked (a warning). Readers take
no lock. See docs/reliability.md ("One writer per workdir").
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
import socket
import sys
import tempfile
from typing import Any, Iterator

from absl import logging

from deepfill_jax.utils import files

LOCK_FILE = 'lock.json'


class WorkdirInUse(RuntimeError):
  """Another run holds the workdir (or the lock cannot be taken)."""


def _proc_start(pid: int) -> str | None:
  """The kernel's start time of `pid` (clock ticks since boot), if known."""
  try:
    with open(f'/proc/{pid}/stat') as f:
      stat = f.read()
  except OSError:
    return None
  # Fields after the parenthesised command: state is 3rd, starttime 22nd.
  return stat.rsplit(')', 1)[1].split()[19]


def _is_zombie(pid: int) -> bool:
  try:
    with open(f'/proc/{pid}/stat') as f:
      return f.read().rsplit(')', 1)[1].split()[0] == 'Z'
  except (OSError, IndexError):
    return False


def holder_alive(holder: dict[str, Any]) -> bool | None:
  """Whether the lock's holder still runs: None when it cannot be known
  (another host)."""
  if holder.get('host') != socket.gethostname():
    return None
  pid = holder.get('pid')
  if not isinstance(pid, int) or pid <= 0:
    return False
  try:
    os.kill(pid, 0)
  except ProcessLookupError:
    return False
  except PermissionError:  # Another user's process: it exists.
    pass
  if _is_zombie(pid):
    return False
  start = holder.get('proc_start')
  return start is None or _proc_start(pid) in (None, start)


def describe(holder: dict[str, Any]) -> str:
  return (f'host {holder.get("host", "?")}, pid {holder.get("pid", "?")}, '
          f'started {holder.get("started", "?")}')


def _read(path: str) -> dict[str, Any]:
  try:
    with open(path) as f:
      holder = json.load(f)
    return holder if isinstance(holder, dict) else {}
  except (OSError, ValueError):
    return {}


def _this_process() -> dict[str, Any]:
  now = datetime.datetime.now(datetime.timezone.utc)
  return {'host': socket.gethostname(), 'pid': os.getpid(),
          'proc_start': _proc_start(os.getpid()),
          'started': now.strftime('%Y-%m-%d %H:%M:%S UTC'),
          'command': ' '.join(sys.argv)[:500]}


def _link_new(path: str, content: dict[str, Any]) -> bool:
  """Creates `path` with `content` unless it exists; True if created."""
  fd, tmp = tempfile.mkstemp(prefix='.lock.', dir=os.path.dirname(path))
  try:
    with os.fdopen(fd, 'w') as f:
      json.dump(content, f, indent=2, sort_keys=True)
      f.write('\n')
    os.link(tmp, path)
    return True
  except FileExistsError:
    return False
  finally:
    os.unlink(tmp)


def acquire(workdir: str) -> dict[str, Any]:
  """Takes the lock of `workdir` (an existing local folder); returns it.

  Raises:
    WorkdirInUse: a live run (or one on another host) holds it.
  """
  path = os.path.join(workdir, LOCK_FILE)
  mine = _this_process()
  folder = os.open(workdir, os.O_RDONLY)
  try:
    fcntl.flock(folder, fcntl.LOCK_EX)  # Takers on this host, one at a time.
    while not _link_new(path, mine):
      holder = _read(path)
      alive = holder_alive(holder) if holder else False
      if alive is None:
        raise WorkdirInUse(
            f'{workdir} is in use by another training run ({describe(holder)})'
            f'; wait for it to end or use another --workdir (if that run is '
            f'gone, delete {path}).')
      if alive:
        raise WorkdirInUse(
            f'{workdir} is in use by another training run ({describe(holder)})'
            '; wait for it to end or use another --workdir.')
      logging.warning('%s: taking over the lock of a run that is gone (%s).',
                      workdir, describe(holder) if holder else 'unreadable')
      with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
  finally:
    os.close(folder)  # Also releases the flock.
  return mine


def release(workdir: str, mine: dict[str, Any]) -> None:
  """Removes the lock of `workdir` if it is still `mine`."""
  path = os.path.join(workdir, LOCK_FILE)
  holder = _read(path)
  if all(holder.get(k) == mine[k] for k in ('host', 'pid', 'proc_start')):
    with contextlib.suppress(FileNotFoundError):
      os.unlink(path)


def _make_dirs(path: str) -> list[str]:
  """`os.makedirs(path)`; returns the folders it created, deepest first."""
  created = []
  probe = os.path.abspath(path)
  while not os.path.exists(probe):
    created.append(probe)
    probe = os.path.dirname(probe)
  os.makedirs(path, exist_ok=True)
  return created


def _remove_if_empty(created: list[str]) -> None:
  for folder in created:  # Deepest first; stops at the first non-empty one.
    try:
      os.rmdir(folder)
    except OSError:
      return


@contextlib.contextmanager
def hold(workdir: str, *, chief: bool = True, process_count: int = 1
         ) -> Iterator[dict[str, Any] | None]:
  """Creates `workdir` if needed and holds its lock for the block.

  Folders this created are removed on exit if they are still empty (a run
  that fails at start leaves nothing behind); nothing else is removed.
  `chief` is process 0 of a job of `process_count` processes: it takes the
  lock and tells the others the outcome. Yields the lock's content on the
  chief (for `release` before a hard exit), None elsewhere.

  Raises:
    WorkdirInUse: another run holds the workdir.
  """
  if files.is_remote(workdir):
    logging.warning('%s: remote workdirs are not locked; run one training '
                    'job at a time in it.', workdir)
    yield None
    return
  created = _make_dirs(workdir) if chief else []
  mine, error = None, None
  try:
    if chief:
      try:
        mine = acquire(workdir)
      except WorkdirInUse as e:
        error = e
    if process_count > 1:
      from jax.experimental import multihost_utils  # pylint: disable=g-import-not-at-top
      import numpy as np  # pylint: disable=g-import-not-at-top
      ok = multihost_utils.broadcast_one_to_all(np.int32(error is None))
      if not ok and error is None:
        error = WorkdirInUse(f'{workdir} is in use by another training run '
                             '(process 0 of this job says why).')
    if error is not None:
      raise error
    yield mine
  finally:
    if mine is not None:
      release(workdir, mine)
    _remove_if_empty(created)
