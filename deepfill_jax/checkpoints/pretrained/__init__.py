# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Generator weights shipped inside the package (docs/model_card.md).

Each model is an inference checkpoint (`deepfill_jax.checkpoints.store`) in
a folder of this package, so `pip install` carries it:

  Inpainter.pretrained()             # DEFAULT
  Inpainter.pretrained('photos_v1')

The command-line tools take a model name wherever they take a checkpoint
(`--checkpoint=photos_v1`) and use DEFAULT when none is given.
"""

from __future__ import annotations

import os

# Name -> what it is. The weights live in the folder of the same name.
MODELS = {
    'photos_v1': 'The paper\'s network (width 32) trained on CPU on freely '
                 'licensed photographs, mostly landscapes and nature; '
                 'weights CC BY-SA 4.0.',
}
DEFAULT = 'photos_v1'


def path(name: str = DEFAULT) -> str:
  """The checkpoint folder of the shipped model `name`."""
  if name not in MODELS:
    raise ValueError(f'unknown pretrained model {name!r}; the package ships '
                     f'{", ".join(sorted(MODELS))}.')
  folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
  if not os.path.isdir(folder):
    raise FileNotFoundError(f'{folder}: the weights of {name!r} are missing '
                            'from this installation.')
  return folder


def resolve(checkpoint: str | None) -> str:
  """A checkpoint argument as a path: None -> DEFAULT's folder; a shipped
  model's name (with no folder of that name here) -> its folder; anything
  else unchanged."""
  if checkpoint is None or checkpoint == '':
    return path(DEFAULT)
  if checkpoint in MODELS and not os.path.exists(checkpoint):
    return path(checkpoint)
  return checkpoint
