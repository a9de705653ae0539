# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Training checkpoints: the orbax items of a run plus its data iterator."""

from __future__ import annotations

from typing import Any

import grain
import jax
import numpy as np
import orbax.checkpoint as ocp
from etils import epath

from deepfill_jax.checkpoints import critics as critics_lib
from deepfill_jax.checkpoints import store

# The grain iterator's item in a training checkpoint.
DATA_ITEM = 'data'



def checkpoint_manager(workdir: epath.Path, config: Any
                       ) -> ocp.CheckpointManager:
  """Saves every `checkpoint_every_steps`; keeps the last N and every K-th."""
  policies = ocp.checkpoint_managers
  keep = [policies.LatestN(config.keep_checkpoints)]
  if config.keep_checkpoint_every:
    keep.append(policies.EveryNSteps(config.keep_checkpoint_every))
  options = ocp.CheckpointManagerOptions(
      save_decision_policy=policies.FixedIntervalPolicy(
          config.checkpoint_every_steps),
      preservation_policy=policies.AnyPreservationPolicy(keep),
      enable_async_checkpointing=True, create=True)
  return ocp.CheckpointManager(workdir / store.CHECKPOINTS_DIR, options=options)


def save_training(mngr: ocp.CheckpointManager, step: int,
                  items: dict[str, Any], data: grain.DatasetIterator, *,
                  force: bool = False) -> bool:
  """Saves the state `items` after `step` iterations (asynchronously) if the
  policy says so or `force`; `data` is the iterator that fed them."""
  args = {k: ocp.args.StandardSave(v) for k, v in items.items()}
  args[DATA_ITEM] = grain.checkpoint.CheckpointSave(data)
  return mngr.save(step, args=ocp.args.Composite(**args), force=force)


def restore_training(mngr: ocp.CheckpointManager, items: dict[str, Any],
                     data: grain.DatasetIterator, step: int
                     ) -> dict[str, Any]:
  """Restores the items of `step` into the shapes and shardings of `items`;
  the iterator `data` (from `input_pipeline.create_dataset` with the same
  config, split and process index/count) is restored in place."""
  abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, items)
  args = {k: ocp.args.StandardRestore(v) for k, v in abstract.items()}
  args[DATA_ITEM] = grain.checkpoint.CheckpointRestore(data)
  restored = mngr.restore(step, args=ocp.args.Composite(**args))
  return {k: restored[k] for k in items}


def replicate_like(tree: Any, like: Any) -> Any:
  """Host values -> global arrays with the dtypes and shardings of `like`."""
  def put(x, ref):
    x = np.asarray(x, ref.dtype)
    if x.shape != ref.shape:
      raise ValueError(f'shape {x.shape} does not match {ref.shape}.')
    return jax.make_array_from_callback(x.shape, ref.sharding,
                                        lambda idx: x[idx])
  return jax.tree.map(put, tree, like)


def load_training_critics(path: str, like: dict[str, Any]
                          ) -> dict[str, Any] | None:
  """Critic parameters stored with a generator at `path` (a training workdir
  or a converted checkpoint), if any, placed like `like` (a run's critics,
  keyed by its model spec's critic items).

  Raises:
    ValueError: the stored critics are not those of `like` or do not have
      their shapes.
  """
  root = epath.Path(path)
  names = tuple(like)
  if (root / store.CHECKPOINTS_DIR).is_dir():  # A training workdir.
    with ocp.CheckpointManager(root / store.CHECKPOINTS_DIR) as mngr:
      step = mngr.latest_step()
      if step is None or not all(k in mngr.item_metadata(step)
                                 for k in names):
        return None
      # Restored straight into the shardings of `like`.
      target = jax.tree.map(ocp.utils.to_shape_dtype_struct, like)
      restored = mngr.restore(step, args=ocp.args.Composite(
          **{k: ocp.args.StandardRestore(target[k]) for k in names}))
      return {k: restored[k] for k in names}
  critics = critics_lib.load_critics(str(root))
  if critics is None:
    return None
  if len(critics) != len(names):
    raise ValueError(f'{path} holds {len(critics)} critics, the run has '
                     f'{len(names)} ({", ".join(names)}).')
  return replicate_like(dict(zip(names, map(store.pure_params, critics))), like)

