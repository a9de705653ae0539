# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Original-format DeepFill v1 checkpoints for tests, written with TensorFlow.

The variable names and shapes below are typed in from the specification's layer
tables (docs/spec.md §1.2, §1.4, §3), independently of
`deepfill_jax.checkpoints.convert`, so the tests check the converter against the spec.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

# (TF scope under inpaint_net/, kernel size, in channels, out channels) for
# cnum = 32; upsample layers are written `<name>/<name>_conv`.
GENERATOR_LAYERS = (
    ('conv1', 5, 5, 32), ('conv2_downsample', 3, 32, 64), ('conv3', 3, 64, 64),
    ('conv4_downsample', 3, 64, 128), ('conv5', 3, 128, 128),
    ('conv6', 3, 128, 128),
    *((f'conv{i}_atrous', 3, 128, 128) for i in range(7, 11)),
    ('conv11', 3, 128, 128), ('conv12', 3, 128, 128),
    ('conv13_upsample/conv13_upsample_conv', 3, 128, 64),
    ('conv14', 3, 64, 64), ('conv15_upsample/conv15_upsample_conv', 3, 64, 32),
    ('conv16', 3, 32, 16), ('conv17', 3, 16, 3),
    ('xconv1', 5, 5, 32), ('xconv2_downsample', 3, 32, 32),
    ('xconv3', 3, 32, 64), ('xconv4_downsample', 3, 64, 64),
    ('xconv5', 3, 64, 128), ('xconv6', 3, 128, 128),
    *((f'xconv{i}_atrous', 3, 128, 128) for i in range(7, 11)),
    ('pmconv1', 5, 5, 32), ('pmconv2_downsample', 3, 32, 32),
    ('pmconv3', 3, 32, 64), ('pmconv4_downsample', 3, 64, 128),
    ('pmconv5', 3, 128, 128), ('pmconv6', 3, 128, 128),
    ('pmconv9', 3, 128, 128), ('pmconv10', 3, 128, 128),
    ('allconv11', 3, 256, 128), ('allconv12', 3, 128, 128),
    ('allconv13_upsample/allconv13_upsample_conv', 3, 128, 64),
    ('allconv14', 3, 64, 64),
    ('allconv15_upsample/allconv15_upsample_conv', 3, 64, 32),
    ('allconv16', 3, 32, 16), ('allconv17', 3, 16, 3),
)
GENERATOR_PARAMS = 3_601_542  # docs/spec.md §1.5

# (TF scope under discriminator/, kernel shape) of both critics, §3.
CRITIC_VARIABLES = (
    ('discriminator_local/conv1', (5, 5, 3, 64)),
    ('discriminator_local/conv2', (5, 5, 64, 128)),
    ('discriminator_local/conv3', (5, 5, 128, 256)),
    ('discriminator_local/conv4', (5, 5, 256, 512)),
    ('dout_local_fc', (32768, 1)),
    ('discriminator_global/conv1', (5, 5, 3, 64)),
    ('discriminator_global/conv2', (5, 5, 64, 128)),
    ('discriminator_global/conv3', (5, 5, 128, 256)),
    ('discriminator_global/conv4', (5, 5, 256, 256)),
    ('dout_global_fc', (65536, 1)),
)


def param_path(tf_name: str) -> tuple[str, ...]:
  """Our parameter path for a TF name (the naming table of
  docs/checkpoints.md).

  `inpaint_net/conv13_upsample/conv13_upsample_conv/kernel` ->
  `('conv13_upsample', 'conv', 'kernel')`; critics get a leading
  `'local'`/`'global'`.
  """
  scope, *rest = tf_name.split('/')
  if scope == 'inpaint_net':
    if len(rest) == 3:
      assert rest[1] == rest[0] + '_conv', tf_name
      return (rest[0], 'conv', rest[2])
    return tuple(rest)
  if rest[0].startswith('dout_'):
    return (rest[0].split('_')[1],) + tuple(rest)
  return (rest[0].split('_')[1],) + tuple(rest[1:])


def _glorot(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
  receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
  fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
  limit = np.sqrt(6. / (fan_in + fan_out))
  return rng.uniform(-limit, limit, shape).astype(np.float32)


def generator_variables(seed: int = 0) -> dict[str, np.ndarray]:
  """All `inpaint_net/...` variables with random values (TF1 init + bias)."""
  rng = np.random.default_rng(seed)
  out = {}
  for scope, k, cin, cout in GENERATOR_LAYERS:
    out[f'inpaint_net/{scope}/kernel'] = _glorot(rng, (k, k, cin, cout))
    out[f'inpaint_net/{scope}/bias'] = rng.uniform(
        -0.1, 0.1, (cout,)).astype(np.float32)
  return out


def critic_variables(seed: int = 1) -> dict[str, np.ndarray]:
  """All `discriminator/...` variables with random values."""
  rng = np.random.default_rng(seed)
  out = {}
  for scope, shape in CRITIC_VARIABLES:
    out[f'discriminator/{scope}/kernel'] = _glorot(rng, shape)
    out[f'discriminator/{scope}/bias'] = rng.uniform(
        -0.1, 0.1, shape[-1:]).astype(np.float32)
  return out


def training_extras(variables: dict[str, np.ndarray], step: int = 1000
                    ) -> dict[str, np.ndarray]:
  """What a self-trained checkpoint adds: Adam slots, powers, step, lr."""
  out = {}
  for name, value in variables.items():
    out[name + '/Adam'] = np.zeros_like(value)
    out[name + '/Adam_1'] = np.full_like(value, 1e-3)
  out.update(beta1_power=np.float32(0.5 ** 10),
             beta2_power=np.float32(0.9 ** 10), global_step=np.int64(step),
             lr=np.float32(1e-4))
  return out


def write_tf1_checkpoint(tf: Any, directory: str, variables: dict[str, Any],
                         *, step: int | None = None,
                         state_file: str | None = 'checkpoint') -> str:
  """Writes `variables` with a TF1 `Saver`, names exactly as given.

  Args:
    tf: the tensorflow module.
    directory: output directory (created).
    variables: name -> array.
    step: appended to the prefix as `snap-<step>` (else `snap`).
    state_file: name of the state file (`checkpoint`, or `checkpoint.txt` as
      in the releases), or None to delete it.

  Returns:
    The checkpoint prefix.
  """
  os.makedirs(directory, exist_ok=True)
  graph = tf.Graph()
  with graph.as_default():
    feeds, assigns, tf_vars = {}, [], []
    for name, value in variables.items():
      value = np.asarray(value)
      var = tf.compat.v1.Variable(tf.zeros(value.shape, value.dtype),
                                  name=name)
      placeholder = tf.compat.v1.placeholder(value.dtype, value.shape)
      assigns.append(var.assign(placeholder))
      feeds[placeholder] = value
      tf_vars.append(var)
    saver = tf.compat.v1.train.Saver(tf_vars)
    with tf.compat.v1.Session(graph=graph) as sess:
      sess.run(assigns, feed_dict=feeds)
      prefix = saver.save(sess, os.path.join(directory, 'snap'),
                          global_step=step, write_meta_graph=False)
  written = dict(tf.train.list_variables(prefix))
  assert sorted(written) == sorted(variables), set(written) ^ set(variables)
  state = os.path.join(directory, 'checkpoint')
  if state_file is None:
    os.remove(state)
  elif state_file != 'checkpoint':
    os.rename(state, os.path.join(directory, state_file))
  return prefix


# DeepFill v2 (docs/deepfill_v2.md): v1's scopes with cnum 48 and gated
# convolutions. A gated conv writes `out` channels and passes on out / 2, so
# each width is 1.5 x v1's (48 / 32) and each input 0.75 x v1's (half of
# 1.5); the image outputs stay 3 channels and ungated. conv1 reads [image,
# (edge,) ones, mask], xconv1 and pmconv1 the 3-channel composite.
V2_FIRST_INPUTS = {'conv1': 5, 'xconv1': 3, 'pmconv1': 3}
V2_GENERATOR_LAYERS = tuple(
    (scope, k, V2_FIRST_INPUTS.get(scope, cin * 3 // 4),
     3 if cout == 3 else cout * 3 // 2)
    for scope, k, cin, cout in GENERATOR_LAYERS)
V2_GENERATOR_PARAMS = 4_052_478
# discriminator/sn_patch_gan/conv1..6: 5x5, widths 64, 128, 256, 256, 256,
# 256, input [image, mask] (4 channels).
V2_CRITIC_WIDTHS = (64, 128, 256, 256, 256, 256)
V2_CRITIC_PARAMS = 5_946_816


def v2_generator_variables(seed: int = 0, guided: bool = False
                           ) -> dict[str, np.ndarray]:
  """All v2 `inpaint_net/...` variables with random values."""
  rng = np.random.default_rng(seed)
  out = {}
  for scope, k, cin, cout in V2_GENERATOR_LAYERS:
    cin += int(guided and scope == 'conv1')  # The edge channel.
    out[f'inpaint_net/{scope}/kernel'] = _glorot(rng, (k, k, cin, cout))
    out[f'inpaint_net/{scope}/bias'] = rng.uniform(
        -0.1, 0.1, (cout,)).astype(np.float32)
  return out


def v2_critic_variables(seed: int = 1, in_features: int = 4
                        ) -> dict[str, np.ndarray]:
  """All `discriminator/sn_patch_gan/...` variables, the non-trainable
  power-iteration vectors `conv<i>/kernel_sn/u` [1, out] included."""
  rng = np.random.default_rng(seed)
  out, cin = {}, in_features
  for i, cout in enumerate(V2_CRITIC_WIDTHS, start=1):
    scope = f'discriminator/sn_patch_gan/conv{i}'
    out[f'{scope}/kernel'] = _glorot(rng, (5, 5, cin, cout))
    out[f'{scope}/bias'] = rng.uniform(-0.1, 0.1, (cout,)).astype(np.float32)
    out[f'{scope}/kernel_sn/u'] = rng.standard_normal((1, cout)).astype(
        np.float32)
    cin = cout
  return out
