# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""CelebA-HQ (`celeb_a_hq` via TFDS) resized to 256x256.

The last 2000 images are the evaluation split, as the released CelebA-HQ
model's setting (resize, no crop).

  python -m deepfill_jax.main --config=configs/celeba_hq.py --workdir=DIR

Everything else is the paper's setting (configs/default.py): batch 16,
1M generator iterations of 5 critic updates and 1 generator update.
"""

import ml_collections

from deepfill_jax import default_config as default_lib


def get_config() -> ml_collections.ConfigDict:
  """Returns the celeba_hq configuration."""
  return default_lib.tfds_config('celeb_a_hq', random_crop=False)
