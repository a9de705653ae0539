# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The package's layering (docs/architecture.md): each subpackage imports
only those below it, never around a circle; no module is over 500 lines;
nothing edits sys.path."""

import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, 'deepfill_jax')

# What each subpackage may import (besides itself); the apps (`apps`,
# `tools`, `main`, `testing`, the package's `__init__`) import anything.
ALLOWED = {
    'utils': set(),
    'models': set(),
    'data': {'models', 'utils'},
    'checkpoints': {'models', 'utils'},
    'training': {'data', 'checkpoints', 'models', 'utils'},
    'inference': {'data', 'checkpoints', 'models', 'utils'},
    'evaluation': {'inference', 'data', 'checkpoints', 'models', 'utils'},
}
APPS = ('apps', 'tools', 'main', 'testing', 'default_config')
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


def _group(module: str) -> str:
  return module.split('.')[1] if '.' in module else ''


def test_every_module_has_a_group():
  for name in _graph():
    if name != 'deepfill_jax':
      group = _group(name)
      assert group in ALLOWED or group in APPS, f'{name}: in no group; add it.'


def test_imports_follow_the_layering():
  wrong = [f'{m} -> {d}' for m, deps in _graph().items()
           if _group(m) in ALLOWED for d in deps
           if _group(d) != _group(m) and _group(d) not in ALLOWED[_group(m)]]
  assert not wrong, wrong


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
          'deepfill_jax.utils.files': {'deepfill_jax.training.train'},
          'deepfill_jax.training.train': {'deepfill_jax.utils.files'}})
  with pytest.raises(AssertionError):
    test_imports_follow_the_layering()
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
