# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Tests of tools/photo_sources: the DEP-5 reader, the .edj JPEG scan, the
texture-name filters, and (where the packages are extracted) each source."""

from __future__ import annotations

import io
import os
import random

from PIL import Image
import pytest

from tools.photo_sources import dep5
from tools.photo_sources import enlightenment
from tools.photo_sources import ufoai
from tools.photo_sources import zero_ad

# The folder the .deb packages were extracted to (dpkg-deb -x), for the
# tests on the real packages; they skip without it.
DEBS = os.environ.get('DEEPFILL_DEBS', '')

_COPYRIGHT = """\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: example

Files: *
Copyright: 2020 The Team
License: GPL-2+

Files: data/*.jpg
 art/photo?.png
Copyright:
 Ann Author
 Bob Builder, 2019
License: CC-BY-SA-3.0
 Attribution-ShareAlike 3.0
 .
 Full text.

Files: data/special.jpg
Copyright: 2021, Cat
License: CC0-1.0
Comment: https://example.org/cat
 .
 second paragraph

License: GPL-2+
 A licence text only.
"""


def test_dep5_parses_files_stanzas():
  stanzas = dep5.parse_text(_COPYRIGHT)
  assert [s.licence for s in stanzas] == ['GPL-2+', 'CC-BY-SA-3.0', 'CC0-1.0']
  assert stanzas[1].files == ('data/*.jpg', 'art/photo?.png')
  assert stanzas[1].holders == ('Ann Author', 'Bob Builder, 2019')
  assert stanzas[1].fields['license'].endswith('\n\nFull text.')
  assert stanzas[2].comment == 'https://example.org/cat\n\nsecond paragraph'
  assert stanzas[0].comment == ''


def test_dep5_lookup_last_match_wins_and_globs():
  stanzas = dep5.parse_text(_COPYRIGHT)
  assert dep5.lookup(stanzas, 'data/special.jpg').holders == ('2021, Cat',)
  assert dep5.lookup(stanzas, 'data/sub/dir/a.jpg').licence == 'CC-BY-SA-3.0'
  assert dep5.lookup(stanzas, './art/photo1.png').licence == 'CC-BY-SA-3.0'
  assert dep5.lookup(stanzas, 'art/photo12.png').licence == 'GPL-2+'
  assert dep5.lookup(stanzas, 'src/main.c').licence == 'GPL-2+'
  assert dep5.lookup(stanzas[1:], 'src/main.c') is None


def test_dep5_lookup_index_names_the_stanza_and_pattern():
  stanzas = dep5.parse_text(_COPYRIGHT)
  assert dep5.lookup_index(stanzas, 'data/special.jpg') == (
      2, 'data/special.jpg')
  assert dep5.lookup_index(stanzas, 'art/photo1.png') == (1, 'art/photo?.png')
  assert dep5.lookup_index(stanzas, 'README') == (0, '*')
  assert dep5.lookup_index([], 'x') is None


def test_dep5_escaped_wildcards():
  stanzas = dep5.parse_text('Files: a\\*b.jpg q?.jpg\nLicense: CC0-1.0')
  assert dep5.lookup(stanzas, 'a*b.jpg')
  assert not dep5.lookup(stanzas, 'aXb.jpg')
  assert dep5.lookup(stanzas, 'q1.jpg')
  assert not dep5.lookup(stanzas, 'q12.jpg')


# A credit list in the loose style: file names below `Files:`, unindented.
_CREDITS = """\
Copyright: Pat, 2020
License: CC-BY-SA 4.0
Files:
key.svg
egypt/pyramid.webp

License: Public Domain
Files:
  planet.webp

Copyright: Sam
Castle_0.webp
Some words, not a file name
Castle_*.webp
"""


def test_dep5_loose_reads_bare_file_names():
  stanzas = dep5.parse_text(_CREDITS, loose=True)
  assert [s.files for s in stanzas] == [
      ('key.svg', 'egypt/pyramid.webp'), ('planet.webp',),
      ('Castle_0.webp', 'Castle_*.webp')]
  assert dep5.lookup_index(stanzas, 'Castle_1.webp') == (2, 'Castle_*.webp')
  assert stanzas[2].holders == ('Sam',)
  # Without `loose`, only the `Files:` fields count.
  assert [s.files for s in dep5.parse_text(_CREDITS)] == [(), ('planet.webp',)]


def test_dep5_parse_reads_a_file(tmp_path):
  path = tmp_path / 'copyright'
  path.write_text(_COPYRIGHT, encoding='utf-8')
  assert len(dep5.parse(str(path))) == 3


def test_dep5_spdx():
  spdx = dep5.spdx
  assert spdx('GPL-2+') == 'GPL-2.0-or-later'
  assert spdx('GPLv3') == 'GPL-3.0-only'
  assert spdx('GPLv3 or later') == 'GPL-3.0-or-later'
  assert spdx('public-domain') == spdx('Public Domain') == 'public domain'
  assert spdx('CC-BY-4.0') == 'CC-BY-4.0'
  assert spdx('CC-BY 2.0') == 'CC-BY-2.0'
  assert spdx('CC-BY-SA 4.0') == 'CC-BY-SA-4.0'
  assert spdx('cc0-1.0') == 'CC0-1.0'
  assert spdx('Expat') == spdx('MIT/Expat') == 'MIT'
  assert spdx('BSD-2-clause') == 'BSD-2-Clause'
  assert spdx('CC0-1.0 and CC-BY-3.0') == 'CC0-1.0 AND CC-BY-3.0'
  assert spdx('LGPL-2.1 or LGPL-3') == 'LGPL-2.1-only OR LGPL-3.0-only'
  assert spdx(' free-art ') == 'free-art'


def _jpeg(size: tuple[int, int], color: tuple[int, int, int]) -> bytes:
  buffer = io.BytesIO()
  Image.new('RGB', size, color).save(buffer, 'JPEG', quality=90)
  return buffer.getvalue()


def test_edj_scan_picks_the_largest_jpeg():
  small, large = _jpeg((40, 30), (255, 0, 0)), _jpeg((64, 48), (0, 0, 255))
  blob = (b'Eet\x00' + b'\xff\xd8\xff junk' + small + b'\x00' * 7 + large
          + b'\xff\xd8' + b'tail')
  spans = enlightenment.jpeg_spans(blob)
  assert [end - start for start, end in spans] == [len(small), len(large)]
  found = enlightenment.largest_jpeg(blob)
  assert found == large
  assert Image.open(io.BytesIO(found)).size == (64, 48)
  with pytest.raises(ValueError):
    enlightenment.largest_jpeg(b'no pictures here')


def test_zero_ad_names_skip_maps():
  terrain = 'art/textures/terrain/types/'
  assert (zero_ad.texture_name(terrain + 'sahara/sand_01.png.cached.dds')
          == '0ad/terrain_sahara_sand_01')
  for skipped in ('sahara/sand_01_norm.png.cached.dds',
                  'desert_rough_spec.png.cached.dds',
                  'LavaTest01.dds.cached.dds', 'textures.xml'):
    assert zero_ad.texture_name(terrain + skipped) is None
  assert (zero_ad.texture_name('art/textures/skies/sunny 1/top.dds.cached.dds')
          == '0ad/sky_sunny_1_top')
  assert zero_ad.texture_name(
      'art/textures/skies/mountainous/top.dds.cached.dds') is None
  assert zero_ad.texture_name(
      'art/textures/skins/structural/wall.png.cached.dds') is None
  header = b'DDS ' + b'\x7c\x00\x00\x00' + b'\x00' * 4 + (
      (256).to_bytes(4, 'little') + (512).to_bytes(4, 'little'))
  assert zero_ad.dds_size(header) == (512, 256)


def test_ufoai_names_skip_maps():
  assert (ufoai.texture_name('textures/tex_buildings/wall_brick01.png')
          == 'ufoai/tex_buildings_wall_brick01')
  for suffix in ('nm', 'sm', 'gm', 'gloss', 'glow', 'h', 'bump', 'norm'):
    assert ufoai.texture_name(
        f'textures/tex_buildings/wall_brick01_{suffix}.png') is None
  assert ufoai.texture_name('textures/tex_pics/art001.jpg') is None
  assert ufoai.texture_name('textures/tex_mattn/door001.jpg') is None
  assert ufoai.texture_name('textures/tex_misc/advertaa0.png') is None
  assert ufoai.texture_name('textures/tex_misc/box001.png') is not None


def _check(sources, minimum: int, licences: set[str], kind: str) -> None:
  assert len(sources) >= minimum
  names = [s.name for s in sources]
  assert names == sorted(names) and len(set(names)) == len(names)
  assert {s.licence for s in sources} <= licences
  assert all(s.kind == kind and s.package.endswith('(Debian)')
             for s in sources)
  for source in random.Random(0).sample(sources, min(20, len(sources))):
    image = Image.open(io.BytesIO(source.read()))
    image.load()
    assert min(image.size) >= 128, source.name


def _skip_unless(path: str) -> None:
  if not DEBS or not os.path.exists(os.path.join(DEBS, path)):
    pytest.skip(f'package not extracted at {DEBS} (set DEEPFILL_DEBS)')


def test_enlightenment_package():
  _skip_unless(enlightenment._BACKGROUNDS)
  sources = enlightenment.find(DEBS)
  _check(sources, 10, {'BSD-2-Clause'}, 'photo')
  assert all(s.author for s in sources)


def test_zero_ad_package():
  _skip_unless(zero_ad._ZIP)
  sources = zero_ad.find(DEBS)
  _check(sources, 300, {'CC-BY-SA-3.0'}, 'texture')
  assert {s.author for s in sources} == {'Wildfire Games'}


def test_ufoai_package():
  _skip_unless(ufoai._PK3)
  sources = ufoai.find(DEBS)
  _check(sources, 400, set(ufoai.FREE_LICENCES), 'texture')
