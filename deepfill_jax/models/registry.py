# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The architectures by name (`config.model.name`, checkpoint metadata).

'deepfill_v1' (default): `InpaintGenerator` with the local and global
WGAN-GP critics. 'deepfill_v2': `GatedGenerator` with the SN-PatchGAN
critic (docs/deepfill_v2.md).
"""

from __future__ import annotations

import jax.numpy as jnp
from flax import nnx

from deepfill_jax.models.gated_generator import GatedGenerator
from deepfill_jax.models.generator import InpaintGenerator

DEFAULT = 'deepfill_v1'
GENERATORS = {'deepfill_v1': InpaintGenerator, 'deepfill_v2': GatedGenerator}
MODEL_NAMES = tuple(GENERATORS)


def check_name(name: str) -> str:
  """`name` if it is a known architecture, else a ValueError."""
  if name not in GENERATORS:
    raise ValueError(f'unknown model {name!r}; expected one of '
                     f'{MODEL_NAMES}.')
  return name


def make_generator(name: str = DEFAULT, cnum: int = 32, *, rngs: nnx.Rngs,
                   dtype: jnp.dtype = jnp.float32,
                   contextual_attention: bool = True, guided: bool = False,
                   conv_backward: str = 'auto') -> InpaintGenerator:
  """The generator `name` with these settings.

  v1 has no guidance; v2 always has contextual attention. Asking otherwise
  is an error rather than a silently different network.
  """
  if check_name(name) == 'deepfill_v1':
    if guided:
      raise ValueError('deepfill_v1 has no sketch guidance (guided=True).')
    return InpaintGenerator(cnum, rngs=rngs, dtype=dtype,
                            contextual_attention=contextual_attention,
                            conv_backward=conv_backward)
  if not contextual_attention:
    raise ValueError('deepfill_v2 has no baseline without contextual '
                     'attention.')
  return GatedGenerator(cnum, rngs=rngs, dtype=dtype, guided=guided,
                        conv_backward=conv_backward)
