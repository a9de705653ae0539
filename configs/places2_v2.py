# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""DeepFill v2 on Places2 (places365_small via TFDS), random 256x256 crops.

  python -m deepfill_jax.main --config=configs/places2_v2.py --workdir=DIR

The original v2 settings (configs/celeba_hq_v2.py) with random crops, as its
`inpaint.yml` asks for places2. See docs/deepfill_v2.md.
"""

import ml_collections

from deepfill_jax import default_config as default_lib


def get_config() -> ml_collections.ConfigDict:
  """Returns the DeepFill v2 Places2 configuration."""
  return default_lib.deepfill_v2(
      default_lib.tfds_config('places365_small', random_crop=True))
