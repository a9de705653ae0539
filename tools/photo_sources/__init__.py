# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Photographs and textures inside Debian packages, with their licences.

Each module reads one package's files as `dpkg-deb -x` left them below a
root folder and returns `SourceFile`s: the encoded image bytes (read on
demand), where they were found, and the author and licence the package
states for them. `tools/make_photo_dataset.py` splits and writes them.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from typing import Callable
import zipfile


@dataclasses.dataclass(frozen=True)
class SourceFile:
  """One image of a package, and what the package says about it."""
  name: str        # Unique, file-name-safe stem, e.g. 'gcompris/eiffel_tower'.
  package: str     # e.g. 'gcompris-qt-data (Debian)'.
  origin: str      # Where in the package: 'usr/share/.../x.rcc:/path/y.jpg'.
  author: str      # As the package states it ('' where it names nobody).
  licence: str     # SPDX-like: 'CC-BY-SA-4.0', 'CC0-1.0', 'public domain'.
  kind: str        # 'photo' (a scene) or 'texture' (training only).
  read: Callable[[], bytes] = dataclasses.field(compare=False, repr=False)


_ZIPS: dict[tuple[str, int], zipfile.ZipFile] = {}
_ZIPS_LOCK = threading.Lock()


def _open_zip(path: str) -> zipfile.ZipFile:
  """One open ZipFile per file and process, so reads skip its directory
  (keyed by process id too: a forked worker opens its own handle)."""
  key = (path, os.getpid())
  with _ZIPS_LOCK:
    if key not in _ZIPS:
      _ZIPS[key] = zipfile.ZipFile(path)
    return _ZIPS[key]


def zip_reader(path: str, member: str) -> Callable[[], bytes]:
  """A function returning the bytes of `member` of the zip at `path`."""
  return lambda: _open_zip(path).read(member)
