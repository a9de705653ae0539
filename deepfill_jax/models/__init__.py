# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""DeepFill v1 and v2 networks: generators, contextual attention, critics."""

from deepfill_jax.models.contextual_attention import contextual_attention
from deepfill_jax.models.critics import GlobalCritic
from deepfill_jax.models.critics import LocalCritic
from deepfill_jax.models.critics import SNPatchGAN
from deepfill_jax.models.flow import flow_to_image
from deepfill_jax.models.gated_generator import GatedGenerator
from deepfill_jax.models.generator import InpaintGenerator
from deepfill_jax.models.registry import make_generator

__all__ = ['InpaintGenerator', 'GatedGenerator', 'LocalCritic',
           'GlobalCritic', 'SNPatchGAN', 'contextual_attention',
           'flow_to_image', 'make_generator']
