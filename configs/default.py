# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Default configuration (`--config=configs/default.py`): the original v1's.

It lives in the package, `deepfill_jax.default_config`, so that library code
and installed tools have it without this folder.
"""

from deepfill_jax.default_config import bundled  # pylint: disable=unused-import
from deepfill_jax.default_config import deepfill_v2  # pylint: disable=unused-import
from deepfill_jax.default_config import get_config  # pylint: disable=unused-import
from deepfill_jax.default_config import tfds_config  # pylint: disable=unused-import
