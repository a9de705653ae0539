# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Architecture tests: parameter counts, names, shapes, jit, gradients."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from deepfill_jax.models import GlobalCritic
from deepfill_jax.models import InpaintGenerator
from deepfill_jax.models import LocalCritic
from deepfill_jax.models import layers


def _num_params(module: nnx.Module) -> int:
  return sum(x.size for x in jax.tree.leaves(nnx.state(module, nnx.Param)))


def _box_mask(b, h, w, top, left, bh, bw):
  m = np.zeros((b, h, w, 1), np.float32)
  m[:, top:top + bh, left:left + bw] = 1.
  return jnp.asarray(m)


@pytest.fixture(scope='module')
def generator():
  return InpaintGenerator(rngs=nnx.Rngs(0))


def test_parameter_counts_equal_the_original(generator):
  assert _num_params(generator) == 3_601_542
  assert _num_params(LocalCritic(rngs=nnx.Rngs(0))) == 4_339_329
  assert _num_params(GlobalCritic(rngs=nnx.Rngs(0))) == 2_733_441


def test_variable_names_and_shapes_follow_the_original(generator):
  params = nnx.to_pure_dict(nnx.state(generator, nnx.Param))
  # A few rows of the reference layer tables (HWIO kernels, as TF).
  expected = {
      ('conv1', 'kernel'): (5, 5, 5, 32),
      ('conv4_downsample', 'kernel'): (3, 3, 64, 128),
      ('conv13_upsample', 'conv', 'kernel'): (3, 3, 128, 64),
      ('conv17', 'kernel'): (3, 3, 16, 3),
      ('xconv2_downsample', 'kernel'): (3, 3, 32, 32),
      ('xconv4_downsample', 'kernel'): (3, 3, 64, 64),
      ('pmconv6', 'kernel'): (3, 3, 128, 128),
      ('pmconv9', 'kernel'): (3, 3, 128, 128),
      ('allconv11', 'kernel'): (3, 3, 256, 128),
      ('allconv15_upsample', 'conv', 'kernel'): (3, 3, 64, 32),
      ('allconv17', 'bias'): (3,),
  }
  for path, shape in expected.items():
    leaf = params
    for key in path:
      leaf = leaf[key]
    assert leaf.shape == shape, path
  assert 'pmconv7' not in params and 'pmconv8' not in params
  assert len(params) == 17 + 10 + 8 + 7  # conv*, xconv*, pmconv*, allconv*.


@pytest.mark.parametrize('shape', [(256, 256), (200, 328)])
def test_generator_output_shapes(generator, shape):
  h, w = shape
  x = jnp.zeros((2, h, w, 3))
  m = _box_mask(2, h, w, h // 4, w // 4, h // 2, w // 2)
  x1, x2, offsets = jax.eval_shape(lambda g, x, m: g(x, m), generator, x, m)
  assert x1.shape == x2.shape == (2, h, w, 3)
  assert offsets.shape == (2, h // 8, w // 8, 2) and offsets.dtype == jnp.int32


def test_generator_rejects_bad_shapes(generator):
  with pytest.raises(ValueError, match='multiples of 8'):
    generator(jnp.zeros((1, 60, 64, 3)), jnp.zeros((1, 60, 64, 1)))
  with pytest.raises(ValueError, match='mask must be'):
    generator(jnp.zeros((2, 64, 64, 3)), jnp.zeros((1, 64, 64, 1)))


def test_generator_jit_finite_clipped_and_gradients_reach_every_parameter():
  gen = InpaintGenerator(cnum=8, rngs=nnx.Rngs(1))
  x = jax.random.uniform(jax.random.key(0), (2, 64, 96, 3), minval=-1.)
  m = jnp.concatenate([_box_mask(1, 64, 96, 8, 16, 24, 40),
                       _box_mask(1, 64, 96, 30, 50, 30, 40)])
  graphdef, params = nnx.split(gen, nnx.Param)

  @jax.jit
  def loss_fn(params):
    x1, x2, _ = nnx.merge(graphdef, params)(x, m)
    return jnp.mean(jnp.abs(x1 - x)) + jnp.mean(jnp.abs(x2 - x)), (x1, x2)

  (loss, (x1, x2)), grads = jax.value_and_grad(loss_fn, has_aux=True)(params)
  assert np.isfinite(loss)
  for out in (x1, x2):
    assert np.all(np.isfinite(out)) and np.all(np.abs(out) <= 1.)
  for path, g in jax.tree_util.tree_leaves_with_path(grads):
    assert np.all(np.isfinite(g)), path
    assert np.any(g != 0), f'no gradient reaches {jax.tree_util.keystr(path)}'


def test_bfloat16_compute_keeps_float32_params():
  gen = InpaintGenerator(cnum=8, rngs=nnx.Rngs(1), dtype=jnp.bfloat16)
  ref = InpaintGenerator(cnum=8, rngs=nnx.Rngs(1))
  for leaf in jax.tree.leaves(nnx.state(gen, nnx.Param)):
    assert leaf.dtype == jnp.float32
  x = jax.random.uniform(jax.random.key(0), (1, 64, 64, 3), minval=-1.)
  m = _box_mask(1, 64, 64, 16, 16, 32, 32)
  _, y16, _ = jax.jit(lambda g, x, m: g(x, m))(gen, x, m)
  _, y32, _ = jax.jit(lambda g, x, m: g(x, m))(ref, x, m)
  assert y16.dtype == jnp.float32
  assert np.all(np.isfinite(y16))
  assert np.mean(np.abs(np.asarray(y16) - np.asarray(y32))) < 0.05


def test_critics_jit_finite_and_gradients():
  critics = nnx.List([LocalCritic(cnum=8, rngs=nnx.Rngs(0)),
                      GlobalCritic(cnum=8, rngs=nnx.Rngs(1))])
  graphdef, params = nnx.split(critics, nnx.Param)
  local = jax.random.normal(jax.random.key(0), (2, 128, 128, 3))
  full = jax.random.normal(jax.random.key(1), (2, 256, 256, 3))

  @jax.jit
  def loss_fn(params):
    loc, glob = nnx.merge(graphdef, params)
    out_l, out_g = loc(local), glob(full)
    assert out_l.shape == out_g.shape == (2, 1)
    return jnp.sum(out_l) + jnp.sum(out_g)

  loss, grads = jax.value_and_grad(loss_fn)(params)
  assert np.isfinite(loss)
  for path, g in jax.tree_util.tree_leaves_with_path(grads):
    assert np.all(np.isfinite(g)) and np.any(g != 0), path
  with pytest.raises(ValueError, match='128, 128'):
    critics[0](jnp.zeros((1, 256, 256, 3)))


def test_conv_same_padding_is_tf_asymmetric_at_stride_2():
  """A 3x3 stride-2 conv on an even input pads 0 top/left, 1 bottom/right."""
  conv = layers.conv(1, 1, 3, stride=2, rngs=nnx.Rngs(0))
  kernel = np.zeros((3, 3, 1, 1), np.float32)
  kernel[0, 0] = 1.  # Reads the top-left tap only.
  conv.kernel[...] = jnp.asarray(kernel)
  x = jnp.arange(16., dtype=jnp.float32).reshape(1, 4, 4, 1)
  y = np.asarray(conv(x))[0, :, :, 0]
  # Output (0, 0) is centred on input (1, 1): its top-left tap is x[0, 0].
  np.testing.assert_array_equal(y, [[0., 2.], [8., 10.]])


def test_resize_indices_match_the_tf_legacy_kernel():
  idx = layers.align_corners_indices(64, 32)
  assert list(idx[14:18]) == [28, 30, 33, 35]
  idx = layers.align_corners_indices(256, 64)
  assert {45, 130, 210, 215} <= set(idx.tolist()) and idx[-1] == 255
  assert layers.align_corners_indices(54, 27)[13] == 26
  np.testing.assert_array_equal(layers.align_corners_indices(32, 64),
                                np.arange(64) // 2)
  # The resize uses these indices along both axes.
  x = jnp.arange(64 * 48, dtype=jnp.float32).reshape(1, 64, 48, 1)
  y = layers.resize_nearest(x, (32, 24))
  expected = np.asarray(x)[:, layers.align_corners_indices(64, 32)][
      :, :, layers.align_corners_indices(48, 24)]
  np.testing.assert_array_equal(np.asarray(y), expected)


def test_baseline_without_contextual_attention():
  """The paper's baseline: no pmconv branch, allconv11 reads 128 channels."""
  full = InpaintGenerator(rngs=nnx.Rngs(0))
  base = InpaintGenerator(rngs=nnx.Rngs(0), contextual_attention=False)
  conv = lambda k, cin, cout: k * k * cin * cout + cout
  attention_branch = (conv(5, 5, 32) + conv(3, 32, 32) + conv(3, 32, 64)
                      + conv(3, 64, 128) + 4 * conv(3, 128, 128))
  narrower_allconv11 = 3 * 3 * 128 * 128
  count = lambda g: sum(x.size for x in jax.tree.leaves(
      nnx.state(g, nnx.Param)))
  assert count(base) == count(full) - attention_branch - narrower_allconv11
  assert not hasattr(base, 'pmconv1')
  x = jnp.zeros((1, 64, 64, 3))
  mask = jnp.zeros((1, 64, 64, 1)).at[:, 16:40, 16:40].set(1.)
  x1, x2, offsets = base(x, mask)
  assert x1.shape == x2.shape == (1, 64, 64, 3)
  assert offsets.shape == (1, 8, 8, 2) and not np.any(offsets)


@pytest.mark.parametrize('shape,kernel,stride', [
    ((2, 16, 16, 3), 5, 2), ((1, 15, 17, 5), 3, 2), ((1, 9, 8, 2), 5, 3)])
def test_subpixel_conv_gradients_match_xla(shape, kernel, stride):
  """The 'subpixel' VJP gives XLA's first and second derivatives (the
  critics' gradient penalty differentiates the input gradient again)."""
  rng = np.random.default_rng(0)
  x = jnp.asarray(rng.standard_normal(shape), jnp.float32)
  w = jnp.asarray(rng.standard_normal((kernel, kernel, shape[-1], 4)),
                  jnp.float32)

  def derivatives(conv):
    def critic(x, w):
      y = conv(x, w, (stride, stride), 'SAME',
               dimension_numbers=('NHWC', 'HWIO', 'NHWC'))
      return jnp.sum(jnp.tanh(y) ** 2)
    penalty = lambda w, x: jnp.sum(jax.grad(critic)(x, w) ** 2)
    return jax.grad(critic, (0, 1))(x, w), jax.grad(penalty, (0, 1))(w, x)

  want = derivatives(jax.lax.conv_general_dilated)
  got = derivatives(layers.strided_conv)
  for a, b in zip(jax.tree.leaves(want), jax.tree.leaves(got)):
    np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-4 * np.abs(a).max())


def test_conv_backward_choice():
  assert layers.conv_backward_impl('auto') == (
      'subpixel' if jax.default_backend() == 'cpu' else 'xla')
  assert layers.conv_backward_impl('xla') == 'xla'
  with pytest.raises(ValueError, match='conv_backward'):
    layers.conv_backward_impl('fast')
