# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Inference at any size: the Inpainter, sizing and memory, two-scale, windows, export."""
