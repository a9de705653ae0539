# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Classical inpainting baselines and SSIM, from optional packages.

Optional extras (requirements-eval.txt): OpenCV for the Telea and
Navier-Stokes baselines, scikit-image for the biharmonic baseline and SSIM,
pypatchmatch for the PatchMatch baseline. When one is missing, what needs it
is left out with a one-line note and everything else still runs.
"""

from __future__ import annotations

import importlib.util
from typing import Callable, Sequence

import numpy as np

MODEL = 'deepfill'
BASELINES = ('telea', 'navier_stokes', 'biharmonic', 'patchmatch', 'mean')
METHOD_TITLES = {
    MODEL: 'DeepFill (this checkpoint)',
    'telea': 'OpenCV Telea',
    'navier_stokes': 'OpenCV Navier-Stokes',
    'biharmonic': 'scikit-image biharmonic',
    'patchmatch': 'PatchMatch (pypatchmatch)',
    'mean': 'mean known colour',
}
# Optional packages: import name -> pip name, and what needs them.
EXTRAS = {'cv2': 'opencv-python-headless', 'skimage': 'scikit-image',
          'patchmatch': 'pypatchmatch'}
NEEDS = {'telea': 'cv2', 'navier_stokes': 'cv2', 'biharmonic': 'skimage',
         'patchmatch': 'patchmatch', 'ssim': 'skimage'}
# Neighbourhood radius of cv2.inpaint, in pixels (OpenCV's documented example).
INPAINT_RADIUS = 3
# PatchMatch: patch radius (patches of 7 x 7 pixels) and the seed of its
# randomised search, set before every call so results are reproducible.
PATCHMATCH_PATCH_SIZE = 3
PATCHMATCH_SEED = 0


def has_module(name: str) -> bool:
  """Whether the optional package `name` can be imported (and, for
  patchmatch, whether its native library loads)."""
  if importlib.util.find_spec(name) is None:
    return False
  if name == 'patchmatch':
    import patchmatch as pm  # pylint: disable=g-import-not-at-top
    return bool(pm.patchmatch_available)
  return True


def missing_extras(wanted: Sequence[str]) -> tuple[list[str], list[str]]:
  """Splits baselines/'ssim' into (runnable, notes on the missing ones)."""
  runnable, notes = [], []
  for module, package in EXTRAS.items():
    lost = [w for w in wanted if NEEDS.get(w) == module]
    if lost and not has_module(module):
      notes.append(f'{", ".join(lost)} skipped: {package} is not installed '
                   '(pip install -r requirements-eval.txt).')
  for w in wanted:
    if w not in NEEDS or has_module(NEEDS[w]):
      runnable.append(w)
  return runnable, notes


def _composite(image: np.ndarray, hole: np.ndarray,
               filled: np.ndarray) -> np.ndarray:
  """`filled` in the hole, `image` elsewhere (uint8 [H, W, 3])."""
  return np.where(hole[..., None], filled, image)


def _cv2_inpaint(image: np.ndarray, hole: np.ndarray, flag_name: str
                 ) -> np.ndarray:
  import cv2  # pylint: disable=g-import-not-at-top
  filled = cv2.inpaint(np.ascontiguousarray(image), hole.astype(np.uint8),
                       INPAINT_RADIUS, getattr(cv2, flag_name))
  return _composite(image, hole, filled)


def telea(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
  """OpenCV's fast-marching inpainting (Telea 2004)."""
  return _cv2_inpaint(image, hole, 'INPAINT_TELEA')


def navier_stokes(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
  """OpenCV's Navier-Stokes inpainting (Bertalmio et al. 2001)."""
  return _cv2_inpaint(image, hole, 'INPAINT_NS')


def biharmonic(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
  """scikit-image's biharmonic inpainting, rounded to uint8."""
  from skimage import restoration  # pylint: disable=g-import-not-at-top
  filled = restoration.inpaint_biharmonic(image / 255., hole, channel_axis=-1)
  filled = np.clip(np.round(filled * 255.), 0, 255).astype(np.uint8)
  return _composite(image, hole, filled)


def patchmatch(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
  """PatchMatch inpainting (Barnes et al. 2009), seeded: deterministic."""
  import patchmatch as pm  # pylint: disable=g-import-not-at-top
  pm.set_random_seed(PATCHMATCH_SEED)
  filled = pm.inpaint(np.ascontiguousarray(image), hole.astype(np.uint8),
                      patch_size=PATCHMATCH_PATCH_SIZE)
  return _composite(image, hole, filled)


def mean_fill(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
  """The hole filled with the mean colour of the known pixels (rounded)."""
  known = image[~hole]
  colour = known.mean(axis=0) if known.size else np.full(3, 127.5)
  return _composite(image, hole, np.round(colour).astype(np.uint8))


BASELINE_FNS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    'telea': telea, 'navier_stokes': navier_stokes, 'biharmonic': biharmonic,
    'patchmatch': patchmatch, 'mean': mean_fill}


def ssim(pred: np.ndarray, target: np.ndarray) -> float:
  """SSIM of two uint8 RGB images (scikit-image defaults, data range 1)."""
  from skimage import metrics as skm  # pylint: disable=g-import-not-at-top
  return float(skm.structural_similarity(
      pred / 255., target / 255., channel_axis=-1, data_range=1.))
