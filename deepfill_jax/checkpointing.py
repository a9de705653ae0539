# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Generator checkpoints on disk (orbax).

Two layouts are understood by `load_generator`:

* An **inference checkpoint** (written by `save_generator`, by
  `tools/export.py` and by `tools/convert_tf_checkpoint.py`):

      DIR/generator.json   {"format": "deepfill_jax.generator", "version": 1,
                            "model": {"cnum": 32}, "channel_order": "RGB", ...}
      DIR/params/          orbax StandardCheckpointer of the generator's
                           parameters as a pure dict ({'conv1': {'kernel':...}})

* A **training workdir**: `WORKDIR/checkpoints/<step>/` written by an orbax
  `CheckpointManager` whose composite checkpoint has an item named `generator`
  holding the same pure dict, and `WORKDIR/generator.json` as above. The
  latest step is used unless one is given.
"""

from __future__ import annotations

import json
import os
from typing import Any

import jax
import jax.numpy as jnp
import orbax.checkpoint as ocp
from flax import nnx

from deepfill_jax.models import InpaintGenerator

FORMAT = 'deepfill_jax.generator'
VERSION = 1
META_FILE = 'generator.json'
PARAMS_DIR = 'params'
CHECKPOINTS_DIR = 'checkpoints'
GENERATOR_ITEM = 'generator'


def generator_params(gen: InpaintGenerator) -> dict[str, Any]:
  """The generator's parameters as a pure (class-free) nested dict."""
  return nnx.to_pure_dict(nnx.state(gen, nnx.Param))


def generator_meta(gen: InpaintGenerator, **extra: Any) -> dict[str, Any]:
  """The JSON metadata that rebuilds `gen` (architecture, channel order)."""
  meta = {'format': FORMAT, 'version': VERSION,
          'model': {'cnum': gen.cnum}, 'channel_order': 'RGB'}
  meta.update(extra)
  return meta


def write_meta(directory: str, meta: dict[str, Any]) -> None:
  """Writes `generator.json` into `directory` (created if needed)."""
  os.makedirs(directory, exist_ok=True)
  with open(os.path.join(directory, META_FILE), 'w') as f:
    json.dump(meta, f, indent=2, sort_keys=True)


def save_generator(path: str, gen: InpaintGenerator, **meta: Any) -> str:
  """Writes an inference checkpoint of `gen` to `path` (must not exist)."""
  path = os.path.abspath(path)
  if os.path.exists(os.path.join(path, PARAMS_DIR)):
    raise FileExistsError(f'{path} already holds a checkpoint; choose a new '
                          'directory.')
  write_meta(path, generator_meta(gen, **meta))
  with ocp.StandardCheckpointer() as ckptr:
    ckptr.save(os.path.join(path, PARAMS_DIR), generator_params(gen))
    ckptr.wait_until_finished()
  return path


def abstract_generator(cnum: int = 32, dtype: jnp.dtype = jnp.float32
                       ) -> InpaintGenerator:
  """A generator whose parameters are shape placeholders (no compute)."""
  return nnx.eval_shape(lambda: InpaintGenerator(cnum, rngs=nnx.Rngs(0),
                                                 dtype=dtype))


def _read_meta(directory: str) -> dict[str, Any]:
  meta_path = os.path.join(directory, META_FILE)
  if not os.path.exists(meta_path):
    raise FileNotFoundError(
        f'{directory}: not a deepfill_jax checkpoint (no {META_FILE}).')
  with open(meta_path) as f:
    meta = json.load(f)
  if meta.get('format') != FORMAT:
    raise ValueError(f'{meta_path}: unknown format {meta.get("format")!r}.')
  return meta


def load_generator(path: str, *, step: int | None = None,
                   dtype: jnp.dtype = jnp.float32
                   ) -> tuple[InpaintGenerator, dict[str, Any]]:
  """Loads a generator from an inference checkpoint or a training workdir.

  Args:
    path: inference checkpoint directory or training workdir.
    step: training step to load from a workdir (default: the latest).
    dtype: compute dtype of the returned generator (params stay float32).

  Returns:
    (generator, metadata dict from generator.json).
  """
  path = os.path.abspath(path)
  if not os.path.isdir(path):
    raise FileNotFoundError(f'{path}: checkpoint directory does not exist.')
  meta = _read_meta(path)
  gen = abstract_generator(meta['model']['cnum'], dtype)
  param_state = nnx.state(gen, nnx.Param)
  target = jax.tree.map(ocp.utils.to_shape_dtype_struct,
                        nnx.to_pure_dict(param_state))
  if os.path.isdir(os.path.join(path, PARAMS_DIR)):
    with ocp.StandardCheckpointer() as ckptr:
      params = ckptr.restore(os.path.join(path, PARAMS_DIR), target)
  elif os.path.isdir(os.path.join(path, CHECKPOINTS_DIR)):
    with ocp.CheckpointManager(os.path.join(path, CHECKPOINTS_DIR)) as mngr:
      step = mngr.latest_step() if step is None else step
      if step is None:
        raise FileNotFoundError(f'{path}: the workdir has no checkpoint yet.')
      restored = mngr.restore(step, args=ocp.args.Composite(
          **{GENERATOR_ITEM: ocp.args.StandardRestore(target)}))
      params = restored[GENERATOR_ITEM]
    meta = dict(meta, step=int(step))
  else:
    raise FileNotFoundError(f'{path}: has {META_FILE} but neither '
                            f'{PARAMS_DIR}/ nor {CHECKPOINTS_DIR}/.')
  nnx.replace_by_pure_dict(param_state, params)
  nnx.update(gen, param_state)
  return gen, meta
