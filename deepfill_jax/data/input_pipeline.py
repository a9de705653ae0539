# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Input pipeline: images from TFDS, folders, flists or ArrayRecord -> batches.

A grain `MapDataset` seeded by `config.seed`: decode, crop, flip, draw mask
and box per element, take this host's block of each global batch, batch,
optionally prefetch in worker processes, then `BatchIterator` (floats in
[-1, 1], discount weights). Batches depend only on the seed, process count
and worker count; the iterator state saves with
`training.checkpoints.save_training` for an exact resume. TensorFlow is
never imported. The stages: docs/data.md.
"""

from __future__ import annotations

import math
import struct
from typing import Any, Sequence

from absl import flags
from absl import logging
import grain
import ml_collections
import numpy as np
from PIL import Image

from deepfill_jax.data import data_sources
from deepfill_jax.data import image_io
from deepfill_jax.data import masks as masks_lib
from deepfill_jax.data import pixels

SPLITS = ('train', 'eval')
_FAILED = 'failed'  # Key of the element that replaces an unreadable image.
_MAX_CONSECUTIVE_FAILURES = 1000
_PROBE_SIZE = 8  # Elements tried at startup to find one readable image.


# ----------------------------------------------------------------------------
# Per-element transforms.


def _open(element: dict[str, Any], min_size: int | None) -> Image.Image:
  """Decodes the image of a source element; ValueError names it."""
  name = element['name']
  if 'path' in element:
    return image_io.open_image(element['path'], name, min_size)
  data = element.get('data')
  if 'record' in element:
    try:
      meta, data = data_sources.decode_record(element['record'])
    except (ValueError, struct.error) as e:
      raise ValueError(f'{name}: bad record ({e}).') from e
    name = f'{name} ({meta.get("name")})'
  if not isinstance(data, bytes):
    raise ValueError(f'{name}: no encoded image bytes.')
  return image_io.open_image(data, name, min_size)


def _with_edge(img: Image.Image, element: dict[str, Any]) -> Image.Image:
  """RGBA: the image with its edge map (`data_sources.edge_path`) as alpha,
  so that one crop, resize and flip transform both."""
  if 'path' not in element:
    raise ValueError(f'{element["name"]}: no file, so no edge map.')
  path = data_sources.edge_path(element['path'])
  edge = image_io.open_image(path, path).convert('L')
  if edge.size != img.size:
    raise ValueError(f'{path}: edge map of {edge.size[0]}x{edge.size[1]} px '
                     f'for an image of {img.size[0]}x{img.size[1]} px.')
  return Image.merge('RGBA', (*img.convert('RGB').split(), edge))


class _Preprocess(grain.transforms.RandomMap):
  """Decodes, crops/resizes, flips and draws a mask for one image (and its
  edge map, for sketch-guided training)."""

  def __init__(self, size: int, random_crop: bool, random_flip: bool,
               mask_generator: masks_lib.MaskGenerator,
               shorter_side: int = 0, edges: bool = False):
    self._size = size
    self._shorter_side = shorter_side
    self._random_crop = random_crop
    self._random_flip = random_flip
    self._masks = mask_generator
    self._edges = edges

  def random_map(self, element: dict[str, Any],
                 rng: np.random.Generator) -> dict[str, Any]:
    try:
      img = _open(element, None if self._random_crop else self._size)
      if self._edges:
        img = _with_edge(img, element)
    except (ValueError, OSError) as e:
      return {_FAILED: str(e)}
    image = self._crop(img, rng)
    if self._random_flip and rng.random() < 0.5:
      image = image[:, ::-1]
    mask, box = self._masks(rng)
    out = {'image': np.ascontiguousarray(image[..., :3]), 'mask': mask,
           'box': box}
    if self._edges:  # As the original: value / 255 > 0.6.
      out['edge'] = image[..., 3] / 255. > image_io.EDGE_THRESHOLD
    return out

  def _crop(self, img: Image.Image, rng: np.random.Generator) -> np.ndarray:
    """Random crop (upscaling small images first, as the original) or resize."""
    size = self._size
    if not self._random_crop:
      return np.asarray(img.resize((size, size), Image.Resampling.BILINEAR))
    width, height = img.size
    target = max(size, self._shorter_side)
    if min(width, height) < size or (
        self._shorter_side and min(width, height) != target):
      factor = target / min(width, height)
      width = max(size, math.ceil(width * factor))
      height = max(size, math.ceil(height * factor))
      img = img.resize((width, height), Image.Resampling.BILINEAR)
    top = int(rng.integers(0, height - size + 1))
    left = int(rng.integers(0, width - size + 1))
    return np.asarray(img.crop((left, top, left + size, top + size)))


# ----------------------------------------------------------------------------
# Skipping unreadable images, and counting them.


class _ProcessBlocks(grain.MapDataset):
  """This process's share of the element stream, in blocks.

  Global batch k is elements [k B, (k + 1) B); process p takes its p-th block
  of B / P elements. `jax.make_array_from_process_local_data` concatenates
  the processes' blocks in process order, so the global batch is the same
  for any number of processes (per-sample randomness included).
  """

  def __init__(self, parent: grain.MapDataset, index: int, count: int,
               block: int):
    super().__init__(parent)
    self._index, self._count, self._block = index, count, block

  def __len__(self) -> int:
    batches = len(self._parent) // (self._block * self._count)
    return batches * self._block

  def __getitem__(self, index):
    if isinstance(index, slice):
      return self.slice(index)
    batch, offset = divmod(index, self._block)
    return self._parent[(batch * self._count + self._index) * self._block
                        + offset]

  def __str__(self) -> str:
    return (f'ProcessBlocks(index={self._index}, count={self._count}, '
            f'block={self._block})')


class _SkipFailedIterator(grain.DatasetIterator):
  """Drops failed elements; the next one carries the count.

  Each unreadable image is reported once (every epoch meets it again, and a
  warning per meeting buries the log); it is counted every time.
  """

  def __init__(self, parent: grain.DatasetIterator):
    super().__init__(parent)
    self._reported = set()

  def __next__(self) -> dict[str, Any]:
    skipped = 0
    while True:
      element = next(self._parent)
      if _FAILED not in element:
        element['skipped'] = np.int32(skipped)
        return element
      if element[_FAILED] not in self._reported:
        self._reported.add(element[_FAILED])
        logging.warning('Skipping unreadable image (reported once, counted '
                        'in data/skipped_images): %s', element[_FAILED])
      skipped += 1
      if skipped >= _MAX_CONSECUTIVE_FAILURES:
        raise RuntimeError(f'{skipped} unreadable images in a row; last: '
                           f'{element[_FAILED]}')

  def get_state(self) -> dict[str, Any]:
    return self._parent.get_state()

  def set_state(self, state: dict[str, Any]) -> None:
    self._parent.set_state(state)


class _SkipFailed(grain.IterDataset):
  """IterDataset of `_SkipFailedIterator` (runs inside grain workers)."""

  def __iter__(self) -> _SkipFailedIterator:
    return _SkipFailedIterator(self._parent.__iter__())


class BatchIterator(grain.DatasetIterator):
  """The pipeline's iterator: finishes batches and counts skipped images.

  Runs in the training process, after the workers, so that they send uint8
  images (4x less to copy than floats).

  Attributes:
    skipped: unreadable images skipped so far by this process (a metric for
      the training loop; saved and restored with the iterator state).
  """

  def __init__(self, parent: grain.DatasetIterator, discount: np.ndarray,
               same_for_batch: bool):
    super().__init__(parent)
    self._discount = discount
    self._same_for_batch = same_for_batch
    self.skipped = 0

  def __next__(self) -> dict[str, np.ndarray]:
    batch = next(self._parent)
    self.skipped += int(batch['skipped'].sum())
    size = len(batch['image'])
    mask, box = batch['mask'], batch['box']
    if self._same_for_batch:
      mask = np.repeat(mask[:1], size, axis=0)
      box = np.repeat(box[:1], size, axis=0)
    out = {
        'image': pixels.to_unit(batch['image']),
        'mask': mask[..., None].astype(np.float32),
        'box': box.astype(np.int32),
        'discount': np.repeat(self._discount[None], size, axis=0),
    }
    if 'edge' in batch:
      out['edge'] = batch['edge'][..., None].astype(np.float32)
    return out

  def get_state(self) -> dict[str, Any]:
    return {'parent': self._parent.get_state(), 'skipped': self.skipped}

  def set_state(self, state: dict[str, Any]) -> None:
    self._parent.set_state(state['parent'])
    self.skipped = int(state['skipped'])


# ----------------------------------------------------------------------------
# The pipeline.


def _process_info(process_index: int | None,
                  process_count: int | None) -> tuple[int, int]:
  """(index, count) of this process; JAX's unless both are given."""
  if process_index is None or process_count is None:
    import jax  # pylint: disable=g-import-not-at-top
    process_index = jax.process_index() if process_index is None else (
        process_index)
    process_count = jax.process_count() if process_count is None else (
        process_count)
  if not 0 <= process_index < process_count:
    raise ValueError(f'process_index {process_index} is not in '
                     f'[0, {process_count}).')
  return process_index, process_count


def _probe(source: Sequence[dict[str, Any]]) -> None:
  """Fails at startup if none of the first few images can be read."""
  errors = []
  for index in range(min(len(source), _PROBE_SIZE)):
    try:
      _open(source[index], None)
      return
    except ValueError as e:
      errors.append(str(e))
  raise ValueError(f'None of the first {len(errors)} images can be read; '
                   f'first error: {errors[0]}')


def create_dataset(config: ml_collections.ConfigDict, *, split: str = 'train',
                   batch_size: int | None = None,
                   process_index: int | None = None,
                   process_count: int | None = None) -> BatchIterator:
  """Builds this process's iterator of batches.

  Args:
    config: the full config (uses seed, image_size, batch_size, data, masks).
    split: 'train' (shuffled, repeated forever, flips) or 'eval' (one pass in
      order; images and masks still random but fixed by the seed).
    batch_size: the global batch size (default: `config.batch_size`).
    process_index: this process's index (default: `jax.process_index()`).
    process_count: number of processes (default: `jax.process_count()`).

  Returns:
    An iterator (a checkpointable grain `DatasetIterator`) of dicts:
      image: float32 [B, H, W, 3] in [-1, 1], RGB;
      mask: float32 [B, H, W, 1], 1 = hole;
      box: int32 [B, 4], (top, left, height, width) of the local-critic crop;
      discount: float32 [B, h, w, 1], spatial discount weights of that box;
      edge: float32 [B, H, W, 1] in {0, 1}, the edge map (only with
        `config.model.guided`; read from `data_sources.edge_path`);
    with B = batch_size // process_count and H = W = config.image_size.

  Raises:
    ValueError, FileNotFoundError: bad settings, a missing path or an empty
      or unreadable source.
  """
  if split not in SPLITS:
    raise ValueError(f'split={split!r}; expected one of {SPLITS}.')
  train = split == 'train'
  data = config.data
  process_index, process_count = _process_info(process_index, process_count)
  global_batch = config.batch_size if batch_size is None else batch_size
  if global_batch % process_count:
    raise ValueError(f'batch size {global_batch} is not divisible by the '
                     f'process count {process_count}.')
  batch_size = global_batch // process_count
  size = config.image_size
  mask_generator = masks_lib.MaskGenerator(config.masks, (size, size))
  discount = masks_lib.spatial_discount(mask_generator.box_hw,
                                        config.masks.gamma)
  guided = config.model.get('guided', False)
  source = data_sources.make_source(data, split, edges=guided)
  _probe(source)

  ds = grain.MapDataset.source(source).seed(config.seed)
  if train:
    ds = ds.shuffle() if data.shuffle else ds
    ds = ds.repeat()
  elif len(source) < global_batch:
    # A small eval set (a few held-out photos) is cycled to fill one global
    # batch; each pass draws other crops and masks (still fixed by the seed).
    ds = ds.repeat(math.ceil(global_batch / len(source)))
  ds = ds.random_map(_Preprocess(size, data.random_crop,
                                 train and data.random_flip, mask_generator,
                                 data.get('shorter_side', 0), guided))
  ds = _ProcessBlocks(ds, process_index, process_count, batch_size)
  it = ds.to_iter_dataset(grain.ReadOptions(
      num_threads=data.num_threads,
      prefetch_buffer_size=data.prefetch_buffer_size))
  it = _SkipFailed(it).batch(batch_size, drop_remainder=True)
  if data.num_workers > 0:
    if not flags.FLAGS.is_parsed():
      # grain 0.2.18 reads an absl flag in mp_prefetch and fails outside
      # absl.app (google/grain#1355, fixed after 0.2.18): use the defaults.
      flags.FLAGS.mark_as_parsed()
    it = it.mp_prefetch(grain.MultiprocessingOptions(
        num_workers=data.num_workers))
  logging.info(
      'Input pipeline: %s source, %d images, split %s, process %d/%d, batch '
      '%d, %dx%d, masks %s, %d workers.', data.source, len(source), split,
      process_index, process_count, batch_size, size, size, config.masks.type,
      data.num_workers)
  return BatchIterator(iter(it), discount, config.masks.same_for_batch)
