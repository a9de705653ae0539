# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Evaluation of a generator and classical baselines on a folder of images.

Used by `deepfill-evaluate` (docs/evaluation.md): `mask_sets` (evaluation
masks, mask folders), `baselines` (OpenCV, scikit-image, SSIM), `runner`
(`evaluate`), `report` (results.json, results.md, contact sheets),
`full_size` (whole photos, each method in its own process). The metrics
are `deepfill_jax.utils.metrics`, the same as training's periodic
evaluation (`training.periodic_eval`).
"""

from deepfill_jax.evaluation.baselines import BASELINE_FNS
from deepfill_jax.evaluation.baselines import BASELINES
from deepfill_jax.evaluation.baselines import METHOD_TITLES
from deepfill_jax.evaluation.baselines import MODEL
from deepfill_jax.evaluation.baselines import NEEDS
from deepfill_jax.evaluation.baselines import biharmonic
from deepfill_jax.evaluation.baselines import has_module
from deepfill_jax.evaluation.baselines import mean_fill
from deepfill_jax.evaluation.baselines import missing_extras
from deepfill_jax.evaluation.baselines import ssim
from deepfill_jax.evaluation.mask_sets import fit
from deepfill_jax.evaluation.mask_sets import mask_sources
from deepfill_jax.evaluation.report import markdown
from deepfill_jax.evaluation.report import write_report
from deepfill_jax.evaluation.runner import EDGE_BANDS
from deepfill_jax.evaluation.runner import ExportedModel
from deepfill_jax.evaluation.runner import Settings
from deepfill_jax.evaluation.runner import aggregate
from deepfill_jax.evaluation.runner import bin_label
from deepfill_jax.evaluation.runner import edge_distance
from deepfill_jax.evaluation.runner import evaluate
from deepfill_jax.evaluation.runner import hole_bin
from deepfill_jax.evaluation.runner import load_model
