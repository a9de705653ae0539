# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The wheel: built with `python -m build`, installed into a fresh venv, its
console scripts run there (marker `wheel`; .ci/run runs it)."""

import glob
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from deepfill_jax.checkpoints import store
from deepfill_jax.data import image_io
from deepfill_jax.testing import random_generator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = {  # Console script -> a flag its --help lists.
    'deepfill-train': '--workdir',
    'deepfill-inpaint': '--input_dir',
    'deepfill-serve': '--max_pixels',
    'deepfill-evaluate': '--baselines',
    'deepfill-export': '--platforms',
    'deepfill-convert': '--tf_checkpoint',
    'deepfill-build-dataset': '--num_shards',
}

pytestmark = pytest.mark.wheel


def _run(args, **kwargs) -> subprocess.CompletedProcess:
  return subprocess.run(args, capture_output=True, text=True, timeout=900,
                        check=False, **kwargs)


@pytest.fixture(scope='module')
def venv(tmp_path_factory) -> str:
  """A venv holding the wheel (its dependencies seen from this Python)."""
  tmp = tmp_path_factory.mktemp('wheel')
  # A clean copy: a stale build/ of the checkout must not leak into it.
  src = tmp / 'src'
  shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
      '.git', 'build', 'dist', '*.egg-info', '__pycache__', 'notebooks'))
  # Without isolation: the installed setuptools builds it, offline and fast.
  built = _run([sys.executable, '-m', 'build', '--wheel', '--no-isolation',
                '--outdir', str(tmp / 'dist'), str(src)])
  assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
  wheel, = glob.glob(str(tmp / 'dist' / 'deepfill_jax-*.whl'))
  env_dir = str(tmp / 'venv')
  made = _run([sys.executable, '-m', 'venv', '--system-site-packages',
               env_dir])
  assert made.returncode == 0, made.stderr
  pip = _run([os.path.join(env_dir, 'bin', 'python'), '-m', 'pip', 'install',
              '--no-deps', '--no-index', wheel])
  assert pip.returncode == 0, pip.stderr[-2000:]
  return env_dir


def _env() -> dict[str, str]:
  env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
  return dict(env, XLA_FLAGS='')


def test_the_venv_imports_the_wheel_not_the_repository(venv, tmp_path):
  found = _run([os.path.join(venv, 'bin', 'python'), '-c',
                'import deepfill_jax, configs; print(deepfill_jax.__file__); '
                'print(configs.__file__)'], cwd=tmp_path, env=_env())
  assert found.returncode == 0, found.stderr
  for line in found.stdout.split():
    assert line.startswith(venv), line


@pytest.mark.parametrize('script', sorted(SCRIPTS))
def test_console_script_runs(venv, script, tmp_path):
  run = _run([os.path.join(venv, 'bin', script), '--help'],
             cwd=tmp_path, env=_env())
  assert run.returncode == 0, run.stderr[-2000:]
  assert SCRIPTS[script] in run.stdout


def test_the_wheel_carries_the_demo_photos(venv, tmp_path):
  """The shipped configs find the bundled photos of the install."""
  found = _run([os.path.join(venv, 'bin', 'python'), '-c',
                'from configs import demo; print(demo.get_config().data.path)'],
               cwd=tmp_path, env=_env())
  assert found.returncode == 0, found.stderr
  path = found.stdout.strip()
  assert path == os.path.join(venv, 'share', 'deepfill_jax', 'data',
                              'photos')
  assert len([n for n in os.listdir(path) if n.endswith('.jpg')]) == 15


def _installed_inpaint(venv, tmp_path, *flags_):
  """Runs the installed `deepfill-inpaint` on a fixed random image and hole;
  returns (image, hole as uint8 0/255, the result read back)."""
  image = np.random.default_rng(0).integers(0, 256, (40, 48, 3), np.uint8)
  hole = np.zeros((40, 48), np.uint8)
  hole[10:20, 12:30] = 255
  image_io.save_image(str(tmp_path / 'in.png'), image)
  image_io.save_image(str(tmp_path / 'mask.png'), hole)
  run = _run([os.path.join(venv, 'bin', 'deepfill-inpaint'), *flags_,
              f'--image={tmp_path / "in.png"}',
              f'--mask={tmp_path / "mask.png"}',
              f'--output={tmp_path / "out.png"}'], cwd=tmp_path, env=_env())
  assert run.returncode == 0, run.stderr[-2000:]
  return image, hole, image_io.load_image(str(tmp_path / 'out.png'))


def test_installed_inpaint_writes_a_result(venv, tmp_path):
  ckpt = store.save_generator(str(tmp_path / 'ckpt'),
                                      random_generator())
  image, hole, out = _installed_inpaint(venv, tmp_path, f'--checkpoint={ckpt}')
  np.testing.assert_array_equal(out[hole == 0], image[hole == 0])


def test_the_wheel_carries_the_shipped_model(venv, tmp_path):
  """`pip install` brings the weights: the installed CLI inpaints without
  --checkpoint, exactly as the repository's shipped model does."""
  from deepfill_jax.inference import inpainter as inpainter_lib  # pylint: disable=g-import-not-at-top
  image, hole, out = _installed_inpaint(venv, tmp_path)
  np.testing.assert_array_equal(
      out, inpainter_lib.Inpainter.pretrained()(image, hole > 0))
