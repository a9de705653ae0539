# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Two-scale inference (`two_scale`, `Inpainter(two_scale=D)`).

The blend weights, the 2x2 means and the blend are checked against
pixel-by-pixel loops; the `Inpainter` against its own two one-pass runs put together by
those loops.
"""

import json
import os

import numpy as np
import pytest
from PIL import Image

from deepfill_jax.checkpoints import store
from deepfill_jax.inference import context_windows
from deepfill_jax import evaluation
from deepfill_jax.inference import export
from deepfill_jax.inference import inpainter as inpainter_lib
from deepfill_jax.apps import inpaint
from deepfill_jax.inference import memory
from deepfill_jax.inference import two_scale
from deepfill_jax.tools import evaluate as evaluate_tool
from deepfill_jax.testing import random_generator
from deepfill_jax.testing import random_sketch


def _slow_weights(hole, width):
  """The 2x weight of each pixel: 1 up to width / 2 px (chessboard) from the
  nearest known pixel, 0 from 1.5 width, linear between; 0 if none."""
  known = np.argwhere(~hole)
  out = np.zeros(hole.shape)
  for r, c in np.argwhere(hole):
    if len(known) and width:
      dist = np.maximum(abs(known[:, 0] - r), abs(known[:, 1] - c)).min()
      out[r, c] = min(1., max(0., (1.5 * width - dist) / width))
  return out


def _slow_shrink(image):
  """2x2 block means, .5 rounded up, one pixel at a time."""
  hgt, wid, chans = image.shape
  out = np.zeros((hgt // 2, wid // 2, chans), np.uint8)
  for r in range(hgt // 2):
    for c in range(wid // 2):
      block = image[2 * r:2 * r + 2, 2 * c:2 * c + 2].astype(float)
      out[r, c] = np.floor(block.mean(axis=(0, 1)) + 0.5)
  return out


def _slow_combine(one, two, hole, width):
  mix, small = _slow_weights(hole, width), _slow_shrink(two)
  out = one.copy()
  for r, c in np.argwhere(mix > 0):
    blend = mix[r, c] * small[r, c] + (1 - mix[r, c]) * one[r, c]
    out[r, c] = np.floor(blend + 0.5)
  return out


def _holes(hw, seed):
  rng = np.random.default_rng(seed)
  hole = np.zeros(hw, bool)
  for _ in range(3):
    r, c = rng.integers(0, hw[0] - 4), rng.integers(0, hw[1] - 4)
    hole[r:r + rng.integers(2, 14), c:c + rng.integers(2, 20)] = True
  hole[-3:, :5] = True  # At the border: beyond it is not known.
  return hole


def _image(hw, seed=0):
  return np.random.default_rng(seed).integers(0, 256, hw + (3,), np.uint8)


@pytest.mark.parametrize('width', [0, 1, 3, 12])
def test_weights_equal_pixel_loops(width):
  for seed in range(3):
    hole = _holes((23, 31), seed)
    got = two_scale.weights(hole, width)
    np.testing.assert_allclose(got, _slow_weights(hole, width), atol=1e-12)
    assert not got[~hole].any()
  full = np.ones((6, 7), bool)  # No known pixel: all from 1x.
  assert not two_scale.weights(full, width).any()


def test_weights_ramp_from_half_to_one_and_a_half_widths():
  hole = np.zeros((1, 40), bool)
  hole[0, 1:] = True  # Pixel c is c px from the known pixel 0.
  np.testing.assert_allclose(
      two_scale.weights(hole, 8)[0, [1, 4, 8, 10, 12, 13]],
      [1., 1., .5, .25, 0., 0.])


def test_shrink_and_enlarge_shapes_and_values():
  big = _image((14, 10))
  np.testing.assert_array_equal(two_scale.shrink(big[None])[0],
                                _slow_shrink(big))
  image, mask = _image((7, 5)), _holes((7, 5), 0)
  assert two_scale.enlarge_image(image).shape == (14, 10, 3)
  up = two_scale.enlarge_mask(mask)
  assert up.shape == (14, 10) and up.dtype == bool
  np.testing.assert_array_equal(up[::2, ::2], mask)
  np.testing.assert_array_equal(up[1::2, 1::2], mask)
  # A flat image stays flat through both.
  flat = np.full((5, 6, 3), 77, np.uint8)
  np.testing.assert_array_equal(
      two_scale.shrink(two_scale.enlarge_image(flat)[None])[0], flat)


def test_combine_equals_pixel_loops():
  hw = (19, 26)
  holes = np.stack([_holes(hw, s) for s in range(2)])
  one = np.stack([_image(hw, 1), _image(hw, 2)])
  two = np.stack([_image((38, 52), 3), _image((38, 52), 4)])
  got = two_scale.combine(one, two, holes, 4)
  for i in range(2):
    np.testing.assert_array_equal(got[i],
                                  _slow_combine(one[i], two[i], holes[i], 4))


@pytest.fixture(scope='module')
def gen():
  return random_generator()


@pytest.mark.parametrize('hw', [(37, 53), (48, 40)])
def test_inpainter_equals_its_two_passes_blended(gen, hw):
  image, hole = _image(hw), _holes(hw, 1)
  got = inpainter_lib.Inpainter(gen, two_scale=3)(image, hole)
  assert got.shape == hw + (3,) and got.dtype == np.uint8
  plain = inpainter_lib.Inpainter(gen)
  one = plain(image, hole)
  two = plain(two_scale.enlarge_image(image), two_scale.enlarge_mask(hole))
  np.testing.assert_array_equal(got, _slow_combine(one, two, hole, 3))
  np.testing.assert_array_equal(got[~hole], image[~hole])
  # Both scales count: next to the known pixels the result differs from
  # the one pass, where the 2x weight is 0 it is the one pass.
  mix = _slow_weights(hole, 3)
  assert (got[mix > 0] != one[mix > 0]).any()
  np.testing.assert_array_equal(got[mix == 0], one[mix == 0])


def test_batch_plans_both_passes_and_extras_are_the_one_pass(gen):
  hw = (40, 48)
  images = [_image(hw, s) for s in range(2)]
  holes = [_holes(hw, s) for s in range(2)]
  inpainter = inpainter_lib.Inpainter(gen, two_scale=2)
  sizes = inpainter.plan_sizes(holes)
  assert isinstance(sizes, two_scale.Sizes)
  assert sizes.two == inpainter.replace(two_scale=0).plan_sizes(
      [two_scale.enlarge_mask(h) for h in holes]).one
  batch = inpainter.inpaint_batch(images, holes, sizes=sizes)
  assert batch.shape == (2,) + hw + (3,)
  for i in range(2):
    single = inpainter(images[i], holes[i])
    assert np.abs(batch[i].astype(int) - single).max() <= 1  # Crop floats.
  res = inpainter.outputs(images[0], holes[0], return_flow=True,
                          return_coarse=True)
  plain = inpainter.replace(two_scale=0).outputs(
      images[0], holes[0], return_flow=True, return_coarse=True)
  np.testing.assert_array_equal(res.image, inpainter(images[0], holes[0]))
  np.testing.assert_array_equal(res.flow, plain.flow)
  np.testing.assert_array_equal(res.coarse, plain.coarse)


def test_sketch_is_enlarged_with_its_image():
  guided = inpainter_lib.Inpainter(random_generator(
      8, seed=2, kernel_scale=2.5, name='deepfill_v2', guided=True))
  hw = (32, 40)
  image, hole, sketch = _image(hw), _holes(hw, 2), random_sketch(hw) > 0
  got = guided.replace(two_scale=4)(image, hole, edge=sketch)
  one = guided(image, hole, edge=sketch)
  two = guided(two_scale.enlarge_image(image), two_scale.enlarge_mask(hole),
               edge=two_scale.enlarge_mask(sketch))
  np.testing.assert_array_equal(got, _slow_combine(one, two, hole, 4))


def test_context_windows_keep_two_scale(gen):
  hw = (40, 64)
  image, hole = _image(hw), _holes(hw, 0)
  inpainter = inpainter_lib.Inpainter(gen, two_scale=3)
  # A context that covers the image: every window is the whole image.
  windowed = inpainter.replace(context=200)
  assert len(context_windows.windows(hole, 200)) == 1
  np.testing.assert_array_equal(windowed(image, hole), inpainter(image, hole))


def test_memory_check_counts_the_2x_pass(gen):
  hw = (40, 40)
  image, hole = _image(hw), _holes(hw, 0)
  limit = 2 * 40 * 40  # One pass fits, the 2x pass (4x pixels) does not.
  inpainter_lib.Inpainter(gen, max_pixels=limit)(image, hole)
  with pytest.raises(memory.MemoryLimitError, match='80x80'):
    inpainter_lib.Inpainter(gen, max_pixels=limit, two_scale=2)(image, hole)


@pytest.mark.parametrize('bad', [-1, 2.5, True, '3', None])
def test_bad_widths_are_one_line_errors(gen, bad):
  with pytest.raises(ValueError, match='two_scale must be') as e:
    inpainter_lib.Inpainter(gen, two_scale=bad)
  assert '\n' not in str(e.value)


def test_checkpoint_carries_its_two_scale(tmp_path, gen):
  path = store.save_generator(str(tmp_path / 'g'), gen,
                                      inference={'two_scale': 5})
  assert inpainter_lib.Inpainter.from_checkpoint(path).two_scale == 5
  assert inpainter_lib.Inpainter.from_checkpoint(path, two_scale=0).two_scale == 0
  plain = store.save_generator(str(tmp_path / 'p'), gen)
  assert inpainter_lib.Inpainter.from_checkpoint(plain).two_scale == 0
  meta_path = os.path.join(path, store.META_FILE)
  for bad in ({'two_scale': -2}, {'two_scale': 1.5}, {'tile': 4}, [12]):
    with open(meta_path) as f:
      meta = json.load(f)
    meta['inference'] = bad
    with open(meta_path, 'w') as f:
      json.dump(meta, f)
    with pytest.raises(ValueError, match='generator.json') as e:
      inpainter_lib.Inpainter.from_checkpoint(path)
    assert '\n' not in str(e.value)


def test_cli_flag(ckpt, tmp_path, capsys):
  hw = (32, 48)
  image, hole = _image(hw), _holes(hw, 3)
  Image.fromarray(image).save(tmp_path / 'in.png')
  Image.fromarray(hole.astype(np.uint8) * 255).save(tmp_path / 'mask.png')
  args = ['--checkpoint', ckpt, '--image', str(tmp_path / 'in.png'),
          '--mask', str(tmp_path / 'mask.png')]
  out = str(tmp_path / 'out.png')
  assert inpaint.main(args + ['--output', out, '--two_scale=2']) == 0
  want = inpainter_lib.Inpainter.from_checkpoint(ckpt, two_scale=2)(image, hole)
  np.testing.assert_array_equal(np.asarray(Image.open(out)), want)
  capsys.readouterr()
  with pytest.raises(SystemExit) as e:
    inpaint.main(args + ['--output', out, '--two_scale=-1'])
  assert e.value.code == 2
  err = capsys.readouterr().err
  assert 'two_scale' in err and 'Traceback' not in err


def test_evaluation_runs_and_reports_two_scales(ckpt, tmp_path, capsys):
  folder = tmp_path / 'photos'
  folder.mkdir()
  for i in range(2):
    Image.fromarray(_image((40, 40), i)).save(folder / f'p{i}.png')
  l1 = {}
  for width in (0, 2):
    out = tmp_path / f'out{width}'
    assert evaluate_tool.main([
        f'--checkpoint={ckpt}', f'--images={folder}', '--masks=center',
        '--size=32', '--baselines=none', f'--output={out}', '--no_progress',
        f'--two_scale={width}']) == 0
    with open(out / 'results.json') as f:
      results = json.load(f)
    assert results['settings']['two_scale'] == width
    assert ('two-scale' in (out / 'results.md').read_text()) == bool(width)
    l1[width] = results['results']['center']['mean']['deepfill']['l1']
  assert l1[0] != l1[2]
  capsys.readouterr()
  # An export runs the network alone: two scales or blending is an error.
  (tmp_path / 'exp').mkdir()
  (tmp_path / 'exp' / export.MANIFEST).write_text('{}')
  for kwargs in (dict(two_scale=3), dict(blend=True)):
    with pytest.raises(ValueError, match='network alone'):
      evaluation.load_model(str(tmp_path / 'exp'), **kwargs)
