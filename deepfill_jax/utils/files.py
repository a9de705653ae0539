# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Atomic file writes, local or remote (`etils.epath`).

A killed run leaves either the old file or the new one, never a truncated
one. Local files are written to a temporary file in the same folder, flushed
to disk and renamed over the target (`os.replace`, atomic on POSIX). Object
stores (`gs://...`, any path with a scheme) publish an object only when its
upload completes, so there the file is written directly.

Every writer of the project (result images, `generator.json` and other
metadata, export artifacts, dataset info) goes through `write_atomic` or
`write_json`.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any, Union

from etils import epath

PathLike = Union[str, os.PathLike]


def is_remote(path: PathLike) -> bool:
  """Whether `path` names an object store (it has a scheme such as gs://)."""
  return '://' in os.fspath(path)


def write_atomic(path: PathLike, data: bytes | str) -> None:
  """Writes `data` (str as UTF-8) to `path`, replacing it atomically.

  The parent folder must exist. Raises OSError if the file cannot be written;
  no temporary file is left behind.
  """
  if isinstance(data, str):
    data = data.encode('utf-8')
  if is_remote(path):
    epath.Path(path).write_bytes(data)
    return
  path = os.fspath(path)
  folder, name = os.path.split(os.path.abspath(path))
  fd, tmp = tempfile.mkstemp(prefix=f'.{name}.', suffix='.tmp', dir=folder)
  try:
    with os.fdopen(fd, 'wb') as f:
      f.write(data)
      f.flush()
      os.fsync(f.fileno())
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, path)
  except BaseException:
    try:
      os.unlink(tmp)
    except OSError:
      pass
    raise


def write_json(path: PathLike, obj: Any) -> None:
  """Writes `obj` as indented, key-sorted JSON with `write_atomic`."""
  write_atomic(path, json.dumps(obj, indent=2, sort_keys=True) + '\n')


def read_json(path: PathLike) -> Any:
  """Reads a JSON file (local or remote)."""
  return json.loads(epath.Path(path).read_text())


def _umask() -> int:
  """The process umask (mkstemp creates files 0600; others expect 0644)."""
  try:  # Linux: read it without changing it (os.umask is process-wide).
    with open('/proc/self/status') as f:
      for line in f:
        if line.startswith('Umask:'):
          return int(line.split()[1], 8)
  except (OSError, ValueError):
    pass
  mask = os.umask(0o022)
  os.umask(mask)
  return mask
