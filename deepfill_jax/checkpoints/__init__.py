# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Generator checkpoints: the on-disk format, TF conversion and the shipped weights."""
