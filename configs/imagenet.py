# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""ImageNet (`imagenet2012` via TFDS, prepared by hand: docs/data.md).

Random 256x256 crops.

  python -m deepfill_jax.main --config=configs/imagenet.py --workdir=DIR

Everything else is the paper's setting (configs/default.py): batch 16,
1M generator iterations of 5 critic updates and 1 generator update.
"""

import ml_collections

from deepfill_jax import default_config as default_lib


def get_config() -> ml_collections.ConfigDict:
  """Returns the imagenet configuration."""
  return default_lib.tfds_config('imagenet2012', random_crop=True)
