# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The DeepFill v2 generator (Yu et al., ICCV 2019).

v1's layer tables, layer names and two-stage call, with gated convolutions
(act(first half) * sigmoid(second half); base width cnum = 48), stage 2 on
the stage-1 composite alone, tanh outputs, a bilinearly enlarged flow
picture and an optional sketch channel (`guided`). TF variables keep v1's
names, so a parameter tree has v1's paths with other shapes. See
docs/deepfill_v2.md.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from deepfill_jax.models import generator as generator_lib
from deepfill_jax.models.generator import Layer

# 4,052,478 parameters at this width (tests/models_v2_test.py).
CNUM = 48


def gate(x: jax.Array, act) -> jax.Array:
  """Gated activation: act(first half of the channels) * sigmoid(second)."""
  features, gating = jnp.split(x, 2, axis=-1)
  return act(features) * jax.nn.sigmoid(gating)


def is_output(layer: Layer) -> bool:
  """The layers the original leaves ungated: 3 outputs or no activation."""
  return layer.out == 3 or layer.act == 'none'


class GatedGenerator(generator_lib.InpaintGenerator):
  """DeepFill v2 generator: `InpaintGenerator` with gated convolutions.

  Called exactly as v1's: `gen(x, mask)` (plus `edge=` when guided) ->
  `(x_stage1, x_stage2, offsets)`, stages in (-1, 1) (tanh).
  """

  model_name = 'deepfill_v2'
  flow_upsampling = 'bilinear'

  def __init__(self, cnum: int = CNUM, *, rngs: nnx.Rngs,
               dtype: jnp.dtype = jnp.float32, guided: bool = False,
               conv_backward: str = 'auto'):
    if cnum % 4:  # Gating halves cnum / 2 (conv16).
      raise ValueError(f'GatedGenerator: cnum must be a multiple of 4, got '
                       f'{cnum}.')
    self.guided = guided
    super().__init__(cnum, rngs=rngs, dtype=dtype, contextual_attention=True,
                     conv_backward=conv_backward)

  def stage_inputs(self) -> dict[str, int]:
    c = self.cnum
    return {'coarse': 6 if self.guided else 5, 'hallucination': 3,
            'attention_encoder': 3, 'attention_decoder': 2 * c,
            'merged_decoder': 4 * c}

  def features(self, layer: Layer) -> int:
    return layer.out if is_output(layer) else layer.out // 2

  def activate(self, layer: Layer, x: jax.Array) -> jax.Array:
    if is_output(layer):
      return jnp.tanh(x)
    return gate(x, jax.nn.relu if layer.act == 'relu' else jax.nn.elu)

  def coarse_input(self, xin: jax.Array, mask: jax.Array,
                   edge: jax.Array | None) -> jax.Array:
    ones = jnp.ones_like(mask)
    parts = [xin]
    if self.guided:  # No sketch: an empty edge map.
      parts.append(jnp.zeros_like(mask) if edge is None else edge * mask)
    return jnp.concatenate(parts + [ones, ones * mask], -1)

  def refine_input(self, xnow: jax.Array, mask: jax.Array) -> jax.Array:
    del mask  # v2's stage 2 sees the composite alone.
    return xnow
