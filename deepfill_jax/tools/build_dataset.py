# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Packs a folder or flist of images into ArrayRecord files.

  deepfill-build-dataset --input=/data/photos --output=/data/photos_ar \
      [--num_shards=16]

Use the result with `--config.data.source=array_record
--config.data.path=OUT`. Each record keeps the file's bytes unchanged next
to JSON metadata (`data.data_sources.encode_record`); undecodable files are
left out with a warning. OUT/dataset_info.json is written last, and readers
refuse a folder without it. See docs/data.md.
"""

from __future__ import annotations

import concurrent.futures
import io
import os
from typing import Iterator, Sequence

from absl import app
from absl import flags
from absl import logging
from array_record.python import array_record_module
from PIL import Image

from deepfill_jax.apps import cli
from deepfill_jax.utils import files as files_lib
from deepfill_jax.data import image_io
from deepfill_jax.data import data_sources

FORMAT = 'deepfill_jax.images'
INFO_FILE = data_sources.DATASET_INFO_FILE
# Records per group = 1: every record is individually seekable.
WRITER_OPTIONS = 'group_size:1'

_INPUT = flags.DEFINE_string('input', None, 'Image folder or flist file.')
_OUTPUT = flags.DEFINE_string('output', None, 'Output directory (new).')
_NUM_SHARDS = flags.DEFINE_integer(
    'num_shards', 0, 'Number of files (0: about one per GiB of images).')
_VERIFY = flags.DEFINE_bool(
    'verify', True, 'Decode every image to leave out corrupt files (slower); '
    'otherwise only headers are read.')
_NUM_THREADS = flags.DEFINE_integer('num_threads', 8, 'Reading threads.')


def input_paths(path: str) -> tuple[list[str], str]:
  """(image paths, folder that record names are relative to) of the input."""
  if os.path.isdir(path):
    return image_io.list_images(path), os.path.abspath(path)
  return data_sources.read_flist(path), os.path.dirname(
      os.path.abspath(path))


def _read(path: str, root: str, verify: bool) -> tuple[bytes, dict] | None:
  """(file bytes, metadata), or None with a warning if unreadable."""
  name = os.path.relpath(path, root)
  try:
    with open(path, 'rb') as f:
      data = f.read()
    with Image.open(io.BytesIO(data)) as img:
      (width, height), file_format = img.size, img.format
    if verify:
      image_io.open_image(data, name)
  except Exception as e:  # pylint: disable=broad-except
    logging.warning('Leaving out %s: %s', name, e)
    return None
  return data, dict(name=name, height=height, width=width, format=file_format)


def _read_all(paths: Sequence[str], root: str, verify: bool,
              num_threads: int) -> Iterator[tuple[bytes, dict] | None]:
  """`_read` over `paths` in order, a bounded window in flight at a time."""
  window = max(1, 4 * num_threads)
  with concurrent.futures.ThreadPoolExecutor(num_threads) as pool:
    for start in range(0, len(paths), window):
      yield from pool.map(lambda p: _read(p, root, verify),
                          paths[start:start + window])


def build(input_path: str, output: str, num_shards: int = 0,
          verify: bool = True, num_threads: int = 8) -> dict:
  """Writes the ArrayRecord dataset; returns the dataset_info dict.

  Args:
    input_path: image folder (scanned recursively) or flist file.
    output: output directory; must not hold a dataset already.
    num_shards: number of files; 0 picks about one per GiB of input.
    verify: fully decode each image (else read headers only).
    num_threads: threads reading and checking files.
  """
  paths, root = input_paths(input_path)
  if os.path.exists(os.path.join(output, INFO_FILE)):
    raise FileExistsError(f'{output} already holds a dataset.')
  os.makedirs(output, exist_ok=True)
  if num_shards <= 0:
    total = sum(os.path.getsize(p) for p in paths if os.path.isfile(p))
    num_shards = max(1, round(total / 2**30))
  num_shards = min(num_shards, len(paths))
  files = [os.path.join(output, f'images.array_record-{i:05d}-of-'
                        f'{num_shards:05d}') for i in range(num_shards)]
  counts = [0] * num_shards
  writer, shard = None, -1
  for index, item in enumerate(_read_all(paths, root, verify, num_threads)):
    if index * num_shards // len(paths) != shard:
      if writer is not None:
        writer.close()
      shard = index * num_shards // len(paths)
      writer = array_record_module.ArrayRecordWriter(files[shard],
                                                     WRITER_OPTIONS)
    if item is not None:
      writer.write(data_sources.encode_record(item[0], **item[1]))
      counts[shard] += 1
  writer.close()
  info = dict(format=FORMAT, version=1, source=os.path.abspath(input_path),
              num_records=sum(counts), num_skipped=len(paths) - sum(counts),
              files=[os.path.basename(f) for f in files], records=counts)
  files_lib.write_json(os.path.join(output, INFO_FILE), info)  # Last.
  logging.info('Wrote %d images to %d files in %s (%d left out).',
               info['num_records'], num_shards, output, info['num_skipped'])
  return info


def main(argv: Sequence[str]) -> None:
  del argv
  build(_INPUT.value, _OUTPUT.value, _NUM_SHARDS.value, _VERIFY.value,
        _NUM_THREADS.value)


def run() -> None:
  """Console script `deepfill-build-dataset`."""
  cli.absl_help('deepfill-build-dataset', 'Pack a folder or flist of images '
                'into ArrayRecord files.')
  flags.mark_flags_as_required(['input', 'output'])
  app.run(main)


if __name__ == '__main__':
  run()
