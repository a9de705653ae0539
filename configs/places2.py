# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Places2 (places365_small via TFDS) at 256x256, as the released v1 model.

  python -m deepfill_jax.main --config=configs/places2.py --workdir=DIR

The paper's setting (configs/default.py): batch 16, random 256x256 crops,
1M generator iterations of 5 critic updates and 1 generator update, Adam
1e-4 (0.5, 0.9). The original took about 5 days on one GPU.
"""

import ml_collections

from deepfill_jax import default_config as default_lib


def get_config() -> ml_collections.ConfigDict:
  """Returns the Places2 configuration."""
  return default_lib.tfds_config('places365_small', random_crop=True)
