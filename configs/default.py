# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Default configuration: DeepFill v1 as in the original `inpaint.yml`.

Variants import this module and override only what differs, e.g.
`configs/places2.py`. Any field can be overridden on the command line:
`--config.masks.type=free_form`.
"""

import ml_collections


def get_config() -> ml_collections.ConfigDict:
  """Returns the default (original v1) configuration."""
  config = ml_collections.ConfigDict()

  config.mode = 'train'  # 'train' or 'demo' (inference demo, configs/demo.py).
  config.seed = 0  # Seed of parameters, data order and masks.
  config.image_size = 256  # Training crop size (original IMG_SHAPES).
  config.batch_size = 16  # Global batch size (original BATCH_SIZE).

  # ---- Model -----------------------------------------------------------------
  config.model = ml_collections.ConfigDict()
  config.model.cnum = 32  # Base width of the generator (original: 32).
  config.model.dtype = 'float32'  # Compute dtype: 'float32' or 'bfloat16'.
  config.model.attention = 'auto'  # 'dense' (reference) or 'auto' (efficient).

  # ---- Data (deepfill_jax/input_pipeline.py, docs/data.md) -------------------
  config.data = ml_collections.ConfigDict()
  config.data.source = 'folder'  # 'tfds' | 'folder' | 'flist' | 'array_record'.
  config.data.path = 'data/photos'  # Folder, flist or ArrayRecord dir/glob.
  config.data.eval_path = ''  # Same for split='eval' (non-TFDS sources).
  config.data.tfds_name = ''  # TFDS dataset name for source='tfds'.
  config.data.tfds_data_dir = ''  # TFDS data_dir ('' = TFDS default).
  config.data.image_key = ''  # TFDS image feature ('' = per-dataset default).
  config.data.train_split = ''  # TFDS train split ('' = per-dataset default).
  config.data.eval_split = ''  # TFDS eval split ('' = per-dataset default).
  config.data.random_crop = True  # Random crop (True) or resize (False).
  config.data.random_flip = False  # Horizontal flips (the original: none).
  config.data.shuffle = True  # Shuffle the source each epoch (training).
  config.data.num_workers = 0  # grain worker processes (0 = in-process).
  config.data.num_threads = 8  # Decoding threads per process (PIL frees GIL).
  config.data.prefetch_buffer_size = 64  # Decoded images buffered per process.

  # ---- Masks (deepfill_jax/masks.py) -----------------------------------------
  config.masks = ml_collections.ConfigDict()
  config.masks.type = 'bbox'  # bbox | free_form | bbox+free_form | folder.
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
