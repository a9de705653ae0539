# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The critics: DeepFill v1's local and global WGAN critics (docs/spec.md
§3) and DeepFill v2's SN-PatchGAN (below, docs/deepfill_v2.md).

Each is four 5x5 stride-2 'SAME' convolutions with leaky ReLU (alpha 0.2),
flattened in (h, w, c) order into one dense output. The dense layer fixes the
input size: 128x128 for the local critic (the box crop), 256x256 for the
global one. TF scopes: `discriminator/discriminator_{local,global}/conv1..4`
and `discriminator/dout_{local,global}_fc`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from deepfill_jax.models import layers


class _Critic(nnx.Module):
  """Shared body of both critics; subclasses set the class constants."""

  widths: tuple[int, ...]  # Conv widths as multiples of cnum.
  size: int  # Input height = width.
  fc_name: str  # Attribute (TF scope) of the dense head.

  def __init__(self, cnum: int = 64, *, rngs: nnx.Rngs, in_features: int = 3,
               dtype: jnp.dtype = jnp.float32, size: int | None = None,
               conv_backward: str = 'auto'):
    # `size` other than the original's (e.g. small test configs) changes only
    # the dense head's fan-in. `conv_backward`: see `layers.conv`.
    self.size = size or type(self).size
    if self.size % 2 ** len(self.widths):
      raise ValueError(f'{type(self).__name__}: size {self.size} must be a '
                       f'multiple of {2 ** len(self.widths)}.')
    fan_in = in_features
    for i, mult in enumerate(self.widths, start=1):
      setattr(self, f'conv{i}', layers.conv(
          fan_in, mult * cnum, 5, stride=2, rngs=rngs, dtype=dtype,
          conv_backward=conv_backward))
      fan_in = mult * cnum
    feat = self.size // 2 ** len(self.widths)
    setattr(self, self.fc_name, nnx.Linear(
        feat * feat * fan_in, 1, kernel_init=layers.kernel_init,
        bias_init=layers.bias_init, dtype=dtype, param_dtype=jnp.float32,
        rngs=rngs))

  def __call__(self, x: jax.Array) -> jax.Array:
    """[B, size, size, C] images in [-1, 1] -> [B, 1] critic values."""
    if x.ndim != 4 or x.shape[1:3] != (self.size, self.size):
      raise ValueError(f'{type(self).__name__}: input must be [B, {self.size}, '
                       f'{self.size}, C], got {x.shape}.')
    for i in range(1, len(self.widths) + 1):
      x = jax.nn.leaky_relu(getattr(self, f'conv{i}')(x), 0.2)
    x = x.reshape(x.shape[0], -1)  # (h, w, c) order, as tf.contrib flatten.
    return getattr(self, self.fc_name)(x).astype(jnp.float32)


class LocalCritic(_Critic):
  """Critic of the 128x128 box around the hole (4,339,329 parameters)."""
  widths = (1, 2, 4, 8)
  size = 128
  fc_name = 'dout_local_fc'


class GlobalCritic(_Critic):
  """Critic of the whole 256x256 image (2,733,441 parameters)."""
  widths = (1, 2, 4, 4)
  size = 256
  fc_name = 'dout_global_fc'


# --------------------------------------------------------------------------
# DeepFill v2: SN-PatchGAN (docs/deepfill_v2.md).


class SpectralVector(nnx.Variable):
  """The power iteration's vector `u` of a spectrally normalised kernel: state
  carried from call to call, never trained (TF: `<conv>/kernel_sn/u`)."""


def spectral_normalize(kernel: jax.Array, u: jax.Array, eps: float = 1e-12
                       ) -> tuple[jax.Array, jax.Array]:
  """kernel / sigma after one power iteration from `u`, and the new `u`.

  As the original: the kernel is a [k*k*in, out] matrix W, v = n(u W^T),
  u' = n(v W) with n(x) = x / (||x|| + eps), sigma = v W u'^T. Gradients
  flow through the iteration (the original stops none).
  """
  w = kernel.reshape(-1, kernel.shape[-1])
  normed = lambda x: x / (jnp.sqrt(jnp.sum(jnp.square(x))) + eps)
  v = normed(u @ w.T)
  u_new = normed(v @ w)
  sigma = (v @ w) @ u_new.T
  return (w / sigma).reshape(kernel.shape), u_new


class SNConv(nnx.Module):
  """`conv2d_spectral_norm`: a 5x5 stride-2 'SAME' conv whose kernel is
  divided by its spectral norm; each call advances `u` one iteration."""

  def __init__(self, in_features: int, out_features: int, *,
               rngs: nnx.Rngs, dtype: jnp.dtype = jnp.float32,
               conv_backward: str = 'auto'):
    shape = (5, 5, in_features, out_features)
    self.kernel = nnx.Param(layers.kernel_init(rngs.params(), shape))
    self.bias = nnx.Param(layers.bias_init(rngs.params(), (out_features,)))
    # tf.truncated_normal_initializer(): stddev 1, cut at 2.
    self.u = SpectralVector(jax.random.truncated_normal(
        rngs.params(), -2., 2., (1, out_features)))
    self.dtype = jnp.dtype(dtype)
    self.subpixel = layers.conv_backward_impl(conv_backward) == 'subpixel'

  def __call__(self, x: jax.Array) -> jax.Array:
    kernel, self.u[...] = spectral_normalize(self.kernel[...], self.u[...])
    conv = (layers.strided_conv if self.subpixel
            else jax.lax.conv_general_dilated)
    y = conv(x.astype(self.dtype), kernel.astype(self.dtype), (2, 2), 'SAME',
             dimension_numbers=('NHWC', 'HWIO', 'NHWC'))
    return y + self.bias[...].astype(self.dtype)


class SNPatchGAN(nnx.Module):
  """The SN-PatchGAN critic (TF scope `discriminator/sn_patch_gan`).

  Six `SNConv`s of widths cnum x (1, 2, 4, 4, 4, 4) with leaky ReLU (0.2),
  flattened in (h, w, c) order: one value per patch, any input size that is
  a multiple of 64. Input: [image, mask (, edge)], 4 or 5 channels.
  5,946,816 trainable parameters at cnum 64 with 4 channels.
  """

  widths = (1, 2, 4, 4, 4, 4)

  def __init__(self, cnum: int = 64, *, rngs: nnx.Rngs, in_features: int = 4,
               dtype: jnp.dtype = jnp.float32, conv_backward: str = 'auto'):
    fan_in = in_features
    for i, mult in enumerate(self.widths, start=1):
      setattr(self, f'conv{i}', SNConv(fan_in, mult * cnum, rngs=rngs,
                                       dtype=dtype,
                                       conv_backward=conv_backward))
      fan_in = mult * cnum

  def __call__(self, x: jax.Array) -> jax.Array:
    """[B, H, W, C] -> [B, H/64 * W/64 * 4 cnum] float32 patch values."""
    for i in range(1, len(self.widths) + 1):
      x = jax.nn.leaky_relu(getattr(self, f'conv{i}')(x), 0.2)
    return x.reshape(x.shape[0], -1).astype(jnp.float32)
