# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The demo's second half: inpaint the held-out photos after training.

After training with a config that has `config.demo` (`configs/demo.py`),
`inpaint_eval_photos` loads the workdir as `deepfill-inpaint --checkpoint
WORKDIR` does (`Inpainter.from_checkpoint`) and writes [input with hole |
result | attention flow] strips into `WORKDIR/inpainted/`. Masks come from
`config.masks`, fixed by `config.seed`; strips are named by
`image_io.output_paths`. Other photos or weights: `deepfill-inpaint`,
`deepfill-evaluate` or tools/side_by_side.py.
"""

from __future__ import annotations

import os
import time
from typing import Any, Sequence

import jax
import ml_collections
import numpy as np
from absl import logging
from PIL import Image

from deepfill_jax.utils import files
from deepfill_jax.data import image_io
from deepfill_jax.inference import inpainter as inpainter_lib
from deepfill_jax.data import data_sources
from deepfill_jax.data import masks as masks_lib
from deepfill_jax.data import strips


def _rescale(image: np.ndarray, shorter_side: int) -> np.ndarray:
  """Resizes so that the shorter side is `shorter_side` (0: unchanged)."""
  height, width = image.shape[:2]
  if not shorter_side or min(height, width) == shorter_side:
    return image
  factor = shorter_side / min(height, width)
  size = (max(1, round(width * factor)), max(1, round(height * factor)))
  return np.asarray(Image.fromarray(image).resize(size,
                                                  Image.Resampling.BICUBIC))


def inpaint_photos(config: ml_collections.ConfigDict,
                   inpainter: inpainter_lib.Inpainter, paths: Sequence[str],
                   out_dir: str, checkpoint: str | None = None
                   ) -> dict[str, Any]:
  """Inpaints `paths` into strips in `out_dir`; returns the summary.

  `checkpoint` is where the weights came from, recorded in the summary.

  Unreadable photos are reported in one line and skipped. `summary.json`
  lists every strip with the photo's size, hole fraction and time.
  """
  outputs = image_io.output_paths(paths, out_dir, '.png')
  os.makedirs(out_dir, exist_ok=True)
  rng = np.random.default_rng(config.seed)
  shorter_side = config.demo.get('shorter_side', 0)
  rows = []
  for path, out in zip(paths, outputs):
    try:
      image = _rescale(image_io.load_image(path), shorter_side)
    except ValueError as e:  # Corrupt or unreadable: report and go on.
      logging.warning('Skipping %s', e)
      continue
    hole, _ = masks_lib.MaskGenerator(config.masks, image.shape[:2])(rng)
    start = time.perf_counter()
    res = inpainter.outputs(image, hole, return_flow=True)
    seconds = time.perf_counter() - start
    if not np.array_equal(res.image[~hole], image[~hole]):
      raise AssertionError(f'{path}: known pixels changed.')
    image_io.save_image(out, strips.demo_strip(image, hole, res.image,
                                               res.flow))
    rows.append(dict(image=path, output=out, height=image.shape[0],
                     width=image.shape[1], hole_fraction=float(hole.mean()),
                     seconds=seconds))
    logging.info('%s %dx%d hole %.1f%%: %.2f s (first call of a shape '
                 'includes compilation)', os.path.basename(path),
                 image.shape[1], image.shape[0], 100 * hole.mean(), seconds)
  if not rows:
    raise ValueError(f'None of the {len(paths)} photos could be read.')
  summary = dict(backend=jax.default_backend(), attention=inpainter.attention,
                 checkpoint=checkpoint,
                 images=rows)
  files.write_json(os.path.join(out_dir, 'summary.json'), summary)
  logging.info('Wrote %d strips [input | result | flow] and summary.json to %s',
               len(rows), out_dir)
  return summary


def eval_photo_paths(config: ml_collections.ConfigDict) -> list[str]:
  """The files of the evaluation split (held-out photos or eval_path)."""
  source = data_sources.make_source(config.data, 'eval')
  return [source[i]['path'] for i in range(len(source))
          if 'path' in source[i]]


def inpaint_eval_photos(config: ml_collections.ConfigDict, workdir: str
                        ) -> dict[str, Any]:
  """After training: the evaluation photos, inpainted with the trained
  weights, into `WORKDIR/inpainted/`."""
  paths = eval_photo_paths(config)
  if config.demo.num_images:
    paths = paths[:config.demo.num_images]
  inpainter = inpainter_lib.Inpainter.from_checkpoint(
      workdir, attention=config.demo.attention)
  return inpaint_photos(config, inpainter, paths,
                        os.path.join(workdir, 'inpainted'), checkpoint=workdir)
