# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""deepfill_jax: DeepFill v1 (Yu et al., CVPR 2018) and v2 (ICCV 2019) in
JAX/Flax NNX.

  from deepfill_jax import Inpainter
  out = Inpainter.pretrained()(image, hole)

Names below are imported on first use, so `import deepfill_jax.models` stays
light.
"""

import importlib
from typing import Any

__version__ = "0.1.0"

_PUBLIC = {
    'Inpainter': 'deepfill_jax.inference.inpainter',
    'load_generator': 'deepfill_jax.checkpoints.store',
    'save_generator': 'deepfill_jax.checkpoints.store',
    'convert_checkpoint': 'deepfill_jax.checkpoints.convert',
    'train_and_evaluate': 'deepfill_jax.training.train',
    'get_config': 'deepfill_jax.default_config',
    'make_generator': 'deepfill_jax.models.registry',
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
  if name in _PUBLIC:
    return getattr(importlib.import_module(_PUBLIC[name]), name)
  raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
