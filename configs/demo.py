# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Inference demo on the bundled photos (the README's first command).

  python -m deepfill_jax.main --config=configs/demo.py --workdir=/tmp/deepfill_demo

Inpaints every photo in `data/photos` at full size with a mask drawn from
`config.masks` (the original's box scaled to the photo) and writes, per photo,
a strip [input with hole | result | attention flow] plus `summary.json`.
Without `config.demo.checkpoint` the generator has random weights: the run
exercises the whole inference path, but the fill is noise until weights are
converted (tools/convert_tf_checkpoint.py) or trained. Takes about a minute
on a 2-core CPU.
"""

import ml_collections

from configs import default as default_lib


def get_config() -> ml_collections.ConfigDict:
  config = default_lib.get_config()
  config.mode = 'demo'
  config.demo = ml_collections.ConfigDict()
  config.demo.checkpoint = ''  # Inference checkpoint or workdir; '' = random.
  config.demo.num_images = 0  # How many photos (0 = all).
  config.demo.attention = 'auto'  # Inpainter attention: 'auto' or 'dense'.
  return config
