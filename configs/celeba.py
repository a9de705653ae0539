# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""CelebA (`celeb_a` via TFDS) at 256x256.

Faces upscaled to 256 on the shorter side and randomly cropped, as the
original's setting for CelebA.

  python -m deepfill_jax.main --config=configs/celeba.py --workdir=DIR

Everything else is the paper's setting (configs/default.py): batch 16,
1M generator iterations of 5 critic updates and 1 generator update.
"""

import ml_collections

from deepfill_jax import default_config as default_lib


def get_config() -> ml_collections.ConfigDict:
  """Returns the celeba configuration."""
  return default_lib.tfds_config('celeb_a', random_crop=True)
