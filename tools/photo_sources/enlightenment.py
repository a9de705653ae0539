# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The photographic wallpapers of Debian's `enlightenment-data`.

Each wallpaper is an Edje file (`.edj`, an Eet archive) that holds the image
as JPEG streams at up to thirteen sizes; the largest one (3840x2160 for most)
is the original. Only the photographs are read, not the vector or flat art.
"""

from __future__ import annotations

import io
import os

from PIL import Image

from tools.photo_sources import SourceFile
from tools.photo_sources import dep5

PACKAGE = 'enlightenment-data'
_BACKGROUNDS = 'usr/share/enlightenment/data/backgrounds'
# Where the files lie in the upstream source, for the copyright file.
_SOURCE_DIR = 'data/backgrounds'

# The wallpapers that are photographs, each looked at in full size.
PHOTOS = (
    'Bamboo',           # Bamboo stems and leaves.
    'Foggy-Trees',      # Dark forest in fog.
    'God-Rays',         # Sun rays through clouds.
    'Green-Maple',      # Maple leaves against the light.
    'Lichen-Branches',  # Lichen on branches, close up.
    'Mountain',         # Snowy peak at dusk.
    'Peaks',            # Mountain ridge at night (dark, low contrast).
    'Red-Maple',        # Red maple leaves.
    'Sea-of-Lanterns',  # A field of paper lanterns.
    'Snow-Trees',       # Birches in snow, from above.
    'Spruce-Needles',   # Spruce twig against the sky.
    'Sunset-Clouds',    # Clouds lit by the sunset.
    'White-Flower',     # Frangipani flower.
    'Yellow-Flower',    # Yellow flower on green.
)
# Not photographs, so skipped:
#   Dunes, Flat-Fan, Sunset-Hills: flat vector landscapes and shapes;
#   Squiggle, Squiggle-Dark/-Light/-Mid: vector lines, no JPEG inside;
#   Flat-Stone-Pattern: a 750 px dark paper tile behind vector shapes;
#   Paper-Flower: a paper scan and grey masks of a drawn flower.

_SOI = b'\xff\xd8\xff'


def find(root: str) -> list[SourceFile]:
  """The photographic wallpapers below `root`, sorted by name."""
  folder = os.path.join(root, _BACKGROUNDS)
  stanzas = dep5.package_copyright(root, PACKAGE, _BACKGROUNDS)
  if stanzas is None:
    return []
  found = []
  for stem in PHOTOS:
    path = os.path.join(folder, stem + '.edj')
    if not os.path.isfile(path):
      continue
    stanza = dep5.lookup(stanzas, f'{_SOURCE_DIR}/{stem}.edj')
    if stanza is None:
      continue
    found.append(SourceFile(
        name=f'enlightenment/{stem}',
        package=f'{PACKAGE} (Debian)',
        origin=os.path.relpath(path, root),
        # The first holder is the project; the others of the same stanza
        # are the translators of its messages.
        author=stanza.holders[0] if stanza.holders else '',
        licence=dep5.spdx(stanza.licence),
        kind='photo',
        read=_reader(path)))
  return sorted(found, key=lambda s: s.name)


def largest_jpeg(data: bytes) -> bytes:
  """The embedded JPEG stream of `data` with the most pixels.

  Raises ValueError if `data` holds no JPEG that PIL can open.
  """
  best, best_pixels = None, 0
  for start, end in jpeg_spans(data):
    try:
      width, height = Image.open(io.BytesIO(data[start:end])).size
    except (OSError, ValueError):
      continue
    if width * height > best_pixels:
      best, best_pixels = data[start:end], width * height
  if best is None:
    raise ValueError('no JPEG stream found')
  return best


def jpeg_spans(data: bytes) -> list[tuple[int, int]]:
  """(start, end) of each complete JPEG stream (SOI to EOI) in `data`."""
  spans, pos = [], 0
  while (start := data.find(_SOI, pos)) >= 0:
    end = _jpeg_end(data, start)
    if end is None:
      pos = start + len(_SOI)
    else:
      spans.append((start, end))
      pos = end
  return spans


def _jpeg_end(data: bytes, start: int) -> int | None:
  """The end of the JPEG stream at `start`, following its markers.

  Walking the segments (not searching for the next EOI) skips the EOI of an
  embedded EXIF thumbnail; entropy-coded data ends at the first 0xFF that is
  neither a stuffed 0x00 nor a restart marker.
  """
  n, pos = len(data), start + 2
  while pos + 4 <= n:
    if data[pos] != 0xFF:
      return None
    marker = data[pos + 1]
    if marker == 0xFF:  # Fill byte.
      pos += 1
      continue
    if marker == 0xD9:  # EOI.
      return pos + 2
    if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # No length field.
      pos += 2
      continue
    pos += 2 + int.from_bytes(data[pos + 2:pos + 4], 'big')
    if marker == 0xDA:  # SOS: entropy-coded data follows.
      while True:
        pos = data.find(b'\xff', pos)
        if pos < 0 or pos + 1 >= n:
          return None
        following = data[pos + 1]
        if following == 0 or 0xD0 <= following <= 0xD7:
          pos += 2
        else:
          break
  return None


def _reader(path: str):
  """A function returning the full-size JPEG inside the .edj at `path`."""
  def read() -> bytes:
    with open(path, 'rb') as f:
      return largest_jpeg(f.read())
  return read
