# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""A small reader of machine-readable Debian copyright files (DEP-5).

A package's `usr/share/doc/<pkg>/copyright` names, per group of files, who
holds the copyright and under which licence. `parse` reads its `Files:`
stanzas; `lookup` finds the stanza that applies to one path (the last one
that matches, as the format says); `spdx` spells a licence name the SPDX
way. `parse_text(text, loose=True)` also reads the DEP-5-like credit lists
that some upstreams ship, which list file names without indenting them.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from typing import Mapping, Sequence

# A line that is only a file name or glob ('a/b.webp', 'x*.jpg').
_FILE_NAME = re.compile(r'[\w./*?-]+\.\w+')


@dataclasses.dataclass(frozen=True)
class Stanza:
  """One `Files:` paragraph: its patterns, copyright and licence."""
  files: tuple[str, ...]  # Glob patterns, relative to the source root.
  copyright: str          # The whole field; one holder per line.
  licence: str            # The licence's short name: `License:` first line.
  fields: Mapping[str, str] = dataclasses.field(
      default_factory=dict, compare=False, repr=False)  # All, lower-case keys.

  @property
  def holders(self) -> tuple[str, ...]:
    """The copyright holders, one per line of the `Copyright:` field."""
    return tuple(line for line in self.copyright.splitlines() if line)

  @property
  def comment(self) -> str:
    """The `Comment:` field, '' if none."""
    return self.fields.get('comment', '')

  def matches(self, path: str) -> bool:
    """Whether one of this stanza's patterns matches `path`."""
    path = _clean_path(path)
    literals, globs = self._patterns
    return path in literals or any(g.fullmatch(path) for g in globs)

  def pattern_for(self, path: str) -> str | None:
    """The first of this stanza's patterns that matches `path`, or None."""
    if not self.matches(path):
      return None
    path = _clean_path(path)
    return next(p for p in self.files
                if (_pattern(p).fullmatch(path) if _is_glob(p)
                    else _clean_path(p) == path))

  @functools.cached_property
  def _patterns(self) -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
    """`files` as a set of plain paths and a list of compiled globs.

    Most patterns of long copyright files name single files: a set finds
    them fast, where a regex per pattern would make each lookup slow.
    """
    literals = frozenset(
        _clean_path(p) for p in self.files if not _is_glob(p))
    return literals, tuple(_pattern(p) for p in self.files if _is_glob(p))


def parse_text(text: str, loose: bool = False) -> list[Stanza]:
  """The `Files:` stanzas of a copyright file's text, in file order.

  With `loose`, a line that is only a file name (indented or not) is one
  more `Files:` entry of its paragraph, and a paragraph of such lines
  counts even without a `Files:` field.
  """
  stanzas = []
  for fields in _paragraphs(text, loose):
    if 'files' not in fields:
      continue  # The header, or a stand-alone licence text.
    licence = fields.get('license', '')
    stanzas.append(Stanza(
        files=tuple(fields['files'].split()),
        copyright=fields.get('copyright', ''),
        licence=licence.splitlines()[0].strip() if licence else '',
        fields=fields))
  return stanzas


def parse(path: str) -> list[Stanza]:
  """The `Files:` stanzas of the copyright file at `path`."""
  with open(path, encoding='utf-8', errors='replace') as f:
    return parse_text(f.read())


def lookup_index(stanzas: Sequence[Stanza],
                 path: str) -> tuple[int, str] | None:
  """(index, pattern) of the stanza for `path` (the last that matches) and
  of its first pattern that matches; None if none does."""
  for index in range(len(stanzas) - 1, -1, -1):
    pattern = stanzas[index].pattern_for(path)
    if pattern is not None:
      return index, pattern
  return None


def package_copyright(root: str, package: str, needed: str
                      ) -> list[Stanza] | None:
  """The stanzas of `package`'s copyright file below `root` (extracted with
  dpkg-deb), or None when it or the package's file `needed` is missing."""
  copyright_file = os.path.join(root, 'usr/share/doc', package, 'copyright')
  if not os.path.exists(os.path.join(root, needed)) or not os.path.isfile(
      copyright_file):
    return None
  return parse(copyright_file)


def lookup(stanzas: Sequence[Stanza], path: str) -> Stanza | None:
  """The stanza that applies to `path`: the last one matching it."""
  found = lookup_index(stanzas, path)
  return None if found is None else stanzas[found[0]]


# Licence names, lower-case, that no rule of `spdx` spells right.
_SPDX = {
    'public-domain': 'public domain',
    'public domain': 'public domain',
    'pd': 'public domain',
    'expat': 'MIT',
    'mit/expat': 'MIT',
    'bsd-2-clause': 'BSD-2-Clause',
    'bsd-3-clause': 'BSD-3-Clause',
}


def spdx(licence: str) -> str:
  """`licence` as an SPDX-like identifier; unknown names are kept.

  'GPL-3+' and 'GPLv3 or later' -> 'GPL-3.0-or-later', 'CC-BY-SA 4.0' ->
  'CC-BY-SA-4.0', 'Expat' -> 'MIT', 'public-domain' -> 'public domain';
  'a and b' -> 'A AND B', 'a or b' -> 'A OR B'.
  """
  text = ' '.join(licence.split())
  for word, joiner in ((r' and ', ' AND '), (r' or (?!later\b)', ' OR ')):
    parts = re.split(word, text, flags=re.IGNORECASE)
    if len(parts) > 1:
      return joiner.join(spdx(p) for p in parts)
  low = text.lower()
  if low in _SPDX:
    return _SPDX[low]
  if re.fullmatch(r'cc0(?:[- ]?1\.0)?', low):
    return 'CC0-1.0'
  m = re.fullmatch(r'cc[- ]?by(?:[- ](sa))?[- ]?(\d(?:\.\d)?)', low)
  if m:
    version = m.group(2) if '.' in m.group(2) else m.group(2) + '.0'
    return f"CC-BY{'-SA' if m.group(1) else ''}-{version}"
  m = re.fullmatch(r'(l?gpl)[- ]?v?(\d)(?:\.(\d))?(\+| or later)?', low)
  if m:
    suffix = 'or-later' if m.group(4) else 'only'
    return f'{m.group(1).upper()}-{m.group(2)}.{m.group(3) or 0}-{suffix}'
  return text


def _paragraphs(text: str, loose: bool = False) -> list[dict[str, str]]:
  """Each paragraph's fields: lower-case name -> value, lines joined.

  A field given twice continues on a new line. With `loose`, lines that
  are only a file name are added to the `files` field.
  """
  paragraphs, fields, name = [], {}, None
  for line in text.splitlines() + ['']:
    bare = line.strip()
    if not bare:
      if fields:
        paragraphs.append(fields)
      fields, name = {}, None
    elif line.startswith('#'):
      continue
    elif line[0] not in ' \t' and ':' in line:
      name, value = line.split(':', 1)
      name = name.strip().lower()
      fields[name] = _join(fields.get(name, ''), value.strip())
    elif loose and _FILE_NAME.fullmatch(bare):
      fields['files'] = _join(fields.get('files', ''), bare)
    elif line[0] in ' \t' and name is not None:
      # A lone '.' marks an empty line inside a long field.
      fields[name] = _join(fields[name], '' if bare == '.' else bare)
    # Other lines are malformed; the format has none, so they are skipped.
  return paragraphs


def _join(value: str, line: str) -> str:
  """`value` continued by `line` on a new line ('' stays empty at first)."""
  return (value + '\n' + line).lstrip('\n')


def _clean_path(path: str) -> str:
  """`path` without a leading './' or '/'."""
  while path.startswith('./'):
    path = path[2:]
  return path.lstrip('/')


def _is_glob(pattern: str) -> bool:
  """Whether `pattern` has a wildcard or an escape."""
  return any(c in pattern for c in '*?\\')


@functools.lru_cache(maxsize=4096)
def _pattern(glob: str) -> re.Pattern[str]:
  """A DEP-5 glob as a regex: `*` and `?` match any characters, '/' too."""
  out, i = [], 0
  glob = _clean_path(glob)
  while i < len(glob):
    c = glob[i]
    if c == '\\' and i + 1 < len(glob):
      out.append(re.escape(glob[i + 1]))
      i += 2
      continue
    out.append('.*' if c == '*' else '.' if c == '?' else re.escape(c))
    i += 1
  return re.compile(''.join(out), re.DOTALL)
