# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Image-quality metrics of the paper, per image.

Shared by the training loop's periodic evaluation and `deepfill-evaluate`.
All functions take images in [0, 1] (float, `[B, H, W, C]`) and return one
value per image (`[B]`); plain `jax.numpy`, jit-able or on NumPy arrays.
`l1`, `l2` and `tv` are in percent, `psnr` in dB from the whole image's mse
(capped at `PSNR_CAP`); `hole_l1` and `hole_psnr` use the hole pixels only.
Definitions: docs/evaluation.md.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

PSNR_CAP = 100.  # dB for a perfect reconstruction (mse = 0).
NAMES = ('l1', 'l2', 'psnr', 'tv', 'hole_l1', 'hole_psnr')


def _per_image_mean(x: jax.Array) -> jax.Array:
  return jnp.mean(x.reshape(x.shape[0], -1), axis=1)


def _psnr(mse: jax.Array) -> jax.Array:
  return jnp.where(mse > 0, -10. * jnp.log10(jnp.maximum(mse, 1e-30)),
                   PSNR_CAP).clip(max=PSNR_CAP)


def l1(pred: jax.Array, target: jax.Array) -> jax.Array:
  """Mean absolute error per image, in percent."""
  return 100. * _per_image_mean(jnp.abs(pred - target))


def l2(pred: jax.Array, target: jax.Array) -> jax.Array:
  """Mean squared error per image, in percent."""
  return 100. * _per_image_mean(jnp.square(pred - target))


def psnr(pred: jax.Array, target: jax.Array) -> jax.Array:
  """Peak signal-to-noise ratio per image in dB (peak 1)."""
  return _psnr(_per_image_mean(jnp.square(pred - target)))


def tv(pred: jax.Array) -> jax.Array:
  """Total variation of each image, in percent (see the module docstring)."""
  dy = _per_image_mean(jnp.abs(pred[:, 1:] - pred[:, :-1]))
  dx = _per_image_mean(jnp.abs(pred[:, :, 1:] - pred[:, :, :-1]))
  return 100. * (dy + dx)


def _hole_mean(x: jax.Array, mask: jax.Array) -> jax.Array:
  """Mean of `x` [B, H, W, C] over the pixels where `mask` [B, H, W, 1] is 1."""
  weight = jnp.broadcast_to(mask, x.shape)
  total = jnp.sum((x * weight).reshape(x.shape[0], -1), axis=1)
  count = jnp.sum(weight.reshape(x.shape[0], -1), axis=1)
  return jnp.where(count > 0, total / jnp.maximum(count, 1.), 0.)


def hole_l1(pred: jax.Array, target: jax.Array, mask: jax.Array) -> jax.Array:
  """Mean absolute error over the hole (`mask` 1), in percent."""
  return 100. * _hole_mean(jnp.abs(pred - target), mask)


def hole_psnr(pred: jax.Array, target: jax.Array, mask: jax.Array
              ) -> jax.Array:
  """PSNR in dB of the hole pixels only."""
  has_hole = jnp.sum(mask.reshape(mask.shape[0], -1), axis=1) > 0
  mse = _hole_mean(jnp.square(pred - target), mask)
  return jnp.where(has_hole, _psnr(mse), PSNR_CAP)


def compute(pred: jax.Array, target: jax.Array, mask: jax.Array
            ) -> dict[str, jax.Array]:
  """Every metric of `NAMES`, per image.

  Args:
    pred: [B, H, W, C] inpainted images (composited) in [0, 1].
    target: [B, H, W, C] ground truth in [0, 1].
    mask: [B, H, W, 1], 1 = hole.

  Returns:
    {name: [B] float32} for every name in `NAMES`.
  """
  pred = jnp.asarray(pred, jnp.float32)
  target = jnp.asarray(target, jnp.float32)
  mask = jnp.asarray(mask, jnp.float32)
  if pred.shape != target.shape or pred.ndim != 4:
    raise ValueError(f'metrics: pred {pred.shape} and target {target.shape} '
                     'must both be [B, H, W, C].')
  if mask.shape != pred.shape[:3] + (1,):
    raise ValueError(f'metrics: mask must be {pred.shape[:3] + (1,)}, got '
                     f'{mask.shape}.')
  return {
      'l1': l1(pred, target),
      'l2': l2(pred, target),
      'psnr': psnr(pred, target),
      'tv': tv(pred),
      'hole_l1': hole_l1(pred, target, mask),
      'hole_psnr': hole_psnr(pred, target, mask),
  }
