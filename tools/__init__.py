# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Command-line tools (run as scripts; importable for tests)."""
