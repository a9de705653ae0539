# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Pixel conventions, in one place (the strips that show them: `strips`).

Networks see floats in [-1, 1]; files and people see uint8. Images whose
H, W are not multiples of `GRID` (8) are padded bottom/right by reflection
with their mask (and sketch), so hole content never leaks into the context;
outputs are cropped back. See docs/inference.md ("Padding").
"""

from __future__ import annotations

from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from deepfill_jax.models.generator import GRID


def to_unit(image: Any) -> Any:
  """uint8 [0, 255] -> float32 [-1, 1] (NumPy or JAX arrays)."""
  return image.astype(np.float32) / 127.5 - 1.


def from_unit(y: jax.Array) -> jax.Array:
  """[-1, 1] -> float32 [0, 255] (not rounded: for work before `round_uint8`)."""
  return (y.astype(jnp.float32) + 1.) * 127.5


def round_uint8(x: jax.Array) -> jax.Array:
  """float [0, 255] -> uint8, rounded and clipped."""
  return jnp.clip(jnp.round(x), 0, 255).astype(jnp.uint8)


def to_uint8(y: jax.Array) -> jax.Array:
  """[-1, 1] -> uint8 by rounding (y + 1) * 127.5 (the original truncates);
  in the jitted graph, computed in float32."""
  return round_uint8(from_unit(y))


def to_uint8_host(x: np.ndarray) -> np.ndarray:
  """`to_uint8` on the host, in `x`'s own dtype."""
  return np.clip(np.rint((x + 1.) * 127.5), 0, 255).astype(np.uint8)


def padded_size(hw: Sequence[int]) -> tuple[int, int]:
  """(H, W) rounded up to multiples of `GRID`."""
  return tuple(-(-n // GRID) * GRID for n in hw)


def reflect_pad(x: np.ndarray, hw: Sequence[int]) -> np.ndarray:
  """Pads the first two axes at the bottom/right to `hw` by reflection."""
  pad = [(0, hw[0] - x.shape[0]), (0, hw[1] - x.shape[1])]
  pad += [(0, 0)] * (x.ndim - 2)
  # 'symmetric' for 1-pixel-wide images, where reflection is undefined.
  mode = 'reflect' if min(x.shape[:2]) > 1 else 'symmetric'
  return np.pad(x, pad, mode=mode)


def pad_stack(arrays: Sequence[np.ndarray], hw: Sequence[int]) -> np.ndarray:
  """Arrays [H, W, ...] of size `hw` (images, masks, sketches), each padded
  to `padded_size(hw)` by `reflect_pad`, stacked along a new first axis."""
  return np.stack([reflect_pad(a, padded_size(hw)) for a in arrays])
