# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The full-size report's files: results.json, results.md (`markdown`) and
one sheet of 100% crops around the hole per case (`write_report`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from deepfill_jax.evaluation import full_size
from deepfill_jax.evaluation import report

_MAX_FAILURES = 20  # Failures listed in results.md.


def _fmt(value: float | None, digits: int = 2) -> str:
  return '-' if value is None else f'{value:.{digits}f}'


def markdown(results: dict[str, Any], title: str = 'Full-size evaluation'
             ) -> str:
  """results.md: a table per case, the models' load and first-call times,
  and per photo the hole L1 and seconds of each method."""
  photos, methods = results['photos'], list(results['methods'])
  mps = [p['megapixels'] for p in photos] or [0.]
  lines = [
      f'# {title}', '',
      f'{len(photos)} photos from `{results["settings"]["images"]}` at full '
      f'size ({min(mps):.1f}-{max(mps):.1f} MP, mean {np.mean(mps):.1f}), '
      f'seed {results["settings"]["seed"]}; {results["summary"]["skipped"]} '
      'skipped. Hole L1 (% of 255) and PSNR over the hole pixels; SSIM of the '
      'whole image and of the hole\'s bounding box '
      f'(+{full_size.SSIM_MARGIN} px). '
      'Each method ran on each photo in its own process: seconds are one '
      'call per case (models after a warm-up call per case, so compilation '
      'is excluded); peak MiB is that process\'s peak resident memory over '
      'all its cases (host memory), mean over the photos.']
  lines += [f'Note: {n}' for n in results['notes']]
  headers = ('Method', 'hole L1 (%) ↓', 'hole PSNR (dB) ↑', 'SSIM ↑',
             'SSIM hole box ↑', 'mean s', 'peak MiB')
  for case, by_method in results['means'].items():
    lines += ['', f'## {case}: {full_size.CASE_TITLES[case]}', '',
              f'Mean hole {100 * (by_method["_hole_fraction"] or 0):.1f}% '
              'of the image.', '', '| ' + ' | '.join(headers) + ' |',
              '|---' * len(headers) + '|']
    for m in methods:
      row = by_method[m]
      failed = f' (failed on {row["failed"]})' if row['failed'] else ''
      lines.append(
          f'| {results["methods"][m]}{failed} | {_fmt(row["hole_l1"])} | '
          f'{_fmt(row["hole_psnr"])} | {_fmt(row["ssim"], 4)} | '
          f'{_fmt(row["ssim_box"], 4)} | {_fmt(row["seconds"], 3)} | '
          f'{_fmt(row["peak_rss_mb"], 0)} |')
  models = [m for m in methods if m in full_size.MODEL_VARIANTS]
  if models:
    lines += ['', '## Models: loading and first call', '',
              'Per photo, means: the first call includes compilation (or '
              'its load from the persistent compilation cache); base MiB is '
              'the memory after imports, loading and the photo; device peak '
              'is the accelerator\'s, where it reports one.', '',
              '| Method | two_scale | load s | first call s | base MiB | '
              'peak MiB | device peak MiB |', '|---' * 7 + '|']
    for m in models:
      runs = [p['runs'][m] for p in photos]
      two = sorted({r['two_scale'] for r in runs if r['two_scale'] is not None})
      lines.append(f'| {m} | {", ".join(map(str, two)) or "-"} | ' + ' | '.join(
          _fmt(full_size.mean_of([r[k] for r in runs]), d) for k, d in (
              ('load_s', 2), ('first_call_s', 2), ('base_rss_mb', 0),
              ('peak_rss_mb', 0), ('device_peak_mb', 0))) + ' |')
  failures = [f'* {p["image"]} ({case}), {m}: {r["error"]}'
              for p in photos for case, entry in p['cases'].items()
              for m, r in entry['results'].items() if 'error' in r]
  if failures:
    lines += ['', '## Failures', ''] + failures[:_MAX_FAILURES] + (
        [f'* ... and {len(failures) - _MAX_FAILURES} more (results.json).']
        if len(failures) > _MAX_FAILURES else [])
  lines += ['', '## Per photo (hole L1 % / seconds)', '',
            '| Photo | MP | Case | ' + ' | '.join(methods) + ' |',
            '|---' * (len(methods) + 3) + '|']
  for p in photos:
    for case, entry in p['cases'].items():
      cells = [('failed' if 'error' in r else
                f'{r["hole_l1"]:.2f} / {r["seconds"]:.2f}')
               for r in (entry['results'][m] for m in methods)]
      lines.append(f'| {p["image"]} | {p["megapixels"]:.1f} | {case} | '
                   + ' | '.join(cells) + ' |')
  return '\n'.join(lines) + '\n'


def write_report(results: dict[str, Any], output: str,
                 title: str = 'Full-size evaluation') -> list[str]:
  """Writes results.json, results.md and crops_<case>.png into `output`
  (`report.write_files`); returns the written paths."""
  columns = ['input'] + list(results['methods']) + ['original']
  return report.write_files(output, results, markdown(results, title), {
      f'crops_{case}.png': report.contact_sheet(
          rows, columns, max(max(t.shape[:2]) for row in rows for t in row))
      for case, rows in results['_crops'].items()})
