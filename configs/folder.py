# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Train on your own folder of photos (jpg, png, webp, bmp; recursive).

  python -m deepfill_jax.main --config=configs/folder.py \
      --config.data.path=/path/to/photos --workdir=/tmp/deepfill_folder

Images are randomly cropped to 256x256 (smaller ones are upscaled first) and
flipped; corrupt files are skipped with a warning. For an evaluation folder
set `--config.data.eval_path`. For very large folders, pack them once with
`deepfill-build-dataset` and use `--config.data.source=array_record`
(docs/data.md).
"""

import ml_collections

from deepfill_jax import default_config as default_lib


def get_config() -> ml_collections.ConfigDict:
  """Returns the default config reading images from `config.data.path`."""
  config = default_lib.get_config()
  config.data.source = 'folder'
  # Override: --config.data.path=...
  config.data.path = default_lib.bundled('data/photos')
  config.data.random_crop = True
  config.data.random_flip = True
  return config
