# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Runs deepfill_jax/tools/build_dataset.py, installed as `deepfill-build-dataset`
(flags: --help)."""

from deepfill_jax.tools.build_dataset import run

if __name__ == '__main__':
  run()
