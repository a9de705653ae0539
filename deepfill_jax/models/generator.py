# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The DeepFill v1 generator `inpaint_net` (docs/spec.md §1).

Two stages: a coarse encoder-decoder with dilated convolutions, then a
refinement network with two parallel encoders (dilated "hallucination" branch
`xconv*` and contextual-attention branch `pmconv*`) merged into a shared
decoder `allconv*`. Attribute names are the original TF variable scopes
(`inpaint_net/<name>/kernel`); an upsample layer `<name>` keeps its conv in
`<name>.conv` (TF: `<name>/<name>_conv`).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from flax import nnx

from deepfill_jax.models import layers
from deepfill_jax.models.contextual_attention import contextual_attention

class Layer(NamedTuple):
  """One row of the original's layer tables."""
  name: str
  kernel: int
  out: int
  stride: int = 1
  dilation: int = 1
  act: str = 'elu'  # 'elu', 'relu', 'none' (then clip) or 'up' (Upsample).


def _coarse(c: int) -> tuple[Layer, ...]:
  """Stage 1, docs/spec.md §1.2."""
  return (
      Layer('conv1', 5, c), Layer('conv2_downsample', 3, 2 * c, stride=2),
      Layer('conv3', 3, 2 * c), Layer('conv4_downsample', 3, 4 * c, stride=2),
      Layer('conv5', 3, 4 * c), Layer('conv6', 3, 4 * c),
      Layer('conv7_atrous', 3, 4 * c, dilation=2),
      Layer('conv8_atrous', 3, 4 * c, dilation=4),
      Layer('conv9_atrous', 3, 4 * c, dilation=8),
      Layer('conv10_atrous', 3, 4 * c, dilation=16),
      Layer('conv11', 3, 4 * c), Layer('conv12', 3, 4 * c),
      *_decoder('conv', c, start=13))


def _decoder(prefix: str, c: int, start: int) -> tuple[Layer, ...]:
  """The x4 upsampling decoder shared by both stages (layers 13-17)."""
  n = start
  return (
      Layer(f'{prefix}{n}_upsample', 3, 2 * c, act='up'),
      Layer(f'{prefix}{n + 1}', 3, 2 * c),
      Layer(f'{prefix}{n + 2}_upsample', 3, c, act='up'),
      Layer(f'{prefix}{n + 3}', 3, c // 2),
      Layer(f'{prefix}{n + 4}', 3, 3, act='none'))


def _hallucination(c: int) -> tuple[Layer, ...]:
  """Stage 2 dilated branch `xconv*`, docs/spec.md §1.4a."""
  return (
      Layer('xconv1', 5, c), Layer('xconv2_downsample', 3, c, stride=2),
      Layer('xconv3', 3, 2 * c), Layer('xconv4_downsample', 3, 2 * c, stride=2),
      Layer('xconv5', 3, 4 * c), Layer('xconv6', 3, 4 * c),
      Layer('xconv7_atrous', 3, 4 * c, dilation=2),
      Layer('xconv8_atrous', 3, 4 * c, dilation=4),
      Layer('xconv9_atrous', 3, 4 * c, dilation=8),
      Layer('xconv10_atrous', 3, 4 * c, dilation=16))


def _attention_encoder(c: int) -> tuple[Layer, ...]:
  """Stage 2 attention branch up to the attention, docs/spec.md §1.4b."""
  return (
      Layer('pmconv1', 5, c), Layer('pmconv2_downsample', 3, c, stride=2),
      Layer('pmconv3', 3, 2 * c), Layer('pmconv4_downsample', 3, 4 * c, stride=2),
      Layer('pmconv5', 3, 4 * c), Layer('pmconv6', 3, 4 * c, act='relu'))


def _attention_decoder(c: int) -> tuple[Layer, ...]:
  """Stage 2 attention branch after the attention layer (no pmconv7/8)."""
  return (Layer('pmconv9', 3, 4 * c), Layer('pmconv10', 3, 4 * c))


def _merged_decoder(c: int) -> tuple[Layer, ...]:
  """Shared decoder on concat([x_hallu, pm]), docs/spec.md §1.4c."""
  return (Layer('allconv11', 3, 4 * c), Layer('allconv12', 3, 4 * c),
          *_decoder('allconv', c, start=13))


# The network's total downscale: image H and W must be multiples of it.
GRID = 8

# The generator's stages in call order, each a function of cnum.
_PLAN = {
    'coarse': _coarse,
    'hallucination': _hallucination,
    'attention_encoder': _attention_encoder,
    'attention_decoder': _attention_decoder,
    'merged_decoder': _merged_decoder,
}


def stage_layers(stage: str, cnum: int = 32) -> tuple[Layer, ...]:
  """The layers of one stage (a key of `_PLAN`), e.g. for receptive fields."""
  return _PLAN[stage](cnum)


def with_mask_channels(image: jax.Array, mask: jax.Array) -> jax.Array:
  """The 5-channel input [image, ones, ones * mask] (docs/spec.md §1.1)."""
  ones = jnp.ones_like(mask)
  return jnp.concatenate([image, ones, ones * mask], -1)


class Wiring:
  """How `InpaintGenerator.__call__` runs its parts; this one runs them all.

  The call fixes the order and the glue of the stages once. A subclass may
  run a stage on a crop, swap the attention or crop the branches before the
  merge (the hole-aware inference does), without restating that order.
  """

  def stage(self, gen: InpaintGenerator, name: str, x: jax.Array) -> jax.Array:
    """Runs stage `name` of `gen` on `x`."""
    return gen.run_stage(name, x)

  def attention(self, f: jax.Array, b: jax.Array, mask: jax.Array,
                **kwargs) -> tuple[jax.Array, jax.Array]:
    """The contextual attention layer: (y, offsets)."""
    return contextual_attention(f, b, mask, **kwargs)

  def merge(self, *branches: jax.Array) -> jax.Array:
    """The merged decoder's input: the refinement branches, concatenated."""
    return jnp.concatenate(branches, -1)


class InpaintGenerator(nnx.Module):
  """DeepFill v1 generator: coarse network + refinement with attention.

  Call as `gen(x, mask)` with `x` [B, H, W, 3] in [-1, 1] and `mask`
  [B, H, W, 1] (1 = hole, one mask per image); H and W multiples of 8.
  Returns `(x_stage1, x_stage2, offsets)`: raw (not composited) outputs of
  both stages, clipped to [-1, 1], and the int32 attention offsets
  [B, H/8, W/8, 2].

  The channel order is whatever the weights were trained with: official
  checkpoints converted by `deepfill-convert` take RGB.

  Subclasses (DeepFill v2, `models.gated_generator`) keep the layer tables,
  the stages and the call, and change what the hooks below say: the
  stages' input channels, the channels a layer passes on, the activations
  and the two stages' inputs.
  """

  # `config.model.name` of this architecture (recorded in checkpoints).
  model_name = 'deepfill_v1'
  # How a flow picture is enlarged to the image (the original's summaries).
  flow_upsampling = 'nearest'
  # Whether the generator takes an edge (sketch) channel.
  guided = False

  def __init__(self, cnum: int = 32, *, rngs: nnx.Rngs,
               dtype: jnp.dtype = jnp.float32,
               contextual_attention: bool = True,
               conv_backward: str = 'auto'):
    # `conv_backward` only changes how strided convs are differentiated
    # (`layers.conv`); outputs and parameters are the same.
    self.cnum = cnum
    self.dtype = jnp.dtype(dtype)
    self.contextual_attention = contextual_attention
    inputs = self.stage_inputs()
    for stage in self.stages:
      fan_in = inputs[stage]
      for layer in stage_layers(stage, cnum):
        if layer.act == 'up':
          module = layers.Upsample(fan_in, layer.out, rngs=rngs, dtype=dtype)
        else:
          module = layers.conv(fan_in, layer.out, layer.kernel, rngs=rngs,
                               stride=layer.stride, dilation=layer.dilation,
                               dtype=dtype, conv_backward=conv_backward)
        setattr(self, layer.name, module)
        fan_in = self.features(layer)

  # -- Hooks (DeepFill v1 values). --

  def stage_inputs(self) -> dict[str, int]:
    """Input channels of each stage."""
    c = self.cnum
    return {'coarse': 5, 'hallucination': 5, 'attention_encoder': 5,
            'attention_decoder': 4 * c,
            'merged_decoder': (8 if self.contextual_attention else 4) * c}

  def features(self, layer: Layer) -> int:
    """Channels that `layer` passes on (its conv's outputs here)."""
    return layer.out

  def activate(self, layer: Layer, x: jax.Array) -> jax.Array:
    """`layer`'s activation of its conv output `x`."""
    if layer.act in ('elu', 'up'):
      return jax.nn.elu(x)
    if layer.act == 'relu':
      return jax.nn.relu(x)
    return jnp.clip(x, -1., 1.)  # The output layers.

  def coarse_input(self, xin: jax.Array, mask: jax.Array,
                   edge: jax.Array | None) -> jax.Array:
    """Stage 1's input from the holed image (hole = 0)."""
    del edge  # v1 has no guidance; `__call__` refuses an edge.
    return with_mask_channels(xin, mask)

  def refine_input(self, xnow: jax.Array, mask: jax.Array) -> jax.Array:
    """Stage 2's input from the stage-1 composite."""
    return with_mask_channels(xnow, mask)

  # -- The network. --

  @property
  def stages(self) -> tuple[str, ...]:
    """The stages this generator has: without contextual attention (the
    paper's baseline) the refinement network is the dilated branch alone."""
    if self.contextual_attention:
      return tuple(_PLAN)
    return ('coarse', 'hallucination', 'merged_decoder')

  def run_stage(self, stage: str, x: jax.Array) -> jax.Array:
    """Runs one stage (a key of `_PLAN`) on its input."""
    for layer in stage_layers(stage, self.cnum):
      module = getattr(self, layer.name)
      x = module.resize_conv(x) if layer.act == 'up' else module(x)
      x = self.activate(layer, x)
    return x

  def __call__(
      self, x: jax.Array, mask: jax.Array, *,
      edge: jax.Array | None = None,
      wiring: Wiring | None = None,
  ) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Inpaints `x` inside `mask`.

    Args:
      x: [B, H, W, 3] images in [-1, 1]; hole pixels are zeroed here too.
      mask: [B, H, W, 1], 1 marks the hole.
      edge: [B, H, W, 1] sketch in {0, 1} for a guided generator (used
        inside the hole only; None: no sketch); an error for the others.
      wiring: how stages and attention run (default: `Wiring()`, all of
        them on the whole image with the dense attention).

    Returns:
      (x_stage1, x_stage2, offsets).
    """
    name = type(self).__name__
    bsz, h, w, ch = x.shape
    if ch != 3 or h % GRID or w % GRID:
      raise ValueError(f'{name}: x must be [B, H, W, 3] with H, W '
                       f'multiples of {GRID}, got {x.shape}.')
    if mask.shape != (bsz, h, w, 1):
      raise ValueError(f'{name}: mask must be {(bsz, h, w, 1)}, '
                       f'got {mask.shape}.')
    if edge is not None and (not self.guided or edge.shape != mask.shape):
      raise ValueError(f'{name}: an edge must be {mask.shape} for a guided '
                       f'generator (guided={self.guided}), got {edge.shape}.')
    run = wiring or Wiring()
    mask = mask.astype(self.dtype)
    xin = x.astype(self.dtype) * (1. - mask)
    if edge is not None:
      edge = edge.astype(self.dtype)

    x1 = run.stage(self, 'coarse', self.coarse_input(xin, mask, edge))
    # Paste the coarse result into the hole; no stop_gradient (as the
    # original), so stage-2 losses also train stage 1.
    xnow = self.refine_input(x1 * mask + xin * (1. - mask), mask)
    branches = [run.stage(self, 'hallucination', xnow)]
    if self.contextual_attention:
      pm = run.stage(self, 'attention_encoder', xnow)
      mask_s = layers.resize_nearest(mask, pm.shape[1:3])
      pm, offsets = run.attention(pm, pm, mask_s, ksize=3, stride=1, rate=2)
      branches.append(run.stage(self, 'attention_decoder', pm))
    else:  # Baseline: no attention, so every position "attends to itself".
      offsets = jnp.zeros((bsz, h // GRID, w // GRID, 2), jnp.int32)
    x2 = run.stage(self, 'merged_decoder', run.merge(*branches))
    return x1.astype(x.dtype), x2.astype(x.dtype), offsets
