# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
r"""The README's first picture: a shipped model on held-out photos.

  python tools/model_showcase.py --output=docs/images/photos_v1_results.png

Each row is one photo that the model never trained on, rescaled to a
`--shorter_side` and centre-cropped to a square: [input with the hole in
white | result | attention flow]. The holes alternate between the paper's
centred square (half the side) and free-form brush strokes (seeded), the
kinds `deepfill-evaluate` measures.
"""

from __future__ import annotations

import os
from typing import Sequence

from absl import app
from absl import flags
import numpy as np
from PIL import Image

from deepfill_jax.data import image_io
from deepfill_jax.inference import inpainter as inpainter_lib
from deepfill_jax.data import masks
from deepfill_jax.data import strips
from deepfill_jax.checkpoints import pretrained
from deepfill_jax.evaluation import mask_sets as eval_masks

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The shipped model's held-out photos that the repository bundles.
HELD_OUT = ('aitzgorri_by_Aitzol_Berasategi.jpg',
            'life_by_Aitzol_Berasategi.jpg', 'Dragonfly_by_Bolly.jpg')

_MODEL = flags.DEFINE_string('model', pretrained.DEFAULT,
                             'Shipped model name or checkpoint.')
_PHOTOS = flags.DEFINE_list(
    'photos', [os.path.join(_ROOT, 'data', 'photos', p) for p in HELD_OUT],
    'Photos, one row each.')
_SIZE = flags.DEFINE_integer('size', 256, 'Side of the square crops.')
_OUTPUT = flags.DEFINE_string('output', None, 'PNG to write.')
_SEED = flags.DEFINE_integer('seed', 0, 'Seed of the brush strokes.')


def square(image: np.ndarray, side: int) -> np.ndarray:
  """Rescaled so that the shorter side is `side`, then centre-cropped."""
  h, w = image.shape[:2]
  scale = side / min(h, w)
  resized = Image.fromarray(image).resize(
      (max(side, round(w * scale)), max(side, round(h * scale))),
      Image.Resampling.LANCZOS)
  w, h = resized.size
  left, top = (w - side) // 2, (h - side) // 2
  return np.asarray(resized.crop((left, top, left + side, top + side)))


def main(argv: Sequence[str]) -> None:
  del argv
  inpainter = inpainter_lib.Inpainter.from_checkpoint(_MODEL.value)
  rng = np.random.default_rng(_SEED.value)
  rows = []
  for index, path in enumerate(_PHOTOS.value):
    image = square(image_io.load_image(path), _SIZE.value)
    hw = image.shape[:2]
    hole = (eval_masks.center_mask(hw) if index % 2 == 0 else
            masks.brush_stroke_mask(rng, hw, 12, 40))
    res = inpainter.outputs(image, hole, return_flow=True)
    rows.append(strips.demo_strip(image, hole, res.image, res.flow))
  image_io.save_image(_OUTPUT.value, np.concatenate(rows, axis=0))
  print(f'wrote {_OUTPUT.value}')


if __name__ == '__main__':
  flags.mark_flag_as_required('output')
  app.run(main)
