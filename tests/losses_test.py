# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Every loss term against an independent NumPy computation.

The networks are replaced by stand-ins whose outputs and input gradients are
known in closed form: a "generator" returning fixed x1, x2 and linear
"critics" D(x) = sum(w * x) + b, whose gradient w.r.t. x is w everywhere. The
expected values are then written out with NumPy loops, from the formulas in
docs/training.md, not from the code under test.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from deepfill_jax import default_config
from configs import photos
from deepfill_jax.training import losses
from deepfill_jax.data import masks

B, H, W, BOX = 3, 16, 16, 8


class FixedGenerator:
  """Returns fixed (x1, x2) whatever the input; records the inputs."""

  def __init__(self, x1, x2):
    self.x1, self.x2 = jnp.asarray(x1), jnp.asarray(x2)

  def __call__(self, x, mask):
    offsets = jnp.zeros((x.shape[0], H // 8, W // 8, 2), jnp.int32)
    return self.x1, self.x2, offsets


class LinearCritic:
  """D(x) = sum(w * x) + b per sample, so dD/dx = w."""

  def __init__(self, w, b):
    self.w, self.b = jnp.asarray(w), b

  def __call__(self, x):
    return (jnp.sum(x * self.w, axis=(1, 2, 3)) + self.b)[:, None]


def _batch(rng):
  image = rng.uniform(-1, 1, (B, H, W, 3)).astype(np.float32)
  mask = np.zeros((B, H, W, 1), np.float32)
  boxes = np.array([[0, 0, BOX, BOX], [4, 8, BOX, BOX], [8, 3, BOX, BOX]],
                   np.int32)
  for i, (t, l, _, _) in enumerate(boxes):  # Holes inside each box.
    mask[i, t + 1:t + BOX - 1 - i, l + 2:l + BOX - 1] = 1.
  discount = masks.spatial_discount((BOX, BOX), 0.9)
  return {'image': image, 'mask': mask, 'box': boxes,
          'discount': np.repeat(discount[None], B, axis=0)}


def _crop(x, box):
  return np.stack([x[i, t:t + h, l:l + w] for i, (t, l, h, w) in
                   enumerate(box)])


def _config(mode='full'):
  """'full' (the original), 'pretrain' (coarse only) or 'reconstruction'
  (both stages, gan_loss_alpha = 0: no critic)."""
  config = default_config.get_config()
  config.pretrain_coarse_network = mode == 'pretrain'
  if mode == 'reconstruction':
    config.loss.gan_loss_alpha = 0.
  return config


def _expected(batch, x1, x2, local_w, local_b, global_w, global_b, alpha,
              config):
  """The original's formulas in plain NumPy (float64)."""
  real = batch['image'].astype(np.float64)
  m = batch['mask'].astype(np.float64)
  box, disc = batch['box'], batch['discount'].astype(np.float64)
  a = config.loss.coarse_l1_alpha
  l1 = a * np.mean(np.abs(_crop(real, box) - _crop(x1, box)) * disc)
  ae = a * np.mean(np.abs(real - x1) * (1 - m))
  if not config.pretrain_coarse_network:
    l1 += np.mean(np.abs(_crop(real, box) - _crop(x2, box)) * disc)
    ae += np.mean(np.abs(real - x2) * (1 - m))
  ae /= np.mean(1 - m)
  out = {'l1_loss': l1, 'ae_loss': ae}
  g = config.loss.l1_loss_alpha * l1 + config.loss.ae_loss_alpha * ae
  if config.pretrain_coarse_network or config.loss.gan_loss_alpha == 0:
    out['g_loss'] = g
    return out
  complete = x2 * m + real * (1 - m)
  d_total, gp_total, gan = 0., 0., {}
  for name, w, b, pos, neg, hole, al in (
      ('local', local_w, local_b, _crop(real, box), _crop(complete, box),
       _crop(m, box), alpha[0]),
      ('global', global_w, global_b, real, complete, m, alpha[1])):
    d_pos = np.array([np.sum(p * w) + b for p in pos])
    d_neg = np.array([np.sum(n * w) + b for n in neg])
    gan[name] = -d_neg.mean()
    out[f'{name}_d_loss'] = d_neg.mean() - d_pos.mean()
    # The critic is linear: its gradient at any interpolate is w; the
    # interpolation factor alpha cannot matter.
    slopes = [np.sqrt(np.sum(w ** 2 * hole[i])) for i in range(B)]
    out[f'gp_penalty_{name}'] = np.mean([(s - 1) ** 2 for s in slopes])
    d_total += out[f'{name}_d_loss']
    gp_total += config.loss.wgan_gp_lambda * out[f'gp_penalty_{name}']
  out['local_g_loss'], out['global_g_loss'] = gan['local'], gan['global']
  out['g_loss'] = config.loss.gan_loss_alpha * (
      config.loss.global_wgan_loss_alpha * gan['global'] + gan['local']) + g
  out['gp_loss'] = gp_total
  out['d_loss'] = d_total + gp_total
  return out


@pytest.mark.parametrize('mode', ['full', 'pretrain', 'reconstruction'])
def test_every_term_matches_the_hand_computation(mode):
  rng = np.random.default_rng(0)
  batch = _batch(rng)
  x1 = rng.uniform(-1, 1, (B, H, W, 3)).astype(np.float32)
  x2 = rng.uniform(-1, 1, (B, H, W, 3)).astype(np.float32)
  local_w = rng.normal(0, 0.05, (BOX, BOX, 3)).astype(np.float32)
  global_w = rng.normal(0, 0.05, (H, W, 3)).astype(np.float32)
  alpha = rng.uniform(0, 1, (2, B)).astype(np.float32)
  config = _config(mode)
  assert losses.uses_critics(config) == (mode == 'full')
  critics = ((LinearCritic(local_w, 0.3), LinearCritic(global_w, -0.2))
             if mode == 'full' else (None, None))
  got = losses.compute_losses(FixedGenerator(x1, x2), *critics,
                              jax.tree.map(jnp.asarray, batch),
                              gp_alpha=jnp.asarray(alpha), config=config)
  want = _expected(batch, x1, x2, local_w, 0.3, global_w, -0.2, alpha, config)
  assert set(want) <= set(got)
  for key, value in want.items():
    np.testing.assert_allclose(got[key], value, rtol=2e-5, atol=1e-6,
                               err_msg=key)
  if mode != 'full':
    assert 'd_loss' not in got


def test_original_weights_are_the_defaults():
  loss = default_config.get_config().loss
  assert (loss.coarse_l1_alpha, loss.l1_loss_alpha, loss.ae_loss_alpha,
          loss.gan_loss_alpha, loss.global_wgan_loss_alpha,
          loss.wgan_gp_lambda, loss.hole_l1_alpha) == (
              1.2, 1.2, 1.2, 0.001, 1., 10., 0.)
  # x1 terms weigh coarse_l1_alpha * l1_loss_alpha = 1.44 in g_loss.
  rng = np.random.default_rng(1)
  batch = jax.tree.map(jnp.asarray, _batch(rng))
  x2 = jnp.asarray(rng.uniform(-1, 1, (B, H, W, 3)), jnp.float32)
  base = losses.compute_losses(FixedGenerator(batch['image'], x2), None, None,
                               batch, gp_alpha=jnp.zeros(B),
                               config=_config('pretrain'))
  assert float(base['g_loss']) == 0.  # x1 == real: nothing to learn.


def _stroke_batch(rng):
  """_batch with scattered hole pixels over the whole image (free-form-like),
  many outside the boxes."""
  batch = _batch(rng)
  strokes = rng.uniform(size=(B, H, W, 1)) < 0.2
  batch['mask'] = np.maximum(batch['mask'], strokes.astype(np.float32))
  return batch


def _stroke_inputs(seed, mode):
  """A _stroke_batch, x1, x2 and the critics of `mode`."""
  rng = np.random.default_rng(seed)
  batch = _stroke_batch(rng)
  x1, x2 = rng.uniform(-1, 1, (2, B, H, W, 3)).astype(np.float32)
  critics = ((LinearCritic(rng.normal(0, .05, (BOX, BOX, 3)), 0.),
              LinearCritic(rng.normal(0, .05, (H, W, 3)), 0.))
             if mode == 'full' else (None, None))
  return batch, x1, x2, critics


def _run(batch, x1, x2, config, critics=(None, None)):
  return losses.compute_losses(FixedGenerator(x1, x2), *critics,
                               jax.tree.map(jnp.asarray, batch),
                               gp_alpha=jnp.zeros((2, B)), config=config)


@pytest.mark.parametrize('mode', ['full', 'pretrain', 'reconstruction'])
def test_hole_l1_is_the_l1_over_every_hole_pixel(mode):
  batch, x1, x2, critics = _stroke_inputs(3, mode)
  outside = batch['mask'].copy()
  for i, (t, l, h, w) in enumerate(batch['box']):
    outside[i, t:t + h, l:l + w] = 0.
  assert outside.sum() > 0  # Hole pixels the box's l1_loss never sees.
  off = _run(batch, x1, x2, _config(mode), critics)
  config = _config(mode)
  config.loss.hole_l1_alpha = 0.7
  got = _run(batch, x1, x2, config, critics)
  # Per pixel over the hole, each channel counted: sum |.| m / (3 sum m).
  real, m = batch['image'].astype(np.float64), batch['mask'][..., 0] > 0
  want = config.loss.coarse_l1_alpha * np.abs(real - x1)[m].mean()
  if mode != 'pretrain':
    want += np.abs(real - x2)[m].mean()
  np.testing.assert_allclose(got['hole_l1_loss'], want, rtol=2e-5)
  assert set(got) == set(off) | {'hole_l1_loss'}
  np.testing.assert_allclose(got['g_loss'], off['g_loss'] + 0.7 * want,
                             rtol=2e-5)
  for key in set(off) - {'g_loss'}:
    np.testing.assert_array_equal(got[key], off[key], err_msg=key)


@pytest.mark.parametrize('mode', ['full', 'pretrain'])
def test_hole_l1_off_is_the_original_objective(mode):
  """hole_l1_alpha = 0 gives the very outputs of a config without it."""
  batch, x1, x2, critics = _stroke_inputs(4, mode)
  without = _config(mode)
  del without.loss['hole_l1_alpha']
  want = _run(batch, x1, x2, without, critics)
  got = _run(batch, x1, x2, _config(mode), critics)
  assert 'hole_l1_loss' not in got and set(got) == set(want)
  for key in want:
    np.testing.assert_array_equal(got[key], want[key], err_msg=key)


def _chessboard_distance_to_known(hole):
  """Distance of each hole pixel to the nearest known pixel, by brute force
  (the image border is not known); 0 at known pixels."""
  known = np.argwhere(~hole)
  dist = np.zeros(hole.shape)
  for y, x in np.argwhere(hole):
    dist[y, x] = np.max(np.abs(known - (y, x)), axis=1).min()
  return dist


def test_hole_discount_is_gamma_to_the_distance_to_the_nearest_known_pixel():
  rng = np.random.default_rng(11)
  mask = np.zeros((2, 20, 24, 1), bool)
  mask[0, 2:15, 3:20] = True  # A box: its centre is 7 px deep.
  mask[0, 8:, :5] = True  # ... and a strip along the border.
  mask[1] = rng.uniform(size=(20, 24, 1)) < .6  # Ragged holes.
  got = np.asarray(losses.hole_discount(jnp.asarray(mask), 0.8,
                                        max_distance=5))
  for i in range(2):
    dist = np.minimum(_chessboard_distance_to_known(mask[i, ..., 0]), 5)
    want = np.where(mask[i, ..., 0], 0.8 ** (dist - 1), 0.)
    np.testing.assert_allclose(got[i, ..., 0], want, atol=1e-6)
  assert got[0, 8, 11, 0] == pytest.approx(0.8 ** 4)  # Capped at 5 px.
  np.testing.assert_array_equal(
      losses.hole_discount(jnp.asarray(mask), 1.), mask.astype(np.float32))


@pytest.mark.parametrize('gamma', [0., -0.5, 1.5])
def test_hole_discount_rejects_a_gamma_outside_0_1(gamma):
  with pytest.raises(ValueError, match='hole_l1_gamma'):
    losses.hole_discount(jnp.ones((1, 4, 4, 1)), gamma)


@pytest.mark.parametrize('field,value,message', [
    ('hole_l1_alpha', -1., r'hole_l1_alpha=-1.0 must be >= 0'),
    ('hole_l1_alpha', float('nan'), r'hole_l1_alpha=nan must be >= 0'),
    ('hole_l1_gamma', 0., r'hole_l1_gamma=0.0 must be in \(0, 1\]'),
    ('hole_l1_gamma', float('nan'), r'hole_l1_gamma=nan must be in'),
])
def test_check_config_rejects_hole_l1_settings_out_of_range(field, value,
                                                            message):
  # The default hole_l1_alpha is 0: the settings are checked all the same.
  loss_cfg = default_config.get_config().loss
  loss_cfg[field] = value
  with pytest.raises(ValueError, match=message):
    losses.check_config(loss_cfg)


def test_check_config_accepts_the_shipped_model_settings():
  losses.check_config(photos.get_config().loss)


def test_discounted_hole_l1_weighs_pixels_by_their_distance_to_known_ones():
  batch, x1, x2, _ = _stroke_inputs(6, 'reconstruction')
  config = _config('reconstruction')
  config.loss.hole_l1_alpha = 1.
  config.loss.hole_l1_gamma = 0.7
  got = _run(batch, x1, x2, config)
  real, hole = batch['image'].astype(np.float64), batch['mask'][..., 0] > 0
  weight = np.stack([np.where(h, 0.7 ** (_chessboard_distance_to_known(h)
                                         - 1), 0.) for h in hole])[..., None]
  want = sum(alpha * (np.abs(real - x) * weight).sum() / (3 * hole.sum())
             for alpha, x in ((config.loss.coarse_l1_alpha, x1), (1., x2)))
  np.testing.assert_allclose(got['hole_l1_loss'], want, rtol=2e-5)
  assert np.any((weight > 0) & (weight < 1))  # Some pixels are discounted.


def test_hole_l1_of_a_batch_without_hole_is_zero():
  rng = np.random.default_rng(5)
  batch = _batch(rng)
  batch['mask'] = np.zeros_like(batch['mask'])
  x2 = rng.uniform(-1, 1, (B, H, W, 3)).astype(np.float32)
  config = _config('reconstruction')
  config.loss.hole_l1_alpha = 1.
  got = _run(batch, batch['image'] + 0.5, x2, config)
  assert float(got['hole_l1_loss']) == 0.
  assert np.isfinite(float(got['g_loss']))


def test_gradient_penalty_interpolates_with_one_factor_per_sample():
  """A quadratic critic: its gradient depends on where x_hat lies."""
  rng = np.random.default_rng(2)
  real = rng.uniform(-1, 1, (2, 4, 4, 1)).astype(np.float32)
  fake = rng.uniform(-1, 1, (2, 4, 4, 1)).astype(np.float32)
  mask = np.zeros((2, 4, 4, 1), np.float32)
  mask[:, 1:3, 1:3] = 1.
  alpha = np.array([0.25, 0.75], np.float32)
  critic = lambda x: jnp.sum(x ** 2, axis=(1, 2, 3))[:, None]
  got = losses.gradient_penalty(critic, jnp.asarray(real), jnp.asarray(fake),
                                jnp.asarray(mask), jnp.asarray(alpha))
  want = []
  for i in range(2):
    x_hat = real[i] + alpha[i] * (fake[i] - real[i])
    slope = np.sqrt(np.sum((2 * x_hat) ** 2 * mask[i]))
    want.append((slope - 1) ** 2)
  np.testing.assert_allclose(got, np.mean(want), rtol=1e-5)


def test_penalty_is_finite_for_an_image_without_hole():
  """sqrt(0) has an infinite derivative; the penalty's gradient must not."""
  critic_w = jnp.ones((4, 4, 1))
  def penalty(w):
    critic = lambda x: jnp.sum(x * w, axis=(1, 2, 3))[:, None]
    return losses.gradient_penalty(critic, jnp.zeros((1, 4, 4, 1)),
                                   jnp.ones((1, 4, 4, 1)),
                                   jnp.zeros((1, 4, 4, 1)), jnp.full((1,), .5))
  value, grad = jax.value_and_grad(penalty)(critic_w)
  assert float(value) == 1.  # (0 - 1)^2
  assert np.all(np.isfinite(grad)) and not np.any(grad)


def test_local_patch_is_per_image():
  x = np.arange(2 * 6 * 6 * 1, dtype=np.float32).reshape(2, 6, 6, 1)
  box = np.array([[0, 1, 3, 3], [2, 3, 3, 3]], np.int32)
  got = losses.local_patch(jnp.asarray(x), jnp.asarray(box), (3, 3))
  np.testing.assert_array_equal(got, _crop(x, box))
