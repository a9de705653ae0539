# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Building blocks shared by the generator and the critics.

Two details decide whether official checkpoints reproduce the original:

* Convolutions use TF 'SAME' padding, which is asymmetric at stride 2 (the
  extra row/column goes to the bottom/right). `lax.conv_general_dilated` with
  `padding='SAME'` computes exactly TF's split, dilation included.
* Nearest-neighbour resizes use TF1's legacy `align_corners=True` kernel:
  output index `o` reads `min(roundf(float32(o) * scale), in - 1)` with
  `scale = float32(in - 1) / float32(out - 1)`, evaluated in float32 and
  rounded half away from zero. Downscaling is therefore not plain striding.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

# TF1 defaults for tf.layers: glorot-uniform kernels, zero biases.
kernel_init = nnx.initializers.glorot_uniform()
bias_init = nnx.initializers.zeros_init()


def conv(in_features: int, out_features: int, kernel_size: int, *,
         rngs: nnx.Rngs, stride: int = 1, dilation: int = 1,
         dtype: jnp.dtype = jnp.float32) -> nnx.Conv:
  """A `tf.layers.conv2d` equivalent: TF 'SAME' padding, bias, HWIO kernel.

  Parameters stay float32 whatever the compute `dtype` (mixed precision).
  """
  return nnx.Conv(
      in_features, out_features, (kernel_size, kernel_size),
      strides=stride, kernel_dilation=dilation, padding='SAME',
      kernel_init=kernel_init, bias_init=bias_init,
      dtype=dtype, param_dtype=jnp.float32, rngs=rngs)


@functools.lru_cache(maxsize=None)
def align_corners_indices(in_size: int, out_size: int) -> np.ndarray:
  """Source indices of TF1's nearest resize with align_corners=True.

  Reproduces the float32 arithmetic of the legacy kernel, including its
  rounding of exact ties (e.g. 54 -> 27 reads index 26 at o = 13).
  """
  if out_size > 1:
    scale = np.float32(in_size - 1) / np.float32(out_size - 1)
  else:
    scale = np.float32(in_size) / np.float32(out_size)
  pos = np.arange(out_size, dtype=np.float32) * np.float32(scale)
  # roundf rounds half away from zero; positions are non-negative and the
  # float32 value plus 0.5 is exact in float64.
  idx = np.floor(pos.astype(np.float64) + 0.5).astype(np.int64)
  idx = np.minimum(idx, in_size - 1)
  idx.setflags(write=False)
  return idx


def resize_nearest(x: jax.Array, out_hw: tuple[int, int]) -> jax.Array:
  """NHWC nearest resize with TF1's align_corners=True index rule.

  The indices are static (computed at trace time), so this is a gather; when
  they reduce to pixel repetition or plain striding those cheaper ops are used,
  which give identical results.
  """
  _, h, w, _ = x.shape
  for axis, (n_in, n_out) in ((1, (h, out_hw[0])), (2, (w, out_hw[1]))):
    if n_in == n_out:
      continue
    idx = align_corners_indices(n_in, n_out)
    if n_out % n_in == 0 and np.array_equal(
        idx, np.arange(n_out) // (n_out // n_in)):
      x = jnp.repeat(x, n_out // n_in, axis=axis)
    elif n_in % n_out == 0 and np.array_equal(
        idx, np.arange(n_out) * (n_in // n_out)):
      x = jax.lax.slice_in_dim(x, 0, n_in, n_in // n_out, axis=axis)
    else:
      x = jnp.take(x, jnp.asarray(idx), axis=axis)
  return x


class Upsample(nnx.Module):
  """`gen_deconv`: x2 nearest resize (align_corners) then a 3x3 ELU conv.

  The original scope is `<name>/<name>_conv`; the conv lives in `self.conv`.
  """

  def __init__(self, in_features: int, out_features: int, *,
               rngs: nnx.Rngs, dtype: jnp.dtype = jnp.float32):
    self.conv = conv(in_features, out_features, 3, rngs=rngs, dtype=dtype)

  def __call__(self, x: jax.Array) -> jax.Array:
    _, h, w, _ = x.shape
    return jax.nn.elu(self.conv(resize_nearest(x, (2 * h, 2 * w))))
