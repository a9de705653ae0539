# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Generator checkpoints on disk (orbax), local or remote (`etils.epath`).

`load_generator` reads an inference checkpoint (`DIR/generator.json` +
`DIR/params/`, written by `save_generator`, `deepfill-export` and
`deepfill-convert`; `generator.json` is written last) or a training workdir
(`WORKDIR/checkpoints/<step>/`, item `generator`; latest step unless one is
given). The format, version, model config, inference settings and channel
order in `generator.json` are checked on load. Layouts and fields:
docs/checkpoints.md.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp
from etils import epath
from flax import nnx

from deepfill_jax.utils import files
from deepfill_jax.checkpoints import bgr
from deepfill_jax.checkpoints import pretrained
from deepfill_jax.models import InpaintGenerator
from deepfill_jax.models import make_generator
from deepfill_jax.models import registry

FORMAT = 'deepfill_jax.generator'
VERSION = 1
META_FILE = 'generator.json'
PARAMS_DIR = 'params'
CHECKPOINTS_DIR = 'checkpoints'
GENERATOR_ITEM = 'generator'
CHANNEL_ORDERS = ('RGB', 'BGR')
# Critics stored beside a converted generator (`save_generator(critics=)`).
CRITICS_DIR = 'critics'
# The critics' items in a training checkpoint, and their training names:
# those of the model's spec (`models.registry`).
ALL_CRITICS = registry.CRITIC_ITEMS
# Model config keys of generator.json and their types.
_MODEL_KEYS = {'cnum': int, 'contextual_attention': bool, 'name': str,
               'guided': bool}



def check_two_scale(width: object) -> int:
  """`width` (pixels of the 2x band; 0: off) as an int, or a ValueError."""
  if isinstance(width, (bool, np.bool_)) or not isinstance(
      width, (int, np.integer)) or width < 0:
    raise ValueError(f'two_scale must be a whole number of pixels >= 0 '
                     f'(0: one pass), got {width!r}.')
  return int(width)


def as_path(path: str | os.PathLike) -> epath.Path:
  """An absolute `epath.Path` (local paths resolved against the cwd)."""
  if files.is_remote(path):
    return epath.Path(path)
  return epath.Path(os.path.abspath(os.path.expanduser(os.fspath(path))))


def pure_params(module: nnx.Module) -> dict[str, Any]:
  """A module's parameters as a pure (class-free) nested dict, the form
  checkpoints store (e.g. {'conv1': {'kernel': ...}})."""
  return nnx.to_pure_dict(nnx.state(module, nnx.Param))


def generator_meta(gen: InpaintGenerator, **extra: Any) -> dict[str, Any]:
  """The JSON metadata that rebuilds `gen` (architecture, channel order)."""
  model = {'cnum': gen.cnum}
  if not getattr(gen, 'contextual_attention', True):
    model['contextual_attention'] = False
  if gen.model_name != registry.DEFAULT:
    model['name'] = gen.model_name
  if gen.guided:
    model['guided'] = True
  meta = {'format': FORMAT, 'version': VERSION, 'model': model,
          'channel_order': 'RGB'}
  meta.update(extra)
  return meta


def write_meta(directory: str | os.PathLike, meta: dict[str, Any]) -> None:
  """Writes `generator.json` into `directory` (created if needed), atomically.

  In multi-process runs call it from process 0 only.
  """
  directory = as_path(directory)
  directory.mkdir(parents=True, exist_ok=True)
  files.write_json(directory / META_FILE, meta)


def save_generator(path: str | os.PathLike, gen: InpaintGenerator, *,
                   critics: dict[str, Any] | None = None,
                   critic_config: dict[str, int] | None = None,
                   **meta: Any) -> str:
  """Writes an inference checkpoint of `gen` to `path` (must not hold one).

  `critics` ({'local': params, 'global': params}, built as `critic_config`
  says) go to `path/critics/`, read back by `load_critics`.
  """
  path = as_path(path)
  if (path / PARAMS_DIR).exists() or (path / META_FILE).exists():
    raise FileExistsError(f'{path} already holds a checkpoint; choose a new '
                          'directory.')
  path.mkdir(parents=True, exist_ok=True)
  if critics is not None:
    meta['critics'] = dict(critic_config, dir=CRITICS_DIR)
    with ocp.StandardCheckpointer() as ckptr:
      ckptr.save(path / CRITICS_DIR, jax.tree.map(jnp.asarray, critics),
                force=True)
      ckptr.wait_until_finished()
  with ocp.StandardCheckpointer() as ckptr:
    ckptr.save(path / PARAMS_DIR, pure_params(gen))
    ckptr.wait_until_finished()
  write_meta(path, generator_meta(gen, **meta))  # Last: marks it complete.
  return os.fspath(path)


def abstract_generator(cnum: int = 32, dtype: jnp.dtype = jnp.float32,
                       **model: Any) -> InpaintGenerator:
  """A generator whose parameters are shape placeholders (no compute);
  `model` as generator.json's (`name`, `guided`, ...)."""
  return nnx.eval_shape(lambda: make_generator(cnum=cnum, rngs=nnx.Rngs(0),
                                               dtype=dtype, **model))


def read_meta(directory: str | os.PathLike) -> dict[str, Any]:
  """Reads and checks `generator.json`; one-line errors naming the file."""
  meta_path = as_path(directory) / META_FILE
  if not meta_path.exists():
    raise FileNotFoundError(
        f'{directory}: not a deepfill_jax checkpoint (no {META_FILE}).')
  try:
    meta = files.read_json(meta_path)
  except ValueError as e:
    raise ValueError(f'{meta_path}: not valid JSON ({e}).') from e
  if not isinstance(meta, dict) or meta.get('format') != FORMAT:
    found = meta.get('format') if isinstance(meta, dict) else None
    raise ValueError(f'{meta_path}: unknown format {found!r}; expected '
                     f'{FORMAT!r}.')
  version = meta.get('version')
  if not isinstance(version, int) or isinstance(version, bool) or version < 1:
    raise ValueError(f'{meta_path}: bad format version {version!r}.')
  if version > VERSION:
    raise ValueError(f'{meta_path}: format version {version} was written by '
                     f'a newer deepfill_jax; this one reads up to {VERSION}.')
  model = meta.get('model')
  if not isinstance(model, dict) or 'cnum' not in model:
    raise ValueError(f'{meta_path}: no "model" config with "cnum".')
  for key, value in model.items():
    kind = _MODEL_KEYS.get(key)
    if kind is None:
      raise ValueError(f'{meta_path}: unknown model setting {key!r} (known: '
                       f'{", ".join(_MODEL_KEYS)}).')
    # Exact types: True is not a width, 32.0 is not a flag.
    bad_name = key == 'name' and value not in registry.MODEL_NAMES
    if type(value) is not kind or (kind is int and value < 1) or bad_name:  # pylint: disable=unidiomatic-typecheck
      raise ValueError(f'{meta_path}: bad model setting {key}={value!r}.')
  inference = meta.get('inference', {})
  if not isinstance(inference, dict) or set(inference) - {'two_scale',
                                                          'blend'}:
    raise ValueError(f'{meta_path}: bad "inference" settings {inference!r} '
                     '(known: two_scale, blend).')
  if type(inference.get('blend', False)) is not bool:  # pylint: disable=unidiomatic-typecheck
    raise ValueError(f'{meta_path}: bad "inference" blend '
                     f'{inference["blend"]!r} (true or false).')
  if 'two_scale' in inference:
    try:
      check_two_scale(inference['two_scale'])
    except ValueError as e:
      raise ValueError(f'{meta_path}: {e}') from None
  order = meta.get('channel_order', 'RGB')
  if order not in CHANNEL_ORDERS:
    raise ValueError(f'{meta_path}: unknown channel_order {order!r}; '
                     f'expected one of {CHANNEL_ORDERS}.')
  return meta


def local_target(tree: Any) -> Any:
  """Restore placeholders (shape, dtype) on this process's first device.

  Without a sharding orbax would recreate the one saved, which needs the
  device count of the run that wrote it (8 TPU cores, say); with it, a
  checkpoint written on any mesh restores on any machine.
  """
  device = jax.sharding.SingleDeviceSharding(jax.local_devices()[0])
  return jax.tree.map(
      lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=device), tree)


def load_generator(path: str | os.PathLike | None, *,
                   step: int | None = None,
                   dtype: jnp.dtype = jnp.float32
                   ) -> tuple[InpaintGenerator, dict[str, Any]]:
  """Loads a generator from an inference checkpoint or a training workdir.

  Args:
    path: inference checkpoint directory or training workdir (local or an
      `etils.epath` path such as gs://...), or the name of a model shipped
      with the package (`deepfill_jax.checkpoints.pretrained`; None: the default one).
    step: training step to load from a workdir (default: the latest). An
      error for an inference checkpoint, which has no steps.
    dtype: compute dtype of the returned generator (params stay float32).

  Returns:
    (generator taking RGB, metadata dict from generator.json; a BGR
    checkpoint's metadata says "channel_order": "RGB" and
    "stored_channel_order": "BGR").

  Raises:
    FileNotFoundError: no checkpoint at `path`, or no step in the workdir.
    ValueError: metadata that this version cannot honour, or a bad `step`.
  """
  path = as_path(pretrained.resolve(path))
  if not path.is_dir():
    raise FileNotFoundError(f'{path}: checkpoint directory does not exist.')
  meta = read_meta(path)
  gen = abstract_generator(dtype=dtype, **meta['model'])
  param_state = nnx.state(gen, nnx.Param)
  target = local_target(nnx.to_pure_dict(param_state))
  if (path / PARAMS_DIR).is_dir():
    if step is not None:
      raise ValueError(f'{path}: an inference checkpoint has no training '
                       f'steps; do not ask for step {step}.')
    with ocp.StandardCheckpointer() as ckptr:
      params = ckptr.restore(path / PARAMS_DIR, target)
  elif (path / CHECKPOINTS_DIR).is_dir():
    with ocp.CheckpointManager(path / CHECKPOINTS_DIR) as mngr:
      steps = sorted(mngr.all_steps())
      if not steps:
        raise FileNotFoundError(f'{path}: the workdir has no checkpoint yet.')
      step = steps[-1] if step is None else step
      if step not in steps:
        shown = ', '.join(map(str, steps[-10:]))
        raise ValueError(f'{path}: no checkpoint of step {step}; the workdir '
                         f'has steps {shown}.')
      restored = mngr.restore(step, args=ocp.args.Composite(
          **{GENERATOR_ITEM: ocp.args.StandardRestore(target)}))
      params = restored[GENERATOR_ITEM]
    meta = dict(meta, step=int(step))
  else:
    raise FileNotFoundError(f'{path}: has {META_FILE} but neither '
                            f'{PARAMS_DIR}/ nor {CHECKPOINTS_DIR}/.')
  if meta.get('channel_order', 'RGB') == 'BGR':
    params = jax.tree.map(jnp.asarray, bgr.fold_bgr(params))
    meta = dict(meta, channel_order='RGB', stored_channel_order='BGR')
  nnx.replace_by_pure_dict(param_state, params)
  nnx.update(gen, param_state)
  return gen, meta


def average_generators(path: str | os.PathLike, steps: Sequence[int]
                       ) -> tuple[InpaintGenerator, dict[str, Any]]:
  """(generator, meta) whose parameters are the mean of a workdir's `steps`
  (weight averaging; float64 sums, float32 result). The metadata is the
  last step's, with `averaged_steps`."""
  loaded = [load_generator(path, step=s) for s in steps]
  gen, meta = loaded[-1]
  params = [nnx.state(g, nnx.Param) for g, _ in loaded]
  mean = jax.tree.map(
      lambda *xs: (sum(np.asarray(x, np.float64) for x in xs)
                   / len(xs)).astype(np.float32), *params)
  nnx.update(gen, mean)
  return gen, dict(meta, averaged_steps=[int(s) for s in steps])



def generator_from_params(params: bgr.Params, cnum: int = 32, **model: Any):
  """A generator (`model` as `abstract_generator`'s) holding `params`."""
  gen = abstract_generator(cnum, **model)
  state = nnx.state(gen, nnx.Param)
  nnx.replace_by_pure_dict(state, jax.tree.map(jnp.asarray, params))
  nnx.update(gen, state)
  return gen

