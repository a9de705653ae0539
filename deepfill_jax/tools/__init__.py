# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Command-line tools carried by the package (console scripts in setup.cfg):
deepfill-convert, deepfill-export, deepfill-build-dataset, deepfill-evaluate.
The scripts under tools/ in the repository call these."""
