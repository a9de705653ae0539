# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The converted JAX model against a TensorFlow `inpaint_net` (spec §1-2).

The original TF1 code cannot run on TF2 (tf.contrib is gone), so this file
holds an independent TensorFlow implementation written from the
specification (docs/spec.md) with the very kernels the original used:
`conv2d`/dilated convolution with 'SAME', the legacy `resize_nearest_neighbor(align_corners=True)`,
`extract_patches`, the fusion by an eye(3) `conv2d` on the reshaped score map
with its transposes, masking by multiplication around the softmax, argmax
offsets, `conv2d_transpose` with an output shape, clipping, BGR input and one
mask shared by the batch. It reads its weights from a TF1 checkpoint written
by the test; the JAX side loads the same checkpoint through the converter and
is fed RGB.
"""

import numpy as np
import pytest

tf = pytest.importorskip(
    'tensorflow', reason='TensorFlow is needed for the TF reference '
    '(pip install tensorflow-cpu)')

from flax import nnx  # pylint: disable=g-import-not-at-top

from deepfill_jax.checkpoints import store  # pylint: disable=g-import-not-at-top
from deepfill_jax.checkpoints import convert  # pylint: disable=g-import-not-at-top
from deepfill_jax import models  # pylint: disable=g-import-not-at-top
import tf1_checkpoints as spec  # pylint: disable=g-import-not-at-top

# -------------------------------------------------------------------------
# TensorFlow reference, from docs/spec.md §1 and §2.


def tf_resize_nearest(x, hw):
  """neuralgym `resize`: the legacy nearest kernel with align_corners=True."""
  return tf.compat.v1.image.resize_nearest_neighbor(x, hw, align_corners=True)


def tf_contextual_attention(f, b, mask, ksize=3, stride=1, rate=2, fuse_k=3,
                            softmax_scale=10., fuse=True):
  """Spec §2.1 step by step; `mask` is [1, H, W, 1], shared by the batch."""
  bsz, hgt, wid, c = f.shape
  k = 2 * rate
  # 1. Raw 2r x 2r patches of full-resolution b at stride r -> [B, k, k, C, L].
  raw = tf.image.extract_patches(b, [1, k, k, 1], [1, rate * stride,
                                                   rate * stride, 1],
                                 [1, 1, 1, 1], 'SAME')
  raw = tf.transpose(tf.reshape(raw, [bsz, -1, k, k, c]), [0, 2, 3, 4, 1])
  # 2. Downscale f, b (to b's size / rate) and the mask by 1/rate.
  h, w = int(hgt / rate), int(wid / rate)
  f = tf_resize_nearest(f, [h, w])
  b = tf_resize_nearest(b, [h, w])
  mask = tf_resize_nearest(mask, [h, w])
  # 3. 3x3 matching patches of the downscaled b -> [B, 3, 3, C, L].
  wpat = tf.image.extract_patches(b, [1, ksize, ksize, 1],
                                  [1, stride, stride, 1], [1, 1, 1, 1], 'SAME')
  wpat = tf.transpose(tf.reshape(wpat, [bsz, -1, ksize, ksize, c]),
                      [0, 2, 3, 4, 1])
  # 4. Validity of each background patch from the (first) mask -> [1,1,1,L].
  mpat = tf.image.extract_patches(mask, [1, ksize, ksize, 1],
                                  [1, stride, stride, 1], [1, 1, 1, 1], 'SAME')
  mpat = tf.transpose(tf.reshape(mpat, [1, -1, ksize, ksize, 1]),
                      [0, 2, 3, 4, 1])[0]
  mm = tf.cast(tf.equal(tf.reduce_mean(mpat, axis=[0, 1, 2], keepdims=True),
                        0.), tf.float32)
  eye = tf.reshape(tf.eye(fuse_k), [fuse_k, fuse_k, 1, 1])
  ys, offsets = [], []
  for i in range(bsz):  # 5. Per image.
    wi = wpat[i]
    wi = wi / tf.maximum(tf.sqrt(tf.reduce_sum(tf.square(wi), axis=[0, 1, 2])),
                         1e-4)
    yi = tf.nn.conv2d(f[i:i + 1], wi, strides=[1, 1, 1, 1], padding='SAME')
    if fuse:  # spec §2.2: left-right, then top-down on the transposed grids.
      yi = tf.nn.conv2d(tf.reshape(yi, [1, h * w, h * w, 1]), eye,
                        [1, 1, 1, 1], 'SAME')
      yi = tf.transpose(tf.reshape(yi, [1, h, w, h, w]), [0, 2, 1, 4, 3])
      yi = tf.nn.conv2d(tf.reshape(yi, [1, h * w, h * w, 1]), eye,
                        [1, 1, 1, 1], 'SAME')
      yi = tf.transpose(tf.reshape(yi, [1, w, h, w, h]), [0, 2, 1, 4, 3])
    yi = tf.reshape(yi, [1, h, w, h * w]) * mm
    yi = tf.nn.softmax(yi * softmax_scale, axis=3) * mm
    idx = tf.argmax(yi, axis=3, output_type=tf.int32)
    offsets.append(tf.stack([idx // w, idx % w], axis=-1))
    ys.append(tf.nn.conv2d_transpose(yi, raw[i], [1, hgt, wid, c],
                                     [1, rate, rate, 1], 'SAME') / 4.)
  grid = tf.stack(tf.meshgrid(tf.range(h), tf.range(w), indexing='ij'), -1)
  return tf.concat(ys, 0), tf.concat(offsets, 0) - grid[None]


class TFInpaintNet:
  """`inpaint_net` in TensorFlow, weights read from a TF1 checkpoint."""

  def __init__(self, prefix):
    self.reader = tf.train.load_checkpoint(prefix)

  def conv(self, x, name, stride=1, rate=1, act='elu'):
    kernel = self.reader.get_tensor(f'inpaint_net/{name}/kernel')
    bias = self.reader.get_tensor(f'inpaint_net/{name}/bias')
    y = tf.nn.convolution(x, kernel, strides=stride, padding='SAME',
                          dilations=rate)
    y = tf.nn.bias_add(y, bias)
    return {'elu': tf.nn.elu, 'relu': tf.nn.relu, 'none': lambda v: v}[act](y)

  def deconv(self, x, name):
    _, h, w, _ = x.shape
    return self.conv(tf_resize_nearest(x, [2 * h, 2 * w]),
                     f'{name}/{name}_conv')

  def encoder(self, x, p, last_act='elu'):
    """Layers 1-6 of a branch: 5x5 conv, two stride-2 downsamplings."""
    x = self.conv(x, f'{p}1')
    x = self.conv(x, f'{p}2_downsample', stride=2)
    x = self.conv(x, f'{p}3')
    x = self.conv(x, f'{p}4_downsample', stride=2)
    x = self.conv(x, f'{p}5')
    return self.conv(x, f'{p}6', act=last_act)

  def atrous(self, x, p):
    """Layers 7-10: dilations 2, 4, 8, 16."""
    for i, rate in ((7, 2), (8, 4), (9, 8), (10, 16)):
      x = self.conv(x, f'{p}{i}_atrous', rate=rate)
    return x

  def decoder(self, x, p):
    """Layers 13-17: two (resize x2 + conv) upsamplings, clipped output."""
    x = self.deconv(x, f'{p}13_upsample')
    x = self.conv(x, f'{p}14')
    x = self.deconv(x, f'{p}15_upsample')
    x = self.conv(x, f'{p}16')
    return tf.clip_by_value(self.conv(x, f'{p}17', act='none'), -1., 1.)

  def coarse(self, x, mask):
    """Stage 1 on its input x: (x_stage1, mask resized to the features)."""
    x = self.encoder(x, 'conv')
    mask_s = tf_resize_nearest(mask, x.shape[1:3])
    x = self.atrous(x, 'conv')
    x = self.conv(self.conv(x, 'conv11'), 'conv12')
    return self.decoder(x, 'conv'), mask_s

  def refine(self, xnow, mask_s):
    """Stage 2 on its input: (x_stage2, offsets)."""
    x_hallu = self.atrous(self.encoder(xnow, 'xconv'), 'xconv')
    x = self.encoder(xnow, 'pmconv', last_act='relu')
    x, offsets = tf_contextual_attention(x, x, mask_s, 3, 1, rate=2)
    x = self.conv(self.conv(x, 'pmconv9'), 'pmconv10')
    x = tf.concat([x_hallu, x], axis=3)
    x = self.conv(self.conv(x, 'allconv11'), 'allconv12')
    return self.decoder(x, 'allconv'), offsets

  def __call__(self, x, mask):
    """x: [B, H, W, 3] BGR in [-1, 1]; mask: [1, H, W, 1] (1 = hole)."""
    xin = x * (1. - mask)
    ones = tf.ones_like(xin)[..., 0:1]
    x_stage1, mask_s = self.coarse(tf.concat([xin, ones, ones * mask], 3),
                                   mask)
    # Stage 2 on the pasted image.
    x = x_stage1 * mask + xin * (1. - mask)
    x_stage2, offsets = self.refine(tf.concat([x, ones, ones * mask], 3),
                                    mask_s)
    return x_stage1, x_stage2, offsets


# -------------------------------------------------------------------------
# Tests.


def _image(rng, bsz, h, w):
  """Smooth colour structure plus noise, in [-1, 1]."""
  yy, xx = np.mgrid[0:h, 0:w] / 16.
  base = np.stack([np.sin(xx + 2 * c) * np.cos(0.7 * yy - c)
                   for c in range(3)], -1)
  img = 0.7 * base[None] + 0.3 * rng.uniform(-1, 1, (bsz, h, w, 3))
  return np.clip(img, -1, 1).astype(np.float32)


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
  directory = tmp_path_factory.mktemp('tf1')
  variables = spec.generator_variables(seed=3)
  prefix = spec.write_tf1_checkpoint(tf, str(directory), variables)
  converted = convert.convert_variables(convert.read_tf_checkpoint(prefix))
  return TFInpaintNet(prefix), store.generator_from_params(
      converted.generator)


@pytest.mark.parametrize('bsz,h,w,hole', [
    (1, 256, 256, (64, 192, 64, 192)),  # The released models' centre hole.
    (2, 96, 160, (24, 72, 56, 136)),    # Non-square, rectangular hole.
    (1, 88, 136, (8, 48, 70, 130)),     # Odd matching grid (11 x 17).
])
def test_generator_matches_tf_reference(checkpoint, bsz, h, w, hole):
  tf_net, gen = checkpoint
  rng = np.random.default_rng(h)
  x_rgb = _image(rng, bsz, h, w)
  mask = np.zeros((1, h, w, 1), np.float32)
  mask[:, hole[0]:hole[1], hole[2]:hole[3]] = 1.
  t1, t2, t_off = (np.asarray(t) for t in tf_net(x_rgb[..., ::-1], mask))
  run = nnx.jit(lambda g, x, m: g(x, m))
  j1, j2, j_off = (np.asarray(t) for t in run(
      gen, x_rgb, np.broadcast_to(mask, (bsz, h, w, 1))))
  # Meaningful comparison: outputs are neither constant nor all clipped.
  for t in (t1, t2):
    assert t.std() > 0.05 and np.mean(np.abs(t) < 1.) > 0.5
  assert len(np.unique(t_off.reshape(-1, 2), axis=0)) > 10
  np.testing.assert_allclose(j1, t1[..., ::-1], atol=1e-4, rtol=0)
  np.testing.assert_allclose(j2, t2[..., ::-1], atol=1e-4, rtol=0)
  np.testing.assert_array_equal(j_off, t_off)


@pytest.mark.parametrize('case', ['self', 'cross', 'full_hole', 'no_fuse'])
def test_contextual_attention_matches_tf_reference(case):
  rng = np.random.default_rng(7)
  bsz, h, w, c = 2, 32, 48, 16
  # ReLU features of unit scale (|y| <= 2). The logits reach ~100 (softmax
  # scale 10), so float32 rounding alone gives differences growing with the
  # square of the feature scale: 1.4e-5 at twice this scale.
  f, b = (np.maximum(0.5 * rng.normal(size=(bsz, h, w, c)), 0.).astype(
      np.float32) for _ in range(2))
  b = f if case != 'cross' else b
  mask = np.zeros((1, h, w, 1), np.float32)
  mask[:, 8:22, 14:40] = 1.
  if case == 'full_hole':
    mask[:] = 1.
  fuse = case != 'no_fuse'
  t_y, t_off = tf_contextual_attention(f, b, mask, rate=2, fuse=fuse)
  j_y, j_off = models.contextual_attention(
      f, b, np.broadcast_to(mask, (bsz, h, w, 1)), rate=2, fuse=fuse)
  np.testing.assert_allclose(j_y, t_y, atol=1e-5, rtol=0)
  np.testing.assert_array_equal(j_off, t_off)
  if case == 'full_hole':
    assert not np.any(np.asarray(t_y))
