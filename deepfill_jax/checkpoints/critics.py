# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Critics stored beside a converted generator (`save_generator(critics=)`)."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import orbax.checkpoint as ocp
from flax import nnx

from deepfill_jax.checkpoints import bgr
from deepfill_jax.checkpoints import store
from deepfill_jax.models import GlobalCritic
from deepfill_jax.models import LocalCritic
from deepfill_jax.models import SNPatchGAN
from deepfill_jax.models import critics as critics_lib


def critics_from_params(critics: dict[str, bgr.Params], config: dict[str, Any]):
  """The critics holding the converted `critics` trees: (LocalCritic,
  GlobalCritic), or (SNPatchGAN,) when `config['name']` says so (its trees
  hold each conv's spectral-norm vector `u` beside kernel and bias)."""
  if config.get('name') == store.V2_CRITICS[0]:
    builders = {store.V2_CRITICS[0]: lambda: SNPatchGAN(
        config['cnum'], in_features=config['in_features'], rngs=nnx.Rngs(0))}
  else:
    builders = {n: lambda c=cls, n=n: c(
        config['cnum'], in_features=config[f'{n}_in_features'],
        rngs=nnx.Rngs(0))
                for n, cls in (('local', LocalCritic),
                               ('global', GlobalCritic))}
  modules = []
  for name, build in builders.items():
    module = nnx.eval_shape(build)
    state = nnx.state(module,
                      nnx.Any(nnx.Param, critics_lib.SpectralVector))
    nnx.replace_by_pure_dict(state, bgr.map_tree(jnp.asarray, critics[name]))
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
