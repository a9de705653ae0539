# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Tests of the .rcc reader and the GCompris photo source.

The reader is checked against archives built here by a small independent
writer; the credit rules against hand-written README texts; and, when the
extracted package is present, `find` against the real thing.
"""

from __future__ import annotations

import io
import os
import struct
import zlib

from PIL import Image
import pytest

from tools.photo_sources import dep5
from tools.photo_sources import gcompris
from tools.photo_sources import rcc

# The folder the .deb packages were extracted to (dpkg-deb -x), for the
# tests on the real packages; they skip without it.
DEBS = os.environ.get('DEEPFILL_DEBS', '')


def _write_rcc(files: dict[str, bytes], version: int = 3,
               zlib_paths: tuple[str, ...] = (),
               flag_paths: dict[str, int] | None = None) -> bytes:
  """An .rcc holding `files` ('/a/b.txt' -> bytes), breadth-first tree.

  `zlib_paths` are stored compressed; `flag_paths` stores raw bytes under
  the given flags (for entries this writer cannot encode).
  """
  flag_paths = flag_paths or {}
  tree: dict = {}
  for path, data in files.items():
    parts = path.strip('/').split('/')
    folder = tree
    for part in parts[:-1]:
      folder = folder.setdefault(part, {})
    folder[parts[-1]] = data
  names = bytearray()
  blobs = bytearray()
  records: dict[int, bytes] = {}

  def add_name(name: str) -> int:
    offset = len(names)
    encoded = name.encode('utf-16-be')
    names.extend(struct.pack('>HI', len(encoded) // 2, 0) + encoded)
    return offset

  count = 1
  queue = [(0, 0, tree, '')]
  while queue:
    index, name_off, folder, path = queue.pop(0)
    kids = sorted(folder.items())
    first, count = count, count + len(kids)
    records[index] = struct.pack('>IHII', name_off, 2, len(kids), first)
    for i, (name, value) in enumerate(kids):
      offset, full = add_name(name), f'{path}/{name}'
      if isinstance(value, dict):
        queue.append((first + i, offset, value, full))
        continue
      flags, blob = flag_paths.get(full, 0), value
      if full in zlib_paths:
        flags, blob = 1, struct.pack('>I', len(value)) + zlib.compress(value)
      records[first + i] = struct.pack('>IHHHI', offset, flags, 0, 0,
                                       len(blobs))
      blobs.extend(struct.pack('>I', len(blob)) + blob)
  mtime = b'\0' * 8 if version >= 2 else b''
  tree_bytes = b''.join(records[i] + mtime for i in range(count))
  header_size = 24 if version >= 3 else 20
  data_off = header_size
  names_off = data_off + len(blobs)
  tree_off = names_off + len(names)
  header = struct.pack('>4sIIII', b'qres', version, tree_off, data_off,
                       names_off)
  if version >= 3:
    header += struct.pack('>I', 0)
  return header + bytes(blobs) + bytes(names) + tree_bytes


FILES = {
    '/top.txt': b'hello',
    '/gcompris/src/a/deep/x.bin': bytes(range(256)) * 40,
    '/gcompris/src/a/y.txt': b'',
    '/gcompris/src/b/\u00e9t\u00e9.txt': 'caf\u00e9'.encode(),
    '/gcompris/z.dat': b'z' * 1000,
}


@pytest.mark.parametrize('version', [1, 2, 3])
def test_rcc_round_trip(tmp_path, version):
  path = tmp_path / 'a.rcc'
  path.write_bytes(_write_rcc(
      FILES, version, zlib_paths=('/gcompris/src/a/deep/x.bin',
                                  '/gcompris/z.dat')))
  archive = rcc.RccArchive(path)
  assert archive.version == version
  assert archive.names() == sorted(FILES)
  for name, data in FILES.items():
    assert archive.read(name) == data
  assert archive.entry('/gcompris/z.dat').flags == rcc.FLAG_ZLIB
  assert archive.entry('/top.txt').flags == 0
  listed = rcc.list_files(path)
  assert sorted(listed) == sorted(FILES)
  assert rcc.read(path, listed['/gcompris/z.dat']) == b'z' * 1000
  assert rcc.read(path, '/top.txt') == b'hello'


def _assert_one_line_error(path, match: str = '') -> None:
  with pytest.raises(ValueError) as info:
    archive = rcc.RccArchive(path)
    for name in archive.names():
      archive.read(name)
  message = str(info.value)
  assert str(path) in message and '\n' not in message
  assert match in message


def test_rcc_malformed(tmp_path):
  good = _write_rcc(FILES, 2, zlib_paths=('/gcompris/z.dat',))
  cases = {
      'magic': b'qrez' + good[4:],
      'short': good[:10],
      'version': good[:4] + struct.pack('>I', 9) + good[8:],
      'cut': good[:len(good) - 30],
      'tree': good[:8] + struct.pack('>I', len(good) + 5) + good[12:],
  }
  for name, data in cases.items():
    path = tmp_path / f'{name}.rcc'
    path.write_bytes(data)
    _assert_one_line_error(path)
  # A zlib entry whose stream is not zlib.
  bad = _write_rcc({'/x.bin': b'\0\0\0\5garbage'}, 3,
                   flag_paths={'/x.bin': rcc.FLAG_ZLIB})
  path = tmp_path / 'zlib.rcc'
  path.write_bytes(bad)
  _assert_one_line_error(path, '/x.bin')


def test_rcc_zstd(tmp_path):
  try:
    import zstandard  # pylint: disable=import-outside-toplevel
  except ImportError:
    zstandard = None
  payload = b'zstd payload ' * 50
  blob = (zstandard.ZstdCompressor().compress(payload) if zstandard
          else b'\x28\xb5\x2f\xfd not really')
  path = tmp_path / 'z.rcc'
  path.write_bytes(_write_rcc({'/d/z.bin': blob}, 3,
                              flag_paths={'/d/z.bin': rcc.FLAG_ZSTD}))
  archive = rcc.RccArchive(path)
  if zstandard:
    assert archive.read('/d/z.bin') == payload
  else:
    with pytest.raises(ValueError, match='zstandard') as info:
      archive.read('/d/z.bin')
    assert str(path) in str(info.value) and '/d/z.bin' in str(info.value)


README = """\
Copyright: Someone, 2020
License: CC-BY-SA 4.0
Files:
key.svg
egypt/pyramid.webp

Copyright:
  Copyright 2011 NASA
  Copyright 2018 Painter
License: Public Domain
Files:
  planet.webp

Copyright: 2000, 2008 Bruno Coudoin and others
License: CC-BY 4.0
Castle_0.webp
Castle_background.webp
Comment: based on a photo by Guillaume P, license CC-BY 3.0, source at x
"""


def test_readme_credits():
  stanzas = dep5.parse_text(README, loose=True)
  planet = dep5.lookup(stanzas, 'planet.webp')
  assert gcompris.author_of(planet) == 'NASA; Painter'
  castle = dep5.lookup(stanzas, 'Castle_background.webp')
  assert gcompris.author_of(castle) == 'Guillaume P; Bruno Coudoin and others'
  assert gcompris.author_of(stanzas[0]) == 'Someone'


def test_acceptable():
  ok = gcompris.acceptable
  assert ok('CC-BY-SA-2.5', False) and ok('public domain', False)
  assert ok('GPL-3.0-or-later', True) and not ok('GPL-3.0-or-later', False)
  assert not ok('GFDL-NIV-1.2', True) and not ok('free-art', True)
  assert ok('CC0-1.0 AND CC-BY-3.0', False)
  assert not ok('CC0-1.0 AND GFDL-1.2', True)


def _image(size: tuple[int, int], mode: str = 'RGB') -> bytes:
  out = io.BytesIO()
  Image.new(mode, size, 'red' if mode == 'RGB' else (1, 2, 3, 4)).save(
      out, 'WEBP', quality=20)
  return out.getvalue()


def test_find_on_a_fake_package(tmp_path):
  res = '/gcompris/src/activities/erase/resource/'
  files = {
      res + 'README': (
          'Copyright: Pat Photographer\nLicense: CC-BY-SA 4.0\n'
          'Files: big.webp\n\nCopyright: X\nLicense: GFDL-1.2\n'
          'Files: gfdl.webp\n').encode(),
      res + 'big.webp': _image((600, 400)),
      res + 'small.webp': _image((600, 300)),
      res + 'alpha.webp': _image((600, 400), 'RGBA'),
      res + 'gfdl.webp': _image((600, 400)),
      res + 'debian.webp': _image((500, 400)),
      res + 'nobody.webp': _image((500, 400)),
      '/gcompris/src/activities/lang/resource/drawing.webp':
          _image((600, 600)),
  }
  root = tmp_path / 'x'
  rcc_dir = root / 'usr/share/gcompris-qt/rcc'
  rcc_dir.mkdir(parents=True)
  (rcc_dir / 'erase.rcc').write_bytes(_write_rcc(
      files, 3, zlib_paths=(res + 'README',)))
  doc = root / 'usr/share/doc/gcompris-qt-data'
  doc.mkdir(parents=True)
  (doc / 'copyright').write_text(
      'Files: *\nCopyright: Many\nLicense: GPL-3+\n\n'
      'Files: src/activities/erase/resource/debian.jpg\n'
      'Copyright: 2009 Deb Author\nLicense: CC0-1.0\n')
  for where in (root, tmp_path):  # The root itself or a folder above it.
    found = gcompris.find(str(where))
    assert [f.name for f in found] == ['gcompris/erase/big',
                                       'gcompris/erase/debian']
    big, deb = found
    assert (big.author, big.licence) == ('Pat Photographer', 'CC-BY-SA-4.0')
    assert (deb.author, deb.licence) == ('Deb Author', 'CC0-1.0')
    assert big.origin == ('usr/share/gcompris-qt/rcc/erase.rcc:'
                          + res + 'big.webp')
    assert big.package == 'gcompris-qt-data (Debian)' and big.kind == 'photo'
    assert big.read() == files[res + 'big.webp']
  assert gcompris.find(str(doc)) == []


ACCEPTED = {'CC0-1.0', 'public domain'} | {
    f'CC-BY{sa}-{v}' for sa in ('', '-SA')
    for v in ('1.0', '2.0', '2.5', '3.0', '4.0')}


def test_find_on_the_real_package():
  if not DEBS or gcompris._find_rcc_dir(DEBS) is None:
    pytest.skip(f'gcompris-qt-data not extracted under {DEBS} '
                '(set DEEPFILL_DEBS)')
  found = gcompris.find(DEBS)
  assert len(found) >= 100
  assert len({f.name for f in found}) == len(found)
  assert [f.name for f in found] == sorted(f.name for f in found)
  for f in found:
    assert f.licence in ACCEPTED or (
        f.licence.startswith(('GPL-', 'LGPL-'))), f
    with Image.open(io.BytesIO(f.read())) as image:
      image.load()
      assert min(image.size) >= 400, f.name
    assert f.author, f.name
