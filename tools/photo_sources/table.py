# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The photos named one by one: found by file name and checked by sha256.

These are the first photos of the shipped model's data: the Lomiri
wallpapers, KDE's jigsaw puzzles and the sample photographs of scikit-image
and scikit-learn (PyPI packages: their installed data folders are searched).
Their split is fixed here: the weights of `photos_v1` were trained on the
'train' ones and chosen on the 'validation' ones.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.util
import os
from typing import Sequence

from tools.photo_sources import SourceFile


@dataclasses.dataclass(frozen=True)
class Photo:
  """One photograph: where it comes from, who made it, under what licence."""
  file: str
  sha256: str
  author: str
  licence: str
  package: str
  split: str  # 'train' or 'validation'.


_LOMIRI = 'lomiri-wallpapers-16.04 (Debian)'
_SKIMAGE = 'scikit-image (PyPI)'
_SKLEARN = 'scikit-learn (PyPI)'
_PALAPELI = 'palapeli-data (Debian)'
# Authors and licences as the packages state them (the Debian copyright file;
# the docstrings of `skimage.data`; sklearn/datasets/images/README.txt; each
# palapeli puzzle's .desktop file, which names the photo's author, licence and
# Wikimedia Commons page). Photos added later are appended, so the evaluation
# crops, drawn in this order, stay the same.
PHOTOS = (
    Photo('Bridge_by_Sander_Klootwijk.jpg',
          'bd86b081f9975e2b83527f71e49b9271a8ab40885428395969d9f7d834d7f050',
          'Sander Klootwijk, 2018', 'CC-BY-SA-4.0', _LOMIRI, 'train'),
    Photo('Dragonfly_by_Bolly.jpg',
          'af5af17841009732def24b09bb1e669a1b09d2b4bdeee7812c371101c30d2bb3',
          '"Bolly", 2018', 'CC-BY-SA-4.0', _LOMIRI, 'validation'),
    Photo('Picture_0B_by_freespace.jpg',
          'c8c0ab18e48d9e0419fe42881112137f3afafc27dfddc29ec3a6d54c56d225ad',
          'Trevor "Freespace", 2018', 'CC-BY-4.0', _LOMIRI, 'train'),
    Photo('Picture_1A_by_freespace.jpg',
          '89e86af38d04daaef975665dc2127e9fa76f0fd68f4eea105a2d0ae3390b010b',
          'Trevor "Freespace", 2018', 'CC-BY-4.0', _LOMIRI, 'train'),
    Photo('Wine_by_Jakkub_Mede.jpg',
          'd2e96e6d4da40dd804b3d0ce295e94de04a2d7d9b6785d42cd9d92ba58bced74',
          'Jakub Mede, 2018', 'CC-BY-4.0', _LOMIRI, 'train'),
    Photo('aitzgorri_by_Aitzol_Berasategi.jpg',
          '66268e7b48f8854d36a28765fac6e23ec1aee251daa6da1f64715f201020ad36',
          'Aitzol Berasategi, 2018', 'CC-BY-4.0', _LOMIRI, 'validation'),
    Photo('analogpattern_by_Peter_Nerlich.jpg',
          '15372488a192b2be2eafc67bd3ed31cbfca19abe3929e925607fcbc9cb4d4202',
          'Peter Nerlich, 2018', 'CC-BY-SA-4.0', _LOMIRI, 'train'),
    Photo('free_by_Peter_Nerlich.jpg',
          '85a5453c2fed514c75973016f3d862aca62eb7ca087618822469274ac1092373',
          'Peter Nerlich, 2018', 'CC-BY-SA-4.0', _LOMIRI, 'train'),
    Photo('friends_by_Aitzol_Berasategi.jpg',
          'cc40e313c74e421edffe3403def413c16878ce14661cce7ec5915baeab35538d',
          'Aitzol Berasategi, 2018', 'CC-BY-4.0', _LOMIRI, 'train'),
    Photo('greentock_by_Peter_Nerlich.jpg',
          'e7b20e2db9dcd6e2b278ca55873c2110b35d89cd38b04d0b18728726888e6889',
          'Peter Nerlich, 2018', 'CC-BY-SA-4.0', _LOMIRI, 'train'),
    Photo('life_by_Aitzol_Berasategi.jpg',
          '4c119350ead80201fe256850c3d316309ddfb4bdf10b235ce982dcde0c667c05',
          'Aitzol Berasategi, 2018', 'CC-BY-4.0', _LOMIRI, 'validation'),
    Photo('picosdeeuropa_by_Aitzol_Berasategi.jpg',
          '414d0072b2f6f2c555deafeaef6e45c4fed6fa9ad26eba6560ca8803959cf97a',
          'Aitzol Berasategi, 2018', 'CC-BY-4.0', _LOMIRI, 'train'),
    Photo('seeding_by_Clements_Engelhardt.jpg',
          'a5634d1ab5e41a3568e92d4a894a500c92b891f9ff734e50bd224d6e185a605f',
          'Clemens Engelhardt, 2018', 'CC0-1.0', _LOMIRI, 'train'),
    Photo('sunset_by_Aitzol_Berasategi.jpg',
          '474dab6a4b9f94dc76c29dfe30e9f5db4af0fd2e33fe5d695f8152b371efca18',
          'Aitzol Berasategi, 2018', 'CC-BY-4.0', _LOMIRI, 'train'),
    Photo('Kleiber_by_Lukas_Baubkus.jpg',
          '6572410c09f4492c74ccadde133565a14c0161617d5917d4c820c66d65a44ba7',
          'Lukas Baubkus, 2021', 'CC-BY-SA-3.0',
          'lomiri-wallpapers-20.04 (Debian)', 'train'),
    Photo('astronaut.png',
          '88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5',
          'NASA', 'public domain', _SKIMAGE, 'train'),
    Photo('chelsea.png',
          '596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb',
          'Stefan van der Walt', 'CC0-1.0', _SKIMAGE, 'validation'),
    Photo('coffee.png',
          'cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7',
          'Rachel Michetti', 'CC0-1.0', _SKIMAGE, 'train'),
    Photo('rocket.jpg',
          'c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c',
          'SpaceX', 'public domain', _SKIMAGE, 'train'),
    Photo('china.jpg',
          '8378025ad2519d649d02e32bd98990db4ab572357d9f09841c2fbfbb4fefad29',
          'Flickr "danielbuechele"', 'CC-BY-2.0', _SKLEARN, 'train'),
    Photo('flower.jpg',
          'a77f6ec41e353afdf8bdff2ea981b2955535d8d83294f8cfa49cf4e423dd5638',
          'Flickr "vultilion"', 'CC-BY-2.0', _SKLEARN, 'train'),
    Photo('cincinnati-bridge.jpg',
          '09772d09318b34a5c5edd58ee86ff462bcd2907006f31cc8e0704310f8e9ab60',
          'Derek Jensen', 'public domain', _PALAPELI, 'train'),
    Photo('citrus-fruits.jpg',
          '0cbd7154a14789803167c86705130d0358875198231269df168ea26224e70848',
          'US Department of Agriculture', 'public domain', _PALAPELI, 'train'),
    Photo('european-honey-bee.jpg',
          '9d54ae706bddd899c91b2b801d9ca4556a5a9a399b4043f9d539df62a8cb7f27',
          'John Severns', 'public domain', _PALAPELI, 'train'),
)


# The PyPI packages of PHOTOS: package -> (module, its data folder).
PYPI_DATA = {_SKIMAGE: ('skimage', 'data'),
             _SKLEARN: ('sklearn', os.path.join('datasets', 'images'))}
# Folder of each package's files in the dataset's names.
PREFIXES = {_LOMIRI: 'lomiri', 'lomiri-wallpapers-20.04 (Debian)': 'lomiri',
            _SKIMAGE: 'skimage', _SKLEARN: 'sklearn', _PALAPELI: 'palapeli'}
# Never read: kept as an independent test set.
RESERVED_PACKAGES = ('plasma-workspace-wallpapers', 'mate-backgrounds')


def sha256(data: bytes) -> str:
  return hashlib.sha256(data).hexdigest()


def _read(path: str) -> bytes:
  with open(path, 'rb') as f:
    return f.read()


def check_not_reserved(roots: Sequence[str]) -> None:
  """Raises ValueError for a folder of a reserved package."""
  for root in roots:
    if any(name in root for name in RESERVED_PACKAGES):
      raise ValueError(f'{root} is reserved as an independent test set.')


def search_roots(sources: Sequence[str]) -> list[str]:
  """`sources`, plus the PYPI_DATA folders of the packages installed."""
  roots = list(sources)
  for module, folder in PYPI_DATA.values():
    spec = importlib.util.find_spec(module)
    if spec is not None and spec.origin:
      roots.append(os.path.join(os.path.dirname(spec.origin), folder))
  check_not_reserved(roots)
  return roots


def find_photos(roots: Sequence[str]) -> dict[str, str]:
  """Photo file name -> the path below `roots` whose sha256 matches."""
  wanted = {p.file: p.sha256 for p in PHOTOS}
  found = {}
  for root in roots:
    for folder, dirs, names in os.walk(root):
      dirs[:] = [d for d in dirs if not any(r in d for r in RESERVED_PACKAGES)]
      for name in names:
        if name in wanted and name not in found:
          path = os.path.join(folder, name)
          if sha256(_read(path)) == wanted[name]:
            found[name] = path
  missing = sorted(set(wanted) - set(found))
  if missing:
    raise FileNotFoundError(
        f'{len(missing)} photos not found (with the listed sha256) below '
        f'{", ".join(roots)}: {", ".join(missing)}.')
  return found


def _origin(path: str, roots: Sequence[str]) -> str:
  """`path` relative to the root it was found below (and, for a PyPI
  package's data folder, to its site-packages)."""
  root = next(r for r in roots if path.startswith(os.path.join(r, '')))
  for module, folder in PYPI_DATA.values():
    if root.endswith(os.path.join(module, folder)):
      root = root[:-len(os.path.join(module, folder))]
  return os.path.relpath(path, root)


def find(sources: Sequence[str]) -> list[tuple[SourceFile, str]]:
  """Every photo of PHOTOS as (SourceFile, its fixed split)."""
  roots = search_roots(sources)
  paths = find_photos(roots)
  return [(SourceFile(
      name=f'{PREFIXES[p.package]}/{os.path.splitext(p.file)[0]}',
      package=p.package, origin=_origin(paths[p.file], roots),
      author=p.author,
      licence=p.licence, kind='photo',
      read=functools.partial(_read, paths[p.file])), p.split)
          for p in PHOTOS]
