# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Resuming a workdir with the model it holds, checked before any restore.

The fields of the recorded `config.json` that shape the parameters are
compared with the new config before orbax restores anything; a difference
is one line naming each field (recorded -> asked) and the two ways forward.
Training length, batch size, learning rate, data and dtype may change; the
image size only matters when it changes the critics' shapes. See
docs/reliability.md.
"""

from __future__ import annotations

import os
from typing import Any

import ml_collections
from etils import epath

from deepfill_jax.utils import files
from deepfill_jax.data import masks as masks_lib

CONFIG_FILE = 'config.json'
# Config fields that decide the shapes of the stored parameters.
STRUCTURE_FIELDS = ('model.name', 'model.cnum', 'model.contextual_attention',
                    'model.guided', 'model.critic_cnum', 'loss.gan_with_mask')


class ConfigMismatch(ValueError):
  """The config builds other networks than the workdir's checkpoints."""


def _get(tree: Any, dotted: str) -> Any:
  for key in dotted.split('.'):
    if not isinstance(tree, dict) or key not in tree:
      return None
    tree = tree[key]
  return tree


def critic_sizes(config: dict[str, Any]) -> str | None:
  """'local x global' critic input sizes of a config (as a dict), or None
  if the config does not say."""
  size, masks = config.get('image_size'), config.get('masks')
  if not isinstance(size, int) or not isinstance(masks, dict):
    return None
  try:
    box_h, _ = masks_lib.MaskGenerator(ml_collections.ConfigDict(masks),
                                       (size, size)).box_hw
  except (ValueError, TypeError, KeyError, AttributeError):
    return None
  return f'{box_h}/{size} px'


def structure(config: dict[str, Any]) -> dict[str, Any]:
  """What of a config (as a dict) shapes the stored parameters."""
  out = {f'config.{k}': _get(config, k) for k in STRUCTURE_FIELDS}
  out['critic input sizes (config.image_size, config.masks)'] = (
      critic_sizes(config))
  return out


def differences(recorded: dict[str, Any], asked: dict[str, Any]
                ) -> list[str]:
  """'field recorded -> asked' for each structure field that differs (fields
  the record lacks are not compared)."""
  have, want = structure(recorded), structure(asked)
  return [f'{k} {have[k]!r} -> {want[k]!r}' for k in want
          if have[k] is not None and have[k] != want[k]]


def check_resume(config: ml_collections.ConfigDict, workdir: str,
                 has_checkpoint: bool) -> None:
  """Refuses to resume `workdir` with a config of another structure.

  Args:
    config: the run's config.
    workdir: the training workdir.
    has_checkpoint: whether the workdir holds a step to resume (a workdir
      without one is simply started with `config`).

  Raises:
    ConfigMismatch: one line naming each differing field and what to do.
  """
  path = epath.Path(workdir) / CONFIG_FILE
  if not has_checkpoint or not path.exists():
    return
  try:
    recorded = files.read_json(path)
  except ValueError as e:
    raise ConfigMismatch(f'{path}: not valid JSON ({e}).') from e
  diffs = differences(recorded, config.to_dict())
  if diffs:
    raise ConfigMismatch(
        f'{os.fspath(workdir)} holds checkpoints of another model: '
        f'{"; ".join(diffs)}. Resume it with the config it was trained with, '
        'or start a new --workdir with --config.init_from='
        f'{os.fspath(workdir)} (with the same widths).')
