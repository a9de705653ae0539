# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""DeepFill v2 networks: parameter counts, gating, spectral norm, guards.

The whole forward is checked against TensorFlow in tf_reference_v2_test.py;
these tests pin the sizes and the pieces with NumPy, without TensorFlow.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from deepfill_jax.models import GatedGenerator
from deepfill_jax.models import InpaintGenerator
from deepfill_jax.models import SNPatchGAN
from deepfill_jax.models import critics
from deepfill_jax.models import gated_generator
from deepfill_jax.models import make_generator
import tf1_checkpoints as spec


def _params(module_fn) -> dict:
  module = nnx.eval_shape(module_fn)
  return nnx.to_pure_dict(nnx.state(module, nnx.Param))


def _count(tree) -> int:
  return sum(x.size for x in jax.tree.leaves(tree))


def test_parameter_counts_equal_the_original():
  gen = _params(lambda: GatedGenerator(rngs=nnx.Rngs(0)))
  assert _count(gen) == spec.V2_GENERATOR_PARAMS == 4_052_478
  critic = _params(lambda: SNPatchGAN(rngs=nnx.Rngs(0)))
  assert _count(critic) == spec.V2_CRITIC_PARAMS == 5_946_816
  guided = _params(lambda: GatedGenerator(rngs=nnx.Rngs(0), guided=True))
  assert _count(guided) - _count(gen) == 5 * 5 * 48  # One more conv1 input.


def test_layer_shapes_follow_the_v2_tables():
  gen = _params(lambda: GatedGenerator(rngs=nnx.Rngs(0)))
  for scope, k, cin, cout in spec.V2_GENERATOR_LAYERS:
    name = scope.split('/')[0]
    layer = gen[name]['conv'] if 'upsample' in name else gen[name]
    assert layer['kernel'].shape == (k, k, cin, cout), scope
  u = nnx.to_pure_dict(nnx.state(nnx.eval_shape(
      lambda: SNPatchGAN(rngs=nnx.Rngs(0))), critics.SpectralVector))
  assert [u[f'conv{i}']['u'].shape for i in range(1, 7)] == [
      (1, w) for w in spec.V2_CRITIC_WIDTHS]


def test_gate_is_elu_times_sigmoid():
  x = np.random.default_rng(0).normal(size=(2, 3, 3, 8)).astype(np.float32)
  a, g = x[..., :4], x[..., 4:]
  elu = np.where(a > 0, a, np.expm1(a))
  np.testing.assert_allclose(gated_generator.gate(x, jax.nn.elu),
                             elu / (1. + np.exp(-g)), rtol=1e-6, atol=1e-7)


def test_spectral_normalize_is_one_power_iteration():
  rng = np.random.default_rng(1)
  kernel = rng.normal(size=(5, 5, 3, 6)).astype(np.float32)
  u = rng.normal(size=(1, 6)).astype(np.float32)
  w = kernel.reshape(-1, 6).astype(np.float64)
  v = u @ w.T
  v /= np.sqrt(np.sum(v ** 2)) + 1e-12
  u_new = v @ w
  u_new /= np.sqrt(np.sum(u_new ** 2)) + 1e-12
  sigma = float(v @ w @ u_new.T)
  got_w, got_u = critics.spectral_normalize(jnp.asarray(kernel),
                                            jnp.asarray(u))
  np.testing.assert_allclose(got_u, u_new, rtol=1e-5)
  np.testing.assert_allclose(got_w, kernel / sigma, rtol=1e-5)
  # Iterated, sigma converges to the largest singular value.
  for _ in range(50):
    got_w, got_u = critics.spectral_normalize(jnp.asarray(kernel), got_u)
  top = np.linalg.svd(np.asarray(got_w).reshape(-1, 6), compute_uv=False)[0]
  np.testing.assert_allclose(top, 1., rtol=1e-4)


def test_critic_advances_u_and_outputs_patches():
  def run():  # Built and called in one program (fast to compile).
    critic = SNPatchGAN(4, rngs=nnx.Rngs(0), in_features=5)
    before = critic.conv3.u[...]
    return before, critic(jnp.ones((2, 128, 64, 5))), critic.conv3.u[...]

  before, out, after = jax.jit(run)()
  assert out.shape == (2, 2 * 1 * 16) and out.dtype == jnp.float32
  assert not np.allclose(after, before)


def test_edges_need_a_guided_model():
  x, mask = jnp.zeros((1, 32, 32, 3)), jnp.zeros((1, 32, 32, 1))
  for build in (lambda: InpaintGenerator(4, rngs=nnx.Rngs(0)),
                lambda: GatedGenerator(8, rngs=nnx.Rngs(0))):
    gen = nnx.eval_shape(build)  # The check comes before any compute.
    with pytest.raises(ValueError, match='guided=False'):
      gen(x, mask, edge=mask)
  with pytest.raises(ValueError, match='no sketch guidance'):
    make_generator('deepfill_v1', 4, rngs=nnx.Rngs(0), guided=True)
  with pytest.raises(ValueError, match='unknown model'):
    make_generator('deepfill_v3', rngs=nnx.Rngs(0))
