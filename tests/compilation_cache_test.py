# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Where the persistent compilation cache goes, and how it is turned off."""

import os

from deepfill_jax.utils import compilation_cache


def test_default_is_xdg_cache_home(monkeypatch, tmp_path):
  monkeypatch.delenv(compilation_cache.ENV, raising=False)
  monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path))
  assert compilation_cache.cache_dir() == str(tmp_path / 'deepfill_jax')
  monkeypatch.delenv('XDG_CACHE_HOME')
  assert compilation_cache.cache_dir() == os.path.join(
      os.path.expanduser('~'), '.cache', 'deepfill_jax')


def test_env_moves_or_turns_off(monkeypatch, tmp_path):
  monkeypatch.setenv(compilation_cache.ENV, str(tmp_path / 'c'))
  assert compilation_cache.cache_dir() == str(tmp_path / 'c')
  monkeypatch.setenv(compilation_cache.ENV, 'off')
  assert compilation_cache.cache_dir() is None
  assert compilation_cache.enable() is None


def test_unwritable_folder_leaves_cache_off(tmp_path):
  blocker = tmp_path / 'file'
  blocker.write_text('x')
  assert compilation_cache.enable(str(blocker / 'cache')) is None
