# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Runs deepfill_jax/tools/evaluate.py, installed as `deepfill-evaluate`
(flags: --help)."""

from deepfill_jax.tools.evaluate import run

if __name__ == '__main__':
  run()
