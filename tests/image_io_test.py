# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Tests of deepfill_jax.data.image_io: modes, EXIF, masks and error messages."""

import os
import shutil
import tempfile

from absl.testing import absltest
from absl.testing import parameterized
import numpy as np
from PIL import Image

from deepfill_jax.data import image_io


class ImageIoTest(parameterized.TestCase):

  def setUp(self):
    super().setUp()
    self.dir = tempfile.mkdtemp()
    self.addCleanup(shutil.rmtree, self.dir)
    self.rgb = np.random.default_rng(0).integers(0, 256, (6, 10, 3), np.uint8)

  def _save(self, name, img, **kwargs):
    path = os.path.join(self.dir, name)
    img.save(path, **kwargs)
    return path

  @parameterized.parameters('L', 'RGBA', 'P', 'CMYK', 'LA', 'I;16')
  def test_modes_become_rgb(self, mode):
    img = Image.fromarray(self.rgb)
    if mode == 'I;16':
      img = Image.fromarray(np.full((6, 10), 0x8000, np.uint16))
    else:
      img = img.convert(mode)
    name = 'x.tiff' if mode in ('CMYK', 'I;16') else 'x.png'
    image = image_io.load_image(self._save(name, img))
    self.assertEqual(image.shape, (6, 10, 3))
    self.assertEqual(image.dtype, np.uint8)
    if mode == 'RGBA':
      np.testing.assert_array_equal(image, self.rgb)  # Alpha dropped.
    if mode == 'I;16':
      self.assertEqual(image.max(), 128)  # Top 8 bits, not clipped.

  def test_exif_orientation(self):
    img = Image.fromarray(self.rgb)
    exif = img.getexif()
    exif[0x0112] = 6  # Rotate 90 degrees clockwise when shown.
    image = image_io.load_image(self._save('r.jpg', img, exif=exif))
    self.assertEqual(image.shape, (10, 6, 3))

  def test_reduced_jpeg_decode(self):
    big = Image.fromarray(np.zeros((400, 600, 3), np.uint8))
    path = self._save('big.jpg', big)
    self.assertEqual(image_io.open_image(path, min_size=100).size, (150, 100))
    self.assertEqual(image_io.open_image(path).size, (600, 400))

  def test_load_mask(self):
    grey = np.array([[0, 127, 128, 255]], np.uint8)
    mask = image_io.load_mask(self._save('m.png', Image.fromarray(grey)))
    np.testing.assert_array_equal(mask, [[False, False, True, True]])

  def test_errors_name_the_file(self):
    corrupt = os.path.join(self.dir, 'corrupt.png')
    with open(corrupt, 'wb') as f:
      f.write(b'\x89PNG\r\n\x1a\n garbage')
    truncated = self._save('t.jpg', Image.fromarray(self.rgb))
    with open(truncated, 'r+b') as f:
      f.truncate(200)
    for path in corrupt, truncated, os.path.join(self.dir, 'missing.jpg'):
      with self.assertRaisesRegex(ValueError, os.path.basename(path)) as cm:
        image_io.load_image(path)
      self.assertNotIn('\n', str(cm.exception))
    with self.assertRaisesRegex(ValueError, 'record 7'):
      image_io.open_image(b'nope', 'record 7')

  def test_list_images(self):
    with tempfile.TemporaryDirectory() as root:
      os.makedirs(os.path.join(root, 'sub'))
      for name in 'b.JPG', 'sub/a.webp', 'c.txt', 'sub/d.bmp':
        open(os.path.join(root, name), 'w').close()
      self.assertEqual(
          [os.path.relpath(p, root) for p in image_io.list_images(root)],
          ['b.JPG', 'sub/a.webp', 'sub/d.bmp'])
      with self.assertRaises(FileNotFoundError):
        image_io.list_images(os.path.join(root, 'nope'))
    with self.assertRaises(ValueError):
      image_io.list_images(self.dir)  # No image yet.


if __name__ == '__main__':
  absltest.main()
