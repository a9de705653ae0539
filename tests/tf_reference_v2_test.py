# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The converted DeepFill v2 model against TensorFlow (docs/deepfill_v2.md).

As tests/tf_reference_test.py does for v1: an independent TensorFlow
`inpaint_net` and SN-PatchGAN written from the v2 facts (gated convolutions,
tanh outputs, stage 2 on the composite alone, optional edge channel; spectral
norm by one power iteration from the stored `u`), weights read from a TF1
checkpoint the test writes with random values. The JAX side loads the same
checkpoint through the converter (BGR folded to RGB) and is fed RGB.
"""

import numpy as np
import pytest

tf = pytest.importorskip(
    'tensorflow', reason='TensorFlow is needed for the TF reference '
    '(pip install tensorflow-cpu)')

import jax  # pylint: disable=g-import-not-at-top
from flax import nnx  # pylint: disable=g-import-not-at-top

from deepfill_jax.checkpoints import store  # pylint: disable=g-import-not-at-top
from deepfill_jax.checkpoints import critics as stored_critics  # pylint: disable=g-import-not-at-top
from deepfill_jax.checkpoints import convert  # pylint: disable=g-import-not-at-top
from deepfill_jax.data import pixels  # pylint: disable=g-import-not-at-top
from deepfill_jax.models.critics import SpectralVector  # pylint: disable=g-import-not-at-top
import tf1_checkpoints as spec  # pylint: disable=g-import-not-at-top
from tf_reference_test import TFInpaintNet  # pylint: disable=g-import-not-at-top
from tf_reference_test import _image  # pylint: disable=g-import-not-at-top


class TFGatedInpaintNet(TFInpaintNet):
  """v2's `inpaint_net`: v1's layers with gated convs and tanh outputs."""

  def conv(self, x, name, stride=1, rate=1, act='elu'):
    y = super().conv(x, name, stride, rate, act='none')
    if y.shape[-1] == 3 or act == 'none':
      return y  # Output layers: ungated.
    feat, gating = tf.split(y, 2, axis=3)
    act_fn = tf.nn.relu if act == 'relu' else tf.nn.elu
    return act_fn(feat) * tf.sigmoid(gating)

  def decoder(self, x, p):
    x = self.deconv(x, f'{p}13_upsample')
    x = self.conv(x, f'{p}14')
    x = self.deconv(x, f'{p}15_upsample')
    x = self.conv(x, f'{p}16')
    return tf.tanh(self.conv(x, f'{p}17', act='none'))

  def __call__(self, x, mask, edge=None):
    """x: [B, H, W, 3] BGR in [-1, 1]; mask: [1, H, W, 1]; edge like mask."""
    xin = x * (1. - mask)
    ones = tf.ones_like(xin)[..., 0:1]
    first = [xin] if edge is None else [xin, edge * mask]
    x_stage1, mask_s = self.coarse(
        tf.concat(first + [ones, ones * mask], axis=3), mask)
    # Stage 2 on the composite alone.
    x_stage2, offsets = self.refine(x_stage1 * mask + xin * (1. - mask),
                                    mask_s)
    return x_stage1, x_stage2, offsets


def tf_sn_patch_gan(reader, x):
  """SN-PatchGAN: per conv, one power iteration from the stored u, the
  kernel divided by sigma, 5x5 stride-2 'SAME', leaky ReLU; flattened.
  Returns (values, new u per layer)."""
  us = []
  for i in range(1, 7):
    scope = f'discriminator/sn_patch_gan/conv{i}'
    kernel = reader.get_tensor(f'{scope}/kernel')
    u = tf.constant(reader.get_tensor(f'{scope}/kernel_sn/u'))
    w = tf.reshape(kernel, [-1, kernel.shape[-1]])
    l2 = lambda v: v / (tf.reduce_sum(v ** 2) ** 0.5 + 1e-12)
    v = l2(tf.matmul(u, tf.transpose(w)))
    u = l2(tf.matmul(v, w))
    sigma = tf.matmul(tf.matmul(v, w), tf.transpose(u))
    y = tf.nn.conv2d(x, tf.reshape(w / sigma, kernel.shape), 2, 'SAME')
    x = tf.nn.leaky_relu(tf.nn.bias_add(y, reader.get_tensor(
        f'{scope}/bias')))
    us.append(u.numpy())
  return tf.reshape(x, [x.shape[0], -1]).numpy(), us


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
  """(TF reader, converted generator, converted critic)."""
  directory = tmp_path_factory.mktemp('tf1_v2')
  variables = {**spec.v2_generator_variables(seed=5),
               **spec.v2_critic_variables(seed=6)}
  prefix = spec.write_tf1_checkpoint(tf, str(directory), variables)
  converted = convert.convert_variables(convert.read_tf_checkpoint(prefix))
  assert converted.model_name == 'deepfill_v2' and converted.cnum == 48
  gen = store.generator_from_params(converted.generator, 48,
                                            **converted.model)
  critic, = stored_critics.critics_from_params(converted.critics,
                                              converted.critic_config)
  return prefix, gen, critic


def _uint8(y):
  return np.asarray(pixels.to_uint8(y)).astype(int)


@pytest.mark.parametrize('h,w,hole', [
    (256, 256, (64, 192, 64, 192)),  # A released model's size and hole.
    (200, 264, (40, 130, 150, 250)),  # Non-square, odd 25 x 33 grid.
])
def test_v2_generator_matches_tf_reference(checkpoint, h, w, hole):
  prefix, gen, _ = checkpoint
  tf_net = TFGatedInpaintNet(prefix)
  x_rgb = _image(np.random.default_rng(h), 1, h, w)
  mask = np.zeros((1, h, w, 1), np.float32)
  mask[:, hole[0]:hole[1], hole[2]:hole[3]] = 1.
  t1, t2, t_off = (np.asarray(t) for t in tf_net(x_rgb[..., ::-1], mask))
  j1, j2, j_off = (np.asarray(t) for t in nnx.jit(
      lambda g, x, m: g(x, m))(gen, x_rgb, mask))
  for t in (t1, t2):  # Neither constant nor saturated.
    assert t.std() > 0.05 and np.mean(np.abs(t) < 0.99) > 0.5
  assert len(np.unique(t_off.reshape(-1, 2), axis=0)) > 10
  diff = np.abs(j2 - t2[..., ::-1]).max()
  print(f'v2 {h}x{w}: stage-2 max |JAX - TF| = {diff:.2e}, stage 1 '
        f'{np.abs(j1 - t1[..., ::-1]).max():.2e}')
  assert diff <= 1e-4
  np.testing.assert_allclose(j1, t1[..., ::-1], atol=1e-4, rtol=0)
  # Gated ReLU features have exact-zero patches, so a few argmaxes are
  # near-ties that float rounding breaks either way (the pasted features,
  # hence x2, agree to float32 precision).
  same = np.mean(np.all(j_off == t_off, axis=-1))
  assert same > 0.99
  complete = lambda y: y * mask + x_rgb * (1. - mask)
  levels = np.abs(_uint8(complete(j2)) - _uint8(complete(t2[..., ::-1])))
  print(f'  offsets equal: {same:.2%}; composite: {levels.max()} levels')
  assert levels.max() <= 1


def test_v2_guided_generator_matches_tf_reference(tmp_path):
  h = w = 64
  # Kernels x2.5 so that gated activations keep their scale through the
  # layers and the sketch visibly changes the output.
  variables = {n: v * 2.5 if v.ndim == 4 else v for n, v in
               spec.v2_generator_variables(seed=7, guided=True).items()}
  prefix = spec.write_tf1_checkpoint(tf, str(tmp_path), variables)
  converted = convert.convert_variables(convert.read_tf_checkpoint(prefix))
  assert converted.model == {'name': 'deepfill_v2', 'guided': True}
  gen = store.generator_from_params(converted.generator, 48,
                                            **converted.model)
  rng = np.random.default_rng(0)
  x_rgb = _image(rng, 1, h, w)
  mask = np.zeros((1, h, w, 1), np.float32)
  mask[:, 16:48, 8:40] = 1.
  edge = (rng.uniform(size=(1, h, w, 1)) > 0.7).astype(np.float32)
  t1, t2, _ = (np.asarray(t) for t in TFGatedInpaintNet(prefix)(
      x_rgb[..., ::-1], mask, edge))
  j1, j2, _ = gen(x_rgb, mask, edge=edge)
  np.testing.assert_allclose(j1, t1[..., ::-1], atol=1e-4, rtol=0)
  np.testing.assert_allclose(j2, t2[..., ::-1], atol=1e-4, rtol=0)
  print(f'guided: max |JAX - TF| x1 {np.abs(j1 - t1[..., ::-1]).max():.2e}, '
        f'x2 {np.abs(j2 - t2[..., ::-1]).max():.2e}')
  # The sketch matters: without it the result differs.
  assert np.abs(np.asarray(gen(x_rgb, mask)[1]) - j2).max() > 1e-2


def test_v2_critic_matches_tf_reference(checkpoint):
  prefix, _, critic = checkpoint
  rng = np.random.default_rng(1)
  image = rng.uniform(-1, 1, (2, 128, 128, 3)).astype(np.float32)
  mask = (rng.uniform(size=(2, 128, 128, 1)) > 0.5).astype(np.float32)
  t_out, t_us = tf_sn_patch_gan(tf.train.load_checkpoint(prefix),
                                np.concatenate([image[..., ::-1], mask], -1))
  j_out = critic(np.concatenate([image, mask], -1))
  print(f'critic: max |JAX - TF| = {np.abs(j_out - t_out).max():.2e} '
        f'(values up to {np.abs(t_out).max():.2f})')
  np.testing.assert_allclose(j_out, t_out, atol=1e-4, rtol=1e-4)
  # The forward advanced u as the original's assign does.
  j_us = nnx.to_pure_dict(nnx.state(critic, SpectralVector))
  for i, t_u in enumerate(t_us, start=1):
    np.testing.assert_allclose(j_us[f'conv{i}']['u'], t_u, atol=1e-5)
  assert jax.tree.leaves(j_us)[0].shape == (1, 64)
