# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Terrain and sky textures of Debian's `0ad-data` (the game 0 A.D.).

`public.zip` holds the game's art as DXT1/DXT5-compressed DDS files, which
Pillow decodes. The terrain textures are made from photographs of ground
(grass, dirt, rock, sand, snow, paving) and the skies from photographs of
clouds; they are kept for training (`kind='texture'`). Normal, specular and
other maps, UI art, unit and building skins, and test or flat textures are
skipped. The art is CC-BY-SA-3.0 by Wildfire Games (its `art/LICENSE.txt`
adds that some textures derive from CGTextures photographs, by permission).
"""

from __future__ import annotations

import os
import re
import struct
import zipfile

from tools.photo_sources import SourceFile
from tools.photo_sources import zip_reader
from tools.photo_sources import dep5

PACKAGE = '0ad-data'
_ZIP = 'usr/share/games/0ad/mods/public/public.zip'
# Where the zip's files lie in the upstream source, for the copyright file.
_SOURCE_DIR = 'binaries/data/mods/public'
_TERRAIN = 'art/textures/terrain/types/'
_SKIES = 'art/textures/skies/'
MIN_SIZE = 512  # Smaller ones are colour swatches, overlays and old skies.

# Maps that are not pictures: normal, specular, ambient occlusion.
_MAP_SUFFIX = re.compile(r'_(norm|normal|spec|specular|ao|gloss|height|bump)'
                         r'(_|$)')
# Terrain textures that are not photographic, each looked at:
_NOT_PHOTO = re.compile(
    r'^(Lava.*'           # Procedural lava blobs (tests).
    r'|grid_.*'           # Editor grids.
    r'|water_\d+'         # Painted water tiles.
    r'|water/.*'          # Foam and wave overlays.
    r'|medit_sea_depths'  # Near-black, flat.
    r'|tropic_beach_volcanic'  # Near-black, flat.
    r')$')
# Sky boxes that are not photographic: 'mountainous' is a rendered scene.
_NOT_PHOTO_SKIES = frozenset({'mountainous'})
_SKY_FACES = frozenset({'back', 'front', 'left', 'right', 'top'})


def find(root: str) -> list[SourceFile]:
  """The photographic terrain and sky textures below `root`, by name.

  Reads only the zip's directory and each candidate's 128-byte DDS header.
  """
  zip_path = os.path.join(root, _ZIP)
  stanzas = dep5.package_copyright(root, PACKAGE, _ZIP)
  if stanzas is None:
    return []
  found = {}
  with zipfile.ZipFile(zip_path) as archive:
    for info in archive.infolist():
      name = texture_name(info.filename)
      if name is None:
        continue
      with archive.open(info) as f:
        size = dds_size(f.read(128))
      if size is None or min(size) < MIN_SIZE:
        continue
      stanza = dep5.lookup(stanzas, f'{_SOURCE_DIR}/{info.filename}')
      if stanza is None:
        continue
      found[name] = SourceFile(
          name=name,
          package=f'{PACKAGE} (Debian)',
          origin=f'{_ZIP}:{info.filename}',
          author=_holder(stanza),
          licence=dep5.spdx(stanza.licence),
          kind='texture',
          read=zip_reader(zip_path, info.filename))
  return [found[name] for name in sorted(found)]


def texture_name(member: str) -> str | None:
  """The `SourceFile.name` of zip member `member`, None to skip it.

  Members are like 'art/textures/terrain/types/sahara/sand_01.png.cached.dds'
  (a DDS the game made from a PNG or DDS source).
  """
  if not member.endswith('.dds'):
    return None
  stem = re.sub(r'(\.(png|dds|tga))?(\.cached)?\.dds$', '', member)
  if member.startswith(_TERRAIN):
    relative = stem[len(_TERRAIN):]
    base = relative.rsplit('/', 1)[-1]
    if _MAP_SUFFIX.search(base) or _NOT_PHOTO.match(relative):
      return None
    return '0ad/terrain_' + _safe(relative)
  if member.startswith(_SKIES):
    parts = stem[len(_SKIES):].split('/')
    if (len(parts) != 2 or parts[0] in _NOT_PHOTO_SKIES
        or parts[1] not in _SKY_FACES):
      return None  # Also skips the bottom faces: flat fill.
    return '0ad/sky_' + _safe('/'.join(parts))
  return None


def dds_size(header: bytes) -> tuple[int, int] | None:
  """(width, height) from a DDS file's first 128 bytes, None if not DDS."""
  if len(header) < 20 or header[:4] != b'DDS ':
    return None
  height, width = struct.unpack('<II', header[12:20])
  return width, height


def _safe(path: str) -> str:
  """`path` as one file-name-safe word: '/' and spaces become '_'."""
  return re.sub(r'[^A-Za-z0-9_.-]+', '_', path)


def _holder(stanza: dep5.Stanza) -> str:
  """The copyright holders without years: 'Wildfire Games'."""
  return '; '.join(re.sub(r'^[\d\s,-]+', '', h) for h in stanza.holders)
