# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Tests of the TF1 checkpoint converter (deepfill_jax/checkpoints/convert.py).

The name table, array placement, BGR folding and error reporting are pure
NumPy and always run; writing and reading real TF1 checkpoints (and the CLI)
needs TensorFlow and is skipped without it.
"""

import os
import subprocess
import sys

import jax
import numpy as np
import pytest
from flax import nnx

from deepfill_jax.checkpoints import store

from deepfill_jax.checkpoints import critics as stored_critics

from deepfill_jax.checkpoints import bgr as bgr_lib
from deepfill_jax.checkpoints import convert
import tf1_checkpoints as spec

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope='module')
def tf():
  return pytest.importorskip(
      'tensorflow', reason='TensorFlow is needed to write TF1 checkpoints '
      '(pip install tensorflow-cpu)')


@pytest.fixture(scope='module')
def gen_vars():
  return spec.generator_variables(seed=0)


@pytest.fixture(scope='module')
def critic_vars():
  return spec.critic_variables(seed=1)


def _get(tree, path):
  for key in path:
    tree = tree[key]
  return np.asarray(tree)


def _leaf_count(tree):
  return sum(_leaf_count(v) if isinstance(v, dict) else 1
             for v in tree.values())


def _flip(x):
  return x[..., ::-1]


def test_name_table_matches_reference():
  table = convert.generator_variables(32)
  expected = {}
  for scope, k, cin, cout in spec.GENERATOR_LAYERS:
    expected[f'inpaint_net/{scope}/kernel'] = (k, k, cin, cout)
    expected[f'inpaint_net/{scope}/bias'] = (cout,)
  assert {n: s for n, (_, s) in table.items()} == expected
  assert {n: p for n, (p, _) in table.items()} == {
      n: spec.param_path(n) for n in expected}
  assert sum(int(np.prod(s)) for s in expected.values()) == (
      spec.GENERATOR_PARAMS)
  critics = convert.critic_variables()
  expected = {}
  for scope, shape in spec.CRITIC_VARIABLES:
    expected[f'discriminator/{scope}/kernel'] = shape
    expected[f'discriminator/{scope}/bias'] = shape[-1:]
  assert {n: s for n, (_, s) in critics.items()} == expected
  assert {n: p for n, (p, _) in critics.items()} == {
      n: spec.param_path(n) for n in expected}


@pytest.mark.parametrize('rgb', [False, True])
def test_every_tensor_lands_in_place(gen_vars, critic_vars, rgb):
  out = convert.convert_variables({**gen_vars, **critic_vars}, rgb=rgb)
  assert out.cnum == 32 and out.rgb == rgb
  assert out.critic_config == {'cnum': 64, 'local_in_features': 3,
                               'global_in_features': 3}
  tree = {**out.generator, **out.critics}
  assert _leaf_count(tree) == len(gen_vars) + len(critic_vars)
  bgr_in = {f'inpaint_net/{n}/kernel' for n in ('conv1', 'xconv1', 'pmconv1')}
  bgr_in |= {f'discriminator/discriminator_{c}/conv1/kernel'
             for c in ('local', 'global')}
  bgr_out = {f'inpaint_net/{n}/{p}' for n in ('conv17', 'allconv17')
             for p in ('kernel', 'bias')}
  for name, value in {**gen_vars, **critic_vars}.items():
    got = _get(tree, spec.param_path(name))
    assert got.dtype == np.float32 and got.shape == value.shape, name
    if rgb and name in bgr_in:
      # Input channels (B, G, R, ...) -> (R, G, B, ...); the rest unchanged.
      np.testing.assert_array_equal(got[:, :, :3], value[:, :, 2::-1])
      np.testing.assert_array_equal(got[:, :, 3:], value[:, :, 3:])
    elif rgb and name in bgr_out:
      np.testing.assert_array_equal(got, _flip(value))
    else:
      np.testing.assert_array_equal(got, value, err_msg=name)


def test_optimizer_state_and_counters_are_ignored(gen_vars, critic_vars):
  base = convert.convert_variables(gen_vars)
  assert base.critics is None and base.ignored == []
  variables = {**gen_vars, **critic_vars}
  extras = spec.training_extras(variables, step=1234)
  out = convert.convert_variables({**variables, **extras})
  assert out.ignored == sorted(extras)
  assert out.global_step == 1234
  jax.tree.map(np.testing.assert_array_equal, out.generator, base.generator)
  assert out.critics is not None


def test_mismatch_lists_every_offending_variable(gen_vars, critic_vars):
  variables = dict(gen_vars)
  del variables['inpaint_net/xconv5/bias']
  variables['inpaint_net/pmconv7/kernel'] = np.zeros((3, 3, 128, 128))
  variables['inpaint_net/conv3/kernel'] = np.zeros((3, 3, 64, 65))
  with pytest.raises(convert.CheckpointMismatchError) as err:
    convert.convert_variables(variables)
  msg = str(err.value)
  for text in ('1 missing', 'inpaint_net/xconv5/bias', '1 unknown',
               'inpaint_net/pmconv7/kernel', '1 with the wrong shape',
               'inpaint_net/conv3/kernel: checkpoint (3, 3, 64, 65), '
               'expected (3, 3, 64, 64)'):
    assert text in msg
  # A partial discriminator is an error too; slots never are.
  partial = {k: v for k, v in critic_vars.items() if 'dout_global' not in k}
  with pytest.raises(convert.CheckpointMismatchError,
                     match='discriminator/dout_global_fc/bias'):
    convert.convert_variables({**gen_vars, **partial})
  with pytest.raises(convert.CheckpointMismatchError, match='no variable'):
    convert.convert_variables({'global_step': np.int64(0)})


def test_fold_bgr_flips_exactly_the_image_channels_and_is_an_involution(
    gen_vars):
  bgr = convert.convert_variables(gen_vars, rgb=False).generator
  rgb = bgr_lib.fold_bgr(bgr)
  changed = set()
  for layer, params in bgr.items():
    for name, value in params.items():
      if not np.array_equal(rgb[layer][name], value):
        changed.add((layer, name))
  assert changed == {('conv1', 'kernel'), ('xconv1', 'kernel'),
                     ('pmconv1', 'kernel'), ('conv17', 'kernel'),
                     ('conv17', 'bias'), ('allconv17', 'kernel'),
                     ('allconv17', 'bias')}
  for layer in ('conv1', 'xconv1', 'pmconv1'):  # (B, G, R, ones, mask) in.
    np.testing.assert_array_equal(rgb[layer]['kernel'][:, :, :3],
                                  bgr[layer]['kernel'][:, :, 2::-1])
    np.testing.assert_array_equal(rgb[layer]['kernel'][:, :, 3:],
                                  bgr[layer]['kernel'][:, :, 3:])
  for layer in ('conv17', 'allconv17'):  # (B, G, R) out.
    np.testing.assert_array_equal(rgb[layer]['kernel'],
                                  _flip(bgr[layer]['kernel']))
    np.testing.assert_array_equal(rgb[layer]['bias'], bgr[layer]['bias'][::-1])
  jax.tree.map(np.testing.assert_array_equal, bgr_lib.fold_bgr(rgb), bgr)


def test_rgb_model_equals_bgr_model_on_flipped_channels(gen_vars, critic_vars):
  variables = {**gen_vars, **critic_vars}
  rgb = convert.convert_variables(variables, rgb=True)
  bgr = convert.convert_variables(variables, rgb=False)
  keys = jax.random.split(jax.random.key(0), 3)
  x = jax.random.uniform(keys[0], (2, 64, 96, 3), minval=-1., maxval=1.)
  mask = np.zeros((2, 64, 96, 1), np.float32)
  mask[0, 16:48, 24:72] = 1.
  mask[1, 8:40, 40:88] = 1.
  run = nnx.jit(lambda g, x, m: g(x, m))  # One compile serves both models.
  out_rgb = run(store.generator_from_params(rgb.generator), x, mask)
  out_bgr = run(store.generator_from_params(bgr.generator), _flip(x),
                mask)
  for a, b in zip(out_rgb[:2], out_bgr[:2]):
    assert float(np.std(a)) > 0.05  # Not saturated: the check is meaningful.
    np.testing.assert_allclose(a, _flip(b), atol=1e-5)
  np.testing.assert_array_equal(out_rgb[2], out_bgr[2])
  for img, (c_rgb, c_bgr) in zip(
      (jax.random.normal(keys[1], (2, 128, 128, 3)),
       jax.random.normal(keys[2], (2, 256, 256, 3))),
      zip(stored_critics.critics_from_params(rgb.critics, rgb.critic_config),
          stored_critics.critics_from_params(bgr.critics, bgr.critic_config))):
    np.testing.assert_allclose(c_rgb(img), c_bgr(_flip(img)), rtol=1e-5,
                               atol=1e-5)


def test_missing_tensorflow_is_a_clear_error(tmp_path, monkeypatch):
  (tmp_path / 'snap-1.index').write_bytes(b'')
  monkeypatch.setitem(sys.modules, 'tensorflow', None)
  with pytest.raises(ImportError, match='pip install tensorflow-cpu'):
    convert.read_tf_checkpoint(str(tmp_path))


def test_resolve_checkpoint_layouts(tmp_path):
  d = tmp_path / 'run'
  d.mkdir()
  with pytest.raises(FileNotFoundError, match='no checkpoint state file'):
    convert.resolve_checkpoint(str(d))
  for step in (10, 20):
    (d / f'snap-{step}.index').write_bytes(b'')
    (d / f'snap-{step}.data-00000-of-00001').write_bytes(b'')
  prefix = str(d / 'snap-20')
  with pytest.raises(FileNotFoundError, match='2 checkpoints'):
    convert.resolve_checkpoint(str(d))
  assert convert.resolve_checkpoint(prefix) == prefix
  assert convert.resolve_checkpoint(prefix + '.index') == prefix
  assert convert.resolve_checkpoint(
      prefix + '.data-00000-of-00001') == prefix
  # The releases ship `checkpoint.txt` with the author's absolute paths.
  (d / 'checkpoint.txt').write_text(
      'model_checkpoint_path: "/home/author/model_logs/places2/snap-20"\n'
      'all_model_checkpoint_paths: "/home/author/model_logs/places2/snap-10"\n')
  assert convert.resolve_checkpoint(str(d)) == prefix
  (d / 'checkpoint').write_text('model_checkpoint_path: "snap-10"\n')
  assert convert.resolve_checkpoint(str(d)) == str(d / 'snap-10')
  with pytest.raises(FileNotFoundError, match='no TF checkpoint'):
    convert.resolve_checkpoint(str(d / 'snap-30'))


def test_training_checkpoint_round_trip(tf, tmp_path, gen_vars, critic_vars):
  variables = {**gen_vars, **critic_vars}
  extras = spec.training_extras(variables, step=500)
  spec.write_tf1_checkpoint(tf, str(tmp_path / 'tf'), {**variables, **extras},
                            step=500)
  out = convert.convert_checkpoint(str(tmp_path / 'tf'), str(tmp_path / 'jax'))
  assert out.global_step == 500 and out.ignored == sorted(extras)
  gen, meta = store.load_generator(str(tmp_path / 'jax'))
  assert meta['channel_order'] == 'RGB'
  assert meta['converted_from']['bgr_folded']
  assert meta['converted_from']['checkpoint'].endswith('snap-500')
  expected = convert.convert_variables(variables)
  jax.tree.map(np.testing.assert_array_equal,
               store.pure_params(gen), expected.generator)
  local, global_ = stored_critics.load_critics(str(tmp_path / 'jax'))
  for module, name in ((local, 'local'), (global_, 'global')):
    jax.tree.map(np.testing.assert_array_equal,
                 nnx.to_pure_dict(nnx.state(module, nnx.Param)),
                 expected.critics[name])


def test_release_layout_with_cli(tf, tmp_path, gen_vars):
  tf_dir = tmp_path / 'release_places2_256'
  spec.write_tf1_checkpoint(tf, str(tf_dir), gen_vars,
                            state_file='checkpoint.txt')
  (tf_dir / 'checkpoint.txt').write_text(
      'model_checkpoint_path: "/data/model_logs/release_places2_256/snap"\n')
  cli = [sys.executable, '-m', 'deepfill_jax.tools.convert_tf_checkpoint',
         f'--tf_checkpoint={tf_dir}']
  run = subprocess.run(cli + [f'--output={tmp_path / "jax"}'],
                       capture_output=True, text=True, check=False, cwd=ROOT)
  assert run.returncode == 0, run.stderr
  assert 'no discriminator' in run.stdout
  assert stored_critics.load_critics(str(tmp_path / 'jax')) is None
  assert not (tmp_path / 'jax' / store.CRITICS_DIR).exists()
  gen, _ = store.load_generator(str(tmp_path / 'jax'))
  jax.tree.map(np.testing.assert_array_equal,
               store.pure_params(gen),
               convert.convert_variables(gen_vars).generator)
  # A broken checkpoint: one missing and one unknown generator variable.
  broken = dict(gen_vars)
  broken['inpaint_net/conv99/kernel'] = broken.pop('inpaint_net/conv5/kernel')
  spec.write_tf1_checkpoint(tf, str(tmp_path / 'broken'), broken)
  run = subprocess.run(
      cli[:-1] + [f'--tf_checkpoint={tmp_path / "broken"}',
                  f'--output={tmp_path / "jax2"}'],
      capture_output=True, text=True, check=False)
  assert run.returncode != 0
  assert 'inpaint_net/conv5/kernel' in run.stderr
  assert 'inpaint_net/conv99/kernel' in run.stderr
  assert 'Traceback' not in run.stderr
  assert not (tmp_path / 'jax2').exists()


def test_converted_checkpoint_loads_in_inpainter(tmp_path, gen_vars):
  from deepfill_jax.inference import inpainter as inpainter_lib  # pylint: disable=g-import-not-at-top
  converted = convert.convert_variables(gen_vars)
  path = convert.save_converted(str(tmp_path / 'jax'), converted)
  loaded = inpainter_lib.Inpainter.from_checkpoint(path)
  jax.tree.map(np.testing.assert_array_equal,
               store.pure_params(loaded.generator),
               converted.generator)
  rng = np.random.default_rng(0)
  image = rng.integers(0, 256, (40, 56, 3), np.uint8)
  mask = np.zeros((40, 56), bool)
  mask[10:30, 20:44] = True
  got = loaded(image, mask)
  want = inpainter_lib.Inpainter(store.generator_from_params(
      converted.generator))(image, mask)
  np.testing.assert_array_equal(got, want)
  assert (got[mask] != image[mask]).any()
  np.testing.assert_array_equal(got[~mask], image[~mask])


def test_bgr_checkpoint_loads_as_rgb(tmp_path, gen_vars):
  """A checkpoint kept in BGR (rgb=False) is converted on load, not swapped
  silently: it loads as the RGB conversion of the same variables."""
  bgr = convert.convert_variables(gen_vars, rgb=False)
  path = convert.save_converted(str(tmp_path / 'bgr'), bgr)
  gen, meta = store.load_generator(path)
  assert meta['channel_order'] == 'RGB'
  assert meta['stored_channel_order'] == 'BGR'
  jax.tree.map(np.testing.assert_array_equal,
               store.pure_params(gen),
               convert.convert_variables(gen_vars, rgb=True).generator)
