# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Material textures of Debian's `ufoai-textures` (UFO: Alien Invasion).

`0textures.pk3` is a zip of PNG and JPEG textures, most 256 to 512 px, many
made from photographs of brick, concrete, wood, rock, metal, carpet and
ground; they are kept for training (`kind='texture'`). The package's DEP-5
copyright file gives each file's authors and licence. Skipped: normal, gloss,
specular and glow maps; textures under 128 px; cut-outs with transparency;
folders of objects, signs and sci-fi panels; and flat single-colour ones.
"""

from __future__ import annotations

import os
import re
import zipfile

from PIL import Image

from tools.photo_sources import SourceFile
from tools.photo_sources import zip_reader
from tools.photo_sources import dep5

PACKAGE = 'ufoai-textures'
_PK3 = 'usr/share/games/ufoai/base/0textures.pk3'
# Where the pk3's files lie in the upstream source, for the copyright file.
_SOURCE_DIR = 'base'
MIN_SIZE = 128

# Free licences, as `dep5.spdx` spells them; other files are skipped.
FREE_LICENCES = frozenset({
    'GPL-2.0-only', 'GPL-2.0-or-later', 'GPL-3.0-or-later', 'MIT',
    'CC-BY-3.0', 'CC-BY-SA-3.0', 'CC0-1.0', 'public domain',
})

# Maps, not pictures: normal (_nm), specular (_sm), glow (_gm), gloss, height.
_MAP_SUFFIX = re.compile(
    r'_(nm|norm|normal|sm|spec|gm|glow|gloss|h|hm|height|bump|bm)$')
# Folders of materials; the others hold alien-base and sci-fi panels
# (tex_alienb, tex_base, tex_ufo, tex_tech), screens (tex_anim), posters and
# paintings (tex_pics), lamps (tex_lights) and objects (tex_doors,
# tex_furniture, tex_shop, tex_vehicles, tex_common).
_MATERIAL_FOLDERS = frozenset({
    'tex_buildings', 'tex_buildings_snow', 'tex_ctp1', 'tex_dirt',
    'tex_material', 'tex_mattn', 'tex_misc', 'tex_nature', 'tex_streets',
    'tex_terrain', 'tex_trak',
})
# tex_misc is mostly objects and signs; these of it are material surfaces
# (wooden crates, corrugated containers, straw, laminate, pipes).
_MISC_MATERIALS = re.compile(
    r'^(box\d|container|crate|laminate|straw|grate_rusty|pipes)')
# Names of drawn, rendered or object textures in the material folders, each
# looked at: doors, windows, signs, posters, stripes, furniture; painted road
# tiles (2ln*, park1*, base*), paths painted on grass (*_way_*), water, the
# sci-fi panels of tex_trak and tex_buildings (9*, wall_ind*), drawn facades.
_NOT_PHOTO = re.compile(
    r'door|window|^art\d|^jap|stripe|light|sign|screen|poster|newspaper'
    r'|notes|clock|^fan|automat|^bar\d|kitchen|wash|locker|table|chest|couch'
    r'|wardrobe|clothes|circle|tire|tool|tree|ladder|jailbars|fence'
    r'|misc_|proto_|egypt|minigolf|exit|display|phone|curtain|^ind05|trim'
    r'|shelf|book|pic|map|logo|text|font|glass|^9|^2ln|^base|^park1|^dummy$'
    r'|^water|_way_|^warning|^wall007|^wall_ind|^trisec|^vertpanel'
    r'|^wall\d[a-e]$|^crate1e$|^grate1a$|^pipez|^tile5e$|^wall1e$|^wall7a$')
# Flat, nearly single-colour textures (grey-level deviation under 3 of 255,
# or a plain colour), measured once: no detail to learn from.
_FLAT = frozenset({
    'tex_buildings/floor003', 'tex_buildings/floor024',
    'tex_buildings/mtl_gray', 'tex_ctp1/concrete_b_1',
    'tex_ctp1/concrete_b_2', 'tex_ctp1/concrete_r_1', 'tex_ctp1/concrete_r_4',
    'tex_ctp1/concrete_y_1', 'tex_ctp1/metal_g_2', 'tex_ctp1/wall_b_1',
    'tex_ctp1/wall_y_1', 'tex_ctp1/wallpaper_b_1', 'tex_ctp1/wallpaper_bl_1',
    'tex_material/metal012', 'tex_material/metall016',
    'tex_material/shell001', 'tex_mattn/wall002', 'tex_mattn/wall032',
    'tex_mattn/wood007a', 'tex_mattn/wood007b',
})


def find(root: str) -> list[SourceFile]:
  """The photographic material textures below `root`, sorted by name.

  Reads only the zip's directory and each candidate's image header.
  """
  pk3 = os.path.join(root, _PK3)
  stanzas = dep5.package_copyright(root, PACKAGE, _PK3)
  if stanzas is None:
    return []
  found = {}
  with zipfile.ZipFile(pk3) as archive:
    for member in archive.namelist():
      name = texture_name(member)
      if name is None or name in found:
        continue
      stanza = dep5.lookup(stanzas, f'{_SOURCE_DIR}/{member}')
      if stanza is None or dep5.spdx(stanza.licence) not in FREE_LICENCES:
        continue
      with archive.open(member) as f:
        if not _is_opaque_picture(f):
          continue
      found[name] = SourceFile(
          name=name,
          package=f'{PACKAGE} (Debian)',
          origin=f'{_PK3}:{member}',
          author='; '.join(stanza.holders),
          licence=dep5.spdx(stanza.licence),
          kind='texture',
          read=zip_reader(pk3, member))
  return [found[name] for name in sorted(found)]


def texture_name(member: str) -> str | None:
  """The `SourceFile.name` of pk3 member `member`, None to skip it.

  Members are like 'textures/tex_buildings/wall_brick01.png'.
  """
  match = re.fullmatch(r'textures/([^/]+)/([^/]+)\.(png|jpg|jpeg|tga)',
                       member, re.IGNORECASE)
  if match is None:
    return None
  folder, stem = match.group(1), match.group(2)
  if folder not in _MATERIAL_FOLDERS or f'{folder}/{stem}' in _FLAT:
    return None
  if _MAP_SUFFIX.search(stem) or _NOT_PHOTO.search(stem):
    return None
  if folder == 'tex_misc' and not _MISC_MATERIALS.search(stem):
    return None
  return f'ufoai/{folder}_{stem}'


def _is_opaque_picture(f) -> bool:
  """Whether the image in file `f` is large enough and has no transparency.

  Reads the header only. Textures with an alpha channel or a transparent
  palette colour are cut-outs (fences, bars, decals); grey-level ones are
  masks or detail maps.
  """
  try:
    image = Image.open(f)
  except OSError:
    return False
  if min(image.size) < MIN_SIZE:
    return False
  if image.mode not in ('RGB', 'P'):
    return False
  return 'transparency' not in image.info
