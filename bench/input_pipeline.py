# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Input pipeline throughput (images/s) from a JPEG folder, by workers, masks.

  python bench/input_pipeline.py                      # data/photos, 256x256
  python bench/input_pipeline.py --path=/data/photos --workers=0,2,4 \
      --mask_types=bbox,bbox+free_form --batches=100

Reports steady-state images/s (after `--warmup` batches, which include worker
start-up), the CPU time per image spent in the calling (training) process,
which does not depend on other load on the machine, and the time to the first
batch. Files are read from the OS cache after the first epoch, so this
measures decoding, cropping and masks, not disk speed.
"""

import json
import os
import platform
import time
from typing import Sequence

from absl import app
from absl import flags


# pylint: disable=g-import-not-at-top,wrong-import-position
from deepfill_jax import default_config as default
from deepfill_jax.data import input_pipeline
# pylint: enable=g-import-not-at-top,wrong-import-position

_PATH = flags.DEFINE_string('path', 'data/photos', 'Folder of JPEG images.')
_WORKERS = flags.DEFINE_list('workers', ['0', '2'], 'grain worker counts.')
_MASK_TYPES = flags.DEFINE_list('mask_types', ['bbox', 'free_form'],
                                'Mask types to measure.')
_IMAGE_SIZE = flags.DEFINE_integer('image_size', 256, 'Crop size.')
_BATCH_SIZE = flags.DEFINE_integer('batch_size', 16, 'Batch size.')
_BATCHES = flags.DEFINE_integer('batches', 60, 'Timed batches per setting.')
_WARMUP = flags.DEFINE_integer('warmup', 5, 'Untimed batches per setting.')
_THREADS = flags.DEFINE_integer('num_threads', None,
                                'Decoding threads (default: config).')
_OUTPUT = flags.DEFINE_string('output', 'bench/results/input_pipeline.json',
                              'Where to write the results as JSON.')


def measure(num_workers: int, mask_type: str) -> tuple[float, float, float]:
  """(images/s after warm-up, CPU ms per image here, s to the first batch)."""
  config = default.get_config()
  config.image_size = _IMAGE_SIZE.value
  config.batch_size = _BATCH_SIZE.value
  config.data.path = _PATH.value
  config.data.num_workers = num_workers
  if _THREADS.value is not None:
    config.data.num_threads = _THREADS.value
  config.masks.type = mask_type
  start = time.perf_counter()
  it = input_pipeline.create_dataset(config)
  next(it)
  first = time.perf_counter() - start
  for _ in range(_WARMUP.value - 1):
    next(it)
  start, cpu_start = time.perf_counter(), time.process_time()
  for _ in range(_BATCHES.value):
    next(it)
  images = _BATCHES.value * _BATCH_SIZE.value
  rate = images / (time.perf_counter() - start)
  cpu_ms = (time.process_time() - cpu_start) * 1000 / images
  it.close()
  return rate, cpu_ms, first


def main(argv: Sequence[str]) -> None:
  del argv
  print(f'{_PATH.value}, {_IMAGE_SIZE.value}x{_IMAGE_SIZE.value}, batch '
        f'{_BATCH_SIZE.value}, {os.cpu_count()} CPUs\n')
  print('| workers | masks | images/s | CPU ms/image here | first batch (s) |')
  print('|---:|---|---:|---:|---:|')
  rows = []
  for workers in _WORKERS.value:
    for mask_type in _MASK_TYPES.value:
      rate, cpu_ms, first = measure(int(workers), mask_type)
      print(f'| {workers} | {mask_type} | {rate:.0f} | {cpu_ms:.2f} | '
            f'{first:.2f} |', flush=True)
      rows.append(dict(workers=int(workers), masks=mask_type,
                       images_per_s=rate, cpu_ms_per_image=cpu_ms,
                       first_batch_s=first))
  os.makedirs(os.path.dirname(os.path.abspath(_OUTPUT.value)), exist_ok=True)
  with open(_OUTPUT.value, 'w') as f:
    json.dump(dict(path=_PATH.value, image_size=_IMAGE_SIZE.value,
                   batch_size=_BATCH_SIZE.value, cpus=os.cpu_count(),
                   machine=platform.machine(), results=rows), f, indent=2)
  print(f'\nwrote {_OUTPUT.value}')


if __name__ == '__main__':
  app.run(main)
