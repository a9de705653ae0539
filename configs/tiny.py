# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Tiny model for tests and smoke runs: seconds per step on a CPU.

  python -m deepfill_jax.main --config=configs/tiny.py \
      --config.data.path=data/photos --workdir=/tmp/deepfill_tiny

64x64 crops with a 32x32 box, generator width 4 and critic width 4 (the
architecture and the objective are the full model's). Any batch size that the
device count divides.
"""

import ml_collections

from deepfill_jax import default_config as default_lib


def get_config() -> ml_collections.ConfigDict:
  """Returns the tiny test configuration."""
  config = default_lib.get_config()
  config.image_size = 64
  config.batch_size = 8
  config.model.cnum = 4
  config.model.critic_cnum = 4
  config.masks.height = config.masks.width = 128  # At 256 px: 32 px at 64.
  config.data.update(source='folder', path=default_lib.bundled('data/photos'),
                     eval_holdout=3,
                     num_threads=2, prefetch_buffer_size=8)
  config.update(num_train_steps=2, critic_steps=2, log_every_steps=1,
                log_images_every=2, eval_every_steps=2,
                checkpoint_every_steps=1)
  config.eval.update(num_images=8, batch_size=8, num_strip_images=2)
  return config
