# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Tiny DeepFill v2 for tests and smoke runs: seconds per step on a CPU.

  python -m deepfill_jax.main --config=configs/tiny_v2.py \
      --config.data.path=data/photos --workdir=/tmp/deepfill_tiny_v2

configs/tiny.py's data and schedule with the v2 model, objective and masks
(`default.deepfill_v2`), generator width 8 (gated: 4 channels passed on) and
critic width 4.
"""

import ml_collections

from deepfill_jax import default_config as default_lib
from configs import tiny


def get_config() -> ml_collections.ConfigDict:
  """Returns the tiny v2 test configuration."""
  config = default_lib.deepfill_v2(tiny.get_config(), schedule=False)
  config.model.update(cnum=8, critic_cnum=4)
  return config
