# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Photographs in Debian's `gcompris-qt-data` (GCompris activities).

The package keeps its images inside Qt resource bundles (.rcc), converted
to WebP. Credits come from the README files shipped next to the images
inside the bundles (they name the WebP files and their photographers), and
otherwise from the package's DEP-5 copyright file, whose paths are the
upstream sources (`src/activities/...`, often still `.jpg`).
"""

from __future__ import annotations

import dataclasses
import io
import os
import posixpath
import re
from typing import Callable

from PIL import Image

from tools.photo_sources import SourceFile
from tools.photo_sources import dep5
from tools.photo_sources import rcc

PACKAGE = 'gcompris-qt-data'
RCC_DIR = 'usr/share/gcompris-qt/rcc'
COPYRIGHT = f'usr/share/doc/{PACKAGE}/copyright'
MIN_SIDE = 400
# Photos are WebP (converted from JPEG); PNGs here are sprites and UI art.
PHOTO_EXTENSIONS = ('.webp', '.jpg', '.jpeg')
_PREFIX = 'gcompris/'  # Resource root of every bundle: '/gcompris/src/...'.

# Activities whose images include photographs of real scenes. Each file
# still has to pass the per-file rules in `_selected`. Left out on purpose:
# categorization (Wikimedia photos, but only 320 px), paintings and
# babyshapes (artworks), lang (Art4Apps drawings), photo_hunter (SVG
# drawings), solar_system and gravity (planet cut-outs on transparency),
# louis-braille, chronos and leftright (small, < 400 px), hangman and
# digital_electricity (textures), core and menu (UI art).
ACTIVITIES = (
    'clickgame',              # sea1-6: underwater photos; fish are sprites.
    'details',                # Castles and pyramids; also Van Gogh paintings.
    'erase',                  # 1920x1080 animal photos.
    'explore_farm_animals',   # 1024 px farm animal photos.
    'explore_monuments',      # 1024 px monument photos.
    'explore_world_animals',  # 1024 px wild animal photos.
    'explore_world_music',    # 1024 px photos of musicians and instruments.
)

# Credit-file names that differ from the file they describe (a README typo).
_CREDIT_ALIASES = {
    'src/activities/explore_monuments/resource/germany/aulaPalatina.webp':
        'src/activities/explore_monuments/resource/germany/audaPalatina.webp',
}

_FREE = re.compile(r'CC0-1\.0|public domain|CC-BY(-SA)?-\d\.\d')
_COPYLEFT = re.compile(r'L?GPL-\d\.\d-(only|or-later)')


def acceptable(licence: str, explicit: bool) -> bool:
  """Whether `licence` (as `dep5.spdx` spells it) allows redistribution
  and training.

  GPL/LGPL only counts where the credit names the file itself (`explicit`),
  not through a package-wide `Files: *` default.
  """
  if ' AND ' in licence:
    return all(acceptable(p, explicit) for p in licence.split(' AND '))
  if ' OR ' in licence:
    return any(acceptable(p, explicit) for p in licence.split(' OR '))
  if _FREE.fullmatch(licence):
    return True
  return explicit and bool(_COPYLEFT.fullmatch(licence))


def author_of(stanza: dep5.Stanza) -> str:
  """The people a stanza credits, without years and '©'; '' for 'none'.

  For derived images ('based on a photo by X, license ...') the original
  photographer comes first.
  """
  names = []
  for line in stanza.copyright.split('\n'):
    line = re.sub(r'^(copyright\s+)?(©|\(c\))?\s*', '', line.strip(),
                  flags=re.IGNORECASE)
    line = re.sub(r'^(\d{4}(\s*[-–]\s*\d{4})?(\s*,\s*|\s+))+(by\s+)?', '',
                  line)
    line = re.sub(r'(,\s*|\s+)\d{4}(\s*[-–]\s*\d{4})?$', '', line).strip()
    if line and line.lower() != 'none':
      names.append(line)
  based = re.search(r'based on (?:an original|a) (?:photo|image) by (.+?),',
                    stanza.comment)
  if based:
    names.insert(0, based.group(1).strip())
  return '; '.join(names)


@dataclasses.dataclass(frozen=True)
class _Credit:
  """Where a file's author and licence came from."""
  stanza: dep5.Stanza
  explicit: bool  # Named by a pattern of its own, not just `Files: *`.


class _Credits:
  """README credit lists found in the bundles, then the DEP-5 file."""

  def __init__(self, readmes: dict[str, list[dep5.Stanza]],
               copyright_stanzas: list[dep5.Stanza]):
    self._readmes = readmes  # Folder ('src/activities/x/resource') -> list.
    self._copyright = copyright_stanzas

  def find(self, path: str) -> _Credit | None:
    """Credit for source path 'src/activities/...'; None when unknown."""
    for name in (path, _CREDIT_ALIASES.get(path)):
      if name is None:
        continue
      folder = posixpath.dirname(name)
      while folder:  # The nearest README that names the file wins.
        stanzas = self._readmes.get(folder, [])
        found = dep5.lookup_index(stanzas, posixpath.relpath(name, folder))
        if found:
          return _Credit(stanzas[found[0]], found[1] != '*')
        folder = posixpath.dirname(folder)
    # The copyright file names the sources, often before their conversion
    # to WebP: try those extensions too and keep the latest stanza.
    stem = posixpath.splitext(path)[0]
    best = None
    for name in [path] + [stem + e for e in ('.jpg', '.jpeg', '.png')]:
      found = dep5.lookup_index(self._copyright, name)
      if found and (best is None or found[0] > best[0]):
        best = found
    if best is None:
      return None
    return _Credit(self._copyright[best[0]], best[1] != '*')


def _find_rcc_dir(root: str) -> str | None:
  """`root`'s usr/share/gcompris-qt/rcc, or the first one below it."""
  direct = os.path.join(root, RCC_DIR)
  if os.path.isdir(direct):
    return direct
  tail = os.path.join(*RCC_DIR.split('/'))
  for folder, dirs, _ in os.walk(root):
    dirs.sort()
    if folder.endswith(os.sep + tail):
      return folder
  return None


def _source_path(entry: str) -> str:
  """'/gcompris/src/activities/a/b.webp' -> 'src/activities/a/b.webp'."""
  return entry.lstrip('/').removeprefix(_PREFIX)


def _activity(source: str) -> str | None:
  """'src/activities/<activity>/...' -> activity, else None."""
  parts = source.split('/')
  if len(parts) > 3 and parts[:2] == ['src', 'activities']:
    return parts[2]
  return None


def _selected(activity: str, source: str, credit: _Credit | None,
              data: bytes) -> bool:
  """The per-file rules: a free, credited, opaque photo of >= MIN_SIDE."""
  if credit is None or not acceptable(
      dep5.spdx(credit.stanza.licence), credit.explicit):
    return False
  if activity == 'details':
    # Only the whole pictures (not the cut-out pieces) of photos, not of
    # paintings; the README says which ('based on an original painting').
    if not posixpath.splitext(source)[0].endswith('_background'):
      return False
    if 'painting' in credit.stanza.comment.lower():
      return False
  try:
    with Image.open(io.BytesIO(data)) as image:
      size, bands = image.size, image.getbands()
  except (OSError, ValueError):
    return False
  # Alpha marks cut-outs and sprites rather than scenes.
  return min(size) >= MIN_SIDE and 'A' not in bands


def _reader(archive: rcc.RccArchive, entry: str) -> Callable[[], bytes]:
  """A closure reading one entry on demand."""
  return lambda: archive.read(entry)


def find(root: str) -> list[SourceFile]:
  """The package's photographs below `root` (where the .debs were
  extracted, or any folder above it), sorted by name; [] when there is no
  usr/share/gcompris-qt/rcc.
  """
  rcc_dir = _find_rcc_dir(root)
  if rcc_dir is None:
    return []
  usr_root = os.path.dirname(os.path.dirname(os.path.dirname(
      os.path.dirname(rcc_dir))))
  archives = [rcc.RccArchive(os.path.join(rcc_dir, name))
              for name in sorted(os.listdir(rcc_dir))
              if name.endswith('.rcc')]
  readmes = {}
  candidates = []  # (activity, source path, archive, entry).
  seen = set()
  for archive in archives:
    for entry in archive.names():
      source = _source_path(entry)
      if posixpath.basename(source) == 'README':
        text = archive.read(entry).decode('utf-8', errors='replace')
        readmes[posixpath.dirname(source)] = dep5.parse_text(text, loose=True)
      activity = _activity(source)
      if (activity in ACTIVITIES and source not in seen
          and source.lower().endswith(PHOTO_EXTENSIONS)):
        seen.add(source)  # A file in two bundles: keep the first.
        candidates.append((activity, source, archive, entry))
  copyright_path = os.path.join(usr_root, COPYRIGHT)
  credits = _Credits(readmes, dep5.parse(copyright_path)
                     if os.path.isfile(copyright_path) else [])

  chosen = []
  for activity, source, archive, entry in candidates:
    credit = credits.find(source)
    if _selected(activity, source, credit, archive.read(entry)):
      chosen.append((activity, source, archive, entry, credit))
  stems: dict[tuple[str, str], int] = {}
  for activity, source, *_ in chosen:
    key = (activity, _stem(posixpath.basename(source)))
    stems[key] = stems.get(key, 0) + 1
  rcc_rel = os.path.relpath(rcc_dir, usr_root).replace(os.sep, '/')
  out = []
  for activity, source, archive, entry, credit in chosen:
    stem = _stem(posixpath.basename(source))
    if stems[(activity, stem)] > 1:  # Same name in two folders.
      stem = _stem(source.split('/resource/', 1)[-1])
    out.append(SourceFile(
        name=f'gcompris/{activity}/{stem}',
        package=f'{PACKAGE} (Debian)',
        origin=f'{rcc_rel}/{os.path.basename(archive.path)}:{entry}',
        author=author_of(credit.stanza),
        licence=dep5.spdx(credit.stanza.licence),
        kind='photo',
        read=_reader(archive, entry)))
  out.sort(key=lambda s: s.name)
  return out


def _stem(path: str) -> str:
  """File-name-safe stem: extension dropped, other characters -> '_'."""
  return re.sub(r'[^A-Za-z0-9_-]+', '_', posixpath.splitext(path)[0])
