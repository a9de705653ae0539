# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""DeepFill v1 networks: generator, contextual attention, critics."""

from deepfill_jax.models.contextual_attention import contextual_attention
from deepfill_jax.models.critics import GlobalCritic
from deepfill_jax.models.critics import LocalCritic
from deepfill_jax.models.flow import flow_to_image
from deepfill_jax.models.generator import InpaintGenerator

__all__ = ['InpaintGenerator', 'LocalCritic', 'GlobalCritic',
           'contextual_attention', 'flow_to_image']
