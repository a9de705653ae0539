# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The evaluation report: results.json, results.md and contact sheets."""

from __future__ import annotations

import json
import os
from typing import Any, Sequence

import numpy as np
from PIL import Image
from PIL import ImageDraw
from PIL import ImageFont

from deepfill_jax.utils import files
from deepfill_jax.data import image_io

_HEADERS = {'l1': 'L1 (%) ↓', 'l2': 'L2 (%) ↓', 'psnr': 'PSNR (dB) ↑',
            'tv': 'TV (%)', 'hole_l1': 'hole L1 (%) ↓',
            'hole_psnr': 'hole PSNR (dB) ↑', 'ssim': 'SSIM ↑'}


def _cell(name: str, value: float) -> str:
  return f'{value:.4f}' if name == 'ssim' else f'{value:.2f}'


def markdown(results: dict[str, Any], title: str = 'Evaluation') -> str:
  """The Markdown report: a table per mask type and its hole-area bins."""
  s, summary = results['settings'], results['summary']
  names = results['metrics']
  size = f'{s["size"]}x{s["size"]} centre crops' if s['size'] else 'full size'
  lines = [f'# {title}', '',
           f'{summary["evaluated"]} (image, mask) pairs from `{s["images"]}` '
           f'({size}, seed {s["seed"]}); {summary["skipped"]} skipped. '
           'Metrics are per-image means; definitions in docs/evaluation.md.']
  if s.get('two_scale'):
    lines[-1] += (f' DeepFill ran with two-scale inference (two_scale='
                  f'{s["two_scale"]}: the rim of each hole from a 2x pass).')
  if s.get('blend'):
    lines[-1] += (' Its fill was blended (blend=True: shifted to meet the '
                  "hole's border, thin holes filled by a membrane).")
  lines += [f'Note: {n}' for n in results['notes']]
  for label, res in results['results'].items():
    lines += ['', f'## Masks: {label}', '']
    if not res['count']:
      lines.append('No image could be evaluated.')
      continue
    lines.append(f'{res["count"]} images, mean hole '
                 f'{100 * res["mean_hole_fraction"]:.1f}% of the image; TV of '
                 f'the ground truth: {res["target_tv"]:.2f}%.')
    lines += ['', '| Method | ' + ' | '.join(_HEADERS[n] for n in names)
              + ' |', '|---' * (len(names) + 1) + '|']
    for method, row in res['mean'].items():
      lines.append(f'| {results["methods"][method]} | '
                   + ' | '.join(_cell(n, row[n]) for n in names) + ' |')
    methods = list(results['methods'])
    lines += ['', 'By hole area (L1 % / PSNR dB):', '',
              '| Hole area | Images | ' + ' | '.join(methods) + ' |',
              '|---' * (len(methods) + 2) + '|']
    for entry in res['bins']:
      if entry['count']:
        lines.append(f'| {entry["bin"]} | {entry["count"]} | ' + ' | '.join(
            f'{entry["mean"][m]["l1"]:.2f} / {entry["mean"][m]["psnr"]:.2f}'
            for m in methods) + ' |')
    if 'edge_bands' in res:
      lines += ['', "By distance from the hole's edge (L1 % over the hole "
                'pixels that far from the nearest known pixel, all images '
                'pooled):', '',
                '| Distance | Pixels | ' + ' | '.join(methods) + ' |',
                '|---' * (len(methods) + 2) + '|']
      for band in res['edge_bands']:
        if band['pixels']:
          lines.append(f'| {band["band"]} | {band["pixels"]} | ' + ' | '.join(
              f'{band["l1"][m]:.2f}' for m in methods) + ' |')
  return '\n'.join(lines) + '\n'


def contact_sheet(rows: list[list[np.ndarray]], columns: Sequence[str],
                  cell: int = 256, gap: int = 4) -> np.ndarray:
  """A grid of images (each fitted into `cell` px) under column labels."""
  font = ImageFont.load_default()
  header = 16
  sheet = Image.new('RGB', (len(columns) * (cell + gap) - gap,
                            header + len(rows) * (cell + gap) - gap),
                    (255, 255, 255))
  draw = ImageDraw.Draw(sheet)
  for c, name in enumerate(columns):
    draw.text((c * (cell + gap) + 2, 2), name, fill=(0, 0, 0), font=font)
  for r, row in enumerate(rows):
    for c, tile in enumerate(row):
      img = Image.fromarray(tile)
      img.thumbnail((cell, cell), Image.Resampling.BICUBIC)
      sheet.paste(img, (c * (cell + gap) + (cell - img.width) // 2,
                        header + r * (cell + gap) + (cell - img.height) // 2))
  return np.asarray(sheet)


def write_files(output: str, results: dict[str, Any], text: str,
                sheets: dict[str, np.ndarray]) -> list[str]:
  """Writes results.json (without the private '_' keys), results.md
  (`text`) and each sheet (file name -> image) into `output`.

  Returns:
    The written paths.

  Raises:
    ValueError: a file cannot be written (one line).
  """
  try:
    os.makedirs(output, exist_ok=True)
    written = [os.path.join(output, 'results.json'),
               os.path.join(output, 'results.md')]
    data = {k: v for k, v in results.items() if not k.startswith('_')}
    files.write_atomic(written[0], json.dumps(data, indent=1) + '\n')
    files.write_atomic(written[1], text)
    for name, sheet in sheets.items():
      written.append(os.path.join(output, name))
      image_io.save_image(written[-1], sheet)  # Atomic.
  except OSError as e:
    raise ValueError(f'{output}: cannot write the report '
                     f'({e.strerror or e}).') from e
  return written


def write_report(results: dict[str, Any], output: str,
                 title: str = 'Evaluation') -> list[str]:
  """Writes results.json, results.md and contact_<type>.png into `output`
  (`write_files`); returns the written paths."""
  columns = ['input'] + list(results['methods']) + ['ground truth']
  cell = results['settings']['size'] or 256
  return write_files(output, results, markdown(results, title), {
      f'contact_{label}.png': contact_sheet(rows, columns, cell)
      for label, rows in results['_samples'].items()})
