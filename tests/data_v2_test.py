# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""DeepFill v2's training data: the brush strokes' code values, the
box-or-strokes union of the v2 configs (tests/masks_test.py covers the
geometry and the coverage statistics) and the edge maps of guided runs."""

import math

import numpy as np

from configs import celeba_hq_v2
from configs import tiny_v2
from deepfill_jax.data import data_sources
from deepfill_jax.data import image_io
from deepfill_jax.data import input_pipeline
from deepfill_jax.data import masks


class Recorder:
  """A `np.random.Generator` that records each draw (method, args)."""

  def __init__(self, seed):
    self._rng = np.random.default_rng(seed)
    self.calls = []

  def __getattr__(self, name):
    method = getattr(self._rng, name)

    def draw(*args, **kwargs):
      self.calls.append((name, args))
      return method(*args, **kwargs)
    return draw


def test_brush_strokes_draw_the_original_values():
  """At 256 px: 1-3 strokes of randint(4, 12) vertices, angles 2pi/5 -/+
  U(0, 2pi/15), lengths N(r, r // 2) with r = sqrt(256^2 + 256^2) / 8,
  width U(12, 40)."""
  r = math.sqrt(2 * 256 ** 2) / 8
  for seed in range(5):
    rng = Recorder(seed)
    mask = masks.brush_stroke_mask(rng, (256, 256), 12, 40)
    assert mask.any()
    calls = rng.calls
    assert calls[0] == ('integers', (1, 4))  # Strokes: 1..3.
    strokes = [i for i, c in enumerate(calls) if c == ('integers', (4, 12))]
    assert 1 <= len(strokes) <= 3
    for start in strokes:
      (_, (lo1, hi1)), (_, (lo2, hi2)) = calls[start + 1:start + 3]
      assert (lo1, hi1) == (lo2, hi2) == (0, 2 * math.pi / 15)
      assert calls[start + 3][0] == 'uniform'  # The segment angles.
      name, (mean, std, _) = calls[start + 4]  # The segment lengths.
      assert (name, mean, std) == ('normal', r, r // 2)
      assert calls[start + 5][1] == (0, 256)  # Start point.
      assert calls[start + 7] == ('uniform', (12, 40))  # Brush width.


def test_v2_configs_draw_box_or_strokes():
  config = celeba_hq_v2.get_config()
  assert config.masks.type == 'bbox+free_form'
  generator = masks.MaskGenerator(config.masks, (256, 256))
  extra = []
  for seed in range(10):
    mask, box = generator(np.random.default_rng(seed))
    top, left, h, w = box
    # The box hole (shrunk by at most 16 px per side) is always in the mask.
    assert mask[top + 16:top + h - 16, left + 16:left + w - 16].all()
    outside = mask.copy()
    outside[top:top + h, left:left + w] = False
    extra.append(outside.sum())
  assert max(extra) > 0  # Strokes reach outside the box.


def test_guided_batches_carry_edge_maps_cropped_with_the_image(tmp_path):
  """Each image's `<name>_edge.jpg` goes through the same crop and flip."""
  rng = np.random.default_rng(0)
  for i in range(2):
    # Red blocks of 0 or 255; the edge map is the red channel itself, so a
    # batch's edge must equal its image's red channel thresholded.
    red = np.kron(rng.integers(0, 2, (10, 12)), np.ones((8, 8))) * 255
    image = np.stack([red, rng.integers(0, 256, red.shape),
                      np.full(red.shape, 90)], -1).astype(np.uint8)
    image_io.save_image(str(tmp_path / f'im{i}.png'), image)
    image_io.save_image(str(tmp_path / f'im{i}_edge.jpg'),
                        red.astype(np.uint8))
  config = tiny_v2.get_config()
  config.model.guided = True
  config.data.update(path=str(tmp_path), eval_holdout=0, random_flip=True)
  config.batch_size = 4
  batch = next(input_pipeline.create_dataset(config, process_index=0,
                                             process_count=1))
  assert batch['edge'].shape == (4, 64, 64, 1)
  red = (batch['image'][..., 0] + 1.) * 127.5 > 128
  agree = np.mean(red == (batch['edge'][..., 0] > 0.5))
  assert agree > 0.98, agree  # JPEG ringing at block edges aside.
  assert 0.2 < batch['edge'].mean() < 0.8
  # The edge maps are not training images themselves.
  assert len(data_sources.make_source(config.data, edges=True)) == 2
