# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""JAX's persistent compilation cache for the entry points.

Compiling the generator for one image size takes seconds on a CPU, often more
than inpainting the image. The CLI, the demo (`main.py`), evaluation and the
web demo call `enable()` first, so a second run over the same sizes loads the
compiled programs from disk instead (docs/performance.md).

Where: `$DEEPFILL_JAX_CACHE` if set (`off` turns the cache off), else
`$XDG_CACHE_HOME/deepfill_jax`, else `~/.cache/deepfill_jax`.
"""

from __future__ import annotations

import os

import jax
from absl import logging

ENV = 'DEEPFILL_JAX_CACHE'
# Programs that compile faster than this are not worth a disk round trip.
_MIN_COMPILE_SECONDS = 0.2


def cache_dir(setting: str | None = None) -> str | None:
  """The cache folder for `setting` (default: `$DEEPFILL_JAX_CACHE`), or
  None when it is `off`."""
  setting = os.environ.get(ENV, '') if setting is None else setting
  if setting.strip().lower() in ('off', '0', 'false', 'none'):
    return None
  if setting:
    return os.path.abspath(os.path.expanduser(setting))
  base = os.environ.get('XDG_CACHE_HOME') or os.path.join(
      os.path.expanduser('~'), '.cache')
  return os.path.join(base, 'deepfill_jax')


def enable(setting: str | None = None) -> str | None:
  """Turns the persistent cache on (before the first compilation).

  Args:
    setting: a folder, `off`, or None for `$DEEPFILL_JAX_CACHE` / the default.

  Returns:
    The folder in use, or None if the cache is off or cannot be created
    (then everything still works, only without the cache).
  """
  path = cache_dir(setting)
  if path is None:
    return None
  try:
    os.makedirs(path, exist_ok=True)
  except OSError as e:
    logging.warning('Compilation cache off: cannot create %s (%s).', path,
                    e.strerror)
    return None
  jax.config.update('jax_compilation_cache_dir', path)
  jax.config.update('jax_persistent_cache_min_compile_time_secs',
                    _MIN_COMPILE_SECONDS)
  return path
