# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Where training images come from: TFDS, folders, flists or ArrayRecord.

`make_source(config.data, split)` returns a random-access sequence of
elements {'name', 'path' | 'data' | 'record'} that `input_pipeline` decodes;
`encode_record` / `decode_record` are the ArrayRecord format that
deepfill_jax/tools/build_dataset.py writes (docs/data.md).
"""

from __future__ import annotations

import glob
import json
import os
import struct
from typing import Any, Sequence

import grain
import ml_collections

from deepfill_jax.data import image_io

SOURCES = ('tfds', 'folder', 'flist', 'array_record')
# Written last by deepfill_jax/tools/build_dataset.py: marks an ArrayRecord dataset folder
# as complete and lists its files.
DATASET_INFO_FILE = 'dataset_info.json'
# Defaults for source='tfds' when config.data.{image_key,train_split,
# eval_split} are '': (image feature, train split, eval split).
TFDS_DEFAULTS = {
    'places365_small': ('image', 'train', 'validation'),
    'celeb_a': ('image', 'train', 'validation'),
    # CelebA-HQ has one split; keep the last 2000 images for evaluation.
    'celeb_a_hq': ('image', 'train[:28000]', 'train[28000:]'),
    'dtd': ('image', 'train', 'validation'),
    'imagenet2012': ('image', 'train', 'validation'),
}
_TFDS_FALLBACK = ('image', 'train', 'validation')

# ArrayRecord records written by deepfill_jax/tools/build_dataset.py: magic, uint32 length
# of a JSON header ({"name": ..., "height": ..., "width": ...}), file bytes.
RECORD_MAGIC = b'DFJ1'


# ----------------------------------------------------------------------------
# ArrayRecord records.


def encode_record(data: bytes, name: str, **meta: Any) -> bytes:
  """One ArrayRecord record: the encoded image file plus JSON metadata."""
  header = json.dumps(dict(name=name, **meta)).encode()
  return RECORD_MAGIC + struct.pack('<I', len(header)) + header + data


def decode_record(record: bytes) -> tuple[dict[str, Any], bytes]:
  """Inverse of `encode_record`: (metadata, encoded image bytes)."""
  if record[:4] != RECORD_MAGIC:
    raise ValueError('not a deepfill_jax image record.')
  (size,) = struct.unpack('<I', record[4:8])
  return json.loads(record[8:8 + size]), record[8 + size:]


# A sketch-guided (DeepFill v2) training image's edge map lies beside it:
# the image's path without its suffix, plus this (the original's rule).
EDGE_SUFFIX = '_edge.jpg'


def edge_path(path: str) -> str:
  """The edge map of the image at `path` (`EDGE_SUFFIX`)."""
  return os.path.splitext(path)[0] + EDGE_SUFFIX


# ----------------------------------------------------------------------------
# Sources: random-access sequences of {'name', 'path' | 'data' | 'record'}.


class _PathSource:
  """Image files by path (folder and flist sources)."""

  def __init__(self, paths: Sequence[str]):
    self._paths = list(paths)

  def __len__(self) -> int:
    return len(self._paths)

  def __getitem__(self, index: int) -> dict[str, Any]:
    return {'name': self._paths[index], 'path': self._paths[index]}


class _Subset:
  """Elements [start, stop) of another source (held-out evaluation images)."""

  def __init__(self, source: Sequence[dict[str, Any]], start: int, stop: int):
    self._source, self._start, self._stop = source, start, stop

  def __len__(self) -> int:
    return self._stop - self._start

  def __getitem__(self, index: int) -> dict[str, Any]:
    if not 0 <= index < len(self):
      raise IndexError(index)
    return self._source[self._start + index]


class _RecordSource:
  """Encoded images in a TFDS data source or in our own ArrayRecord files."""

  def __init__(self, source: Sequence[Any], label: str,
               image_key: str | None = None):
    self._source = source
    self._label = label
    self._image_key = image_key  # None: deepfill_jax records.

  def __len__(self) -> int:
    return len(self._source)

  def __getitem__(self, index: int) -> dict[str, Any]:
    name = f'{self._label}[{index}]'
    if self._image_key is None:
      return {'name': name, 'record': self._source[index]}
    return {'name': name, 'data': self._source[index][self._image_key]}


def tfds_settings(data: ml_collections.ConfigDict) -> tuple[str, str, str]:
  """(image key, train split, eval split) for config.data, with defaults."""
  defaults = TFDS_DEFAULTS.get(data.tfds_name.split('/')[0], _TFDS_FALLBACK)
  return (data.image_key or defaults[0], data.train_split or defaults[1],
          data.eval_split or defaults[2])


def read_flist(path: str) -> list[str]:
  """Image paths of an flist (one per line; relative to the flist's folder)."""
  path = os.path.abspath(os.path.expanduser(path))
  if not os.path.isfile(path):
    raise FileNotFoundError(f'{path}: flist file does not exist.')
  folder = os.path.dirname(path)
  with open(path) as f:
    lines = [line.strip() for line in f]
  paths = [os.path.normpath(os.path.join(folder, line))
           for line in lines if line and not line.startswith('#')]
  if not paths:
    raise ValueError(f'{path}: flist has no image paths.')
  return paths


def array_record_files(path: str) -> list[str]:
  """ArrayRecord files of a directory written by build_dataset, or a glob.

  A directory counts only once `deepfill-build-dataset` finished it: its
  `DATASET_INFO_FILE` (written last) lists the files, so a half-built or
  interrupted dataset is an error, never read as complete.
  """
  path = os.path.abspath(os.path.expanduser(path))
  if not os.path.isdir(path):
    files = sorted(glob.glob(path))
    if not files:
      raise FileNotFoundError(f'{path}: no ArrayRecord files found.')
    return files
  info_path = os.path.join(path, DATASET_INFO_FILE)
  if not os.path.isfile(info_path):
    found = glob.glob(os.path.join(path, '*.array_record*'))
    raise FileNotFoundError(
        f'{path}: no {DATASET_INFO_FILE}, so no complete dataset'
        + (f' ({len(found)} ArrayRecord files of an unfinished '
           'deepfill_jax/tools/build_dataset.py run; build it again)' if found else '')
        + '.')
  with open(info_path) as f:
    info = json.load(f)
  files = [os.path.join(path, name) for name in info.get('files', [])]
  missing = [f for f in files if not os.path.isfile(f)]
  if missing or not files:
    raise FileNotFoundError(f'{info_path}: lists {len(files)} files, '
                            f'{len(missing)} missing (e.g. {missing[:1]}).')
  return files


def _tfds_source(data: ml_collections.ConfigDict, split: str) -> _RecordSource:
  """The TFDS split as ArrayRecord data source, images left encoded."""
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  image_key, train_split, eval_split = tfds_settings(data)
  tfds_split = train_split if split == 'train' else eval_split
  try:
    source = tfds.data_source(
        data.tfds_name, split=tfds_split, data_dir=data.tfds_data_dir or None,
        download=False, decoders={image_key: tfds.decode.SkipDecoding()})
  except Exception as e:  # pylint: disable=broad-except
    raise ValueError(
        f'TFDS dataset {data.tfds_name!r} split {tfds_split!r} is not '
        f'available ({type(e).__name__}: {str(e).splitlines()[0]}). Prepare '
        f'it with `tfds build {data.tfds_name} --file_format=array_record` '
        '(docs/data.md).') from e
  return _RecordSource(source, f'{data.tfds_name}/{tfds_split}', image_key)


def make_source(data: ml_collections.ConfigDict,
                split: str = 'train', *, edges: bool = False
                ) -> Sequence[dict[str, Any]]:
  """The random-access source of `config.data` for 'train' or 'eval'.

  With `edges` (sketch-guided training) the images are files with their
  edge maps beside them (`edge_path`); the edge maps are not images of the
  source.

  Raises:
    FileNotFoundError, ValueError: missing path, empty source, bad settings.
  """
  if data.source not in SOURCES:
    raise ValueError(f'config.data.source={data.source!r}; expected one of '
                     f'{SOURCES}.')
  if edges and data.source not in ('folder', 'flist'):
    raise ValueError(f'config.model.guided: edge maps are read beside image '
                     f'files (<name>{EDGE_SUFFIX}); use a folder or flist '
                     f'source, not {data.source!r}.')
  holdout = data.get('eval_holdout', 0)
  if data.source == 'tfds':
    return _non_empty(_tfds_source(data, split), split)
  if split == 'eval' and not data.eval_path and holdout:
    split_path = data.path  # The held-out tail of the training source.
  else:
    split_path = data.path if split == 'train' else data.eval_path
  if not split_path:
    field = 'path' if split == 'train' else 'eval_path'
    raise ValueError(f'config.data.{field} is empty (source '
                     f'{data.source!r}, split {split!r}); set it or '
                     'config.data.eval_holdout.')
  if data.source == 'folder':
    paths = image_io.list_images(split_path)
    if edges:
      paths = [p for p in paths if not p.endswith(EDGE_SUFFIX)]
    source = _PathSource(paths)
  elif data.source == 'flist':
    source = _PathSource(read_flist(split_path))
  else:
    files = array_record_files(split_path)
    source = _RecordSource(grain.sources.ArrayRecordDataSource(files),
                           split_path)
  if holdout and not data.eval_path:
    if holdout >= len(source):
      raise ValueError(f'config.data.eval_holdout={holdout} leaves no '
                       f'training images of the {len(source)} in '
                       f'{split_path}.')
    cut = len(source) - holdout
    source = _Subset(source, cut, len(source)) if split == 'eval' else (
        _Subset(source, 0, cut))
  return _non_empty(source, split)


def _non_empty(source: Sequence[dict[str, Any]], split: str
               ) -> Sequence[dict[str, Any]]:
  if not len(source):  # pylint: disable=g-explicit-length-test
    raise ValueError(f'config.data: the {split!r} source is empty.')
  return source
