# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Runs deepfill_jax/tools/convert_tf_checkpoint.py, installed as
`deepfill-convert` (flags: --help)."""

from deepfill_jax.tools.convert_tf_checkpoint import run

if __name__ == '__main__':
  run()
