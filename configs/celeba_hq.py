# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""CelebA-HQ (celeb_a_hq via TFDS; the last 2000 images are the evaluation split) resized to 256x256, as the released CelebA-HQ model.

  python -m deepfill_jax.main --config=configs/celeba_hq.py --workdir=DIR

Everything else is the paper's setting (configs/default.py): batch 16,
1M generator iterations of 5 critic updates and 1 generator update.
"""

import ml_collections

from configs import default as default_lib


def get_config() -> ml_collections.ConfigDict:
  """Returns the celeba_hq configuration."""
  config = default_lib.get_config()
  config.data.source = 'tfds'
  config.data.tfds_name = 'celeb_a_hq'
  config.data.random_crop = False
  return config
