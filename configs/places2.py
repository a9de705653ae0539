# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Places2 (places365_small via TFDS) at 256x256, as the released v1 model."""

import ml_collections

from configs import default as default_lib


def get_config() -> ml_collections.ConfigDict:
  config = default_lib.get_config()
  config.data.source = 'tfds'
  config.data.tfds_name = 'places365_small'
  config.data.random_crop = True
  return config
