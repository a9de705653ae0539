# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""deepfill_jax: DeepFill v1 (Yu et al., CVPR 2018) and v2 (ICCV 2019) in
JAX/Flax NNX."""

__version__ = "0.1.0"
