# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Memory known before work: pixel and free-memory limits, --context."""

import os
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from deepfill_jax.inference import context_windows
from deepfill_jax.inference import inpainter as inpainter_lib
from deepfill_jax.apps import inpaint
from deepfill_jax.inference import memory
from inference_test import random_generator


def _png_header(path, width: int, height: int) -> str:
  """A PNG that declares `width` x `height` but holds almost no data."""
  def chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack('>I', len(data)) + kind + data
            + struct.pack('>I', zlib.crc32(kind + data)))
  ihdr = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
  with open(path, 'wb') as f:
    f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr)
            + chunk(b'IDAT', zlib.compress(b'\0' * 64)) + chunk(b'IEND', b''))
  return str(path)


def test_cli_refuses_a_huge_image_from_its_header(tmp_path, ckpt, capsys):
  image = _png_header(tmp_path / 'huge.png', 12000, 12000)
  mask = _png_header(tmp_path / 'mask.png', 12000, 12000)
  assert os.path.getsize(image) < 200
  out = str(tmp_path / 'out.png')
  status = inpaint.main(['--checkpoint', ckpt, '--image', image, '--mask',
                         mask, '--output', out, '--working_size=full'])
  assert status == 1
  err = capsys.readouterr().err.strip().splitlines()
  assert err == [
      f'error: {image}: image of 12000x12000 = 144.0 megapixels needs about '
      '4.6 GB to inpaint, above the limit of 40,000,000 pixels (--max_pixels '
      '/ max_pixels=); to fit, inpaint only a window around each hole '
      '(--context / Inpainter(context=...)), or raise the limit to '
      '144,000,000 pixels.']
  assert not os.path.exists(out)


def test_cli_folder_mode_reports_the_huge_image_and_goes_on(tmp_path, ckpt,
                                                            capsys):
  images, masks, outs = (tmp_path / n for n in ('in', 'masks', 'out'))
  images.mkdir()
  masks.mkdir()
  _png_header(images / 'huge.png', 9000, 9000)
  _png_header(masks / 'huge.png', 9000, 9000)
  Image.fromarray(np.full((40, 48, 3), 90, np.uint8)).save(images / 'ok.png')
  hole = np.zeros((40, 48), np.uint8)
  hole[10:20, 10:30] = 255
  Image.fromarray(hole).save(masks / 'ok.png')
  status = inpaint.main(['--checkpoint', ckpt, '--input_dir', str(images),
                         '--mask_dir', str(masks), '--output_dir', str(outs),
                         '--max_pixels=50000000', '--no_progress'])
  err = capsys.readouterr().err
  assert status == 1
  assert 'huge.png: image of 9000x9000 = 81.0 megapixels' in err
  assert 'above the limit of 50,000,000 pixels' in err
  assert sorted(os.listdir(outs)) == ['ok.png']


def test_api_refuses_above_max_pixels_and_above_free_memory(monkeypatch):
  gen = random_generator()
  image = np.full((64, 80, 3), 100, np.uint8)
  hole = np.zeros((64, 80), bool)
  hole[20:30, 20:40] = True
  with pytest.raises(memory.MemoryLimitError, match=(
      r'^image of 80x64 = 0.0 megapixels needs about 0.0 GB to inpaint, above '
      r'the limit of 1,000 pixels')):
    inpainter_lib.Inpainter(gen, max_pixels=1000)(image, hole)
  monkeypatch.setattr(memory, 'available_memory', lambda: 10_000)
  with pytest.raises(memory.MemoryLimitError, match=(
      r'needs about 0.0 GB to inpaint, and 0.0 GB are free; inpaint a '
      r'smaller image')):
    inpainter_lib.Inpainter(gen)(image, hole)


def test_estimates_of_the_documented_sizes():
  small_hole = (128, 128)
  photo = memory.estimate_bytes((3000, 4000), cnum=32, window_hw=small_hole)
  assert 2e9 < photo < 3e9  # 4000x3000 with a small hole: still inpainted.
  assert 3000 * 4000 < memory.DEFAULT_MAX_PIXELS
  huge = memory.estimate_bytes((12000, 12000), cnum=32, window_hw=small_hole)
  assert huge > 30e9


def test_context_windows_group_holes_and_clip_to_the_image():
  holes = np.zeros((300, 400), bool)
  holes[10:20, 10:20] = True      # Group 1: two holes 30 px apart.
  holes[10:20, 50:60] = True
  holes[250:260, 350:390] = True  # Group 2, far away.
  wins = context_windows.windows(holes, 32)
  assert len(wins) == 2
  first, second = sorted(wins)
  assert (first.top, first.left) == (0, 0)  # Clipped at the image's edge.
  assert first.bottom >= 20 + 32 and first.right >= 60 + 32
  assert second.bottom >= 260 + 32 and second.right == 400  # Clipped.
  assert second.top <= 250 - 32 and second.left <= 350 - 32
  assert first.holes.sum() == 200 and second.holes.sum() == 400


def test_context_mode_changes_only_holes_and_matches_a_crop():
  gen = random_generator()
  rng = np.random.default_rng(0)
  image = rng.integers(0, 256, (240, 320, 3), np.uint8)
  hole = np.zeros((240, 320), bool)
  hole[20:36, 24:48] = True
  hole[180:200, 260:300] = True
  # Fewer pixels than the image: only the windows are inpainted at once.
  windowed = inpainter_lib.Inpainter(gen, context=48, max_pixels=240 * 320 // 2)
  out = windowed(image, hole)
  np.testing.assert_array_equal(out[~hole], image[~hole])
  assert (out[hole] != image[hole]).any()
  # Each group's result is the default inpainting of its window.
  for win in context_windows.windows(hole, 48):
    crop = (slice(win.top, win.bottom), slice(win.left, win.right))
    alone = inpainter_lib.Inpainter(gen)(image[crop], hole[crop])
    np.testing.assert_array_equal(out[crop][win.holes], alone[win.holes])
  with pytest.raises(memory.MemoryLimitError):
    inpainter_lib.Inpainter(gen, max_pixels=240 * 320 // 2)(image, hole)


def test_cli_context_runs_windows_through_inpaint_many(tmp_path, ckpt,
                                                       capsys):
  """Folder mode with --context: two images above --max_pixels, each
  inpainted window by window (one at a time), as the API does."""
  images, masks, outs = (tmp_path / n for n in ('in', 'masks', 'out'))
  images.mkdir()
  masks.mkdir()
  rng = np.random.default_rng(1)
  hole = np.zeros((64, 80), np.uint8)
  hole[10:20, 10:30] = 255
  for name in ('a.png', 'b.png'):
    Image.fromarray(rng.integers(0, 256, (64, 80, 3), np.uint8)).save(
        images / name)
    Image.fromarray(hole).save(masks / name)
  flags = ['--checkpoint', ckpt, '--input_dir', str(images), '--mask_dir',
           str(masks), '--output_dir', str(outs), '--max_pixels=3000',
           '--no_progress']
  assert inpaint.main(flags) == 1  # 80x64 = 5120 pixels: refused...
  assert 'above the limit of 3,000 pixels' in capsys.readouterr().err
  assert inpaint.main(flags + ['--context=24']) == 0  # ...windows fit.
  windowed = inpainter_lib.Inpainter.from_checkpoint(ckpt, context=24,
                                                 max_pixels=3000)
  for name in ('a.png', 'b.png'):
    image = np.asarray(Image.open(images / name))
    np.testing.assert_array_equal(np.asarray(Image.open(outs / name)),
                                  windowed(image, hole >= 128))
