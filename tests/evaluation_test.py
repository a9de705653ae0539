# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Evaluation: masks, baselines, SSIM, aggregation and deepfill_jax/tools/evaluate.py."""

import dataclasses
import hashlib
import json
import math
import os
import shutil

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from deepfill_jax import default_config
from deepfill_jax import evaluation
from deepfill_jax.inference import export
from deepfill_jax.data import image_io
from deepfill_jax.inference import inpainter as inpainter_lib
from deepfill_jax.utils import metrics
from deepfill_jax.evaluation import baselines
from deepfill_jax.evaluation import mask_sets as eval_masks
from deepfill_jax.testing import random_generator
from deepfill_jax.tools import evaluate as evaluate_tool

needs_cv2 = pytest.mark.skipif(
    not evaluation.has_module('cv2'),
    reason='opencv-python-headless not installed (requirements-eval.txt)')
needs_skimage = pytest.mark.skipif(
    not evaluation.has_module('skimage'),
    reason='scikit-image not installed (requirements-eval.txt)')
needs_patchmatch = pytest.mark.skipif(
    not evaluation.has_module('patchmatch'),
    reason='pypatchmatch not installed (requirements-eval.txt)')
PHOTOS = os.path.join(os.path.dirname(__file__), '..', 'data', 'photos')
MASKS_CONFIG = default_config.get_config().masks
SIZE = 32

# ----------------------------------------------------------------------------
# Masks.
# ----------------------------------------------------------------------------


def test_center_mask_is_half_the_sides():
  mask = eval_masks.center_mask((256, 256))
  assert mask.sum() == 128 * 128
  assert mask[64:192, 64:192].all()
  odd = eval_masks.center_mask((10, 7))  # Rows 2..6, columns 1..3.
  expected = np.zeros((10, 7), bool)
  expected[2:7, 1:4] = True
  np.testing.assert_array_equal(odd, expected)


@pytest.mark.parametrize('kind', ['bbox', 'free_form', 'thin', 'medium',
                                  'thick', 'thin_strokes'])
def test_generated_masks_are_deterministic_per_name(kind):
  masks = eval_masks.EvalMasks(kind, MASKS_CONFIG, seed=3)
  first = masks('a/x.jpg', (64, 80))
  assert first.shape == (64, 80) and first.dtype == bool and first.any()
  masks('other.jpg', (64, 80))  # Drawing others does not change x's mask.
  np.testing.assert_array_equal(masks('a/x.jpg', (64, 80)), first)
  np.testing.assert_array_equal(
      eval_masks.EvalMasks(kind, MASKS_CONFIG, seed=3)('a/x.jpg', (64, 80)),
      first)
  others = [masks(f'{i}.jpg', (64, 80)) for i in range(4)]
  assert any(not np.array_equal(first, m) for m in others)
  assert not np.array_equal(
      eval_masks.EvalMasks(kind, MASKS_CONFIG, seed=4)('a/x.jpg', (64, 80)),
      first)


def test_bbox_masks_are_the_training_boxes():
  masks = eval_masks.EvalMasks('bbox', MASKS_CONFIG)
  for i in range(20):
    rows, cols = np.nonzero(masks(str(i), (256, 256)))
    # A 128 box shrunk by 0..16 px per side: sides 96..128, a rectangle.
    height, width = np.ptp(rows) + 1, np.ptp(cols) + 1
    assert 96 <= height <= 128 and 96 <= width <= 128
    assert len(rows) == height * width


def test_lama_masks_grow_from_thin_to_thick_and_stay_under_half():
  areas = {}
  for kind in ('thin', 'medium', 'thick'):
    masks = eval_masks.EvalMasks(kind, MASKS_CONFIG)
    areas[kind] = [masks(str(i), (128, 128)).mean() for i in range(40)]
    assert max(areas[kind]) <= eval_masks.MAX_HOLE_FRACTION
  means = [np.mean(areas[k]) for k in ('thin', 'medium', 'thick')]
  assert means[0] < means[1] < means[2]


def _masks_digest(kind):
  masks = eval_masks.EvalMasks(kind, MASKS_CONFIG, seed=0)
  digest = hashlib.sha256()
  for name in ('a.jpg', 'b/c.png', 'x'):
    for hw in ((256, 256), (64, 80)):
      digest.update(np.packbits(masks(name, hw)).tobytes())
  return digest.hexdigest()[:16]


@pytest.mark.parametrize('kind, digest', [
    # Recorded before `thin_strokes` was added: new types leave these alone.
    ('bbox', 'ef39fb4049ef3c1b'), ('free_form', '23d8d0bf2114d3a6'),
    ('thin', '729147de38289ada'), ('medium', 'f665cf96d4321434'),
    ('thick', '38e37b13ba88dad0')])
def test_existing_mask_types_are_unchanged(kind, digest):
  assert _masks_digest(kind) == digest


def _touches_border(mask):
  return mask[0].any() or mask[-1].any() or mask[:, 0].any() or mask[
      :, -1].any()


def _disk(diameter):
  radius = (diameter - 1) / 2
  return np.hypot(*np.mgrid[-diameter // 2 + 1:diameter // 2 + 1,
                            -diameter // 2 + 1:diameter // 2 + 1]) <= radius


def test_one_thin_stroke_is_5_to_15_px_wide():
  # At 256 px the style draws one stroke: its widest inscribed disk is the
  # brush (pixel centres to the nearest known pixel, less half a pixel on
  # each side; strokes clipped at the border are left out).
  one = dataclasses.replace(eval_masks.THIN_STROKES, strokes=(1, 1))
  widths = []
  for i in range(120):
    mask = eval_masks.lama_style_mask(np.random.default_rng(i), (256, 256),
                                      one)
    if not _touches_border(mask):
      widths.append(round(2 * ndimage.distance_transform_edt(mask).max() - 1))
  assert len(widths) > 60
  assert 5 <= min(widths) <= 6 and 14 <= max(widths) <= 16


@pytest.mark.parametrize('side', [256, 1024])
def test_thin_strokes_keep_their_width_at_any_size(side):
  masks = eval_masks.EvalMasks('thin_strokes', MASKS_CONFIG)
  thick = []
  for i in range(10):
    mask = masks(str(i), (side, side))
    # No part thinner than 5 px: a 5 px disk fits nearly everywhere
    # (rasterised edges lose a little).
    kept = ndimage.binary_opening(np.pad(mask, 2, mode='edge'), _disk(5))
    assert kept[2:-2, 2:-2].sum() >= .9 * mask.sum()
    # Only where strokes cross does a 17 px disk fit (widths scaled with the
    # image would be 10-30 px at 1024).
    thick.append(ndimage.binary_opening(mask, _disk(17)).sum() / mask.sum())
  assert np.mean(thick) < .4


@pytest.mark.parametrize('side, count', [(256, 100), (1024, 20)])
def test_thin_strokes_cover_3_to_12_percent(side, count):
  masks = eval_masks.EvalMasks('thin_strokes', MASKS_CONFIG)
  areas = np.array([masks(str(i), (side, side)).mean() for i in range(count)])
  assert .05 <= areas.mean() <= .09
  assert np.mean((areas >= .03) & (areas <= .12)) >= .8
  assert areas.min() > .01 and areas.max() < .2


def test_thin_strokes_seeds_its_own_stream():
  assert eval_masks.GENERATED[-1] == 'thin_strokes'
  masks = eval_masks.EvalMasks('thin_strokes', MASKS_CONFIG, seed=0)
  for kind in ('thin', 'medium'):
    other = eval_masks.EvalMasks(kind, MASKS_CONFIG, seed=0)
    assert not np.array_equal(masks('a.jpg', (64, 64)),
                              other('a.jpg', (64, 64)))


def test_unknown_mask_type():
  with pytest.raises(ValueError, match='Unknown mask type'):
    eval_masks.EvalMasks('circle', MASKS_CONFIG)
  with pytest.raises(ValueError, match='neither a mask type'):
    evaluation.mask_sources(['circle'], MASKS_CONFIG, 0)


# ----------------------------------------------------------------------------
# Baselines, SSIM, bins, aggregation.
# ----------------------------------------------------------------------------


def _hole(hw, box):
  hole = np.zeros(hw, bool)
  hole[box[0]:box[1], box[2]:box[3]] = True
  return hole


def test_mean_fill_by_hand():
  image = np.zeros((4, 4, 3), np.uint8)
  image[:2] = (10, 20, 30)
  image[2:] = (20, 40, 61)
  hole = _hole((4, 4), (1, 3, 1, 3))  # Two pixels of each colour.
  out = evaluation.mean_fill(image, hole)
  # Known: 6 pixels of colour A, 6 of colour B -> mean (15, 30, 45.5) -> 46.
  np.testing.assert_array_equal(out[hole], [[15, 30, 46]] * 4)
  np.testing.assert_array_equal(out[~hole], image[~hole])


@needs_cv2
@pytest.mark.parametrize('method', ['telea', 'navier_stokes'])
def test_opencv_fills_a_flat_image(method):
  image = np.full((20, 24, 3), (40, 90, 200), np.uint8)
  hole = _hole((20, 24), (5, 15, 6, 18))
  noisy = image.copy()
  noisy[hole] = 0  # Whatever is in the hole must not matter.
  out = evaluation.BASELINE_FNS[method](noisy, hole)
  np.testing.assert_array_equal(out[~hole], image[~hole])
  # Telea's weights are not exactly normalised: a few levels off.
  assert np.abs(out.astype(int) - image).max() <= 4


@needs_skimage
def test_biharmonic_continues_a_linear_ramp():
  # A linear function is biharmonic: the fill reproduces it up to rounding.
  ramp = np.repeat(np.arange(0, 240, 10, dtype=np.uint8)[None, :, None],
                   20, axis=0).repeat(3, axis=2)
  hole = _hole((20, 24), (5, 15, 6, 18))
  noisy = ramp.copy()
  noisy[hole] = 255
  out = evaluation.biharmonic(noisy, hole)
  assert np.abs(out.astype(int) - ramp).max() <= 1
  np.testing.assert_array_equal(out[~hole], ramp[~hole])


@needs_patchmatch
def test_patchmatch_is_deterministic_and_keeps_known_pixels():
  image = _photo((40, 48), 5)
  hole = _hole((40, 48), (10, 25, 12, 30))
  first = evaluation.BASELINE_FNS['patchmatch'](image, hole)
  np.testing.assert_array_equal(first[~hole], image[~hole])
  assert not np.array_equal(first[hole], np.full_like(first[hole], 255))
  evaluation.BASELINE_FNS['patchmatch'](_photo((40, 48), 6), hole)
  np.testing.assert_array_equal(
      evaluation.BASELINE_FNS['patchmatch'](image, hole), first)


@needs_skimage
def test_ssim_of_flat_images_by_hand():
  a = np.full((16, 16, 3), 128, np.uint8)
  b = np.full((16, 16, 3), 64, np.uint8)
  # No variance: SSIM is the luminance term (2 mu_a mu_b + C1) /
  # (mu_a^2 + mu_b^2 + C1) with C1 = (0.01 * data_range)^2.
  mu_a, mu_b, c1 = 128 / 255, 64 / 255, 1e-4
  expected = (2 * mu_a * mu_b + c1) / (mu_a**2 + mu_b**2 + c1)
  assert evaluation.ssim(a, b) == pytest.approx(expected, rel=1e-6)
  assert evaluation.ssim(a, a) == pytest.approx(1.)


@pytest.mark.parametrize('fraction, index', [
    (0., 0), (.0999, 0), (.1, 1), (.25, 2), (.5, 5), (.999, 9), (1., 9)])
def test_hole_bins(fraction, index):
  assert evaluation.hole_bin(fraction) == index


def test_aggregate_by_hand():
  def record(fraction, l1):
    return dict(hole_fraction=fraction,
                bin=evaluation.bin_label(evaluation.hole_bin(fraction)),
                target_tv=2., metrics={'m': {'l1': l1}})
  agg = evaluation.aggregate([record(.05, 1.), record(.15, 2.),
                              record(.18, 6.)], ['m'], ['l1'])
  assert agg['count'] == 3
  assert agg['mean'] == {'m': {'l1': 3.}}
  assert agg['mean_hole_fraction'] == pytest.approx(.38 / 3)
  assert [b['count'] for b in agg['bins']] == [1, 2] + [0] * 8
  assert agg['bins'][1] == {'bin': '10-20%', 'count': 2,
                            'mean': {'m': {'l1': 4.}}}


def test_edge_distance_by_hand():
  hole = np.zeros((6, 9), bool)
  hole[1:6, 1:8] = True  # Touches the bottom border, which is not known.
  hole[0, 8] = True  # A corner pixel next to known ones.
  want = np.array([[0, 0, 0, 0, 0, 0, 0, 0, 1],
                   [0, 1, 1, 1, 1, 1, 1, 1, 0],
                   [0, 1, 2, 2, 2, 2, 2, 1, 0],
                   [0, 1, 2, 3, 3, 3, 2, 1, 0],
                   [0, 1, 2, 3, 4, 3, 2, 1, 0],
                   [0, 1, 2, 3, 4, 3, 2, 1, 0]])
  np.testing.assert_array_equal(evaluation.edge_distance(hole), want)
  assert evaluation.edge_distance(np.zeros((3, 3), bool)).max() == 0
  assert (evaluation.edge_distance(np.ones((3, 3), bool)) > 100).all()


def test_edge_bands_pool_pixels_by_hand():
  def record(pixels, l1):
    return dict(hole_fraction=.1, bin='10-20%', target_tv=1.,
                metrics={'m': {'l1': 0.}}, edge_pixels=pixels,
                edge_l1={'m': l1})
  agg = evaluation.aggregate(
      [record([10, 30, 0, 0, 0], [1., 2., None, None, None]),
       record([30, 10, 0, 0, 5], [3., 6., None, None, 7.])], ['m'], ['l1'])
  assert [b['band'] for b in agg['edge_bands']] == [
      '1 px', '2-3 px', '4-6 px', '7-12 px', '>= 13 px']
  assert [b['pixels'] for b in agg['edge_bands']] == [40, 40, 0, 0, 5]
  assert [b['l1']['m'] for b in agg['edge_bands']] == [2.5, 3., None, None,
                                                       7.]


def test_missing_extras_are_named(monkeypatch):
  monkeypatch.setattr(baselines, 'has_module', lambda name: name != 'cv2')
  runnable, notes = evaluation.missing_extras(
      ['telea', 'navier_stokes', 'biharmonic', 'mean', 'ssim'])
  assert runnable == ['biharmonic', 'mean', 'ssim']
  assert notes == ['telea, navier_stokes skipped: opencv-python-headless is '
                   'not installed (pip install -r requirements-eval.txt).']


def test_fit_crops_the_centre_square():
  image = np.arange(4 * 6, dtype=np.uint8).reshape(4, 6)
  img = Image.fromarray(image)
  np.testing.assert_array_equal(
      np.asarray(evaluation.fit(img, 4, Image.Resampling.NEAREST)),
      image[:, 1:5])
  assert evaluation.fit(img, 0) is img


# ----------------------------------------------------------------------------
# The tool end to end (tiny images, a cnum=4 generator).
# ----------------------------------------------------------------------------


def _photo(hw, seed):
  """A smooth random image (so the baselines have something to continue)."""
  rng = np.random.default_rng(seed)
  small = rng.integers(0, 256, (4, 4, 3), np.uint8)
  return np.asarray(Image.fromarray(small).resize(hw[::-1],
                                                  Image.Resampling.BICUBIC))


@pytest.fixture(scope='module')
def photos(tmp_path_factory):
  root = tmp_path_factory.mktemp('photos')
  for i, hw in enumerate([(40, 48), (32, 32), (48, 36)]):
    image_io.save_image(str(root / f'p{i}.png'), _photo(hw, i))
  (root / 'broken.jpg').write_bytes(b'\xff\xd8 not a jpeg')
  return root


def _run(capsys, *argv):
  code = evaluate_tool.main([str(a) for a in argv] + ['--no_progress'])
  out = capsys.readouterr()
  return code, out.out, out.err


@pytest.fixture(scope='module')
def report(ckpt, photos, tmp_path_factory):
  out = tmp_path_factory.mktemp('report')
  with pytest.MonkeyPatch.context() as mp:
    lines = []
    mp.setattr(evaluate_tool.tqdm, 'write',
               lambda msg, file=None: lines.append(msg))
    code = evaluate_tool.main([
        f'--checkpoint={ckpt}', f'--images={photos}', '--masks=center,thin',
        f'--size={SIZE}', f'--output={out}', '--contact_images=2',
        '--no_progress'])
  with open(out / 'results.json') as f:
    return code, lines, json.load(f), out


def test_report_counts_and_skips_the_bad_image(report):
  code, lines, results, _ = report
  assert code == 0
  # Without the optional extras the tool also prints one note per extra.
  lines = [l for l in lines if not l.startswith('note: ')]
  assert len(lines) == 1 and lines[0].startswith('skipped: ')
  assert 'broken.jpg: cannot read image' in lines[0]
  summary = results['summary']
  assert (summary['images_found'], summary['evaluated'],
          summary['skipped']) == (4, 6, 1)
  assert summary['images_per_second'] > 0
  assert set(results['results']) == {'center', 'thin'}


def test_report_has_every_number(report):
  _, _, results, _ = report
  methods = ['deepfill'] + [
      m for m in evaluation.BASELINES
      if m == 'mean' or evaluation.has_module(evaluation.NEEDS[m])]
  assert list(results['methods']) == methods
  names = list(results['metrics'])
  assert names[:6] == list(metrics.NAMES)
  center = results['results']['center']
  assert center['count'] == 3
  assert center['mean_hole_fraction'] == pytest.approx(.25)
  assert sum(b['count'] for b in center['bins']) == 3
  assert center['bins'][2]['count'] == 3  # 25 % holes: the 20-30% bin.
  for res in results['results'].values():
    assert [r['image'] for r in res['images']] == ['p0.png', 'p1.png',
                                                   'p2.png']
    for record in res['images']:
      assert (record['height'], record['width']) == (SIZE, SIZE)
      for method in methods:
        row = record['metrics'][method]
        assert list(row) == names
        # Every method keeps the known pixels, so the image error is the hole
        # error diluted by the hole's share of the image.
        assert row['l1'] == pytest.approx(
            row['hole_l1'] * record['hole_fraction'], rel=1e-4, abs=1e-6)
    means = res['mean']['mean']
    assert means['l1'] == pytest.approx(
        np.mean([r['metrics']['mean']['l1'] for r in res['images']]))
    # The edge bands split every hole pixel once: pooled, they give back
    # each method's hole L1 over all hole pixels.
    hole_pixels = [r['hole_fraction'] * SIZE * SIZE for r in res['images']]
    assert sum(b['pixels'] for b in res['edge_bands']) == pytest.approx(
        sum(hole_pixels))
    for method in methods:
      pooled = sum(b['pixels'] * b['l1'][method]
                   for b in res['edge_bands'] if b['pixels'])
      assert pooled == pytest.approx(sum(
          n * r['metrics'][method]['hole_l1']
          for n, r in zip(hole_pixels, res['images'])), rel=1e-4)


def test_report_files(report):
  _, _, results, out = report
  assert sorted(os.listdir(out)) == ['contact_center.png', 'contact_thin.png',
                                     'results.json', 'results.md']
  text = (out / 'results.md').read_text()
  for title in results['methods'].values():
    assert f'| {title} |' in text
  assert '## Masks: thin' in text and '| 20-30% | 3 |' in text
  assert "By distance from the hole's edge" in text and '| 1 px |' in text
  columns = len(results['methods']) + 2
  sheet = image_io.load_image(str(out / 'contact_center.png'))
  assert sheet.shape == (16 + 2 * (SIZE + 4) - 4,
                         columns * (SIZE + 4) - 4, 3)


def test_full_size_and_mask_folder(ckpt, photos, tmp_path, capsys):
  masks = tmp_path / 'masks'
  masks.mkdir()
  # p0: a mask of the image size; p1: no hole; p2: no mask at all.
  hole = np.zeros((40, 48), np.uint8)
  hole[10:20, 5:30] = 255
  image_io.save_image(str(masks / 'p0.png'), hole)
  image_io.save_image(str(masks / 'p1.png'), np.zeros((32, 32), np.uint8))
  code, _, err = _run(capsys, '--checkpoint', ckpt, '--images', photos,
                      '--masks', str(masks), '--size', 0, '--output',
                      tmp_path / 'out', '--baselines', 'mean')
  assert code == 0, err
  assert 'p1.png: the folder_masks mask has no hole' in err
  assert 'p2.png: no mask for it' in err
  with open(tmp_path / 'out' / 'results.json') as f:
    results = json.load(f)
  res = results['results']['folder_masks']
  assert [(r['image'], r['height'], r['width']) for r in res['images']] == [
      ('p0.png', 40, 48)]
  assert res['images'][0]['hole_fraction'] == pytest.approx(250 / (40 * 48))
  assert list(results['methods']) == ['deepfill', 'mean']


@needs_patchmatch
@needs_skimage
def test_patchmatch_scores_equal_a_direct_call(ckpt, tmp_path):
  # pylint: disable=g-import-not-at-top
  import patchmatch
  from skimage import metrics as skm
  images, masks = tmp_path / 'images', tmp_path / 'masks'
  images.mkdir()
  masks.mkdir()
  names = ['Dragonfly_by_Bolly.jpg', 'Wine_by_Jakkub_Mede.jpg']
  holes = [_hole((64, 64), (20, 44, 8, 30)),
           eval_masks.EvalMasks('thin_strokes', MASKS_CONFIG)('x', (64, 64))]
  for name, hole in zip(names, holes):
    shutil.copy(os.path.join(PHOTOS, name), images / name)
    image_io.save_image(str(masks / (os.path.splitext(name)[0] + '.png')),
                        hole.astype(np.uint8) * 255)
  settings = evaluation.Settings(images=str(images), masks=[str(masks)],
                                 size=64, baselines=['patchmatch'],
                                 progress=False)
  model = inpainter_lib.Inpainter.from_checkpoint(ckpt)
  results = evaluation.evaluate(model, settings, MASKS_CONFIG)
  records = results['results']['folder_masks']['images']
  assert [r['image'] for r in records] == names
  for name, hole, record in zip(names, holes, records):
    _, image = eval_masks.load_image(os.path.join(PHOTOS, name), 64,
                                     full_decode=True)  # As for folders.
    patchmatch.set_random_seed(0)
    filled = patchmatch.inpaint(image, hole, patch_size=3)
    out = np.where(hole[..., None], filled, image)
    np.testing.assert_array_equal(out[~hole], image[~hole])
    want = metrics.compute(out[None] / 255., image[None] / 255.,
                           hole[None, ..., None].astype(np.float32))
    got = record['metrics']['patchmatch']
    for key in ('l1', 'psnr', 'hole_l1', 'hole_psnr'):
      assert got[key] == pytest.approx(float(want[key][0]), rel=1e-5)
    assert got['ssim'] == pytest.approx(skm.structural_similarity(
        out / 255., image / 255., channel_axis=-1, data_range=1.), rel=1e-9)
  again = evaluation.evaluate(model, settings, MASKS_CONFIG)
  assert ([r['metrics'] for r in again['results']['folder_masks']['images']]
          == [r['metrics'] for r in records])


def test_without_extras_the_model_and_mean_fill_still_run(ckpt, photos,
                                                         monkeypatch):
  monkeypatch.setattr(baselines, 'has_module', lambda name: False)
  lines = []
  results = evaluation.evaluate(
      inpainter_lib.Inpainter.from_checkpoint(ckpt),
      evaluation.Settings(images=str(photos), size=SIZE, progress=False),
      MASKS_CONFIG, log=lines.append)
  assert list(results['methods']) == ['deepfill', 'mean']
  assert results['metrics'] == list(metrics.NAMES)
  assert lines[:2] == [
      'note: telea, navier_stokes skipped: opencv-python-headless is not '
      'installed (pip install -r requirements-eval.txt).',
      'note: biharmonic, ssim skipped: scikit-image is not installed (pip '
      'install -r requirements-eval.txt).']
  assert results['results']['center']['count'] == 3
  assert 'Note: biharmonic, ssim skipped' in evaluation.markdown(results)


def test_export_is_evaluated_through_its_artifacts(tmp_path):
  gen = random_generator()
  path = str(tmp_path / 'export')
  export.export(gen, path, [(SIZE, SIZE)], platforms=['cpu'])
  model = evaluation.load_model(path)
  assert isinstance(model, evaluation.ExportedModel)
  image = _photo((SIZE, SIZE), 0)
  hole = eval_masks.center_mask((SIZE, SIZE))
  got = model.inpaint_batch([image], [hole])
  want = inpainter_lib.Inpainter(gen, attention='dense').inpaint_batch([image],
                                                                   [hole])
  np.testing.assert_array_equal(got[0][~hole], image[~hole])
  assert np.abs(got.astype(int) - want).max() <= 1
  with pytest.raises(ValueError, match='no artifact for 48x48'):
    evaluation.evaluate(model, evaluation.Settings(images=str(tmp_path),
                                                   size=48), MASKS_CONFIG)


@pytest.mark.parametrize('argv, text', [
    (['--masks=circle'], 'neither a mask type'),
    (['--checkpoint=/nonexistent'], 'does not exist'),
    (['--images=/nonexistent'], 'image folder does not exist'),
])
def test_errors_are_one_line(ckpt, photos, tmp_path, capsys, argv, text):
  base = {'--checkpoint': ckpt, '--images': photos, '--output': tmp_path}
  for arg in argv:
    base[arg.split('=')[0]] = arg.split('=')[1]
  code, _, err = _run(capsys, *[f'{k}={v}' for k, v in base.items()])
  assert code == 1
  assert err.count('\n') == 1 and err.startswith('error: ') and text in err


@pytest.mark.parametrize('arg', ['--size=-1', '--baselines=lama',
                                 '--batch_size=0', '--masks=,',
                                 '--two_scale=-1'])
def test_bad_flags_exit_2(arg, capsys):
  with pytest.raises(SystemExit) as exit_info:
    evaluate_tool.main(['--checkpoint=c', '--images=i', '--output=o', arg])
  assert exit_info.value.code == 2
  assert 'error:' in capsys.readouterr().err


def test_nothing_evaluated_exits_1(ckpt, tmp_path, capsys):
  folder = tmp_path / 'imgs'
  folder.mkdir()
  (folder / 'bad.png').write_bytes(b'nope')
  code, _, err = _run(capsys, '--checkpoint', ckpt, '--images', folder,
                      '--output', tmp_path / 'out')
  assert code == 1
  assert 'bad.png: cannot read image' in err
  assert math.isclose(json.loads((tmp_path / 'out' / 'results.json')
                                 .read_text())['summary']['skipped'], 1)


def test_timed_model_runs_single_images_too():
  """`batching` calls the model on one image where `runs_whole` is False
  (a hole wide enough for the working size); the timer must pass it on."""
  from deepfill_jax.evaluation import runner  # pylint: disable=g-import-not-at-top

  class Model:
    def __call__(self, image, hole, edge=None):
      return np.where(hole[..., None], 7, image).astype(np.uint8)

  seconds = {}
  image, hole = np.zeros((8, 8, 3), np.uint8), np.eye(8, dtype=bool)
  out = runner._Timed(Model(), seconds)(image, hole)  # pylint: disable=protected-access
  assert (out[hole] == 7).all() and (out[~hole] == 0).all()
  assert seconds[baselines.MODEL] >= 0.
