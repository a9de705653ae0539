# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The DeepFill v1 and v2 training objectives.

`compute_losses` is a pure function of the three networks, one batch of the
input pipeline and the gradient-penalty interpolation factors; it returns
the original's loss terms under the original's names (the generator is
trained on `g_loss`, the critics on `d_loss`), plus the optional `hole_l1`
term (not in the original). `compute_losses_v2` is DeepFill v2's L1 + hinge
objective with one SN-PatchGAN critic. The formulas are in
docs/training.md ("The objective") and docs/deepfill_v2.md.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import ml_collections

from deepfill_jax.models import GlobalCritic
from deepfill_jax.models import layers
from deepfill_jax.models import InpaintGenerator
from deepfill_jax.models import LocalCritic

Batch = dict[str, jax.Array]

# Loss terms that depend on the generator only through its outputs and that
# the generator step reports (the rest are the critics').
GENERATOR_METRICS = ('g_loss', 'l1_loss', 'ae_loss', 'hole_l1_loss',
                     'local_g_loss', 'global_g_loss', 'gan_g_loss')


def uses_critics(config: ml_collections.ConfigDict) -> bool:
  """Whether training runs the critics: an adversarial term of weight > 0."""
  return (not config.pretrain_coarse_network
          and config.loss.gan_loss_alpha > 0)


def weighted_l1(real: jax.Array, x1: jax.Array, x2: jax.Array | None,
                weight: jax.Array, coarse_alpha: float) -> jax.Array:
  """a mean(|real - x1| w) + mean(|real - x2| w) (x2 None: x1 term only)."""
  total = coarse_alpha * jnp.mean(jnp.abs(real - x1) * weight)
  if x2 is not None:
    total += jnp.mean(jnp.abs(real - x2) * weight)
  return total


def hole_discount(mask: jax.Array, gamma: float, max_distance: int = 64
                  ) -> jax.Array:
  """The paper's spatial discount of every hole pixel, for any hole shape.

  gamma**(l - 1), l the chessboard distance (in pixels) of the hole pixel
  to the nearest known pixel (1 next to one), taken as `max_distance` for
  deeper pixels; 0 at known pixels. The image border is not a known pixel.
  The original code computes the discount for the box alone (`masks.
  spatial_discount`), which is this for a box hole in a larger image.

  Args:
    mask: [B, H, W, 1], 1 = hole.
    gamma: the discount per pixel, in (0, 1].
    max_distance: erosions computed (a static loop; each a 3x3 min).

  Returns:
    float32 [B, H, W, 1].
  """
  _check_gamma(gamma)
  mask = mask.astype(jnp.float32)
  if gamma == 1:
    return mask
  weight, inside = mask, mask
  for depth in range(1, max_distance):
    # Hole pixels at distance > depth survive `depth` 3x3 erosions; each
    # survival lowers the weight from gamma**(depth-1) to gamma**depth.
    inside = jax.lax.reduce_window(inside, jnp.inf, jax.lax.min,
                                   (1, 3, 3, 1), (1, 1, 1, 1), 'SAME')
    weight -= inside * (gamma ** (depth - 1) - gamma ** depth)
  return weight


def local_patch(x: jax.Array, box: jax.Array, size: tuple[int, int]
                ) -> jax.Array:
  """Crops each image's box: x [B, H, W, C], box [B, 4] (top, left, h, w).

  The crop size is static (`size`); the box's own h, w must equal it.
  """
  return layers.crop_each(x, box, size)


def safe_sqrt(x: jax.Array) -> jax.Array:
  """sqrt with gradient 0 (not inf, hence NaN) at 0; the same values."""
  positive = x > 0
  return jnp.where(positive, jnp.sqrt(jnp.where(positive, x, 1.)), 0.)


def gradient_penalty(critic: Any, real: jax.Array, fake: jax.Array,
                     mask: jax.Array, alpha: jax.Array) -> jax.Array:
  """The hole-masked WGAN-GP penalty (the paper's modified WGAN-GP).

  x_hat = real + alpha (fake - real) with one alpha per sample; the gradient
  norm of the critic at x_hat counts hole pixels only:
  mean_b (sqrt(sum_{h,w,c} (dD/dx_hat)^2 mask) - 1)^2.
  """
  x_hat = real + alpha[:, None, None, None] * (fake - real)
  grads = jax.grad(lambda x: jnp.sum(critic(x)))(x_hat)
  slope = safe_sqrt(jnp.sum(jnp.square(grads) * mask, axis=(1, 2, 3)))
  return jnp.mean(jnp.square(slope - 1.))


def wgan_losses(critic: Any, real: jax.Array, fake: jax.Array
                ) -> dict[str, jax.Array]:
  """WGAN losses of one critic on real and fake, run as one 2B batch."""
  values = critic(jnp.concatenate([real, fake], 0))
  pos, neg = jnp.split(values, 2)
  return {'g_loss': -jnp.mean(neg), 'd_loss': jnp.mean(neg) - jnp.mean(pos),
          'pos_value_avg': jnp.mean(pos), 'neg_value_avg': jnp.mean(neg)}


def _check_gamma(gamma: float) -> None:
  if not 0 < gamma <= 1:  # Also rejects NaN.
    raise ValueError(f'config.loss.hole_l1_gamma={gamma} must be in (0, 1].')


def check_config(loss_cfg: ml_collections.ConfigDict) -> None:
  """Raises ValueError on a hole L1 setting out of range, used or not.

  Checked at the start of training, so a typo fails in one line before any
  compilation instead of being ignored while `hole_l1_alpha` is 0.
  """
  alpha = loss_cfg.get('hole_l1_alpha', 0.)
  if not alpha >= 0:  # Also rejects NaN.
    raise ValueError(f'config.loss.hole_l1_alpha={alpha} must be >= 0.')
  _check_gamma(loss_cfg.get('hole_l1_gamma', 1.))


def compute_losses(generator: InpaintGenerator,
                   local_critic: LocalCritic | None,
                   global_critic: GlobalCritic | None,
                   batch: Batch, *, gp_alpha: jax.Array,
                   config: ml_collections.ConfigDict
                   ) -> dict[str, jax.Array]:
  """All loss terms of one batch, named as the original's.

  Args:
    generator: the inpainting network.
    local_critic: critic of the box crop (unused when pretraining).
    global_critic: critic of the whole image (unused when pretraining).
    batch: the input pipeline's dict: `image` [B, H, W, 3] in [-1, 1], `mask`
      [B, H, W, 1] (1 = hole), `box` int32 [B, 4], `discount` [B, h, w, 1].
    gp_alpha: interpolation factors in [0, 1) of the gradient penalty, [B]
      (shared by both critics) or [2, B] (local, global; the original draws
      them separately).
    config: the full config; reads `config.loss` and
      `config.pretrain_coarse_network`.

  Returns:
    Scalars: `l1_loss`, `ae_loss`, `hole_l1_loss` (only with
    `hole_l1_alpha` > 0), `g_loss` (generator total), `d_loss`
    (critic total with the penalty), `gp_loss` (lambda times both penalties),
    and the parts: `{local,global}_{g,d}_loss`,
    `{local,global}_{pos,neg}_value_avg`, `gp_penalty_{local,global}`.
  """
  loss_cfg = config.loss
  pretrain = config.pretrain_coarse_network
  real, mask, box = batch['image'], batch['mask'], batch['box']
  discount = batch['discount']
  size = discount.shape[1:3]
  x1, x2, _ = generator(real, mask)
  x1 = x1.astype(jnp.float32)
  x2 = x2.astype(jnp.float32)
  coarse_alpha = loss_cfg.coarse_l1_alpha

  x2_or_none = None if pretrain else x2
  real_patch = local_patch(real, box, size)
  l1_loss = weighted_l1(
      real_patch, local_patch(x1, box, size),
      None if pretrain else local_patch(x2, box, size), discount, coarse_alpha)
  ae_loss = weighted_l1(real, x1, x2_or_none, 1. - mask, coarse_alpha)
  ae_loss /= jnp.mean(1. - mask)
  losses = {'l1_loss': l1_loss, 'ae_loss': ae_loss}
  g_loss = loss_cfg.l1_loss_alpha * l1_loss + loss_cfg.ae_loss_alpha * ae_loss
  hole_alpha = loss_cfg.get('hole_l1_alpha', 0.)
  if hole_alpha > 0:  # Not in the original: every hole pixel (module doc).
    weight = hole_discount(mask, loss_cfg.get('hole_l1_gamma', 1.))
    hole_l1 = weighted_l1(real, x1, x2_or_none, weight, coarse_alpha)
    hole_l1 /= jnp.maximum(jnp.mean(mask), jnp.finfo(jnp.float32).tiny)
    losses['hole_l1_loss'] = hole_l1
    g_loss += hole_alpha * hole_l1
  if not uses_critics(config):
    return dict(losses, g_loss=g_loss)

  complete = x2 * mask + real * (1. - mask)
  complete_patch = local_patch(complete, box, size)
  gp_alpha = jnp.broadcast_to(gp_alpha, (2, real.shape[0]))
  lam = loss_cfg.wgan_gp_lambda
  d_loss = gp_loss = 0.
  for name, critic, pos, neg, hole, alpha in (
      ('local', local_critic, real_patch, complete_patch,
       local_patch(mask, box, size), gp_alpha[0]),
      ('global', global_critic, real, complete, mask, gp_alpha[1])):
    wgan = wgan_losses(critic, pos, neg)
    penalty = gradient_penalty(critic, pos, neg, hole, alpha)
    losses.update({f'{name}_{k}': v for k, v in wgan.items()})
    losses[f'gp_penalty_{name}'] = penalty
    d_loss += wgan['d_loss']
    gp_loss += lam * penalty
  gan = (loss_cfg.global_wgan_loss_alpha * losses['global_g_loss']
         + losses['local_g_loss'])
  losses['g_loss'] = loss_cfg.gan_loss_alpha * gan + g_loss
  losses['gp_loss'] = gp_loss
  losses['d_loss'] = d_loss + gp_loss
  return losses


# ----------------------------------------------------------------------------
# DeepFill v2.


def hinge_losses(pos: jax.Array, neg: jax.Array) -> dict[str, jax.Array]:
  """neuralgym's `gan_hinge_loss` of critic values on real (pos) and fake
  (neg): the critic's 0.5 (hinge_pos + hinge_neg) and the generator's
  -mean(neg)."""
  hinge_pos = jnp.mean(jax.nn.relu(1. - pos))
  hinge_neg = jnp.mean(jax.nn.relu(1. + neg))
  return {'d_loss': 0.5 * hinge_pos + 0.5 * hinge_neg,
          'gan_g_loss': -jnp.mean(neg), 'pos_hinge_avg': hinge_pos,
          'neg_hinge_avg': hinge_neg}


def critic_input_v2(images: jax.Array, mask: jax.Array,
                    edge: jax.Array | None, *, with_mask: bool
                    ) -> jax.Array:
  """[images, mask (gan_with_mask), edge (guided)] along channels."""
  parts = [images]
  if with_mask:
    parts.append(mask)
  if edge is not None:
    parts.append(edge)
  return jnp.concatenate(parts, -1)


def compute_losses_v2(generator: InpaintGenerator, critic: Any | None,
                      batch: Batch, *, config: ml_collections.ConfigDict
                      ) -> dict[str, jax.Array]:
  """All loss terms of one batch for DeepFill v2 (module docstring).

  Args:
    generator: a `GatedGenerator`.
    critic: the SN-PatchGAN (unused, may be None, without an adversarial
      term: `uses_critics`).
    batch: `image`, `mask` as for v1; `edge` [B, H, W, 1] in {0, 1} for a
      guided generator (absent: no sketch, zeros). `box`/`discount` unused.
    config: the full config; reads `config.loss`.

  Returns:
    Scalars `ae_loss`, `g_loss`, and with the critic `gan_g_loss` (the
    hinge generator term), `d_loss`, `pos_hinge_avg`, `neg_hinge_avg`.
  """
  loss_cfg = config.loss
  real, mask = batch['image'], batch['mask']
  edge = None
  if generator.guided:  # As the original, the sketch counts in the hole.
    edge = batch.get('edge', jnp.zeros_like(mask)) * mask
  x1, x2, _ = generator(real, mask, edge=edge)
  x1 = x1.astype(jnp.float32)
  x2 = x2.astype(jnp.float32)
  ae_loss = jnp.mean(jnp.abs(real - x1))
  if not config.pretrain_coarse_network:
    ae_loss += jnp.mean(jnp.abs(real - x2))
  ae_loss *= loss_cfg.l1_loss_alpha
  losses = {'ae_loss': ae_loss, 'g_loss': ae_loss}
  if not uses_critics(config):
    return losses
  complete = x2 * mask + real * (1. - mask)
  both = lambda x: None if x is None else jnp.concatenate([x, x], 0)
  values = critic(critic_input_v2(
      jnp.concatenate([real, complete], 0), both(mask), both(edge),
      with_mask=loss_cfg.gan_with_mask))
  losses.update(hinge_losses(*jnp.split(values, 2)))
  losses['g_loss'] = loss_cfg.gan_loss_alpha * losses['gan_g_loss'] + ae_loss
  return losses
