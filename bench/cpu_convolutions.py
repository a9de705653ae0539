# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""How fast XLA runs the generator's convolutions here, and the alternatives.

The training iteration's floor (bench/train_step.py) divides its FLOPs by the
fastest float32 rate XLA reaches on this machine. This script measures the
rates behind that and the ways around it that were tried, at the generator's
layer shapes (batch 4, 3x3 kernels):

* forward: `lax.conv_general_dilated` in float32 and bfloat16, and as an
  explicit im2col + dot (which would let bfloat16 reach the matmul rate);
* kernel gradient (the slowest part of the generator's backward): XLA's
  (autodiff of the conv), as 9 shifted dots, as 3 dots over a
  column-concatenated input, as one im2col dot, and one image at a time
  (`lax.map`); each is checked against XLA's;
* a 4096x4096 matmul in float32 and bfloat16 for reference.

Rates are GFLOP/s of the best of `--repeats` calls. JSON in
bench/results/cpu_convolutions.json.

  python bench/cpu_convolutions.py
"""

from __future__ import annotations

import json
import os
from typing import Sequence

from absl import app
from absl import flags
import jax
import jax.numpy as jnp
import numpy as np

import common  # bench/common.py

ROOT = common.ROOT
RESULTS = os.path.join(ROOT, 'bench', 'results', 'cpu_convolutions.json')
_NHWC = ('NHWC', 'HWIO', 'NHWC')
# (H = W, in channels, out channels, dilation): decoder and middle layers.
SHAPES = ((256, 64, 32, 1), (128, 128, 64, 1), (64, 128, 128, 1),
          (64, 128, 128, 16), (256, 32, 16, 1))


def conv(x, w, d=1):
  return jax.lax.conv_general_dilated(
      x, w, (1, 1), 'SAME', rhs_dilation=(d, d), dimension_numbers=_NHWC,
      preferred_element_type=jnp.float32)


def _shifted(x, d):
  """The 9 'SAME'-padded shifts of x a 3x3 kernel with dilation d reads."""
  h, w = x.shape[1:3]
  xp = jnp.pad(x, ((0, 0), (d, d), (d, d), (0, 0)))
  return [xp[:, i * d:i * d + h, j * d:j * d + w]
          for i in range(3) for j in range(3)]


def im2col_conv(x, w, d=1):
  cols = jnp.concatenate(_shifted(x, d), -1)
  return jnp.einsum('nhwk,ko->nhwo', cols, w.reshape(-1, w.shape[-1]),
                    preferred_element_type=jnp.float32)


def kgrad_xla(x, w, dy, d):
  return jax.vjp(lambda w: conv(x, w, d), w)[1](dy)[0]


def kgrad_shifted_dots(x, w, dy, d):
  parts = [jnp.einsum('nhwc,nhwo->co', s, dy) for s in _shifted(x, d)]
  return jnp.stack(parts).reshape(w.shape)


def kgrad_row_dots(x, w, dy, d):
  h, wd, c = x.shape[1:]
  xp = jnp.pad(x, ((0, 0), (d, d), (d, d), (0, 0)))
  x3 = jnp.concatenate([xp[:, :, j * d:j * d + wd] for j in range(3)], -1)
  rows = [jnp.einsum('nhwc,nhwo->co', x3[:, i * d:i * d + h], dy)
          for i in range(3)]
  return jnp.stack(rows).reshape(3, 3, c, -1)


def kgrad_im2col(x, w, dy, d):
  cols = jnp.concatenate(_shifted(x, d), -1)
  return jnp.einsum('nhwk,nhwo->ko', cols, dy).reshape(w.shape)


def kgrad_per_image(x, w, dy, d):
  return jax.lax.map(lambda a: kgrad_xla(a[0][None], w, a[1][None], d),
                     (x, dy)).sum(0)


flags.DEFINE_integer('repeats', 5, 'calls per measurement (the best counts)')
flags.DEFINE_string('output', RESULTS, 'where to write the JSON')


def main(argv: Sequence[str]) -> None:
  args = common.parsed_flags(argv)
  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(0)
  rows = []
  for dtype in (jnp.float32, jnp.bfloat16):
    a = jnp.asarray(rng.standard_normal((4096, 4096)), dtype)
    mm = jax.jit(lambda a: jnp.dot(a, a, preferred_element_type=jnp.float32))
    rows.append(dict(op='matmul 4096', dtype=jnp.dtype(dtype).name,
                     gflops=2 * 4096 ** 3 / 1e9 / common.best_time(
                         mm, a, repeats=args.repeats)))
  kgrads = {'xla': kgrad_xla, 'shifted dots': kgrad_shifted_dots,
            'row dots': kgrad_row_dots, 'im2col dot': kgrad_im2col,
            'per image': kgrad_per_image}
  for hw, cin, cout, d in SHAPES:
    gflop = 2 * 9 * cin * cout * 4 * hw * hw / 1e9
    shape = f'{hw}x{hw}, {cin}->{cout}, dilation {d}'
    for dtype in (jnp.float32, jnp.bfloat16):
      x = jnp.asarray(rng.standard_normal((4, hw, hw, cin)), dtype)
      w = jnp.asarray(rng.standard_normal((3, 3, cin, cout)), dtype)
      for name, fn in (('xla', conv), ('im2col dot', im2col_conv)):
        fn = jax.jit(fn, static_argnums=2)
        seconds = common.best_time(fn, x, w, d, repeats=args.repeats)
        rows.append(dict(op='forward', shape=shape, how=name,
                         dtype=jnp.dtype(dtype).name, gflops=gflop / seconds))
    x = jnp.asarray(rng.standard_normal((4, hw, hw, cin)), jnp.float32)
    dy = jnp.asarray(rng.standard_normal((4, hw, hw, cout)), jnp.float32)
    w = jnp.zeros((3, 3, cin, cout), jnp.float32)
    ref = jax.jit(kgrad_xla, static_argnums=3)(x, w, dy, d)
    for name, fn in kgrads.items():
      fn = jax.jit(fn, static_argnums=3)
      err = float(jnp.max(jnp.abs(fn(x, w, dy, d) - ref))
                  / jnp.max(jnp.abs(ref)))
      if err > 1e-4:
        raise AssertionError(f'{name} kernel gradient is off by {err:.1e}')
      rows.append(dict(op='kernel gradient', shape=shape, how=name,
                       dtype='float32', gflops=gflop / common.best_time(
                           fn, x, w, dy, d, repeats=args.repeats)))
  print('| op | shape | how | dtype | GFLOP/s |\n|---|---|---|---|---|')
  for r in rows:
    print(f"| {r['op']} | {r.get('shape', '')} | {r.get('how', '')} | "
          f"{r['dtype']} | {r['gflops']:.0f} |")
  os.makedirs(os.path.dirname(args.output), exist_ok=True)
  with open(args.output, 'w') as f:
    json.dump(dict(machine=common.machine(), rows=rows), f, indent=2)
  print(f'wrote {args.output}')


if __name__ == '__main__':
  app.run(main)
