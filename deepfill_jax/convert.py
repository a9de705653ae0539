# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Import of the original DeepFill v1 TF1 checkpoints (docs/spec.md §1, §3).

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

from deepfill_jax import checkpointing
from deepfill_jax.models import GlobalCritic
from deepfill_jax.models import InpaintGenerator
from deepfill_jax.models import LocalCritic

GENERATOR_SCOPE = 'inpaint_net'
DISCRIMINATOR_SCOPE = 'discriminator'
# TF1 optimizer slot variables: `<variable>/<Optimizer>[_<n>]`.
_SLOT = re.compile(r'/(Adam|Momentum|RMSProp|Adagrad|AdagradDA|Adadelta|Ftrl'
                   r'|ExponentialMovingAverage)(_\d+)?$')
_STATE_LINE = re.compile(r'^\s*model_checkpoint_path:\s*"(.*)"\s*$', re.M)
STATE_FILES = ('checkpoint', 'checkpoint.txt')

Params = dict[str, Any]  # A pure nested dict of arrays, as nnx.to_pure_dict.
ParamPath = tuple[str, ...]


class CheckpointMismatchError(ValueError):
  """The checkpoint's variables do not match the DeepFill v1 layout."""


@dataclasses.dataclass
class Converted:
  """Parameters converted from a TF1 checkpoint.

  Attributes:
    generator: generator parameters as a pure dict (`nnx.to_pure_dict`).
    cnum: generator base width (32 for the released models).
    critics: `{'local': ..., 'global': ...}` pure dicts, or None when the
      checkpoint has no discriminator.
    critic_config: `{'cnum', 'local_in_features', 'global_in_features'}`, or
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
  pure = checkpointing.pure_params(module)
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
  """TF variable name of a `LocalCritic`/`GlobalCritic` parameter path."""
  layer, param = path
  if layer.startswith('dout_'):
    return f'{DISCRIMINATOR_SCOPE}/{layer}/{param}'
  return f'{DISCRIMINATOR_SCOPE}/discriminator_{critic}/{layer}/{param}'


def generator_variables(cnum: int = 32) -> Table:
  """The generator's name table: TF name -> (param path, shape)."""
  shapes = _abstract_params(lambda: InpaintGenerator(cnum, rngs=nnx.Rngs(0)))
  return {generator_tf_name(p): (p, s) for p, s in sorted(shapes.items())}


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
        f'The checkpoint does not match the DeepFill v1 {what} '
        f'({len(table)} variables expected under {scope}/). Variables '
        + '\n'.join(problems))
  return {table[n][0]: np.asarray(variables[n], np.float32) for n in names}


def _dim(variables: Mapping[str, np.ndarray], name: str, axis: int,
         what: str) -> int:
  if name not in variables:
    raise CheckpointMismatchError(
        f'Not a DeepFill v1 {what}: no variable {name} (found '
        f'{len(variables)} variables, e.g. {sorted(variables)[:5]}).')
  return int(np.shape(variables[name])[axis])


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
  cnum = _dim(real, f'{GENERATOR_SCOPE}/conv1/kernel', -1, 'generator')
  gen = _nest(_match(real, generator_variables(cnum), GENERATOR_SCOPE,
                     'generator'))
  step = variables.get('global_step')
  out = Converted(generator=checkpointing.fold_bgr(gen) if rgb else gen,
                  cnum=cnum, rgb=rgb,
                  ignored=ignored,
                  global_step=None if step is None else int(np.asarray(step)))
  if any(n.startswith(DISCRIMINATOR_SCOPE + '/') for n in real):
    first = f'{DISCRIMINATOR_SCOPE}/discriminator_%s/conv1/kernel'
    config = {
        'cnum': _dim(real, first % 'local', -1, 'discriminator'),
        'local_in_features': _dim(real, first % 'local', 2, 'discriminator'),
        'global_in_features': _dim(real, first % 'global', 2, 'discriminator'),
    }
    flat = _match(real, critic_variables(**config), DISCRIMINATOR_SCOPE,
                  'discriminator')
    critics = _nest(flat)
    out.critics = checkpointing.fold_bgr_critics(critics) if rgb else critics
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
  `checkpointing.load_critics` reads its critics, when present)."""
  meta: dict[str, Any] = {'converted_from': {
      'format': 'tf1_checkpoint', 'checkpoint': source,
      'bgr_folded': converted.rgb, 'global_step': converted.global_step}}
  if not converted.rgb:
    meta['channel_order'] = 'BGR'
  gen = checkpointing.generator_from_params(converted.generator,
                                            converted.cnum)
  return checkpointing.save_generator(
      output, gen, critics=converted.critics,
      critic_config=converted.critic_config, **meta)


def convert_checkpoint(tf_checkpoint: str, output: str, *,
                       rgb: bool = True) -> Converted:
  """Reads a TF1 checkpoint, converts it and writes it to `output`."""
  prefix = resolve_checkpoint(tf_checkpoint)
  converted = convert_variables(read_tf_checkpoint(prefix), rgb=rgb)
  save_converted(output, converted, source=os.path.abspath(prefix))
  return converted
