# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Critics stored beside a converted generator (`save_generator(critics=)`)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import orbax.checkpoint as ocp
from flax import nnx

from deepfill_jax.checkpoints import bgr
from deepfill_jax.checkpoints import store
from deepfill_jax.models import critics as critics_lib
from deepfill_jax.models import registry


def critics_from_params(critics: dict[str, bgr.Params], config: dict[str, Any]):
  """The critics holding the converted `critics` trees, those of the model
  whose critics `config['name']` names (v1's local and global critics when
  it names none; v2's trees hold each conv's spectral-norm vector `u`)."""
  model = registry.spec_of_critics(config.get('name'))
  modules = []
  for c in model.critics:
    module = nnx.eval_shape(lambda c=c: c.cls(
        config['cnum'], in_features=config[c.in_features_key],
        rngs=nnx.Rngs(0)))
    state = nnx.state(module,
                      nnx.Any(nnx.Param, critics_lib.SpectralVector))
    nnx.replace_by_pure_dict(state, jax.tree.map(jnp.asarray, critics[c.key]))
    nnx.update(module, state)
    modules.append(module)
  return tuple(modules)


def load_critics(path: str):
  """The critics of a converted checkpoint (see `critics_from_params`), or
  None."""
  meta = store.read_meta(path)
  config = meta.get('critics')
  if config is None:
    return None
  with ocp.StandardCheckpointer() as ckptr:
    critics = ckptr.restore(store.as_path(path) / config['dir'])
  if meta.get('channel_order', 'RGB') == 'BGR':  # Taken as RGB, as the G.
    critics = bgr.fold_bgr_critics(critics)
  return critics_from_params(critics, config)
