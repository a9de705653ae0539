# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Colour-wheel rendering of the attention offsets (docs/spec.md §2.3).

The Middlebury optical-flow colour wheel with 55 colours, evaluated in float64
with the original's arithmetic so pixels match it exactly. Differences from the
original: each image is normalised by its own maximum radius (the original
keeps a running maximum across the batch, which agrees for batch 1), and
`flow_to_image` does not upsample: callers enlarge the pictures with
`enlarge`, nearest for v1 and bilinear for v2 as the originals.
"""

from __future__ import annotations

import functools

import numpy as np

# Segment lengths of the wheel: red-yellow, yellow-green, green-cyan,
# cyan-blue, blue-magenta, magenta-red.
_SEGMENTS = (15, 6, 4, 11, 13, 6)


@functools.lru_cache(maxsize=None)
def color_wheel() -> np.ndarray:
  """The [55, 3] float64 wheel, channel values in [0, 255]."""
  rows = []
  # (channel held at 255, channel that ramps, ramp up (True) or down).
  plan = ((0, 1, True), (1, 0, False), (1, 2, True),
          (2, 1, False), (2, 0, True), (0, 2, False))
  for n, (full, ramp, up) in zip(_SEGMENTS, plan):
    seg = np.zeros((n, 3))
    seg[:, full] = 255.
    r = np.floor(255. * np.arange(n) / n)
    seg[:, ramp] = r if up else 255. - r
    rows.append(seg)
  wheel = np.concatenate(rows)
  wheel.setflags(write=False)
  return wheel


def _colorize(u: np.ndarray, v: np.ndarray) -> np.ndarray:
  """Normalised displacement (u = rows, v = cols) -> uint8 [h, w, 3]."""
  nan = np.isnan(u) | np.isnan(v)
  u = np.where(nan, 0., u)
  v = np.where(nan, 0., v)
  wheel = color_wheel()
  ncols = wheel.shape[0]
  rad = np.sqrt(u ** 2 + v ** 2)
  a = np.arctan2(-v, -u) / np.pi
  # 1-based position on the wheel, as the original computes it (the float
  # rounding of `frac` then matches it bit for bit).
  fk = (a + 1.) / 2. * (ncols - 1) + 1.
  k0 = np.floor(fk).astype(np.int64)
  k1 = k0 + 1
  k1[k1 == ncols + 1] = 1
  frac = (fk - k0)[..., None]
  col = (1. - frac) * (wheel[k0 - 1] / 255.) + frac * (wheel[k1 - 1] / 255.)
  inside = (rad <= 1.)[..., None]
  col = np.where(inside, 1. - rad[..., None] * (1. - col), col * 0.75)
  return np.floor(255. * col * (1. - nan[..., None])).astype(np.uint8)


def flow_to_image(offsets) -> np.ndarray:
  """Renders attention offsets as colours; white means "attends to itself".

  Args:
    offsets: [B, h, w, 2] (row, col) displacements (any real dtype; NumPy or
      JAX array), e.g. the `offsets` returned by the generator.

  Returns:
    uint8 [B, h, w, 3] RGB images, each normalised by its own maximum radius.
  """
  offsets = np.asarray(offsets, dtype=np.float64)
  if offsets.ndim != 4 or offsets.shape[-1] != 2:
    raise ValueError(f'flow_to_image: expected [B, h, w, 2], got {offsets.shape}')
  images = []
  for flow in offsets:
    u, v = flow[..., 0].copy(), flow[..., 1].copy()
    unknown = (np.abs(u) > 1e7) | (np.abs(v) > 1e7)
    u[unknown] = 0.
    v[unknown] = 0.
    maxrad = max(-1., float(np.max(np.sqrt(u ** 2 + v ** 2))))
    eps = np.finfo(float).eps
    images.append(_colorize(u / (maxrad + eps), v / (maxrad + eps)))
  return np.stack(images)


FLOW_UPSAMPLING = ('nearest', 'bilinear')


def _bilinear_axis(x: np.ndarray, out: int, axis: int) -> np.ndarray:
  """Bilinear resize of one axis with align_corners=True (TF1 legacy)."""
  n = x.shape[axis]
  pos = np.arange(out) * ((n - 1) / (out - 1) if out > 1 else 0.)
  lo = np.floor(pos).astype(np.int64)
  hi = np.minimum(lo + 1, n - 1)
  shape = [1] * x.ndim
  shape[axis] = out
  frac = (pos - lo).reshape(shape)
  return (np.take(x, lo, axis=axis) * (1. - frac)
          + np.take(x, hi, axis=axis) * frac)


def enlarge(images: np.ndarray, factor: int, method: str = 'nearest'
            ) -> np.ndarray:
  """Flow pictures [B, h, w, 3] uint8 -> [B, h*factor, w*factor, 3] uint8.

  'nearest' (v1): each offset a factor x factor block. 'bilinear' (v2): the
  original's two align_corners bilinear resizes, x2 to the attention's
  feature resolution and then to the image, rounded to uint8 at the end.
  """
  if method not in FLOW_UPSAMPLING:
    raise ValueError(f'flow upsampling must be one of {FLOW_UPSAMPLING}, got '
                     f'{method!r}.')
  if method == 'nearest':
    return np.repeat(np.repeat(images, factor, 1), factor, 2)
  x = np.asarray(images, np.float64)
  _, h, w, _ = x.shape
  steps = (2, factor // 2) if factor % 2 == 0 and factor > 2 else (factor,)
  for step in steps:
    h, w = h * step, w * step
    x = _bilinear_axis(_bilinear_axis(x, h, 1), w, 2)
  return np.clip(np.rint(x), 0, 255).astype(np.uint8)
