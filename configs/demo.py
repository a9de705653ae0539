# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Train a small DeepFill v1 on the bundled photos, then inpaint (README).

  python -m deepfill_jax.main --config=configs/demo.py --workdir=/tmp/deepfill_demo
  deepfill-train --config=demo --workdir=/tmp/deepfill_demo   # any folder

The README's first command: about five minutes on a 2-core CPU. The full
objective (both stages, contextual attention, both WGAN-GP critics) on the 12
photos of `data/photos` minus the 3 held out for evaluation, scaled so that
training makes visible progress in that time:

* photos rescaled to a 160 px shorter side, random 128x128 crops and flips
  (the box and hole scale with the crop: a 64x64 box, holes of 48-64 px);
* generator and critic width 16 (the paper: 32 and 64);
* batch 4 and ONE critic update per generator update (the paper: 16 and 5),
  so that the generator gets as many updates as the time allows.

It leaves checkpoints, TensorBoard logs (`tensorboard --logdir WORKDIR`),
image strips of the evaluation set in `WORKDIR/strips/` and, with the trained
weights, the held-out photos inpainted in `WORKDIR/inpainted/`
(`deepfill_jax/apps/demo.py`). L1 and PSNR of the evaluation set are logged at
every evaluation. To inpaint with existing weights instead: `deepfill-inpaint`.
"""

import ml_collections

from deepfill_jax import default_config as default_lib


def get_config() -> ml_collections.ConfigDict:
  """Returns the demo configuration."""
  config = default_lib.get_config()
  config.image_size = 128
  config.batch_size = 4
  config.model.update(cnum=16, critic_cnum=16)
  config.critic_steps = 1
  config.num_train_steps = 300

  config.data.update(source='folder', path=default_lib.bundled('data/photos'),
                     eval_holdout=3, shorter_side=160, random_flip=True,
                     num_threads=2, prefetch_buffer_size=16)

  config.update(log_every_steps=25, eval_every_steps=50, log_images_every=50,
                checkpoint_every_steps=100, keep_checkpoints=2,
                keep_checkpoint_every=0)
  config.eval.update(num_images=12, batch_size=4, num_strip_images=3)

  config.demo = ml_collections.ConfigDict()
  config.demo.num_images = 0  # How many photos (0 = all).
  config.demo.attention = 'auto'  # Inpainter attention: 'auto' or 'dense'.
  config.demo.shorter_side = 160  # Rescale photos first (0 = full size).
  return config
