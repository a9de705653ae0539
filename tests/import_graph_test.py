# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The package's layers (docs/architecture.md): imports only go down or
sideways, never around a circle; no module is over 500 lines; nothing edits
sys.path."""

import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, 'deepfill_jax')

# Lowest first. A module may import modules of its own layer or below.
LAYERS = (
    ('files', 'image_io', 'compilation_cache', 'cli', 'pretrained',
     'cpu_hours', 'workdir_lock', 'stop_signals'),
    ('models',),
    ('masks', 'metrics', 'losses', 'pixels', 'data_sources', 'memory',
     'context_windows', 'two_scale', 'residual_aggregation', 'working_size'),
    ('input_pipeline', 'checkpointing', 'run_config'),
    ('convert', 'export', 'step', 'batches', 'inference', 'testing'),
    ('evaluation',),
    ('train', 'demo', 'main', 'inpaint', 'inpaint_report', 'serve', 'web_inputs',
     'tools'),
)
MAX_LINES = 500


def _modules() -> dict[str, str]:
  """{dotted name: path} of every module of the package."""
  found = {}
  for folder, _, names in os.walk(PACKAGE):
    for name in names:
      if name.endswith('.py'):
        rel = os.path.relpath(os.path.join(folder, name), ROOT)
        dotted = rel[:-3].replace(os.sep, '.')
        found[dotted.removesuffix('.__init__')] = os.path.join(folder, name)
  return found


def _imports(path: str, modules: dict[str, str]) -> set[str]:
  """The package modules `path` imports (anywhere in the file)."""
  out = set()
  for node in ast.walk(ast.parse(open(path).read())):
    names = []
    if isinstance(node, ast.Import):
      names = [a.name for a in node.names]
    elif isinstance(node, ast.ImportFrom) and node.module:
      names = [node.module] + [f'{node.module}.{a.name}' for a in node.names]
    for name in names:
      if name in modules:
        out.add(name)
  return out


def _graph() -> dict[str, set[str]]:
  modules = _modules()
  graph = {}
  for name, path in modules.items():
    deps = _imports(path, modules)
    # A package's own submodules, re-exported by its __init__, are not
    # imports of the package by itself.
    graph[name] = {d for d in deps if not d.startswith(name + '.')}
  return graph


def _layer(module: str) -> int:
  part = module.split('.')[1] if '.' in module else ''
  for index, names in enumerate(LAYERS):
    if part in names:
      return index
  raise AssertionError(f'{module}: in no layer of LAYERS; add it.')


def test_every_module_has_a_layer():
  for name in _graph():
    if name != 'deepfill_jax':
      _layer(name)


def test_no_import_goes_up_a_layer():
  upward = [f'{m} -> {d}' for m, deps in _graph().items() if m != 'deepfill_jax'
            for d in deps if d != 'deepfill_jax' and _layer(d) > _layer(m)]
  assert not upward, upward


def test_no_import_cycle():
  graph = _graph()
  state, stack, cycles = {}, [], []

  def visit(node):
    state[node] = 'open'
    stack.append(node)
    for dep in sorted(graph.get(node, ())):
      if state.get(dep) == 'open':
        cycles.append(stack[stack.index(dep):] + [dep])
      elif dep not in state:
        visit(dep)
    stack.pop()
    state[node] = 'done'

  for node in sorted(graph):
    if node not in state:
      visit(node)
  assert not cycles, cycles


def test_the_check_finds_a_cycle_and_an_upward_import(monkeypatch):
  """The checks above can fail."""
  monkeypatch.setattr(
      __import__(__name__), '_graph', lambda: {
          'deepfill_jax.files': {'deepfill_jax.train'},
          'deepfill_jax.train': {'deepfill_jax.files'}})
  with pytest.raises(AssertionError):
    test_no_import_goes_up_a_layer()
  with pytest.raises(AssertionError):
    test_no_import_cycle()


def test_no_module_is_over_500_lines():
  long = {n: sum(1 for _ in open(p)) for n, p in _modules().items()}
  assert {n: k for n, k in long.items() if k > MAX_LINES} == {}


def test_nothing_edits_sys_path():
  edits = []
  for top in ('deepfill_jax', 'bench', 'tools', 'tests', 'configs'):
    for folder, _, names in os.walk(os.path.join(ROOT, top)):
      for name in names:
        path = os.path.join(folder, name)
        if name.endswith('.py') and 'sys.path' in open(path).read():
          if os.path.abspath(path) != os.path.abspath(__file__):
            edits.append(os.path.relpath(path, ROOT))
  assert not edits, edits
