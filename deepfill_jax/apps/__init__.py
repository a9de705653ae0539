# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Command-line and web apps: inpaint, serve, demo and their flags."""
