# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Reader of Qt binary resource files (.rcc).

Some packages ship their images only inside .rcc bundles, so the photo
sources need to list and extract them without Qt. Layout, all integers
big-endian: a header ('qres', version 1-3, offsets of the tree, data and
names sections, and from version 3 a flags word); a tree of fixed-size
nodes (directories point at a run of child nodes, files at a data blob);
names as a UTF-16 length, a hash and UTF-16BE text; data blobs as a 4-byte
size and the bytes, optionally zlib- or zstd-compressed.
"""

from __future__ import annotations

import dataclasses
import os
import struct
import zlib

MAGIC = b'qres'
FLAG_ZLIB = 0x01       # Blob is a 4-byte uncompressed size + zlib stream.
FLAG_DIRECTORY = 0x02  # Node is a folder: child count + first child index.
FLAG_ZSTD = 0x04       # Blob is a zstd frame.

_HEADER = struct.Struct('>4sIIII')  # magic, version, tree, data, names.
_NODE_V1 = struct.Struct('>IHII')   # name, flags, then two words (see below).
_NODE_V2_SIZE = _NODE_V1.size + 8   # Version 2 adds a 64-bit mtime.
_MAX_DEPTH = 64


@dataclasses.dataclass(frozen=True)
class Entry:
  """A file inside an .rcc: where its blob lies and how it is stored."""
  path: str       # '/folder/file.ext', relative to the resource root.
  offset: int     # Absolute file offset of the blob's 4-byte size field.
  size: int       # Stored (possibly compressed) size in bytes.
  flags: int      # FLAG_ZLIB / FLAG_ZSTD bits.
  territory: int  # Locale the entry is for (0: any).
  language: int


def _error(path: str, message: str) -> ValueError:
  """One-line error naming the archive, for malformed input."""
  return ValueError(f'{path}: {message}'.replace('\n', ' '))


class RccArchive:
  """An .rcc file's entries; blobs are read from disk on demand."""

  def __init__(self, path: str | os.PathLike[str]):
    self.path = os.fspath(path)
    with open(self.path, 'rb') as f:
      data = f.read()
    self.version = 0
    self._entries: dict[str, Entry] = {}
    self._parse(data)

  def names(self) -> list[str]:
    """Entry paths, sorted."""
    return sorted(self._entries)

  def entry(self, name: str) -> Entry:
    """The entry stored under `name` ('/a/b.jpg'); KeyError if absent."""
    return self._entries[name]

  def entries(self) -> dict[str, Entry]:
    """All entries by path."""
    return dict(self._entries)

  def read(self, name: str) -> bytes:
    """The (decompressed) bytes of entry `name`."""
    return _read_entry(self.path, self._entries[name])

  def _parse(self, data: bytes) -> None:
    """Fills `self._entries` from the header, tree and names sections."""
    if len(data) < _HEADER.size:
      raise _error(self.path, 'too short for an .rcc header')
    magic, version, tree, blobs, names = _HEADER.unpack_from(data, 0)
    if magic != MAGIC:
      raise _error(self.path, 'not an .rcc file (no "qres" magic)')
    if not 1 <= version <= 3:
      raise _error(self.path, f'unsupported .rcc version {version}')
    if version >= 3 and len(data) < _HEADER.size + 4:
      raise _error(self.path, 'truncated version 3 header')
    for what, off in (('tree', tree), ('data', blobs), ('names', names)):
      if off > len(data):
        raise _error(self.path, f'{what} offset {off} beyond end of file')
    self.version = version
    node_size = _NODE_V1.size if version == 1 else _NODE_V2_SIZE

    def node(index: int) -> tuple[int, int, int, int]:
      at = tree + index * node_size
      if index < 0 or at + node_size > len(data):
        raise _error(self.path, f'tree node {index} beyond end of file')
      return _NODE_V1.unpack_from(data, at)

    def name(offset: int) -> str:
      at = names + offset
      if at + 6 > len(data):
        raise _error(self.path, f'name at {offset} beyond end of file')
      (length,) = struct.unpack_from('>H', data, at)
      raw = data[at + 6:at + 6 + 2 * length]
      if len(raw) != 2 * length:
        raise _error(self.path, f'name at {offset} truncated')
      try:
        text = raw.decode('utf-16-be')
      except UnicodeDecodeError as exc:
        raise _error(self.path, f'name at {offset}: {exc}') from None
      if not text or '/' in text or text in ('.', '..'):
        raise _error(self.path, f'bad entry name {text!r}')
      return text

    _, flags, count, first = node(0)
    if not flags & FLAG_DIRECTORY:
      raise _error(self.path, 'root node is not a directory')
    stack = [('', count, first, 0)]  # Folder path, children, first, depth.
    seen = {0}
    while stack:
      folder, count, first, depth = stack.pop()
      if depth > _MAX_DEPTH:
        raise _error(self.path, 'tree too deep (cycle?)')
      for index in range(first, first + count):
        if index in seen:
          raise _error(self.path, f'tree node {index} reached twice')
        seen.add(index)
        name_off, flags, word1, word2 = node(index)
        path = f'{folder}/{name(name_off)}'
        if flags & FLAG_DIRECTORY:
          stack.append((path, word1, word2, depth + 1))
          continue
        territory, language = word1 >> 16, word1 & 0xFFFF
        at = blobs + word2
        if at + 4 > len(data):
          raise _error(self.path, f'entry {path}: data beyond end of file')
        (size,) = struct.unpack_from('>I', data, at)
        if at + 4 + size > len(data):
          raise _error(self.path, f'entry {path}: data beyond end of file')
        entry = Entry(path, at, size, flags, territory, language)
        old = self._entries.get(path)
        # Several locales may share a path: keep the locale-free one.
        if old is None or (old.language and not language):
          self._entries[path] = entry


def _read_entry(path: str, e: Entry) -> bytes:
  """Reads entry `e`'s blob from the file and undoes its compression."""
  with open(path, 'rb') as f:
    f.seek(e.offset + 4)
    blob = f.read(e.size)
  if len(blob) != e.size:
    raise _error(path, f'entry {e.path}: data truncated')
  return _decode(path, e, blob)


def _decode(path: str, e: Entry, blob: bytes) -> bytes:
  """Undoes the entry's compression, if any."""
  if e.flags & FLAG_ZSTD:
    try:
      import zstandard  # pylint: disable=import-outside-toplevel
    except ImportError:
      raise _error(path, f'entry {e.path} is zstd-compressed and the '
                   "'zstandard' module is not installed") from None
    try:
      return zstandard.ZstdDecompressor().decompress(
          blob, max_output_size=1 << 31)
    except zstandard.ZstdError as exc:
      raise _error(path, f'entry {e.path}: bad zstd data: {exc}') from None
  if e.flags & FLAG_ZLIB:
    if len(blob) < 4:
      raise _error(path, f'entry {e.path}: compressed data too short')
    (expected,) = struct.unpack_from('>I', blob, 0)
    try:
      out = zlib.decompress(blob[4:])
    except zlib.error as exc:
      raise _error(path, f'entry {e.path}: bad zlib data: {exc}') from None
    if len(out) != expected:
      raise _error(path, f'entry {e.path}: inflated to {len(out)} bytes, '
                   f'header says {expected}')
    return out
  return blob


def list_files(path: str | os.PathLike[str]) -> dict[str, Entry]:
  """Entries of the .rcc at `path`, by entry path ('/a/b.jpg')."""
  return RccArchive(path).entries()


def read(path: str | os.PathLike[str], entry: str | Entry) -> bytes:
  """Bytes of one entry (a path or an `Entry` from `list_files`)."""
  if isinstance(entry, Entry):
    return _read_entry(os.fspath(path), entry)
  return RccArchive(path).read(entry)
