# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Writes the photo dataset of the shipped models: train, validation, test.

  apt-get download gcompris-qt-data enlightenment-data 0ad-data \
      ufoai-textures lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 \
      palapeli-data
  for f in *.deb; do dpkg-deb -x "$f" debs/; done
  pip install scikit-image scikit-learn   # their sample photographs
  python -m tools.make_photo_dataset --sources=debs --output=photos

Scene photos are split by photo (near-duplicates kept together) into train,
validation (every choice is made there) and test (scored once per shipped
model); textures are for training only. See docs/data.md for the layout.
The Debian packages `plasma-workspace-wallpapers` and `mate-backgrounds` are
never read: they are an independent test set.
"""

from __future__ import annotations

import collections
import dataclasses
import io
import os
from typing import Callable, Sequence

from absl import flags
import numpy as np
from PIL import Image

from deepfill_jax.apps import cli
from deepfill_jax.utils import files as files_lib
from deepfill_jax.data import image_io
from tools.photo_sources import SourceFile
from tools.photo_sources import enlightenment
from tools.photo_sources import gcompris
from tools.photo_sources import table
from tools.photo_sources import ufoai
from tools.photo_sources import zero_ad

SPLITS = ('train', 'validation', 'test')
# Package modules, each `find(root) -> list[SourceFile]`.
PACKAGES = (gcompris, enlightenment, zero_ad, ufoai)
# A new photo's split, by its rank within its package in sha256 order.
SPLIT_CYCLE = ('test', 'train', 'train', 'validation', 'train', 'train')
TRAIN_SHORTER_SIDES = (320, 512, 768)
EVAL_CROPS = ((256, 1), (512, 2), (768, 3))  # (shorter side, crops).
EVAL_SIZE = 256
# Photos whose 8x8 average hashes differ in at most this many bits are
# near-duplicates (the same photo resized or recompressed).
NEAR_DUPLICATE_BITS = 4


@dataclasses.dataclass
class Entry:
  """One file of the dataset: its source, checksum, split and outputs."""
  source: SourceFile
  sha256: str
  split: str = ''
  size: tuple[int, int] = (0, 0)
  files: list[str] = dataclasses.field(default_factory=list)


def rescale(image: Image.Image, shorter_side: int) -> Image.Image:
  """`image` resized (Lanczos) so that its shorter side is `shorter_side`."""
  w, h = image.size
  scale = shorter_side / min(w, h)
  return image.resize((max(shorter_side, round(w * scale)),
                       max(shorter_side, round(h * scale))),
                      Image.Resampling.LANCZOS)


def scales(sides: Sequence[int], image: Image.Image) -> list[int]:
  """`sides`, each at most the photo's shorter side (never upsampled past
  it), without repeats; always at least one."""
  shorter = min(image.size)
  out = []
  for side in sides:
    side = min(side, shorter)
    if side not in out:
      out.append(side)
  return out


def eval_crops(image: Image.Image, rng: np.random.Generator
               ) -> list[Image.Image]:
  """The crops of a held-out photo: EVAL_CROPS (the whole scene's centre
  square, then random crops of closer views) at EVAL_SIZE."""
  crops = []
  shorter = min(image.size)
  for side, count in EVAL_CROPS:
    scaled = rescale(image, max(EVAL_SIZE, min(side, shorter)))
    w, h = scaled.size
    for _ in range(count):
      if count == 1:  # The centre square: the whole scene.
        top, left = (h - EVAL_SIZE) // 2, (w - EVAL_SIZE) // 2
      else:
        top = int(rng.integers(0, h - EVAL_SIZE + 1))
        left = int(rng.integers(0, w - EVAL_SIZE + 1))
      crops.append(scaled.crop((left, top, left + EVAL_SIZE,
                                top + EVAL_SIZE)))
  return crops


def average_hash(image: Image.Image) -> int:
  """64-bit average hash of the 8x8 grey thumbnail."""
  grey = np.asarray(image.convert('L').resize((8, 8),
                                              Image.Resampling.BOX), float)
  bits = (grey > grey.mean()).ravel()
  return int(sum(1 << i for i, b in enumerate(bits) if b))


def assign_splits(entries: list[Entry], fixed: dict[str, str],
                  hashes: dict[str, int]) -> None:
  """Sets each entry's split.

  Textures train; photos of `fixed` (name -> split) keep theirs; any other
  photo takes SPLIT_CYCLE[rank % 6] by its rank within its package in
  sha256 order, unless it is a near-duplicate of a photo already placed
  (fixed ones first), whose split it then shares.
  """
  placed: list[tuple[int, str]] = []

  def twin(name: str) -> str | None:
    for other, split in placed:
      if bin(other ^ hashes[name]).count('1') <= NEAR_DUPLICATE_BITS:
        return split
    return None

  for e in entries:
    if e.source.name in fixed:
      e.split = fixed[e.source.name]
      placed.append((hashes[e.source.name], e.split))
  by_package = collections.defaultdict(list)
  for e in entries:
    if e.source.kind == 'texture':
      e.split = 'train'
    elif not e.split:
      by_package[e.source.package].append(e)
  for package in sorted(by_package):
    rank = 0  # Counts the photos placed by the cycle, not the twins.
    for e in sorted(by_package[package], key=lambda e: e.sha256):
      e.split = twin(e.source.name)
      if e.split is None:
        e.split = SPLIT_CYCLE[rank % len(SPLIT_CYCLE)]
        rank += 1
      placed.append((hashes[e.source.name], e.split))


def is_gpl(licence: str) -> bool:
  """Whether `licence` is a GPL: weights trained on such files could not be
  released under CC BY-SA 4.0, so they are kept out of OUTPUT/train/."""
  return licence.startswith('GPL-')


def write_image(image: Image.Image, path: str, **save_args) -> None:
  """Encodes `image` (PIL `save_args`) and writes it atomically."""
  os.makedirs(os.path.dirname(path), exist_ok=True)
  buffer = io.BytesIO()
  image.save(buffer, **save_args)
  files_lib.write_atomic(path, buffer.getvalue())


def write_entry(e: Entry, image: Image.Image, output: str,
                rng: np.random.Generator, full_only: bool = False) -> None:
  """Writes the files of one entry (see docs/data.md) into `e.files`
  (`full_only`: only the held-out photos at full size)."""
  name = e.source.name

  def put(rel: str, img: Image.Image, **save_args) -> None:
    write_image(img, os.path.join(output, rel), **save_args)
    e.files.append(rel)

  if full_only:
    if e.source.kind == 'photo' and e.split != 'train':
      put(f'{e.split}_full/{name}.png', image, format='PNG')
    return
  if e.source.kind == 'texture':
    folder = 'train_gpl' if is_gpl(e.source.licence) else 'train'
    put(f'{folder}/textures/{name}.jpg', image, format='JPEG', quality=95)
  elif e.split == 'train':
    for side in scales(TRAIN_SHORTER_SIDES, image):
      put(f'train/photos/{name}_{side}.jpg', rescale(image, side),
          format='JPEG', quality=95)
  else:
    for i, crop in enumerate(eval_crops(image, rng)):
      put(f'{e.split}/{name}_{i}.png', crop, format='PNG')
    # The photo itself, for full-size evaluation.
    put(f'{e.split}_full/{name}.png', image, format='PNG')


def collect(sources: Sequence[str], log: Callable[[str], None]
            ) -> tuple[list[Entry], dict[str, str], dict[str, int]]:
  """Every file of `sources`, deduplicated by sha256 (the table's first),
  the fixed splits of the table's photos and each file's `average_hash`
  (of a thumbnail: JPEGs decode at a reduced scale)."""
  found = table.find(sources)  # Refuses the reserved packages first.
  fixed = {f.name: split for f, split in found}
  files = [f for f, _ in found]
  for module in PACKAGES:
    found = [f for root in sources for f in module.find(root)]
    if not found:
      raise FileNotFoundError(f'{module.PACKAGE}: no file of it below '
                              f'{", ".join(sources)}.')
    files.extend(found)
  entries, seen, hashes = [], {}, {}
  for f in files:
    data = f.read()
    digest = table.sha256(data)
    if digest in seen:
      log(f'{f.name}: same file as {seen[digest]}, skipped.')
      continue
    if f.name in hashes:
      raise ValueError(f'Two files are called {f.name}.')
    seen[digest] = f.name
    hashes[f.name] = average_hash(image_io.open_image(data, name=f.origin,
                                                      min_size=64))
    entries.append(Entry(f, digest))
  return entries, fixed, hashes


def make_dataset(sources: Sequence[str], output: str, seed: int = 0,
                 log: Callable[[str], None] = print,
                 full_only: bool = False) -> dict[str, object]:
  """Writes OUTPUT/{train,validation,test,validation_full,test_full}/,
  manifest.json and CREDITS.md (`full_only`: only the *_full folders);
  returns the manifest."""
  entries, fixed, hashes = collect(sources, log)
  assign_splits(entries, fixed, hashes)
  entries.sort(key=lambda e: (SPLITS.index(e.split), e.source.name))
  for e in entries:
    image = image_io.open_image(e.source.read(), name=e.source.origin)
    e.size = image.size
    if e.source.kind == 'photo' and min(e.size) < EVAL_SIZE:
      raise ValueError(f'{e.source.origin}: {e.size[0]}x{e.size[1]} is '
                       f'smaller than {EVAL_SIZE} px.')
    # Each photo's crops come from its own generator: the crops of one
    # photo do not depend on the others.
    rng = np.random.default_rng([seed, int(e.sha256[:8], 16)])
    write_entry(e, image, output, rng, full_only)
  manifest = {
      'description': 'Photographs and textures of the shipped deepfill_jax '
                     'models, split by photo (tools/make_photo_dataset.py).',
      'seed': seed, 'train_shorter_sides': list(TRAIN_SHORTER_SIDES),
      'eval_crops': [list(c) for c in EVAL_CROPS], 'eval_size': EVAL_SIZE,
      'counts': counts(entries),
      'files': [dict(name=e.source.name, kind=e.source.kind,
                     split=e.split, package=e.source.package,
                     origin=e.source.origin, author=e.source.author,
                     licence=e.source.licence, sha256=e.sha256,
                     size=list(e.size), files=e.files) for e in entries]}
  files_lib.write_json(os.path.join(output, 'manifest.json'), manifest)
  files_lib.write_atomic(os.path.join(output, 'CREDITS.md'),
                         credits(manifest['files']))
  return manifest


def counts(entries: Sequence[Entry]) -> dict[str, dict[str, int]]:
  """Files per package and split ('crops' counts validation/test crops)."""
  out: dict[str, dict[str, int]] = {}
  for e in entries:
    row = out.setdefault(e.source.package, {})
    key = f'{e.source.kind}s/{e.split}'
    row[key] = row.get(key, 0) + 1
    if e.split in ('validation', 'test'):
      key = f'crops/{e.split}'
      row[key] = row.get(key, 0) + sum(f.endswith('.png') and
                                       not f.startswith(f'{e.split}_full/')
                                       for f in e.files)
  return out


def credits(files: Sequence[dict[str, object]]) -> str:
  """CREDITS.md: author and licence of every training file, by package and
  then by (author, licence)."""
  lines = ['# Credits', '',
           'The shipped weights were trained on these files (train/ of '
           'tools/make_photo_dataset.py; manifest.json gives '
           'where in each package every file is). Each keeps its '
           "author's licence; CC BY-SA files require this attribution.", '']
  groups = collections.defaultdict(list)
  for f in files:
    if any(rel.startswith('train/') for rel in f['files']):
      groups[f['package'], f['author'], f['licence']].append(f['name'])
  package = None
  for (pkg, author, licence), names in sorted(groups.items()):
    if pkg != package:
      package = pkg
      lines += [f'## {pkg}', '']
    lines += [f'- {author or "(author not named)"}, {licence} '
              f'({len(names)} files): ' + ', '.join(sorted(names)), '']
  return '\n'.join(lines)


PROG = 'python tools/make_photo_dataset.py'
DESCRIPTION = 'Writes the train, validation and test photos and textures.'
FLAGS = flags.FlagValues()
flags.DEFINE_list('sources', [], 'Folders where the .deb packages were '
                  'extracted (dpkg-deb -x).', flag_values=FLAGS)
flags.DEFINE_string('output', None, 'Output directory.', flag_values=FLAGS)
flags.DEFINE_integer('seed', 0, 'Seed of the held-out crops.',
                     flag_values=FLAGS)
flags.DEFINE_bool('full_only', False, 'Write only the held-out photos at '
                  'full size (validation_full/, test_full/).', flag_values=FLAGS)


def main(argv: Sequence[str] | None = None) -> None:
  args = cli.parse(FLAGS, argv, PROG, DESCRIPTION)
  if not args.output:
    cli.usage_error(PROG, '--output is required')
  manifest = make_dataset(args.sources, args.output, args.seed,
                          full_only=args.full_only)
  print(f'{"package":40s} ' + ' '.join(f'{k:>18s}' for k in COLUMNS))
  totals = collections.Counter()
  for package, row in sorted(manifest['counts'].items()):
    totals.update(row)
    print(f'{package:40s} ' + ' '.join(f'{row.get(k, 0):18d}'
                                       for k in COLUMNS))
  print(f'{"total":40s} ' + ' '.join(f'{totals.get(k, 0):18d}'
                                     for k in COLUMNS))


COLUMNS = ('photos/train', 'photos/validation', 'photos/test',
           'textures/train', 'crops/validation', 'crops/test')


if __name__ == '__main__':
  main()
