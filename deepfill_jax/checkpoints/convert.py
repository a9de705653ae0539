# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Import of the original DeepFill v1 and v2 TF1 checkpoints (docs/spec.md
§1, §3; docs/deepfill_v2.md).

The name table and the array transforms work on NumPy arrays; only
`read_tf_checkpoint` needs TensorFlow, imported there.

Variable names. Every parameter of our modules has exactly one TF name:

  InpaintGenerator.<layer>.kernel      inpaint_net/<layer>/kernel
  InpaintGenerator.<name>.conv.bias    inpaint_net/<name>/<name>_conv/bias
                                       (upsample layers, `gen_deconv`)
  LocalCritic.conv<i>.kernel           discriminator/discriminator_local/
                                           conv<i>/kernel
  LocalCritic.dout_local_fc.kernel     discriminator/dout_local_fc/kernel
  (GlobalCritic likewise with `global`; biases likewise.)
  SNPatchGAN.conv<i>.kernel            discriminator/sn_patch_gan/conv<i>/kernel
  SNPatchGAN.conv<i>.u                 discriminator/sn_patch_gan/conv<i>/
                                           kernel_sn/u   (v2)

v1 or v2. Both generators have the same variable names; v2's convolutions
are gated, so a layer reads half the channels the layer before it writes:
`conv2_downsample` reading half of `conv1`'s outputs marks v2. Its `conv1`
reads 6 channels when the model takes a sketch (`guided`), else 5. The
critic is v1's pair or v2's `sn_patch_gan`, whichever the checkpoint holds.

Layouts carry over unchanged: TF conv kernels are HWIO like flax's, TF dense
kernels are [in, out] like `nnx.Linear`, and both flatten NHWC features in
(h, w, c) order.

Colour order. The originals read images with OpenCV and so consume and produce
BGR. With `rgb=True` (the default) the flip is folded into the weights: the
first three input channels of the image-reading convolutions (`conv1`,
`xconv1`, `pmconv1`, and both critics' `conv1`) and the three output channels
of the image-producing ones (`conv17`, `allconv17`, kernels and biases) are
reversed. The converted model is then fed and returns RGB, and computes
exactly what the original computes on the channel-flipped image.

Other variables. Optimizer slots (`<var>/Adam`, `<var>/Adam_1`, ...) and
variables outside `inpaint_net/` and `discriminator/` (`global_step`, `lr`,
`beta1_power`, ...) are ignored. Unknown, missing or misshapen `inpaint_net/`
variables are an error listing them all. Discriminator variables are converted
when the checkpoint has any (the Places2 release has none) and are then held to
the same rules.
"""

from __future__ import annotations

import dataclasses
import glob
import os
import re
from typing import Any, Callable, Mapping

import numpy as np
from flax import nnx

from deepfill_jax.checkpoints import store


from deepfill_jax.checkpoints import bgr
from deepfill_jax.models import GlobalCritic
from deepfill_jax.models import LocalCritic
from deepfill_jax.models import SNPatchGAN
from deepfill_jax.models import make_generator

GENERATOR_SCOPE = 'inpaint_net'
DISCRIMINATOR_SCOPE = 'discriminator'
SN_SCOPE = 'sn_patch_gan'  # v2's critic, under DISCRIMINATOR_SCOPE.
# TF1 optimizer slot variables: `<variable>/<Optimizer>[_<n>]`.
_SLOT = re.compile(r'/(Adam|Momentum|RMSProp|Adagrad|AdagradDA|Adadelta|Ftrl'
                   r'|ExponentialMovingAverage)(_\d+)?$')
_STATE_LINE = re.compile(r'^\s*model_checkpoint_path:\s*"(.*)"\s*$', re.M)
STATE_FILES = ('checkpoint', 'checkpoint.txt')

Params = dict[str, Any]  # A pure nested dict of arrays, as nnx.to_pure_dict.
ParamPath = tuple[str, ...]


class CheckpointMismatchError(ValueError):
  """The checkpoint's variables do not match the DeepFill v1/v2 layout."""


@dataclasses.dataclass
class Converted:
  """Parameters converted from a TF1 checkpoint.

  Attributes:
    generator: generator parameters as a pure dict (`nnx.to_pure_dict`).
    cnum: generator base width (32 for the released v1 models, 48 for v2).
    critics: `{'local': ..., 'global': ...}` (v1) or `{'sn_patch_gan': ...}`
      (v2, with each conv's `u`) pure dicts, or None when the checkpoint has
      no discriminator.
    critic_config: `{'cnum', 'local_in_features', 'global_in_features'}`
      (v1), `{'name': 'sn_patch_gan', 'cnum', 'in_features'}` (v2), or
      None.
    rgb: whether the BGR flip was folded into the weights.
    ignored: names of the variables that were skipped (slots, step, lr, ...).
    global_step: the checkpoint's `global_step`, if it has one.
  """
  generator: Params
  cnum: int
  critics: dict[str, Params] | None = None
  critic_config: dict[str, int] | None = None
  rgb: bool = True
  ignored: list[str] = dataclasses.field(default_factory=list)
  global_step: int | None = None
  model: dict[str, Any] = dataclasses.field(default_factory=dict)

  @property
  def model_name(self) -> str:
    """'deepfill_v1' or 'deepfill_v2'."""
    return self.model.get('name', 'deepfill_v1')


# --------------------------------------------------------------------------
# Name table.


def _flat_shapes(tree: Params, prefix: ParamPath = ()) -> dict[ParamPath, Any]:
  """{path: leaf} of a nested dict."""
  out = {}
  for key, value in tree.items():
    path = prefix + (str(key),)
    if isinstance(value, Mapping):
      out.update(_flat_shapes(value, path))
    else:
      out[path] = value
  return out


Table = dict[str, tuple[ParamPath, tuple[int, ...]]]


def _abstract_params(build: Callable[[], Any]
                     ) -> dict[ParamPath, tuple[int, ...]]:
  """{param path: shape} of the module `build()` makes, without compute."""
  module = nnx.eval_shape(build)
  pure = store.pure_params(module)
  return {k: tuple(v.shape) for k, v in _flat_shapes(pure).items()}


def generator_tf_name(path: ParamPath) -> str:
  """TF variable name of a generator parameter path.

  `('conv1', 'kernel')` -> `inpaint_net/conv1/kernel`;
  `('conv13_upsample', 'conv', 'bias')` ->
  `inpaint_net/conv13_upsample/conv13_upsample_conv/bias`.
  """
  if len(path) == 3 and path[1] == 'conv':
    return f'{GENERATOR_SCOPE}/{path[0]}/{path[0]}_conv/{path[2]}'
  if len(path) == 2:
    return f'{GENERATOR_SCOPE}/{path[0]}/{path[1]}'
  raise ValueError(f'No TF name for generator parameter {path}.')


def critic_tf_name(critic: str, path: ParamPath) -> str:
  """TF variable name of a `LocalCritic`/`GlobalCritic` parameter path, or
  of an `SNPatchGAN` one (`critic` 'sn_patch_gan')."""
  layer, param = path
  if critic == SN_SCOPE:
    param = 'kernel_sn/u' if param == 'u' else param
    return f'{DISCRIMINATOR_SCOPE}/{SN_SCOPE}/{layer}/{param}'
  if layer.startswith('dout_'):
    return f'{DISCRIMINATOR_SCOPE}/{layer}/{param}'
  return f'{DISCRIMINATOR_SCOPE}/discriminator_{critic}/{layer}/{param}'


def generator_variables(cnum: int = 32, **model: Any) -> Table:
  """The generator's name table: TF name -> (param path, shape); `model`
  as `models.make_generator`'s (`name`, `guided`)."""
  shapes = _abstract_params(lambda: make_generator(cnum=cnum,
                                                   rngs=nnx.Rngs(0), **model))
  return {generator_tf_name(p): (p, s) for p, s in sorted(shapes.items())}


def sn_critic_variables(cnum: int = 64, in_features: int = 4) -> Table:
  """v2's critic name table: TF name -> (('sn_patch_gan', *path), shape),
  the spectral-norm vectors `u` included."""
  module = nnx.eval_shape(lambda: SNPatchGAN(cnum, in_features=in_features,
                                             rngs=nnx.Rngs(0)))
  pure = nnx.to_pure_dict(nnx.state(module))
  return {critic_tf_name(SN_SCOPE, p): ((SN_SCOPE,) + p, tuple(v.shape))
          for p, v in sorted(_flat_shapes(pure).items())}


def critic_variables(cnum: int = 64, local_in_features: int = 3,
                     global_in_features: int = 3) -> Table:
  """The critics' name table: TF name -> ((critic, *param path), shape)."""
  table = {}
  for critic, cls, in_features in (
      ('local', LocalCritic, local_in_features),
      ('global', GlobalCritic, global_in_features)):
    shapes = _abstract_params(lambda c=cls, i=in_features: c(
        cnum, in_features=i, rngs=nnx.Rngs(0)))
    for p, s in sorted(shapes.items()):
      table[critic_tf_name(critic, p)] = ((critic,) + p, s)
  return table


def _nest(flat: Mapping[ParamPath, np.ndarray]) -> Params:
  out: Params = {}
  for path, value in flat.items():
    node = out
    for key in path[:-1]:
      node = node.setdefault(key, {})
    node[path[-1]] = value
  return out


def is_optimizer_slot(name: str) -> bool:
  """Whether `name` is a TF1 optimizer slot such as `<var>/Adam_1`."""
  return _SLOT.search(name) is not None


def _match(variables: Mapping[str, np.ndarray],
           table: Table, scope: str, what: str) -> dict[ParamPath, np.ndarray]:
  """Maps the `scope/` variables onto `table`, or raises listing problems."""
  names = {n for n in variables if n.startswith(scope + '/')}
  unknown = sorted(names - set(table))
  missing = sorted(set(table) - names)
  shapes = {n: tuple(np.shape(variables[n])) for n in names & set(table)}
  misshapen = sorted(f'{n}: checkpoint {s}, expected {table[n][1]}'
                     for n, s in shapes.items() if s != table[n][1])
  problems = []
  for title, items in (('missing', missing), ('unknown', unknown),
                       ('with the wrong shape', misshapen)):
    if items:
      problems.append(f'{len(items)} {title}:\n  ' + '\n  '.join(items))
  if problems:
    raise CheckpointMismatchError(
        f'The checkpoint does not match the DeepFill {what} '
        f'({len(table)} variables expected under {scope}/). Variables '
        + '\n'.join(problems))
  return {table[n][0]: np.asarray(variables[n], np.float32) for n in names}


def _dim(variables: Mapping[str, np.ndarray], name: str, axis: int,
         what: str) -> int:
  if name not in variables:
    raise CheckpointMismatchError(
        f'Not a DeepFill {what}: no variable {name} (found '
        f'{len(variables)} variables, e.g. {sorted(variables)[:5]}).')
  return int(np.shape(variables[name])[axis])


def generator_model(variables: Mapping[str, np.ndarray]) -> dict[str, Any]:
  """The generator's model settings beyond cnum, from the kernel shapes:
  {} for v1, {'name': 'deepfill_v2'} (plus 'guided': True with a sketch
  channel) for the gated v2 (module docstring)."""
  conv1, conv2 = (variables.get(f'{GENERATOR_SCOPE}/{n}/kernel')
                  for n in ('conv1', 'conv2_downsample'))
  if conv1 is None or conv2 is None:
    return {}  # `_dim`/`_match` report what is missing.
  if np.shape(conv2)[2] * 2 != np.shape(conv1)[3]:
    return {}
  model = {'name': 'deepfill_v2'}
  if np.shape(conv1)[2] == 6:
    model['guided'] = True
  return model


def convert_variables(variables: Mapping[str, np.ndarray], *,
                      rgb: bool = True) -> Converted:
  """Converts TF1 variables (name -> array) to our parameter trees.

  Args:
    variables: every variable of the checkpoint (slots and step included;
      they are skipped).
    rgb: fold the BGR -> RGB flip into the weights (see the module docstring).
      With False the parameters keep the original's BGR behaviour.

  Returns:
    The converted parameters.

  Raises:
    CheckpointMismatchError: listing every missing, unknown or misshapen
      variable under `inpaint_net/` (or `discriminator/`, when present).
  """
  real = {n: v for n, v in variables.items() if not is_optimizer_slot(n)}
  scopes = (GENERATOR_SCOPE + '/', DISCRIMINATOR_SCOPE + '/')
  ignored = sorted(n for n in variables
                   if n not in real or not n.startswith(scopes))
  model = generator_model(real)
  version = 'v2' if model else 'v1'
  cnum = _dim(real, f'{GENERATOR_SCOPE}/conv1/kernel', -1, 'v1/v2 generator')
  gen = _nest(_match(real, generator_variables(cnum, **model),
                     GENERATOR_SCOPE, f'{version} generator'))
  step = variables.get('global_step')
  out = Converted(generator=bgr.fold_bgr(gen) if rgb else gen,
                  cnum=cnum, rgb=rgb,
                  ignored=ignored,
                  global_step=None if step is None else int(np.asarray(step)),
                  model=model)
  if any(n.startswith(DISCRIMINATOR_SCOPE + '/') for n in real):
    what = f'{version} discriminator'
    if model:
      first = f'{DISCRIMINATOR_SCOPE}/{SN_SCOPE}/conv1/kernel'
      config = {'name': SN_SCOPE, 'cnum': _dim(real, first, -1, what),
                'in_features': _dim(real, first, 2, what)}
      table = sn_critic_variables(config['cnum'], config['in_features'])
    else:
      first = f'{DISCRIMINATOR_SCOPE}/discriminator_%s/conv1/kernel'
      config = {
          'cnum': _dim(real, first % 'local', -1, what),
          'local_in_features': _dim(real, first % 'local', 2, what),
          'global_in_features': _dim(real, first % 'global', 2, what),
      }
      table = critic_variables(**config)
    critics = _nest(_match(real, table, DISCRIMINATOR_SCOPE, what))
    out.critics = bgr.fold_bgr_critics(critics) if rgb else critics
    out.critic_config = config
  return out


# --------------------------------------------------------------------------
# Reading TF1 checkpoints and writing ours.


def resolve_checkpoint(path: str) -> str:
  """The TF checkpoint prefix named by `path`.

  Accepts a prefix (`.../snap-1000`, or one of its files such as
  `snap-1000.index`) or a directory with a `checkpoint` state file, with the
  released models' `checkpoint.txt` (no need to rename it), or with a single
  checkpoint. Stale absolute paths in the state file are looked up in the
  directory.
  """
  path = os.path.expanduser(path)
  if os.path.isdir(path):
    for state in STATE_FILES:
      state_path = os.path.join(path, state)
      if os.path.isfile(state_path):
        with open(state_path) as f:
          found = _STATE_LINE.search(f.read())
        if not found:
          raise FileNotFoundError(f'{state_path}: no model_checkpoint_path.')
        prefix = found.group(1)
        for candidate in (os.path.join(path, prefix),
                          os.path.join(path, os.path.basename(prefix))):
          if os.path.exists(candidate + '.index'):
            return candidate
        raise FileNotFoundError(
            f'{state_path} names {prefix!r}, but neither it nor '
            f'{os.path.basename(prefix)}.index exists in {path}.')
    prefixes = sorted(p[:-len('.index')]
                      for p in glob.glob(os.path.join(path, '*.index')))
    if len(prefixes) == 1:
      return prefixes[0]
    names = [os.path.basename(p) for p in prefixes]
    raise FileNotFoundError(
        f'{path}: no checkpoint state file ({" or ".join(STATE_FILES)}) and '
        f'{len(prefixes)} checkpoints {names}; pass a prefix.')
  prefix = re.sub(r'\.(index|meta|data-\d+-of-\d+)$', '', path)
  if not os.path.exists(prefix + '.index'):
    raise FileNotFoundError(f'{path}: no TF checkpoint ({prefix}.index).')
  return prefix


def read_tf_checkpoint(path: str) -> dict[str, np.ndarray]:
  """All variables of a TF checkpoint (see `resolve_checkpoint` for `path`).

  Needs TensorFlow (`pip install tensorflow-cpu`), imported here only.
  """
  prefix = resolve_checkpoint(path)
  try:
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise ImportError('Reading TF checkpoints needs TensorFlow: '
                      'pip install tensorflow-cpu') from e
  reader = tf.train.load_checkpoint(prefix)
  return {name: reader.get_tensor(name)
          for name in reader.get_variable_to_shape_map()}


def save_converted(output: str, converted: Converted, source: str = '') -> str:
  """Writes `converted` as an inference checkpoint (`load_generator` reads it;
  `checkpoints.critics.load_critics` reads its critics, when present)."""
  meta: dict[str, Any] = {'converted_from': {
      'format': 'tf1_checkpoint', 'checkpoint': source,
      'bgr_folded': converted.rgb, 'global_step': converted.global_step}}
  if not converted.rgb:
    meta['channel_order'] = 'BGR'
  gen = store.generator_from_params(converted.generator,
                                            converted.cnum, **converted.model)
  return store.save_generator(
      output, gen, critics=converted.critics,
      critic_config=converted.critic_config, **meta)


def convert_checkpoint(tf_checkpoint: str, output: str, *,
                       rgb: bool = True) -> Converted:
  """Reads a TF1 checkpoint, converts it and writes it to `output`."""
  prefix = resolve_checkpoint(tf_checkpoint)
  converted = convert_variables(read_tf_checkpoint(prefix), rgb=rgb)
  save_converted(output, converted, source=os.path.abspath(prefix))
  return converted
