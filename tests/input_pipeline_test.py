# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Tests of deepfill_jax.data.input_pipeline on tiny folders, flists, ArrayRecord
files and mocked TFDS data: batch contents, sharding, determinism, skipping of
corrupt files and exact resume from an orbax checkpoint."""

import glob
import os
import shutil
import subprocess
import sys
import tempfile

from absl.testing import absltest
from absl.testing import parameterized
import numpy as np
import orbax.checkpoint as ocp
from PIL import Image

from deepfill_jax import default_config as default
from deepfill_jax.training import checkpoints as run_checkpoints
from deepfill_jax.data import data_sources
from deepfill_jax.data import input_pipeline
from deepfill_jax.tools import build_dataset

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_PHOTOS = sorted(glob.glob(os.path.join(_REPO, 'data', 'photos', '*.jpg')))


def _make_folder(root):
  """Mixed formats, grey, RGBA, tiny and corrupt images; returns paths."""
  photos = [Image.open(p).reduce(4) for p in _PHOTOS[:6]]  # ~192 x 128.
  files = {
      'a/photo0.jpg': photos[0], 'a/b/photo1.png': photos[1],
      'photo2.webp': photos[2], 'photo3.BMP': photos[3],
      'grey.png': photos[4].convert('L'),
      'rgba.png': photos[5].convert('RGBA'),
      'tiny.jpg': photos[0].resize((40, 24)),
  }
  for name, img in files.items():
    os.makedirs(os.path.dirname(os.path.join(root, name)), exist_ok=True)
    img.save(os.path.join(root, name))
  with open(os.path.join(root, 'a', 'corrupt.jpg'), 'wb') as f:
    f.write(b'\xff\xd8\xff\xe0 truncated jpeg')
  with open(os.path.join(root, 'notes.txt'), 'w') as f:
    f.write('not an image')
  return sorted(files) + ['a/corrupt.jpg']


def _config(path, **data):
  config = default.get_config()
  config.image_size = 64
  config.batch_size = 4
  config.data.path = path
  config.data.num_threads = 2
  config.data.prefetch_buffer_size = 4
  config.data.update(data)
  return config


def _iterator(config, **kwargs):
  """`create_dataset` as process 0 of 1 unless told otherwise."""
  kwargs.setdefault('process_index', 0)
  kwargs.setdefault('process_count', 1)
  return input_pipeline.create_dataset(config, **kwargs)


def _batches(config, count, **kwargs):
  it = _iterator(config, **kwargs)
  batches = [next(it) for _ in range(count)]
  it.close()
  return batches


def _assert_batches_equal(first, second):
  for a, b in zip(first, second, strict=True):
    assert a.keys() == b.keys()
    for key in a:
      np.testing.assert_array_equal(a[key], b[key], err_msg=key)


class InputPipelineTest(parameterized.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.root = tempfile.mkdtemp()
    cls.folder = os.path.join(cls.root, 'images')
    cls.names = _make_folder(cls.folder)

  @classmethod
  def tearDownClass(cls):
    shutil.rmtree(cls.root)
    super().tearDownClass()

  def test_folder_batches(self):
    config = _config(self.folder)
    it = _iterator(config)
    with self.assertLogs(level='WARNING') as logs:
      batches = [next(it) for _ in range(6)]  # 24 > 2 epochs of 8 files.
    self.assertIn('corrupt.jpg', '\n'.join(logs.output))
    self.assertGreaterEqual(it.skipped, 2)
    # Met in every epoch, reported once.
    self.assertLen([x for x in logs.output if 'corrupt.jpg' in x], 1)
    self.assertEqual(it.get_state()['skipped'], it.skipped)
    for batch in batches:
      self.assertEqual(batch['image'].shape, (4, 64, 64, 3))
      self.assertEqual(batch['image'].dtype, np.float32)
      self.assertBetween(batch['image'].min(), -1.0, 1.0)
      self.assertBetween(batch['image'].max(), -1.0, 1.0)
      self.assertEqual(batch['mask'].shape, (4, 64, 64, 1))
      self.assertEqual(set(np.unique(batch['mask'])), {0.0, 1.0})
      self.assertEqual(batch['box'].dtype, np.int32)
      self.assertEqual(batch['discount'].shape, (4, 32, 32, 1))
      for mask, (top, left, height, width) in zip(batch['mask'],
                                                  batch['box']):
        self.assertEqual((height, width), (32, 32))
        inside = mask[top:top + height, left:left + width].sum()
        self.assertEqual(inside, mask.sum())  # The bbox hole is in the box.
        self.assertBetween(mask.sum(), 24 * 24, 32 * 32)
    # Images differ within a batch and masks are per image.
    self.assertGreater(np.abs(batches[0]['image'][0] -
                              batches[0]['image'][1]).mean(), 0.01)
    self.assertGreater(len({b.tobytes() for b in batches[0]['box']}), 1)
    it.close()

  def test_same_seed_same_batches(self):
    config = _config(self.folder, random_flip=True)
    config.masks.type = 'bbox+free_form'
    first, second = _batches(config, 3), _batches(config, 3)
    _assert_batches_equal(first, second)
    config.seed = 1
    third = _batches(config, 1)[0]
    self.assertFalse(np.array_equal(first[0]['mask'], third['mask']))

  def test_process_shards(self):
    config = _config(self.folder)
    config.masks.type = 'free_form'
    shards = [_batches(config, 4, process_index=i, process_count=2)
              for i in range(2)]
    for shard in shards:
      self.assertEqual(shard[0]['image'].shape[0], 2)  # Per-host batch.
    for key in 'image', 'mask':
      self.assertFalse(np.array_equal(shards[0][0][key], shards[1][0][key]))
    with self.assertRaisesRegex(ValueError, 'divisible'):
      _iterator(config, process_count=3)

  def test_same_mask_for_batch(self):
    config = _config(self.folder)
    config.masks.same_for_batch = True
    batch = _batches(config, 1)[0]
    for key in 'mask', 'box':
      self.assertTrue((batch[key] == batch[key][:1]).all())
    self.assertFalse((batch['image'] == batch['image'][:1]).all())

  @parameterized.parameters('free_form', 'folder')
  def test_mask_types(self, mask_type):
    config = _config(self.folder, random_crop=False)
    config.masks.type = mask_type
    config.masks.path = self.folder  # Photos as masks: fine for shapes.
    batch = _batches(config, 1)[0]
    self.assertEqual(batch['mask'].shape, (4, 64, 64, 1))
    self.assertTrue(((batch['box'][:, :2] >= 0) &
                     (batch['box'][:, :2] <= 32)).all())

  def test_flist(self):
    flist_dir = os.path.join(self.root, 'lists')
    os.makedirs(flist_dir, exist_ok=True)
    flist = os.path.join(flist_dir, 'train.flist')
    with open(flist, 'w') as f:
      f.write('../images/a/photo0.jpg\n\n../images/grey.png\n')
      f.write(os.path.join(self.folder, 'tiny.jpg') + '\n')
      f.write('../images/missing.jpg\n')
    self.assertEqual(data_sources.read_flist(flist)[0],
                     os.path.join(self.folder, 'a', 'photo0.jpg'))
    it = _iterator(_config(flist, source='flist'))
    with self.assertLogs(level='WARNING') as logs:
      next(it)
      next(it)
    self.assertIn('missing.jpg', '\n'.join(logs.output))
    self.assertGreaterEqual(it.skipped, 1)
    it.close()

  def test_array_record_round_trip(self):
    output = os.path.join(self.root, 'array_record')
    with self.assertLogs(level='WARNING'):
      info = build_dataset.build(self.folder, output, num_shards=3,
                                 num_threads=2)
    self.assertEqual(info['num_records'], len(self.names) - 1)
    self.assertEqual(info['num_skipped'], 1)
    files = data_sources.array_record_files(output)
    self.assertLen(files, 3)
    source = data_sources.make_source(
        _config(output, source='array_record').data)
    self.assertLen(source, len(self.names) - 1)
    meta, data = data_sources.decode_record(source[0]['record'])
    self.assertEqual(meta['name'], self.names[0])
    with open(os.path.join(self.folder, self.names[0]), 'rb') as f:
      self.assertEqual(data, f.read())
    it = _iterator(_config(output, source='array_record'))
    for _ in range(3):
      self.assertEqual(next(it)['image'].shape, (4, 64, 64, 3))
    self.assertEqual(it.skipped, 0)
    it.close()
    with self.assertRaises(FileExistsError):
      build_dataset.build(self.folder, output)
    # Without its info file (written last) the folder is an unfinished
    # build: an error, never a silently partial dataset.
    os.remove(os.path.join(output, build_dataset.INFO_FILE))
    with self.assertRaisesRegex(FileNotFoundError,
                                '3 ArrayRecord files of an unfinished'):
      data_sources.array_record_files(output)
    with self.assertRaises(FileNotFoundError):
      data_sources.make_source(_config(output, source='array_record').data)
    self.assertEqual(sorted(os.listdir(output)), sorted(
        os.path.basename(f) for f in files))  # No temporary files.

  def test_tfds_mock(self):
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
    config = _config('', source='tfds', tfds_name='dtd')
    with tfds.testing.mock_data(num_examples=6):
      batch = _batches(config, 2)[1]
      eval_batches = list(_iterator(config, split='eval'))
    self.assertEqual(batch['image'].shape, (4, 64, 64, 3))
    self.assertLen(eval_batches, 1)  # One pass over 6 examples.
    self.assertEqual(data_sources.tfds_settings(config.data),
                     ('image', 'train', 'validation'))

  @parameterized.parameters(0, 2)
  def test_resume(self, num_workers):
    config = _config(self.folder, num_workers=num_workers)
    reference = _batches(config, 5)
    with tempfile.TemporaryDirectory() as workdir:
      it = _iterator(config)
      for _ in range(3):
        next(it)
      skipped = it.skipped
      with ocp.CheckpointManager(workdir) as manager:
        run_checkpoints.save_training(manager, 3, {}, it, force=True)
        manager.wait_until_finished()
      it.close()
      restored = _iterator(config)
      with ocp.CheckpointManager(workdir) as manager:
        run_checkpoints.restore_training(manager, {}, restored, 3)
      self.assertEqual(restored.skipped, skipped)
      _assert_batches_equal(reference[3:], [next(restored), next(restored)])
      restored.close()

  def test_eval_is_one_pass(self):
    config = _config(self.folder, eval_path=self.folder)
    batches = list(_iterator(config, split='eval'))
    self.assertLen(batches, 1)  # 7 readable images, batch 4, remainder out.

  def test_startup_errors(self):
    empty = os.path.join(self.root, 'empty')
    broken = os.path.join(self.root, 'broken')
    os.makedirs(empty, exist_ok=True)
    os.makedirs(broken, exist_ok=True)
    shutil.copy(os.path.join(self.folder, 'a', 'corrupt.jpg'), broken)
    cases = [
        (_config('/no/such/folder'), 'train', FileNotFoundError),
        (_config(empty), 'train', ValueError),
        (_config(broken), 'train', ValueError),
        (_config(self.folder), 'eval', ValueError),  # No eval_path.
        (_config(self.folder), 'test', ValueError),
        (_config(self.folder, source='lmdb'), 'train', ValueError),
        (_config('/no/such.flist', source='flist'), 'train',
         FileNotFoundError),
        (_config(empty, source='array_record'), 'train', FileNotFoundError),
    ]
    for config, split, error in cases:
      with self.assertRaises(error, msg=(config.data.path, split)):
        _iterator(config, split=split)

  def test_no_tensorflow(self):
    code = (
        'import sys\n'
        'from configs import default\n'
        'from deepfill_jax.data import input_pipeline\n'
        'config = default.get_config()\n'
        f'config.data.path = {self.folder!r}\n'
        'config.image_size, config.batch_size = 64, 2\n'
        'next(input_pipeline.create_dataset(config))\n'
        'assert "tensorflow" not in sys.modules\n')
    subprocess.run([sys.executable, '-c', code], cwd=_REPO, check=True,
                   capture_output=True)


if __name__ == '__main__':
  absltest.main()
