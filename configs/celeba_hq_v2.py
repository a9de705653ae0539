# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""DeepFill v2 on CelebA-HQ (`celeb_a_hq` via TFDS) resized to 256x256.

  python -m deepfill_jax.main --config=configs/celeba_hq_v2.py --workdir=DIR

The original v2 `inpaint.yml` (its dataset is celebahq): gated generator
(cnum 48), SN-PatchGAN critic on [image, mask], hinge loss, L1 weight 1,
one critic update per generator update, Adam 1e-4 (0.5, 0.999), batch 16,
box-or-stroke masks, images resized (no crop). See docs/deepfill_v2.md.
"""

import ml_collections

from deepfill_jax import default_config as default_lib


def get_config() -> ml_collections.ConfigDict:
  """Returns the DeepFill v2 CelebA-HQ configuration."""
  return default_lib.deepfill_v2(
      default_lib.tfds_config('celeb_a_hq', random_crop=False))
