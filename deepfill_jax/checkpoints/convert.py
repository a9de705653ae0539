# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Import of the original DeepFill v1 and v2 TF1 checkpoints.

The name table and array transforms work on NumPy arrays; only
`read_tf_checkpoint` imports TensorFlow. Every parameter has exactly one TF
name (`inpaint_net/<layer>/kernel`, `discriminator/...`); v2 is told from
the gated convolutions' channel counts; the original's BGR order is folded
into the first and last convolutions (`rgb=True`). Optimizer slots and
variables outside `inpaint_net/` and `discriminator/` are ignored; unknown,
missing or misshapen ones are an error listing them all. See
docs/checkpoints.md, docs/spec.md §1, §3 and docs/deepfill_v2.md.
"""

from __future__ import annotations

import dataclasses
import glob
import os
import re
from typing import Any, Callable, Mapping

import numpy as np
from flax import nnx
from flax import traverse_util

from deepfill_jax.checkpoints import store


from deepfill_jax.checkpoints import bgr
from deepfill_jax.models import critics as critics_lib
from deepfill_jax.models import make_generator
from deepfill_jax.models import registry

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
    """The architecture's name (`models.registry`)."""
    return self.model.get('name', registry.DEFAULT)


# --------------------------------------------------------------------------
# Name table.


Table = dict[str, tuple[ParamPath, tuple[int, ...]]]


def _abstract_params(build: Callable[[], Any]
                     ) -> dict[ParamPath, tuple[int, ...]]:
  """{param path: shape} of the module `build()` makes, without compute."""
  module = nnx.eval_shape(build)
  pure = store.pure_params(module)
  return {k: tuple(v.shape)
          for k, v in traverse_util.flatten_dict(pure).items()}


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


def critic_tf_name(scope: str, path: ParamPath) -> str:
  """TF variable name of a critic parameter path; `scope` is the critic's
  (`CriticSpec.tf_scope`). v1's dense heads sit beside the scopes, v2's
  spectral-norm vectors `u` are `kernel_sn/u`."""
  layer, param = path
  param = 'kernel_sn/u' if param == 'u' else param
  if layer.startswith('dout_'):
    return f'{DISCRIMINATOR_SCOPE}/{layer}/{param}'
  return f'{DISCRIMINATOR_SCOPE}/{scope}/{layer}/{param}'


def generator_variables(cnum: int = 32, **model: Any) -> Table:
  """The generator's name table: TF name -> (param path, shape); `model`
  as `models.make_generator`'s (`name`, `guided`)."""
  shapes = _abstract_params(lambda: make_generator(cnum=cnum,
                                                   rngs=nnx.Rngs(0), **model))
  return {generator_tf_name(p): (p, s) for p, s in sorted(shapes.items())}


def critic_variables(config: Mapping[str, Any] | None = None,
                     name: str = registry.DEFAULT) -> Table:
  """Model `name`'s critic name table: TF name -> ((critic key, *param
  path), shape), spectral-norm vectors `u` included. `config` as
  `Converted.critic_config` (default: the critics' default widths)."""
  config = config or {}
  table = {}
  for c in registry.spec(name).critics:
    options = ({'in_features': config[c.in_features_key]}
               if c.in_features_key in config else {})
    module = nnx.eval_shape(lambda c=c, o=options: c.cls(
        config.get('cnum', 64), rngs=nnx.Rngs(0), **o))
    pure = nnx.to_pure_dict(nnx.state(
        module, nnx.Any(nnx.Param, critics_lib.SpectralVector)))
    for p, v in sorted(traverse_util.flatten_dict(pure).items()):
      table[critic_tf_name(c.tf_scope, p)] = ((c.key,) + p, tuple(v.shape))
  return table


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
  {} for v1, {'name': <the gated model>} (plus 'guided': True with a sketch
  channel) for the gated v2 (module docstring)."""
  conv1, conv2 = (variables.get(f'{GENERATOR_SCOPE}/{n}/kernel')
                  for n in ('conv1', 'conv2_downsample'))
  if conv1 is None or conv2 is None:
    return {}  # `_dim`/`_match` report what is missing.
  gated = np.shape(conv2)[2] * 2 == np.shape(conv1)[3]
  spec = next(s for s in registry.SPECS.values() if s.gated == gated)
  model = {} if spec.name == registry.DEFAULT else {'name': spec.name}
  if spec.guidance and np.shape(conv1)[2] == 6:
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
  spec = registry.spec(model.get('name'))
  version = spec.version
  cnum = _dim(real, f'{GENERATOR_SCOPE}/conv1/kernel', -1, 'v1/v2 generator')
  gen = traverse_util.unflatten_dict(_match(
      real, generator_variables(cnum, **model), GENERATOR_SCOPE,
      f'{version} generator'))
  step = variables.get('global_step')
  out = Converted(generator=bgr.fold_bgr(gen) if rgb else gen,
                  cnum=cnum, rgb=rgb,
                  ignored=ignored,
                  global_step=None if step is None else int(np.asarray(step)),
                  model=model)
  if any(n.startswith(DISCRIMINATOR_SCOPE + '/') for n in real):
    what = f'{version} discriminator'
    firsts = {c: critic_tf_name(c.tf_scope, ('conv1', 'kernel'))
              for c in spec.critics}
    config = {} if spec.critics_name is None else {'name': spec.critics_name}
    config['cnum'] = _dim(real, firsts[spec.critics[0]], -1, what)
    for c, first in firsts.items():
      config[c.in_features_key] = _dim(real, first, 2, what)
    table = critic_variables(config, spec.name)
    critics = traverse_util.unflatten_dict(
        _match(real, table, DISCRIMINATOR_SCOPE, what))
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
