# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""BGR folding: the originals consume and produce BGR; our weights are RGB.

Reversing the image channels of a checkpoint's input and output layers makes
an RGB generator compute what the BGR one did (see docs/checkpoints.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np

# Layers whose first 3 input channels are the image, and whose 3 output
# channels are the image, in the original's BGR order.
BGR_INPUT_LAYERS = ('conv1', 'xconv1', 'pmconv1')
BGR_OUTPUT_LAYERS = ('conv17', 'allconv17')

Params = dict[str, Any]  # A pure nested dict of arrays, as nnx.to_pure_dict.


def _flip_in(kernel: np.ndarray) -> np.ndarray:
  """Reverses the first 3 input channels of an HWIO kernel (BGR <-> RGB)."""
  kernel = np.array(kernel, copy=True)
  kernel[:, :, :3] = kernel[:, :, 2::-1]
  return kernel


def fold_bgr(params: Params) -> Params:
  """BGR weights -> RGB weights for the generator (a pure dict; copied).

  Folding is an involution: applying it twice gives the input back.
  """
  out = {k: dict(v) for k, v in params.items()}
  for name in BGR_INPUT_LAYERS:
    if name in out:  # No pmconv1 in a generator without attention.
      out[name]['kernel'] = _flip_in(out[name]['kernel'])
  for name in BGR_OUTPUT_LAYERS:
    out[name]['kernel'] = np.array(out[name]['kernel'])[..., ::-1].copy()
    out[name]['bias'] = np.array(out[name]['bias'])[::-1].copy()
  return out


def fold_bgr_critics(critics: dict[str, Params]) -> dict[str, Params]:
  """BGR -> RGB for both critics: their `conv1` reads the image (and, for a
  4-channel global critic, the mask as channel 3, which stays)."""
  out = {c: {k: dict(v) for k, v in p.items()} for c, p in critics.items()}
  for params in out.values():
    params['conv1']['kernel'] = _flip_in(params['conv1']['kernel'])
  return out

