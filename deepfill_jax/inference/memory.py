# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Peak memory of an inpainting run, estimated before any work.

`check` refuses a run at once, in one line with the estimate and the limit,
when it exceeds the pixel limit (`DEFAULT_MAX_PIXELS`, `max_pixels=` /
`--max_pixels`; 0 turns it off) or the memory free on the device. The
estimate follows the hole-aware forward and was calibrated on XLA's memory
analysis; `estimate_seconds` gives a rough CPU run time from the same
activations. Formula and measurements: docs/inference.md ("Command
line", Memory).
"""

from __future__ import annotations

import os
from typing import Sequence

import jax

from deepfill_jax.models.generator import GRID

# Largest image (H * W) inpainted at once unless told otherwise: a 40
# megapixel pass, about 9 GB at cnum 32. Two-scale inference runs a pass at
# twice the size, so it accepts images of a quarter of that (10 megapixels).
# `--context` inpaints larger photos by windows around the holes.
DEFAULT_MAX_PIXELS = 40_000_000
# Seconds of a compiled forward per GB of `estimate_bytes` on a 2-core CPU
# (the shipped model, one pass, 0.2-3 megapixels, holes of 64-256 px: 12-28
# s/GB measured on a busy machine): a rough guide, not a promise.
CPU_SECONDS_PER_GB = 20.
# Share of the free memory a run may plan to fill.
MEMORY_FRACTION = 0.8
# The dense attention keeps about this many [L, L] float32 tensors alive.
_DENSE_COPIES = 4
_GB = 1e9


def available_memory() -> int | None:
  """Bytes free for a computation on the default device, if known."""
  stats = jax.devices()[0].memory_stats()
  if stats and 'bytes_limit' in stats:
    return int(stats['bytes_limit'] - stats.get('bytes_in_use', 0))
  try:  # CPU: the host's available memory (Linux).
    with open('/proc/meminfo') as f:
      for line in f:
        if line.startswith('MemAvailable:'):
          return int(line.split()[1]) * 1024
  except (OSError, ValueError, IndexError):
    pass
  return None


class MemoryLimitError(ValueError):
  """The run would need more memory (or pixels) than allowed."""


def dense_attention_bytes(hw: Sequence[int]) -> int:
  """Memory one image's dense attention needs: its [L, L] float32 scores
  (L = H/8 * W/8, H and W padded to multiples of `GRID`) live in about
  `_DENSE_COPIES` copies."""
  n = (-(-int(hw[0]) // GRID)) * (-(-int(hw[1]) // GRID))
  return _DENSE_COPIES * 4 * n * n


def estimate_bytes(hw: Sequence[int], *, cnum: int, batch: int = 1,
                   window_hw: Sequence[int] | None = None,
                   dense_attention_bytes: int = 0) -> int:
  """Peak bytes of inpainting `batch` images of (padded) size `hw`.

  Args:
    hw: (H, W) of the network input.
    cnum: the generator's width.
    batch: images run together.
    window_hw: the largest full-resolution window around the holes (default:
      the whole image, an upper bound).
    dense_attention_bytes: per image, for `attention='dense'`.
  """
  image_px = int(hw[0]) * int(hw[1])
  window = window_hw if window_hw is not None else hw
  window_px = min(int(window[0]) * int(window[1]), image_px)
  per_image = image_px * (4 + 7 * cnum) + window_px * 6 * cnum
  return batch * (per_image + dense_attention_bytes)


def estimate_seconds(need: int) -> float | None:
  """Rough seconds of a compiled forward whose `estimate_bytes` is `need`,
  on this machine's CPU cores; None on an accelerator (not measured)."""
  if jax.default_backend() != 'cpu':
    return None
  try:
    cores = len(os.sched_getaffinity(0))
  except AttributeError:  # Not Linux.
    cores = os.cpu_count() or 2
  return need / _GB * CPU_SECONDS_PER_GB * 2 / max(1, min(cores, 16))


def _megapixels(hw: Sequence[int]) -> str:
  return (f'{int(hw[1])}x{int(hw[0])} = '
          f'{int(hw[0]) * int(hw[1]) / 1e6:.1f} megapixels')


def check(hw: Sequence[int], need: int, *, max_pixels: int | None,
          free: int | None, name: str = 'image',
          image_hw: Sequence[int] | None = None) -> None:
  """Refuses a run of estimated `need` bytes over an image of size `hw`.

  Args:
    hw: (H, W) the network would see at once.
    need: `estimate_bytes` of the run.
    max_pixels: pixel limit (None or 0: none).
    free: bytes free on the device (None: unknown, not checked).
    name: the image, for the message.
    image_hw: the image's own (H, W) when `hw` is the size of its two-scale
      inference's 2x pass (None: `hw` is the image's).

  Raises:
    MemoryLimitError: one line with the image's size, the estimate, the
      limit exceeded and the settings that would fit.
  """
  hgt, wid = int(hw[0]), int(hw[1])
  gb = f'about {need / _GB:.1f} GB'
  if image_hw is None:
    what = f'{name} of {_megapixels(hw)} needs {gb} to inpaint'
  else:
    what = (f'{name} of {_megapixels(image_hw)}: two-scale inference runs a '
            f'pass at {_megapixels(hw)}, which needs {gb}')
  one_pass = ('' if image_hw is None else
              'run one pass (--two_scale=0 / two_scale=0), ')
  window = ('inpaint only a window around each hole (--context / '
            'Inpainter(context=...))')
  if max_pixels and hgt * wid > max_pixels:
    raise MemoryLimitError(
        f'{what}, above the limit of {max_pixels:,} pixels (--max_pixels / '
        f'max_pixels=); to fit, {one_pass}{window}, or raise the limit to '
        f'{hgt * wid:,} pixels.')
  if free is not None and need > free * MEMORY_FRACTION:
    raise MemoryLimitError(
        f'{what}, and {free / _GB:.1f} GB are free; inpaint a smaller image, '
        f'{one_pass}or {window}.')
