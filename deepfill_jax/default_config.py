# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Default configuration: DeepFill v1 as in the original `inpaint.yml`.

The configs in the repository's `configs/` import this module and override only what differs, e.g.
`configs/places2.py`. Any field can be overridden on the command line:
`--config.masks.type=free_form`.
"""

import os
import site
import sys

import ml_collections

# Where the bundled data (data/photos, data/masks) is looked for, after the
# working directory: the repository these configs belong to, then where a
# wheel installs it (setup.cfg, data_files).
_DATA_ROOTS = (
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    os.path.join(sys.prefix, 'share', 'deepfill_jax'),
    os.path.join(site.USER_BASE or '', 'share', 'deepfill_jax'),
)


def bundled(path: str) -> str:
  """A bundled data path such as 'data/photos', found from any folder.

  As given if it exists from the working directory; else the copy in the
  repository or the installed package, if there is one; else as given (the
  run then names the missing folder and `--config.data.path`).
  """
  if os.path.exists(path):
    return path
  for root in _DATA_ROOTS:
    found = os.path.join(root, path)
    if os.path.exists(found):
      return found
  return path


def get_config() -> ml_collections.ConfigDict:
  """Returns the default (original v1) configuration."""
  config = ml_collections.ConfigDict()

  config.seed = 0  # Seed of parameters, data order, masks and penalties.
  config.image_size = 256  # Training crop size (original IMG_SHAPES).
  config.batch_size = 16  # Global batch size (original BATCH_SIZE).

  # ---- Training (deepfill_jax/training/train.py, docs/training.md) --------------------
  config.num_train_steps = 1_000_000  # Generator iterations (MAX_ITERS).
  config.critic_steps = 5  # Critic updates per generator update, fresh batches.
  config.pretrain_coarse_network = False  # Losses on x1 only, no critics.
  config.learning_rate = 1e-4  # Adam, generator and critics (original lr).
  config.adam_b1 = 0.5  # Adam beta1 (original).
  config.adam_b2 = 0.9  # Adam beta2 (original).
  config.max_bad_steps = 20  # Stop after this many non-finite updates in a row.
  config.init_from = ''  # Generator (and critics) checkpoint to start from.
  config.log_every_steps = 100  # Scalars and the progress line.
  config.log_images_every = 1000  # Image strips of the evaluation images.
  config.eval_every_steps = 1000  # Periodic evaluation (L1, L2, PSNR, TV).
  config.checkpoint_every_steps = 10_000  # Orbax save period (ModelSaver).
  config.keep_checkpoints = 3  # Keep the last N checkpoints ...
  config.keep_checkpoint_every = 100_000  # ... plus every K-th step.

  # ---- Loss weights (deepfill_jax/training/losses.py; original inpaint.yml) -----------
  config.loss = ml_collections.ConfigDict()
  config.loss.coarse_l1_alpha = 1.2  # Weight of the x1 terms in l1 and ae.
  config.loss.l1_loss_alpha = 1.2  # Spatially discounted L1 on the box.
  config.loss.ae_loss_alpha = 1.2  # L1 on the known pixels.
  # v1, not in the original (0 = off): weight of an L1 on every hole pixel of
  # the whole image (x1 terms times coarse_l1_alpha), which l1_loss (box only,
  # mostly known pixels) misses for free-form strokes outside the box.
  config.loss.hole_l1_alpha = 0.
  # Its spatial discount (1 = uniform): a hole pixel weighs gamma**(l - 1),
  # l its distance to the nearest known pixel (the paper's definition).
  config.loss.hole_l1_gamma = 1.
  config.loss.gan_loss_alpha = 0.001  # Adversarial term of the generator.
  config.loss.global_wgan_loss_alpha = 1.  # Global vs local critic in g_loss.
  config.loss.wgan_gp_lambda = 10.  # Gradient-penalty weight.
  config.loss.gan_with_mask = False  # v2: the critic also sees the mask.

  # ---- Periodic evaluation (deepfill_jax/utils/metrics.py) -------------------------
  config.eval = ml_collections.ConfigDict()
  config.eval.num_images = 64  # Fixed evaluation images (first of the split).
  config.eval.batch_size = 16  # Global evaluation batch size.
  config.eval.num_strip_images = 4  # Images in the logged strips.

  # ---- Model -----------------------------------------------------------------
  config.model = ml_collections.ConfigDict()
  # 'deepfill_v1' (contextual attention, WGAN-GP local + global critics) or
  # 'deepfill_v2' (gated convs, SN-PatchGAN; `deepfill_v2` below).
  config.model.name = 'deepfill_v1'
  config.model.cnum = 32  # Base width of the generator (original: 32).
  config.model.guided = False  # v2 only: a sketch (edge) input channel.
  config.model.dtype = 'float32'  # Compute dtype: 'float32' or 'bfloat16'.
  config.model.contextual_attention = True  # False: the paper's baseline.
  config.model.critic_cnum = 64  # Base width of both critics (original: 64).
  # How strided convs are differentiated: 'xla', 'subpixel' (stride-1 input
  # gradients; ~5x faster critic updates on CPU, docs/performance.md) or
  # 'auto' ('subpixel' on CPU, 'xla' on accelerators). Same values.
  config.model.conv_backward = 'auto'

  # ---- Data (deepfill_jax/data/input_pipeline.py, docs/data.md) -------------------
  config.data = ml_collections.ConfigDict()
  config.data.source = 'folder'  # 'tfds' | 'folder' | 'flist' | 'array_record'.
  # Folder, flist or ArrayRecord dir/glob (default: the bundled photos).
  config.data.path = bundled('data/photos')
  config.data.eval_path = ''  # Same for split='eval' (non-TFDS sources).
  config.data.eval_holdout = 0  # No eval_path: hold out the last N images.
  config.data.tfds_name = ''  # TFDS dataset name for source='tfds'.
  config.data.tfds_data_dir = ''  # TFDS data_dir ('' = TFDS default).
  config.data.image_key = ''  # TFDS image feature ('' = per-dataset default).
  config.data.train_split = ''  # TFDS train split ('' = per-dataset default).
  config.data.eval_split = ''  # TFDS eval split ('' = per-dataset default).
  config.data.random_crop = True  # Random crop (True) or resize (False).
  config.data.shorter_side = 0  # >0: rescale to this shorter side, then crop.
  config.data.random_flip = False  # Horizontal flips (the original: none).
  config.data.shuffle = True  # Shuffle the source each epoch (training).
  config.data.num_workers = 0  # grain worker processes (0 = in-process).
  config.data.num_threads = 8  # Decoding threads per process (PIL frees GIL).
  config.data.prefetch_buffer_size = 64  # Decoded images buffered per process.

  # ---- Masks (deepfill_jax/data/masks.py) -----------------------------------------
  config.masks = ml_collections.ConfigDict()
  config.masks.type = 'bbox'  # bbox|free_form|bbox+free_form|mixed|folder.
  config.masks.height = 128  # Box (= local critic crop) height at 256 px.
  config.masks.width = 128  # Box width at 256 px.
  config.masks.max_delta_height = 32  # Hole height shrink: up to half per side.
  config.masks.max_delta_width = 32  # Hole width shrink: up to half per side.
  config.masks.vertical_margin = 0  # Min. distance of the box to top/bottom.
  config.masks.horizontal_margin = 0  # Min. distance of the box to left/right.
  config.masks.min_brush_width = 12  # Free-form brush width at 256 px (v2: 12).
  config.masks.max_brush_width = 40  # Exclusive upper brush width (v2: 40).
  config.masks.same_for_batch = False  # One mask per batch, as the original.
  config.masks.gamma = 0.9  # Spatial discount (code: 0.9; paper: 0.99).
  config.masks.path = ''  # Folder of user masks for type='folder'.

  return config


def tfds_config(name: str, random_crop: bool) -> ml_collections.ConfigDict:
  """The default config reading the TFDS dataset `name` (docs/data.md)."""
  config = get_config()
  config.data.source = 'tfds'
  config.data.tfds_name = name
  config.data.random_crop = random_crop
  return config


def deepfill_v2(config: ml_collections.ConfigDict, *,
                schedule: bool = True) -> ml_collections.ConfigDict:
  """`config` with DeepFill v2's model, objective and masks, as the original
  v2 `inpaint.yml` (docs/deepfill_v2.md); changed in place and returned.

  With `schedule`, also its run length and save/summary periods (small
  configs keep their own).
  """
  config.model.update(name='deepfill_v2', cnum=48, critic_cnum=64)
  config.critic_steps = 1  # One critic update per generator update.
  config.adam_b2 = 0.999
  config.loss.update(l1_loss_alpha=1., gan_loss_alpha=1., gan_with_mask=True)
  config.masks.type = 'bbox+free_form'  # Box (128, shrink 32) | strokes.
  if schedule:
    config.num_train_steps = 100_000_000  # max_iters: until stopped.
    config.checkpoint_every_steps = 4000  # train_spe.
    config.log_images_every = 2000  # val_psteps.
    config.eval_every_steps = 2000
  return config


# Each model's changes to `get_config()`'s v1 config (`config.model.name`).
PRESETS = {'deepfill_v2': deepfill_v2}
