# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Every DeepFill v2 loss term against an independent NumPy computation.

As tests/losses_test.py for v1: a stand-in generator returns fixed x1, x2 and
a stand-in patch critic is linear, D(x)[b, k] = sum(w_k * x[b]) + c_k, so the
expected values can be written out with NumPy from the formulas of
docs/deepfill_v2.md.
"""

import jax.numpy as jnp
import numpy as np
import pytest

from configs import celeba_hq_v2
from deepfill_jax.training import losses

B, H, W, K = 3, 16, 16, 5


class FixedGenerator:
  """Returns fixed (x1, x2); records the edge it was given."""

  def __init__(self, x1, x2, guided=False):
    self.x1, self.x2, self.guided = jnp.asarray(x1), jnp.asarray(x2), guided
    self.edge = None

  def __call__(self, x, mask, edge=None):
    self.edge = edge
    return self.x1, self.x2, jnp.zeros((x.shape[0], 2, 2, 2), jnp.int32)


class LinearPatchCritic:
  """K "patch" values per sample: sum(w_k * x) + c_k."""

  def __init__(self, w, c):
    self.w, self.c = jnp.asarray(w), jnp.asarray(c)
    self.inputs = None

  def __call__(self, x):
    self.inputs = x
    return jnp.einsum('bhwc,khwc->bk', x, self.w) + self.c


def _setup(channels, seed=0):
  rng = np.random.default_rng(seed)
  real = rng.uniform(-1, 1, (B, H, W, 3)).astype(np.float32)
  mask = np.zeros((B, H, W, 1), np.float32)
  for i in range(B):
    mask[i, 2 + i:10, 3:12 - i] = 1.
  x1, x2 = (rng.uniform(-1, 1, (B, H, W, 3)).astype(np.float32)
            for _ in range(2))
  w = rng.normal(0, 0.05, (K, H, W, channels)).astype(np.float32)
  c = rng.normal(0, 0.5, (K,)).astype(np.float32)
  return real, mask, x1, x2, w, c


def _expected(real, mask, x1, x2, w, c, critic_input, alpha_l1, alpha_gan):
  ae = alpha_l1 * (np.mean(np.abs(real - x1)) + np.mean(np.abs(real - x2)))
  values = np.array([[np.sum(w[k] * critic_input[b]) + c[k]
                      for k in range(K)] for b in range(2 * B)])
  pos, neg = values[:B], values[B:]
  hinge_pos = np.mean(np.maximum(1. - pos, 0.))
  hinge_neg = np.mean(np.maximum(1. + neg, 0.))
  return {'ae_loss': ae, 'gan_g_loss': -np.mean(neg),
          'g_loss': alpha_gan * -np.mean(neg) + ae,
          'd_loss': 0.5 * hinge_pos + 0.5 * hinge_neg,
          'pos_hinge_avg': hinge_pos, 'neg_hinge_avg': hinge_neg}


@pytest.mark.parametrize('guided', [False, True])
def test_v2_losses_match_numpy(guided):
  config = celeba_hq_v2.get_config()
  config.loss.update(l1_loss_alpha=1.3, gan_loss_alpha=0.7)
  real, mask, x1, x2, w, c = _setup(5 if guided else 4)
  edge = (np.random.default_rng(3).uniform(size=mask.shape) > 0.5).astype(
      np.float32)
  complete = x2 * mask + real * (1. - mask)
  parts = [np.concatenate([real, complete]), np.concatenate([mask, mask])]
  if guided:
    parts.append(np.concatenate([edge * mask] * 2))
  critic_input = np.concatenate(parts, -1)
  want = _expected(real, mask, x1, x2, w, c, critic_input, 1.3, 0.7)
  gen, critic = FixedGenerator(x1, x2, guided), LinearPatchCritic(w, c)
  batch = {'image': real, 'mask': mask, 'edge': edge}
  got = losses.compute_losses_v2(gen, critic, batch, config=config)
  assert set(got) == set(want)
  for key, value in want.items():
    np.testing.assert_allclose(got[key], value, rtol=1e-5, atol=1e-6,
                               err_msg=key)
  np.testing.assert_array_equal(critic.inputs, critic_input)
  if guided:  # The generator sees the sketch inside the hole only.
    np.testing.assert_array_equal(gen.edge, edge * mask)


def test_hinge_terms_by_hand():
  pos = jnp.array([[2., 0.5], [-1., 1.]])
  neg = jnp.array([[-3., 0.], [0.5, -0.5]])
  got = losses.hinge_losses(pos, neg)
  # relu(1 - pos) = [0, .5, 2, 0]; relu(1 + neg) = [0, 1, 1.5, .5].
  np.testing.assert_allclose(got['pos_hinge_avg'], 2.5 / 4)
  np.testing.assert_allclose(got['neg_hinge_avg'], 3. / 4)
  np.testing.assert_allclose(got['d_loss'], 0.5 * 2.5 / 4 + 0.5 * 3. / 4)
  np.testing.assert_allclose(got['gan_g_loss'], 3. / 4)


def test_reconstruction_only_runs_no_critic():
  config = celeba_hq_v2.get_config()
  config.loss.gan_loss_alpha = 0.
  real, mask, x1, x2, _, _ = _setup(4)
  got = losses.compute_losses_v2(FixedGenerator(x1, x2), None,
                                 {'image': real, 'mask': mask}, config=config)
  ae = np.mean(np.abs(real - x1)) + np.mean(np.abs(real - x2))
  assert set(got) == {'ae_loss', 'g_loss'}
  np.testing.assert_allclose(got['g_loss'], ae, rtol=1e-6)
  config.pretrain_coarse_network = True
  got = losses.compute_losses_v2(FixedGenerator(x1, x2), None,
                                 {'image': real, 'mask': mask}, config=config)
  np.testing.assert_allclose(got['ae_loss'], np.mean(np.abs(real - x1)),
                             rtol=1e-6)
