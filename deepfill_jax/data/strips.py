# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Image strips for people: inputs with the hole painted white, results and
attention flows side by side.

A training strip is one row per image: real | input | coarse | refined |
composite | flow (`training_strip`); a demo strip one photo's input | result
| flow (`demo_strip`).
"""

from __future__ import annotations

import numpy as np

from deepfill_jax.data import pixels
from deepfill_jax.models import flow as flow_lib
from deepfill_jax.models import flow_to_image


def hole_white(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
  """The input as the model sees it: uint8 [..., H, W, 3] with the hole
  (bool [..., H, W]) painted white."""
  return np.where(hole[..., None], np.uint8(255), image)


def training_strip(views: dict[str, np.ndarray],
                   flow_upsampling: str = 'nearest') -> np.ndarray:
  """Rows of [real | input with hole | coarse | refined | composite | flow]
  from a training evaluation's `views` ([-1, 1] images, masks, offsets);
  the flow enlarged as the generator's `flow_upsampling` says."""
  image = pixels.to_uint8_host(views['image'])
  shown = hole_white(image, views['mask'][..., 0] > 0.5)
  flow = np.asarray(flow_to_image(views['offsets']))
  flow = flow_lib.enlarge(flow, image.shape[1] // flow.shape[1],
                          flow_upsampling)
  cols = [image, shown, *(pixels.to_uint8_host(views[k])
                           for k in ('coarse', 'refined', 'complete')), flow]
  return np.concatenate(cols, axis=2).reshape(
      -1, image.shape[2] * len(cols), 3)


def demo_strip(image: np.ndarray, hole: np.ndarray, result: np.ndarray,
               flow: np.ndarray) -> np.ndarray:
  """[input with the hole in white | result | flow], side by side."""
  return np.concatenate([hole_white(image, hole), result, flow], axis=1)
