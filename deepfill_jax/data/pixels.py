# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Pixel conventions and the strips that show them, in one place.

The networks see float images in [-1, 1]; files and people see uint8. An
input shown to a person has its hole painted white, as the model sees it.
A strip puts the stages of a fill side by side, one row per image:
real | input | coarse | refined | composite | flow.

Padding: the generator takes H and W that are multiples of `GRID` (8); any
other image is padded at the bottom/right by reflection, and its mask (and
sketch) with it, so padded pixels that mirror known pixels are known context
and those that mirror hole pixels are holes (hole content never leaks into
the context). The output is cropped back.
"""

from __future__ import annotations

from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from deepfill_jax.models import flow as flow_lib
from deepfill_jax.models import flow_to_image
from deepfill_jax.models.generator import GRID


def to_unit(image: Any) -> Any:
  """uint8 [0, 255] -> float32 [-1, 1] (NumPy or JAX arrays)."""
  return image.astype(np.float32) / 127.5 - 1.


def to_uint8(y: jax.Array) -> jax.Array:
  """[-1, 1] -> uint8 by rounding (y + 1) * 127.5 (the original truncates);
  in the jitted graph, computed in float32."""
  return jnp.clip(jnp.round((y.astype(jnp.float32) + 1.) * 127.5),
                  0, 255).astype(jnp.uint8)


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


def hole_white(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
  """The input as the model sees it: uint8 [..., H, W, 3] with the hole
  (bool [..., H, W]) painted white."""
  return np.where(hole[..., None], np.uint8(255), image)


def training_strip(views: dict[str, np.ndarray],
                   flow_upsampling: str = 'nearest') -> np.ndarray:
  """Rows of [real | input with hole | coarse | refined | composite | flow]
  from a training evaluation's `views` ([-1, 1] images, masks, offsets);
  the flow enlarged as the generator's `flow_upsampling` says."""
  image = to_uint8_host(views['image'])
  shown = hole_white(image, views['mask'][..., 0] > 0.5)
  flow = np.asarray(flow_to_image(views['offsets']))
  flow = flow_lib.enlarge(flow, image.shape[1] // flow.shape[1],
                          flow_upsampling)
  cols = [image, shown, to_uint8_host(views['coarse']),
          to_uint8_host(views['refined']), to_uint8_host(views['complete']),
          flow]
  return np.concatenate(cols, axis=2).reshape(
      -1, image.shape[2] * len(cols), 3)


def demo_strip(image: np.ndarray, hole: np.ndarray, result: np.ndarray,
               flow: np.ndarray) -> np.ndarray:
  """[input with the hole in white | result | flow], side by side."""
  return np.concatenate([hole_white(image, hole), result, flow], axis=1)
