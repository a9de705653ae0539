# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Runs notebooks/deepfill_jax_colab.ipynb top to bottom on a CPU.

Small settings replace the parameter cell's (as papermill would: a cell after
the one tagged `parameters`); the kernel runs in a temporary directory, sees
two CPU devices (so the training is really sharded) and has one deadline for
the whole notebook.
"""

from __future__ import annotations

import importlib.util
import os
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOK = os.path.join(REPO, 'notebooks', 'deepfill_jax_colab.ipynb')
# The whole notebook, kernel start to export; the shipped model's cell (a
# width-32 generator) is the largest single compile.
DEADLINE_SECONDS = 240
MISSING = [m for m in ('nbclient', 'nbformat', 'ipykernel', 'matplotlib',
                       'tensorboard')
           if importlib.util.find_spec(m) is None]
pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f'{", ".join(MISSING)} not installed (pip install '
    '-r requirements-test-extra.txt)')

# Seconds on a CPU: the tiny model's width, 64x64 crops, two steps.
SMALL = {
    'NUM_TRAIN_STEPS': 2,
    'OVERRIDES': {'image_size': 64, 'model.cnum': 4, 'model.critic_cnum': 4,
                  'critic_steps': 1, 'batch_size': 2, 'eval.batch_size': 2,
                  'eval.num_images': 2, 'eval.num_strip_images': 2,
                  'data.shorter_side': 80},
    'SHORTER_SIDE': 96,
    'EXPORT_PLATFORMS': 'cpu',
}


def _outputs(cell) -> tuple[str, list[str]]:
  """(all text a cell printed, the MIME types of its rich outputs)."""
  text, kinds = [], []
  for out in cell.get('outputs', []):
    if out.output_type == 'stream':
      text.append(out.text)
    elif out.output_type in ('display_data', 'execute_result'):
      kinds.extend(out.data.keys())
      text.append(out.data.get('text/plain', ''))
  return ''.join(text), kinds


def test_notebook_structure():
  import nbformat  # pylint: disable=g-import-not-at-top
  nb = nbformat.read(NOTEBOOK, as_version=4)
  nbformat.validate(nb)
  tagged = [c for c in nb.cells if 'parameters' in c.metadata.get('tags', [])]
  assert len(tagged) == 1
  for name in list(SMALL) + ['REPO_DIR', 'WORKDIR', 'EXPORT_DIR']:
    assert f'\n{name} = ' in '\n' + tagged[0].source, name
  assert ('https://colab.research.google.com/github/OWNER/deepfill_jax/blob/'
          'main/notebooks/deepfill_jax_colab.ipynb') in nb.cells[0].source
  # Markdown between the code cells; no stored outputs.
  kinds = [c.cell_type for c in nb.cells]
  assert 'code,code,code' not in ','.join(kinds)
  assert all(not c.get('outputs') for c in nb.cells if c.cell_type == 'code')


def test_notebook_runs_on_cpu(tmp_path, monkeypatch):
  import nbformat  # pylint: disable=g-import-not-at-top
  from nbclient import NotebookClient  # pylint: disable=g-import-not-at-top
  nb = nbformat.read(NOTEBOOK, as_version=4)
  index = next(i for i, c in enumerate(nb.cells)
               if 'parameters' in c.metadata.get('tags', []))
  params = dict(SMALL, REPO_DIR=REPO, WORKDIR=str(tmp_path / 'workdir'),
                EXPORT_DIR=str(tmp_path / 'export'))
  nb.cells.insert(index + 1, nbformat.v4.new_code_cell(
      '\n'.join(f'{k} = {v!r}' for k, v in params.items()),
      metadata={'tags': ['injected-parameters']}))
  # The kernel inherits the environment: two CPU devices, no GPU probing.
  monkeypatch.setenv('XLA_FLAGS', '--xla_force_host_platform_device_count=2')
  monkeypatch.setenv('JAX_PLATFORMS', 'cpu')
  deadline = time.monotonic() + DEADLINE_SECONDS
  client = NotebookClient(
      nb, kernel_name='python3', startup_timeout=60,
      timeout_func=lambda cell: max(1, int(deadline - time.monotonic())),
      resources={'metadata': {'path': str(tmp_path)}})
  client.execute()
  nbformat.write(nb, str(tmp_path / 'executed.ipynb'))  # For a failure.

  printed = {i: _outputs(c) for i, c in enumerate(nb.cells)
             if c.cell_type == 'code'}
  everything = ''.join(text for text, _ in printed.values())
  assert 'Not in Colab: nothing to install' in everything
  assert "backend 'cpu', 2 device(s)" in everything
  assert "Mesh: {'data': 2}" in everything
  assert 'device 1 gets images 4..7' in everything
  assert 'global batch 2 (1 per device), 64x64 crops, width 4' in everything
  assert 'Trained to step 2 in' in everything
  assert 'generator/g_loss' in everything and 'eval/psnr' in everything
  assert 'Export vs Inpainter: largest difference' in everything
  images = sum(kinds.count('image/png') for _, kinds in printed.values())
  # Loss plot, two strips, the inpainted photo, the shipped model's, the
  # export's result.
  assert images >= 6, images
  assert 'shipped model:' in everything
  strips = sorted(os.listdir(tmp_path / 'workdir' / 'strips'))
  assert strips[0] == 'step_0000000.png' and strips[-1] == 'step_0000002.png'
  assert os.path.isfile(tmp_path / 'export' / 'export.json')
  assert os.path.isfile(tmp_path / 'export' / 'deepfill_64x64.jax')
