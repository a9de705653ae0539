# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Training: the step, losses, loop, run checkpoints and run safety."""
