# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""One method on one photo, run as a script in a fresh process.

`full_size` runs `python full_size_child.py JOB.json` once per (method,
photo), so each method's time and peak memory (VmHWM, else `ru_maxrss`) are
its own. A model gets an untimed warm-up call per case, then the timed call;
outputs go to OUT/<case>.npy, timings and memory to OUT/child.json. Run by
path, not imported, so a baseline's memory excludes JAX's import. See
docs/evaluation.md.
"""

from __future__ import annotations

import importlib.util
import json
import os
import resource
import sys
import time
from typing import Any, Callable

import numpy as np

from deepfill_jax.data import image_io


def _status_mib(key: str) -> float | None:
  """A memory line of /proc/self/status (Linux), in MiB, else None."""
  try:
    with open('/proc/self/status') as f:
      for line in f:
        if line.startswith(key + ':'):
          return int(line.split()[1]) / 1024.
  except (OSError, ValueError, IndexError):
    pass
  return None


def peak_rss_mib() -> float:
  """The process's peak resident set size so far, in MiB: VmHWM on Linux
  (`ru_maxrss` there also counts the parent's memory before the exec)."""
  peak = _status_mib('VmHWM')
  if peak is not None:
    return peak
  peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
  return peak / (1024. * 1024.) if sys.platform == 'darwin' else peak / 1024.


def _first_line(e: BaseException) -> str:
  text = str(e).strip().splitlines()
  return f'{type(e).__name__}: {text[0] if text else ""}'


def _baseline(name: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
  """`BASELINE_FNS[name]`, from baselines.py loaded by path (no JAX)."""
  path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      'baselines.py')
  spec = importlib.util.spec_from_file_location('_full_size_baselines', path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.BASELINE_FNS[name]


def _model(job: dict[str, Any], info: dict[str, Any]
           ) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
  """The job's model as `fn(image, hole)`; records its load time."""
  # pylint: disable=g-import-not-at-top
  import jax
  from deepfill_jax.utils import compilation_cache
  from deepfill_jax.inference import inpainter as inpainter_lib
  from deepfill_jax.evaluation import runner
  # pylint: enable=g-import-not-at-top
  info['compile_cache'] = compilation_cache.enable()
  start = time.perf_counter()
  model = runner.load_model(job['checkpoint'], attention=job['attention'],
                            two_scale=job['two_scale'],
                            blend=job.get('blend'))
  info['load_s'] = time.perf_counter() - start
  info['two_scale'] = getattr(model, 'two_scale', 0)
  info['backend'] = jax.default_backend()
  if isinstance(model, inpainter_lib.Inpainter):
    return model.replace(working_size=job.get('working_size', 'full'))
  return lambda image, hole: model.inpaint_batch([image], [hole])[0]


def _device_peak_mib() -> float | None:
  """Peak bytes of the JAX device, if it reports them (GPU), in MiB."""
  if 'jax' not in sys.modules:
    return None
  stats = sys.modules['jax'].devices()[0].memory_stats() or {}
  peak = stats.get('peak_bytes_in_use')
  return None if peak is None else peak / 2**20


def run(job: dict[str, Any]) -> dict[str, Any]:
  """Runs the job (see the module docstring); returns child.json's dict."""
  info: dict[str, Any] = dict(seconds={}, warmup_s={}, errors={})
  start = time.perf_counter()
  image = np.asarray(image_io.open_image(job['image']))
  holes = {case: np.load(path) for case, path in job['masks'].items()}
  fn = (_model(job, info) if job['kind'] == 'model'
        else _baseline(job['method']))
  info['base_rss_mb'] = _status_mib('VmRSS')
  for case, hole in holes.items():
    try:
      if job['kind'] == 'model' and job.get('warmup', True):
        tic = time.perf_counter()
        np.asarray(fn(image, hole))
        info['warmup_s'][case] = time.perf_counter() - tic
        info.setdefault('first_call_s', info['warmup_s'][case])
      tic = time.perf_counter()
      out = np.asarray(fn(image, hole))
      info['seconds'][case] = time.perf_counter() - tic
    except Exception as e:  # pylint: disable=broad-except
      info['errors'][case] = _first_line(e)
      continue
    np.save(os.path.join(job['output'], f'{case}.npy'), out)
    del out
  info['device_peak_mb'] = _device_peak_mib()
  info['wall_s'] = time.perf_counter() - start
  info['peak_rss_mb'] = peak_rss_mib()
  return info


def main(argv: list[str]) -> int:
  """`python full_size_child.py JOB.json`: writes OUT/child.json."""
  with open(argv[1]) as f:
    job = json.load(f)
  try:
    info = run(job)
  except Exception as e:  # pylint: disable=broad-except
    info = dict(error=_first_line(e), peak_rss_mb=peak_rss_mib())
  with open(os.path.join(job['output'], 'child.json'), 'w') as f:
    json.dump(info, f)
  return 0


if __name__ == '__main__':
  sys.exit(main(sys.argv))
