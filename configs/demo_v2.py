# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Train a small DeepFill v2 on the bundled photos, then inpaint.

  python -m deepfill_jax.main --config=configs/demo_v2.py --workdir=/tmp/deepfill_demo_v2

configs/demo.py (its photos, 128x128 crops, batch 4, evaluation and the
inpainted held-out photos) with the v2 model and objective: gated generator
of width 24 (12/24/48 channels passed on; the paper: 48), SN-PatchGAN of
width 16 on [image, mask], hinge loss, one critic update per generator
update, box-or-stroke masks. 200 generator iterations: a few minutes on a
2-core CPU.
"""

import ml_collections

from deepfill_jax import default_config as default_lib
from configs import demo


def get_config() -> ml_collections.ConfigDict:
  """Returns the DeepFill v2 demo configuration."""
  config = default_lib.deepfill_v2(demo.get_config(), schedule=False)
  config.model.update(cnum=24, critic_cnum=16)
  config.num_train_steps = 200
  return config
