# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The hole-aware forward and the `Inpainter` API.

The central property: the composited output of the hole-aware path (cropped
convolutions + attention only for queries that can reach a hole) equals the
dense generator's within float tolerance, for holes at borders, several
separate holes, a full hole and no hole. Shrinking the derived attention
margin by one pixel breaks it, so the margin is tight.
"""

import functools

import jax
import numpy as np
import pytest

from deepfill_jax.checkpoints import store
from deepfill_jax.inference import context_windows
from deepfill_jax.inference import inpainter as inpainter_lib
from deepfill_jax.data import pixels
from deepfill_jax.testing import random_generator
from deepfill_jax.testing import random_sketch
from deepfill_jax.models import hole_aware

_TOL = 1e-5


@pytest.fixture(scope='module')
def gen():
  return random_generator()


def _holes(hw, rects):
  m = np.zeros((1,) + hw, bool)
  for r0, r1, c0, c1 in rects:
    m[0, r0:r1, c0:c1] = True
  return m


@functools.lru_cache(maxsize=None)
def _dense_fn(g):
  return jax.jit(lambda x, m: g(x, m))


def _compare(g, hw, rects, tile=(8, 8), seed=0):
  """Max |auto - dense| of the stage-1 and stage-2 outputs inside holes."""
  x = np.random.default_rng(seed).uniform(-1, 1, (1,) + hw + (3,))
  x = x.astype(np.float32)
  holes = _holes(hw, rects)
  m = holes[..., None].astype(np.float32)
  plan = hole_aware.make_plan(holes, holes, tile=tile)
  fn = jax.jit(lambda x, m, s, t, c: hole_aware.hole_aware_forward(
      g, x, m, hole_aware.Plan(plan.sizes, s, t, c), tile=tile))
  got = fn(x, m, plan.starts, plan.tiles, plan.counts)
  want = _dense_fn(g)(x, m)
  return [float(np.abs(np.where(holes[..., None], a - b, 0)).max())
          for a, b in zip(got[:2], want[:2])]


_CASES = {
    'corner_top_left': ((64, 96), [(0, 10, 0, 12)]),
    'two_at_borders': ((64, 96), [(50, 64, 80, 96), (3, 9, 40, 50)]),
    'three_separate': ((128, 128), [(0, 9, 60, 75), (100, 128, 0, 20),
                                    (60, 70, 118, 128)]),
    'center': ((128, 128), [(57, 71, 60, 70)]),
    'full': ((64, 64), [(0, 64, 0, 64)]),
    'none': ((64, 64), []),
}


@pytest.mark.parametrize('case', sorted(_CASES))
def test_hole_aware_equals_dense_inside_holes(gen, case):
  hw, rects = _CASES[case]
  err1, err2 = _compare(gen, hw, rects)
  assert err1 <= _TOL and err2 <= _TOL


@pytest.mark.parametrize('case', ['two_at_borders', 'center'])
def test_exact_with_query_level_tiles(gen, case):
  """Tiles of one query: only the derived margin is computed."""
  hw, rects = _CASES[case]
  assert max(_compare(gen, hw, rects, tile=(1, 1))) <= _TOL


def test_margin_is_tight(gen, monkeypatch):
  """One attention-output row less on either side breaks exactness."""
  field = hole_aware._decoder_field
  hw, rects = _CASES['two_at_borders']
  for dlo, dhi in ((1, 0), (0, -1)):
    monkeypatch.setattr(hole_aware, '_decoder_field',
                        lambda n, a=dlo, b=dhi: (field(n)[0] + a,
                                                 field(n)[1] + b))
    assert _compare(gen, hw, rects, tile=(1, 1))[1] > 1e-4


def test_tight_crops_are_exact(gen, monkeypatch):
  """Unrounded crops (4-pixel quantum) of every stage stay exact."""
  monkeypatch.setattr(hole_aware, 'WINDOW_QUANTUM', 4)
  hw, rects = (448, 384), [(200, 230, 150, 190)]
  plan = hole_aware.make_plan(_holes(hw, rects), _holes(hw, rects))
  assert all(s[0] < hw[0] and s[1] < hw[1] for s in plan.sizes)
  err1, err2 = _compare(gen, hw, rects)
  assert err1 <= _TOL and err2 <= _TOL


def test_needed_input_of_a_stride_two_stage():
  # hallucination: 5x5 conv, two stride-2 3x3 convs, dilations up to 16.
  lo, hi = hole_aware.needed_input('hallucination', 10, 10)
  assert lo < 40 < 43 < hi
  assert hole_aware.needed_input('attention_decoder', 5, 7) == (3, 9)


# ----------------------------------------------------------------------------
# Inpainter.
# ----------------------------------------------------------------------------


@pytest.fixture(scope='module')
def inpainter(gen):
  return inpainter_lib.Inpainter(gen)


def _image(hw, channels=3, seed=0):
  shape = hw + ((channels,) if channels else ())
  return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _mask(hw):
  m = np.zeros(hw, np.uint8)
  m[hw[0] // 3:hw[0] // 2, hw[1] // 4:hw[1] // 2] = 200
  m[-3:, -5:] = 255
  m[:2, :2] = 127  # Not a hole: below the uint8 threshold.
  return m


@pytest.mark.parametrize('hw', [(37, 53), (64, 64), (9, 200)])
def test_any_size_same_size_known_pixels_bit_exact(inpainter, hw):
  image, mask = _image(hw), _mask(hw)
  out = inpainter(image, mask)
  assert out.shape == hw + (3,) and out.dtype == np.uint8
  np.testing.assert_array_equal(out[mask < 128], image[mask < 128])
  assert (out[mask >= 128] != image[mask >= 128]).any()


def test_grey_and_rgba_inputs(inpainter):
  hw = (40, 48)
  mask = _mask(hw) > 0
  grey = _image(hw, channels=0)
  out = inpainter(grey, mask)
  np.testing.assert_array_equal(out, inpainter(np.stack([grey] * 3, -1), mask))
  rgba = _image(hw, channels=4)
  np.testing.assert_array_equal(inpainter(rgba, mask),
                                inpainter(rgba[..., :3], mask))


def test_no_hole_returns_input(inpainter):
  image = _image((30, 30))
  res = inpainter.outputs(image, np.zeros((30, 30), bool), return_flow=True,
                          return_coarse=True)
  np.testing.assert_array_equal(res.image, image)
  np.testing.assert_array_equal(res.coarse, image)
  assert res.flow.shape == (30, 30, 3)


def test_auto_matches_dense_in_uint8(gen):
  hw = (56, 72)
  image, mask = _image(hw), _mask(hw)
  auto = inpainter_lib.Inpainter(gen).outputs(image, mask, return_coarse=True,
                                              return_flow=True)
  dense = inpainter_lib.Inpainter(gen, attention='dense').outputs(
      image, mask, return_coarse=True, return_flow=True)
  for a, d in ((auto.image, dense.image), (auto.coarse, dense.coarse)):
    # Float differences of 1e-6 may flip a rounding at .5: at most 1 level.
    assert np.abs(a.astype(int) - d.astype(int)).max() <= 1
    assert (a == d).mean() > 0.999
  assert auto.flow.shape == dense.flow.shape == hw + (3,)


def test_batch_equals_single_calls_and_compiles_once(inpainter):
  hw = (48, 40)
  images = [_image(hw, seed=i) for i in range(3)]
  masks = [np.roll(_mask(hw), 7 * i, axis=1) for i in range(3)]
  sizes = inpainter.plan_sizes(masks)
  before = inpainter_lib._run._cache_size()
  batch = inpainter.inpaint_batch(images, masks, sizes=sizes)
  again = inpainter.inpaint_batch(images[::-1], masks[::-1], sizes=sizes)
  assert inpainter_lib._run._cache_size() == before + 1
  np.testing.assert_array_equal(again, batch[::-1])
  for i in range(3):
    np.testing.assert_array_equal(batch[i], inpainter(images[i], masks[i]))


def test_inpaint_many_returns_the_flows_of_single_calls(inpainter):
  hw = (40, 48)
  images = {i: _image(hw, seed=i) for i in range(3)}
  masks = {i: np.roll(_mask(hw), 5 * i, axis=0) >= 128 for i in range(3)}
  batches = list(inpainter.inpaint_many(
      [(i, hw) for i in range(3)], lambda i: (images[i], masks[i]),
      batch_size=2, return_flow=True))
  assert [b.keys for b in batches] == [[0, 1], [2]]
  for batch in batches:
    for key, out, flow in zip(batch.keys, batch.outputs, batch.flows):
      want = inpainter.outputs(images[key], masks[key], return_flow=True)
      np.testing.assert_array_equal(out, want.image)
      np.testing.assert_array_equal(flow, want.flow)
  plain, = inpainter.inpaint_many([(0, hw)], lambda i: (images[i], masks[i]))
  assert plain.flows == [None]
  windows = inpainter_lib.Inpainter(inpainter.generator, context=16)
  batch, = windows.inpaint_many([(0, hw)], lambda i: (images[i], masks[i]),
                                return_flow=True)
  want = windows.outputs(images[0], masks[0], return_flow=True)
  np.testing.assert_array_equal(batch.outputs[0], want.image)
  np.testing.assert_array_equal(batch.flows[0], want.flow)


# ----------------------------------------------------------------------------
# Sketches (guided DeepFill v2): wherever an image goes, its sketch goes.
# ----------------------------------------------------------------------------


@pytest.fixture(scope='module')
def guided(guided_ckpt):
  return inpainter_lib.Inpainter.from_checkpoint(guided_ckpt)


def test_sketch_is_cropped_and_padded_with_its_context_window(guided):
  """Each window's holes get exactly what the whole-image path computes on
  the window's crops of image, holes and sketch (the right window is
  clipped by the image to 29x28, so it is padded); the sketch matters
  there, so one shifted by one window changes the result."""
  hw = (37, 92)
  image, edge = _image(hw, seed=1), random_sketch(hw, seed=1)
  holes = np.zeros(hw, bool)
  holes[8:20, 8:24] = holes[20:32, 72:88] = True
  windows = context_windows.windows(holes, 8)
  assert [w.crop for w in windows] == [(slice(0, 32), slice(0, 32)),
                                       (slice(8, 37), slice(64, 92))]
  inpainter = inpainter_lib.Inpainter(guided.generator, context=8)
  out = inpainter(image, holes, edge=edge)
  for win in windows:
    want = guided(image[win.crop], holes[win.crop], edge=edge[win.crop])
    np.testing.assert_array_equal(out[win.crop][win.holes], want[win.holes])
  shifted = np.roll(edge, windows[1].left - windows[0].left, axis=1)
  assert (inpainter(image, holes, edge=shifted)[holes] != out[holes]).any()
  # inpaint_many runs the windows with the sketch too.
  batch, = inpainter.inpaint_many([(0, hw)], lambda _: (image, holes, edge))
  np.testing.assert_array_equal(batch.outputs[0], out)
  # A window holding the whole image gives the whole-image result.
  whole = inpainter_lib.Inpainter(guided.generator, context=1000)
  np.testing.assert_array_equal(whole(image, holes, edge=edge),
                                guided(image, holes, edge=edge))


def test_inpaint_many_sketches_follow_their_images(guided, monkeypatch):
  """In a batch and in the one-image-at-a-time retry, each image is
  inpainted with its own sketch (None: none), as by a single call."""
  hw = (32, 40)
  images = {i: _image(hw, seed=i) for i in range(3)}
  holes = {i: np.roll(_mask(hw), 5 * i, axis=0) >= 128 for i in range(3)}
  edges = {0: random_sketch(hw, 0), 1: None, 2: random_sketch(hw, 2)}
  want = {i: guided(images[i], holes[i], edge=edges[i]) for i in range(3)}
  assert (want[0] != guided(images[0], holes[0])).any()  # The sketch counts.
  real = inpainter_lib.Inpainter.inpaint_batch

  def one_at_a_time(self, images, masks, **kwargs):
    if len(images) > 1:
      raise RuntimeError('RESOURCE_EXHAUSTED: out of memory.')
    return real(self, images, masks, **kwargs)

  for retry in (False, True):
    if retry:
      monkeypatch.setattr(inpainter_lib.Inpainter, 'inpaint_batch', one_at_a_time)
    notes = []
    batch, = guided.inpaint_many(
        [(i, hw) for i in range(3)],
        lambda i: (images[i], holes[i], edges[i]), log=notes.append)
    assert batch.keys == [0, 1, 2] and batch.edges == list(edges.values())
    assert any('retrying' in n for n in notes) == retry
    for key, out in zip(batch.keys, batch.outputs):
      np.testing.assert_array_equal(out, want[key])


def test_sketch_errors_are_one_line(inpainter, guided):
  """A sketch for an unguided generator (also with context windows or no
  hole), of the wrong size or count: one-line ValueErrors, before any
  work."""
  hw = (20, 24)
  image, mask, edge = _image(hw), _mask(hw), random_sketch(hw)
  windows = inpainter_lib.Inpainter(inpainter.generator, context=8)
  for call, text in [
      (lambda: inpainter(image, mask, edge=edge), 'guided=False'),
      (lambda: windows(image, mask, edge=edge), 'guided=False'),
      (lambda: inpainter(image, np.zeros(hw), edge=edge), 'guided=False'),
      (lambda: inpainter.inpaint_batch([image], [mask], edges=[edge]),
       'guided=False'),
      (lambda: guided(image, mask, edge=edge[:, 1:]), 'shape'),
      (lambda: guided(image, mask, edge=edge.astype(np.int32)),
       'uint8 or float'),
      (lambda: guided.inpaint_batch([image], [mask], edges=[edge, edge]),
       'got 2 for 1 images'),
  ]:
    with pytest.raises(ValueError, match=text) as e:
      call()
    assert '\n' not in str(e.value)


def test_reflect_padding_keeps_holes_holes():
  mask = np.zeros((5, 6), bool)
  mask[3:, 4] = True
  padded = pixels.reflect_pad(mask, (8, 8))
  assert padded[5, 4] and not padded[6, 4] and not padded[5, 5]  # Row 5 = 3.
  assert padded[:, 6].tolist() == padded[:, 4].tolist()


def test_mask_convention(inpainter):
  """bool, uint8 (>= 128) and float ([0, 1], > 0.5) masks; others refused."""
  hw = (24, 32)
  image, holes = _image(hw), _mask(hw) >= 128
  want = inpainter(image, holes)
  assert (want[holes] != image[holes]).any()
  for mask in (holes.astype(np.uint8) * 255, _mask(hw),
               holes.astype(np.float32), holes[..., None],
               np.where(holes, 0.75, 0.25)):
    np.testing.assert_array_equal(inpainter(image, mask), want)
  np.testing.assert_array_equal(inpainter.inpaint_batch([image], [holes])[0],
                                want)
  nan = holes.astype(np.float32)
  nan[0, 0] = np.nan
  for mask, text in [
      (holes.astype(np.float32) * 255, 'must be in \\[0, 1\\]'),
      (nan, 'NaN'), (holes.astype(np.uint8), 'only 0 and 1'),
      (holes.astype(np.int32) * 300, '0..255'),
      (holes[None, ..., None], 'shape'), (holes.astype(str), 'dtype')]:
    for call in (lambda: inpainter(image, mask),
                 lambda: inpainter.inpaint_batch([image], [mask])):
      with pytest.raises(ValueError, match=text) as e:
        call()
      assert '\n' not in str(e.value)


def test_bad_inputs_raise_one_line_errors(inpainter):
  image = _image((20, 20))
  for call, text in [
      (lambda: inpainter(image, np.zeros((20, 21))), 'differs'),
      (lambda: inpainter(image.astype(np.float32), np.zeros((20, 20))),
       'uint8'),
      (lambda: inpainter(image[..., :2], np.zeros((20, 20))), 'shape'),
      (lambda: inpainter_lib.Inpainter(inpainter.generator, attention='x'),
       'attention'),
      (lambda: inpainter.inpaint_batch([image, image[:10]],
                                       [np.zeros((20, 20))] * 2), 'size'),
  ]:
    with pytest.raises(ValueError, match=text) as e:
      call()
    assert '\n' not in str(e.value)


def test_from_checkpoint_round_trip(gen, tmp_path):
  path = store.save_generator(str(tmp_path / 'ckpt'), gen)
  loaded = inpainter_lib.Inpainter.from_checkpoint(path)
  image, mask = _image((24, 32)), _mask((24, 32))
  np.testing.assert_array_equal(loaded(image, mask),
                                inpainter_lib.Inpainter(gen)(image, mask))
