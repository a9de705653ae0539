# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Training data: image I/O, sources, masks and the input pipeline."""
