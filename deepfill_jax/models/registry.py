# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The architectures by name (`config.model.name`, checkpoint metadata).

One `ModelSpec` per version says all that differs between them: generator,
critics, size grid, objective. 'deepfill_v1' (default): `InpaintGenerator`
with the local and global WGAN-GP critics. 'deepfill_v2': `GatedGenerator`
with the SN-PatchGAN critic and the hinge loss (docs/deepfill_v2.md).
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
from flax import nnx

from deepfill_jax.models import critics as critics_lib
from deepfill_jax.models.gated_generator import GatedGenerator
from deepfill_jax.models.generator import GRID
from deepfill_jax.models.generator import InpaintGenerator


@dataclasses.dataclass(frozen=True)
class CriticSpec:
  """One critic of a model.

  Attributes:
    item: its name in `TrainState.critics` and training checkpoints.
    key: its name in a converted checkpoint's critics.
    tf_scope: its TF scope under `discriminator/`.
    cls: the module.
    size: what fixes its input size ('box': the mask box, 'image': the
      training image), or None (any size: fully convolutional).
    conditioned: whether it also reads the mask (`config.loss.gan_with_mask`)
      and the sketch (`config.model.guided`) beside the image.
    in_features_key: the key of its input channels in a converted
      checkpoint's critic config.
  """
  item: str
  key: str
  tf_scope: str
  cls: type[nnx.Module]
  size: str | None
  conditioned: bool
  in_features_key: str


@dataclasses.dataclass(frozen=True)
class ModelSpec:
  """One architecture.

  Attributes:
    version: 'v1' or 'v2', for messages.
    generator: the generator class (`flow_upsampling`, ...); its
      `model_name` is the spec's `name`.
    guidance: whether the generator can take a sketch (`guided`).
    baseline: whether it has a variant without contextual attention.
    gated: whether its convolutions are gated (how the converter tells).
    critics: the critics, in the order the loss takes them.
    critics_name: the "name" of a converted checkpoint's critic config
      (None: v1's, which has none).
    grid: training image sizes are multiples of it.
    loss: the objective, 'wgan_gp' or 'hinge' (`training.losses`).
  """
  version: str
  generator: type[InpaintGenerator]
  guidance: bool
  baseline: bool
  gated: bool
  critics: tuple[CriticSpec, ...]
  critics_name: str | None
  grid: int
  loss: str

  @property
  def name(self) -> str:
    """`config.model.name` and generator.json's "model" "name"."""
    return self.generator.model_name

  @property
  def critic_items(self) -> tuple[str, ...]:
    return tuple(c.item for c in self.critics)


SPECS = {s.name: s for s in (
    ModelSpec(
        version='v1', generator=InpaintGenerator,
        guidance=False, baseline=True, gated=False,
        critics=(CriticSpec('local_critic', 'local', 'discriminator_local',
                            critics_lib.LocalCritic, 'box', False,
                            'local_in_features'),
                 CriticSpec('global_critic', 'global', 'discriminator_global',
                            critics_lib.GlobalCritic, 'image', False,
                            'global_in_features')),
        critics_name=None, grid=GRID, loss='wgan_gp'),
    ModelSpec(
        version='v2', generator=GatedGenerator,
        guidance=True, baseline=False, gated=True,
        critics=(CriticSpec('sn_patch_gan', 'sn_patch_gan', 'sn_patch_gan',
                            critics_lib.SNPatchGAN, None, True,
                            'in_features'),),
        critics_name='sn_patch_gan',
        grid=64,  # Six stride-2 critic convs.
        loss='hinge'),
)}
DEFAULT = 'deepfill_v1'
MODEL_NAMES = tuple(SPECS)
# Every critic item of every model (a training checkpoint holds one model's).
CRITIC_ITEMS = tuple(i for s in SPECS.values() for i in s.critic_items)


def check_name(name: str) -> str:
  """`name` if it is a known architecture, else a ValueError."""
  if name not in SPECS:
    raise ValueError(f'unknown model {name!r}; expected one of '
                     f'{MODEL_NAMES}.')
  return name


def spec(name: str | None = None) -> ModelSpec:
  """The spec of architecture `name` (None: the default)."""
  return SPECS[check_name(DEFAULT if name is None else name)]


def spec_of_critics(critics_name: str | None) -> ModelSpec:
  """The spec whose converted critic config says "name": `critics_name`."""
  for s in SPECS.values():
    if s.critics_name == critics_name:
      return s
  raise ValueError(f'unknown critics {critics_name!r}.')


def make_generator(name: str = DEFAULT, cnum: int = 32, *, rngs: nnx.Rngs,
                   dtype: jnp.dtype = jnp.float32,
                   contextual_attention: bool = True, guided: bool = False,
                   conv_backward: str = 'auto') -> InpaintGenerator:
  """The generator `name` with these settings.

  v1 has no guidance; v2 always has contextual attention. Asking otherwise
  is an error rather than a silently different network.
  """
  model = spec(name)
  if guided and not model.guidance:
    raise ValueError(f'{name} has no sketch guidance (guided=True).')
  if not contextual_attention and not model.baseline:
    raise ValueError(f'{name} has no baseline without contextual '
                     'attention.')
  options = {}
  if model.guidance:
    options['guided'] = guided
  if model.baseline:
    options['contextual_attention'] = contextual_attention
  return model.generator(cnum, rngs=rngs, dtype=dtype,
                         conv_backward=conv_backward, **options)
