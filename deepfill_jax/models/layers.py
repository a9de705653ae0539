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


CONV_BACKWARDS = ('auto', 'xla', 'subpixel')


def conv_backward_impl(conv_backward: str) -> str:
  """Resolves `config.model.conv_backward` ('auto' -> by the default backend).

  'xla' differentiates `lax.conv_general_dilated` as is. 'subpixel' gives
  strided convolutions a custom VJP whose input gradient runs as stride-1
  convolutions (`strided_conv`). XLA:CPU runs the transposed (input-dilated)
  convolutions of the 'xla' gradient, and above all their weight derivative
  in the critics' gradient-penalty double backward, on a slow generic loop
  (docs/performance.md); accelerators do not, so 'auto' is 'subpixel' on CPU
  only.
  """
  if conv_backward not in CONV_BACKWARDS:
    raise ValueError(f'conv_backward must be one of {CONV_BACKWARDS}, got '
                     f'{conv_backward!r}.')
  if conv_backward == 'auto':
    return 'subpixel' if jax.default_backend() == 'cpu' else 'xla'
  return conv_backward


def same_pad(size: int, kernel: int, stride: int) -> tuple[int, int]:
  """TF 'SAME' padding (before, after) of one spatial axis."""
  out = -(-size // stride)
  total = max((out - 1) * stride + kernel - size, 0)
  return total // 2, total - total // 2


_NHWC = ('NHWC', 'HWIO', 'NHWC')


def _native_strided(x: jax.Array, w: jax.Array, strides: tuple[int, int],
                    precision) -> jax.Array:
  return jax.lax.conv_general_dilated(x, w, strides, 'SAME',
                                      dimension_numbers=_NHWC,
                                      precision=precision)


def _transpose_by_phases(dy: jax.Array, w: jax.Array,
                         x_shape: tuple[int, ...], strides: tuple[int, int],
                         precision) -> jax.Array:
  """Input gradient of a strided 'SAME' conv as stride-1 convolutions.

  Input row `s*i + a` of the padded input (phase `a`) receives
  `sum_m dy[i - m] w[s*m + a]`: a stride-1 correlation of `dy` with the
  phase's flipped sub-kernel `w[a::s]`. The s*s phases are interleaved and
  the padding cropped off; the products are those of the transposed
  convolution, only summed in another order.
  """
  (sh, sw), (kh, kw) = strides, w.shape[:2]
  _, h, wd, c = x_shape
  th, tw = -(-kh // sh), -(-kw // sw)
  rows, cols = dy.shape[1] + th - 1, dy.shape[2] + tw - 1
  phases = []
  for a in range(sh):
    for b in range(sw):
      sub = w[a::sh, b::sw][::-1, ::-1]  # [ta, tb, C, O], flipped.
      ta, tb = sub.shape[:2]
      if not ta or not tb:
        phases.append(jnp.zeros((dy.shape[0], rows, cols, c), dy.dtype))
        continue
      dyp = jnp.pad(dy, ((0, 0), (ta - 1, rows - dy.shape[1]),
                         (tb - 1, cols - dy.shape[2]), (0, 0)))
      phases.append(jax.lax.conv_general_dilated(
          dyp, jnp.swapaxes(sub, 2, 3), (1, 1), 'VALID',
          dimension_numbers=_NHWC, precision=precision))
  dxp = jnp.stack(phases, axis=3).reshape(dy.shape[0], rows, cols, sh, sw, c)
  dxp = dxp.transpose(0, 1, 3, 2, 4, 5).reshape(dy.shape[0], rows * sh,
                                                cols * sw, c)
  top, left = same_pad(h, kh, sh)[0], same_pad(wd, kw, sw)[0]
  return dxp[:, top:top + h, left:left + wd]


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _subpixel_conv(x, w, strides, precision):
  return _native_strided(x, w, strides, precision)


def _subpixel_fwd(x, w, strides, precision):
  return _native_strided(x, w, strides, precision), (x, w)


def _subpixel_bwd(strides, precision, res, dy):
  x, w = res
  _, w_vjp = jax.vjp(lambda w: _native_strided(x, w, strides, precision), w)
  dx = _transpose_by_phases(dy, w, x.shape, strides, precision)
  return dx.astype(x.dtype), w_vjp(dy)[0]


_subpixel_conv.defvjp(_subpixel_fwd, _subpixel_bwd)


def strided_conv(lhs, rhs, window_strides, padding, *, lhs_dilation=None,
                 rhs_dilation=None, dimension_numbers=None,
                 feature_group_count=1, precision=None, **kwargs):
  """`lax.conv_general_dilated` with the 'subpixel' gradient when it applies.

  Applies to NHWC/HWIO 'SAME' convolutions with stride > 1 and no dilation
  (the downsampling convs of the generator and every critic conv); the
  forward is the same op, only the backward differs. Anything else goes to
  `lax.conv_general_dilated` unchanged.
  """
  strides = tuple(window_strides)
  plain = (padding != 'SAME' or lhs.ndim != 4 or feature_group_count != 1
           or strides == (1, 1) or kwargs.get('out_sharding') is not None
           or kwargs.get('preferred_element_type') is not None
           or any(d not in (None, 1) and tuple(d) != (1, 1)
                  for d in (lhs_dilation, rhs_dilation))
           or jax.lax.conv_dimension_numbers(
               lhs.shape, rhs.shape, dimension_numbers)
           != jax.lax.conv_dimension_numbers(lhs.shape, rhs.shape, _NHWC))
  if plain:
    return jax.lax.conv_general_dilated(
        lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation,
        rhs_dilation=rhs_dilation, dimension_numbers=dimension_numbers,
        feature_group_count=feature_group_count, precision=precision,
        **kwargs)
  return _subpixel_conv(lhs, rhs, strides, precision)


def conv(in_features: int, out_features: int, kernel_size: int, *,
         rngs: nnx.Rngs, stride: int = 1, dilation: int = 1,
         dtype: jnp.dtype = jnp.float32,
         conv_backward: str = 'auto') -> nnx.Conv:
  """A `tf.layers.conv2d` equivalent: TF 'SAME' padding, bias, HWIO kernel.

  Parameters stay float32 whatever the compute `dtype` (mixed precision).
  `conv_backward` picks how strided convs are differentiated
  (`conv_backward_impl`); the forward is the same either way.
  """
  extra = {}
  if stride > 1 and conv_backward_impl(conv_backward) == 'subpixel':
    extra['conv_general_dilated'] = strided_conv
  return nnx.Conv(
      in_features, out_features, (kernel_size, kernel_size),
      strides=stride, kernel_dilation=dilation, padding='SAME',
      kernel_init=kernel_init, bias_init=bias_init,
      dtype=dtype, param_dtype=jnp.float32, rngs=rngs, **extra)


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
  DeepFill v2 gates the conv's output instead of the ELU (`resize_conv`
  gives it unactivated).
  """

  def __init__(self, in_features: int, out_features: int, *,
               rngs: nnx.Rngs, dtype: jnp.dtype = jnp.float32):
    self.conv = conv(in_features, out_features, 3, rngs=rngs, dtype=dtype)

  def resize_conv(self, x: jax.Array) -> jax.Array:
    """The x2 resize and the conv, without the activation."""
    _, h, w, _ = x.shape
    return self.conv(resize_nearest(x, (2 * h, 2 * w)))

  def __call__(self, x: jax.Array) -> jax.Array:
    return jax.nn.elu(self.resize_conv(x))


def crop_each(x: jax.Array, starts: jax.Array, size: tuple[int, int]
              ) -> jax.Array:
  """Per-image crops [B, *size, C] of x [B, H, W, C] whose top-left corners
  are starts[:, :2] (traced); `size` is static."""
  def one(xi, si):
    return jax.lax.dynamic_slice(xi, (si[0], si[1], 0), (*size, xi.shape[-1]))
  return jax.vmap(one)(x, starts)
