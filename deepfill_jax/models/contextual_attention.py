# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Contextual attention (Yu et al. 2018, Sec. 3.1), the dense reference.

The original layer's arithmetic, vectorised over the batch with per-image
masks: f the foreground (queries), b the background (keys and pasted
values), both NHWC. Matching runs on an align_corners-nearest downscale by
`rate`; pasting uses raw `2*rate` patches of b at stride `rate`. The steps
(patches, masking, scores, fusion, softmax, offsets, pasting) are in
docs/spec.md §2. The dense score tensor has (HW / r^2)^2 entries per image;
`models/tiled_attention.py` is the memory-efficient exact path.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from deepfill_jax.models import layers
from deepfill_jax.models.layers import same_pad


def extract_patches(x: jax.Array, kernel: int, stride: int) -> jax.Array:
  """`tf.extract_image_patches` with 'SAME' padding.

  Args:
    x: [B, H, W, C].
    kernel: square patch size.
    stride: patch stride.

  Returns:
    [B, H', W', kernel, kernel, C] with H' = ceil(H / stride).
  """
  _, h, w, _ = x.shape
  ph, pw = same_pad(h, kernel, stride), same_pad(w, kernel, stride)
  xp = jnp.pad(x, ((0, 0), ph, pw, (0, 0)))
  oh, ow = -(-h // stride), -(-w // stride)
  rows = []
  for dy in range(kernel):
    cols = []
    for dx in range(kernel):
      cols.append(jax.lax.slice(
          xp, (0, dy, dx, 0),
          (xp.shape[0], dy + (oh - 1) * stride + 1,
           dx + (ow - 1) * stride + 1, xp.shape[3]),
          (1, stride, stride, 1)))
    rows.append(jnp.stack(cols, axis=3))
  return jnp.stack(rows, axis=3)


def fold_patches(patches: jax.Array, out_hw: tuple[int, int],
                 stride: int) -> jax.Array:
  """Sums `2*stride` patches placed at `stride` into an image (col2im).

  This is `conv2d_transpose(..., strides=stride, padding='SAME')` expressed on
  patch values: patch (i, j) covers rows `i*stride - pad + [0, 2*stride)`.

  Args:
    patches: [B, h, w, 2s, 2s, C] with h = H / s, w = W / s.
    out_hw: (H, W) of the output.
    stride: s.

  Returns:
    [B, H, W, C].
  """
  bsz, h, w, k, _, c = patches.shape
  s = stride
  assert k == 2 * s, (k, s)
  # Kernel offset ky = s * a + dy, a in {0, 1}: lands on padded row s*(i+a)+dy.
  p = patches.reshape(bsz, h, w, 2, s, 2, s, c)
  out = jnp.zeros((bsz, h + 1, s, w + 1, s, c), patches.dtype)
  for a in range(2):
    for b in range(2):
      out = out.at[:, a:a + h, :, b:b + w].add(
          p[:, :, :, a, :, b].transpose(0, 1, 3, 2, 4, 5))
  out = out.reshape(bsz, (h + 1) * s, (w + 1) * s, c)
  top = same_pad(out_hw[0], k, s)[0]
  left = same_pad(out_hw[1], k, s)[0]
  return out[:, top:top + out_hw[0], left:left + out_hw[1]]


def fuse_scores(s: jax.Array, hw: tuple[int, int], fuse_k: int = 3) -> jax.Array:
  """Attention propagation: identity-kernel convolution of the score image.

  Args:
    s: [B, P, L] scores, P and L flattened row-major over the `hw` grid
      (foreground and background share the grid).
    hw: (h, w), the matching grid.
    fuse_k: size of the identity kernel.

  Returns:
    [B, P, L], propagated left-right (row-major) then top-down (column-major).
  """
  h, w = hw
  bsz = s.shape[0]

  def diag_conv(x):  # SAME conv of each [P, L] image with eye(fuse_k).
    pad = same_pad(1, fuse_k, 1)
    xp = jnp.pad(x, ((0, 0), pad, pad))
    n_p, n_l = x.shape[1], x.shape[2]
    return sum(xp[:, d:d + n_p, d:d + n_l] for d in range(fuse_k))

  def to_column_major(x):  # [B, (h w), (h w)] <-> [B, (w h), (w h)]
    x = x.reshape(bsz, h, w, h, w).transpose(0, 2, 1, 4, 3)
    return x.reshape(bsz, h * w, h * w)

  def to_row_major(x):
    x = x.reshape(bsz, w, h, w, h).transpose(0, 2, 1, 4, 3)
    return x.reshape(bsz, h * w, h * w)

  s = diag_conv(s)
  return to_row_major(diag_conv(to_column_major(s)))


def prepare(f: jax.Array, b: jax.Array, mask: jax.Array, *, ksize: int,
            stride: int, rate: int):
  """Shared preprocessing of the dense and the efficient paths (steps 1-4).

  Returns:
    A dict with
      `fq`:  [B, P, k*k*C] foreground matching patches (not normalised),
      `wn`:  [B, L, k*k*C] normalised background matching patches,
      `mm`:  [B, L] float validity of each background patch,
      `raw`: [B, L, 2r*2r*C] raw background patches for pasting,
      `grid`: (h, w) of the matching grid.
  """
  if stride != 1:
    raise ValueError(f'contextual_attention: stride must be 1, got {stride}.')
  if f.shape != b.shape:
    raise ValueError('contextual_attention: f and b must have the same shape, '
                     f'got {f.shape} and {b.shape}.')
  bsz, hgt, wid, c = f.shape
  if hgt % rate or wid % rate:
    raise ValueError(f'contextual_attention: H, W = {hgt}, {wid} must be '
                     f'multiples of rate={rate}.')
  if mask.shape[1:] != (hgt, wid, 1) or mask.shape[0] not in (1, bsz):
    raise ValueError(f'contextual_attention: mask shape {mask.shape} does not '
                     f'match features {f.shape} (need [B or 1, H, W, 1]).')
  mask = jnp.broadcast_to(mask, (bsz, hgt, wid, 1)).astype(jnp.float32)
  h, w = hgt // rate, wid // rate
  raw = extract_patches(b, 2 * rate, rate * stride)
  raw = raw.reshape(bsz, h * w, -1)
  f_s = layers.resize_nearest(f, (h, w))
  b_s = layers.resize_nearest(b, (h, w))
  m_s = layers.resize_nearest(mask, (h, w))
  wb = extract_patches(b_s, ksize, stride).reshape(bsz, h * w, -1)
  fq = extract_patches(f_s, ksize, stride).reshape(bsz, h * w, -1)
  m_patch = extract_patches(m_s, ksize, stride).reshape(bsz, h * w, -1)
  mm = (jnp.mean(m_patch, axis=-1) == 0.).astype(jnp.float32)
  norm = jnp.sqrt(jnp.sum(jnp.square(wb.astype(jnp.float32)), axis=-1,
                          keepdims=True))
  wn = (wb / jnp.maximum(norm, 1e-4)).astype(wb.dtype)
  return dict(fq=fq, wn=wn, mm=mm, raw=raw, grid=(h, w))


def offsets_from_index(idx: jax.Array, grid: tuple[int, int]) -> jax.Array:
  """Argmax background index [B, P] -> (row, col) displacement [B, h, w, 2]."""
  h, w = grid
  idx = idx.reshape(idx.shape[0], h, w).astype(jnp.int32)
  rows = jnp.arange(h, dtype=jnp.int32)[:, None]
  cols = jnp.arange(w, dtype=jnp.int32)[None, :]
  return jnp.stack([idx // w - rows, idx % w - cols], axis=-1)


def paste(attn_raw: jax.Array, out_hw: tuple[int, int], grid: tuple[int, int],
          rate: int, dtype: jnp.dtype) -> jax.Array:
  """Step 9: [B, P, 2r*2r*C] weighted raw patches -> [B, H, W, C] / 4."""
  bsz = attn_raw.shape[0]
  h, w = grid
  k = 2 * rate
  patches = attn_raw.reshape(bsz, h, w, k, k, -1)
  return (fold_patches(patches, out_hw, rate) / 4.).astype(dtype)


def contextual_attention(
    f: jax.Array, b: jax.Array, mask: jax.Array, *, ksize: int = 3,
    stride: int = 1, rate: int = 2, fuse_k: int = 3,
    softmax_scale: float = 10.0, fuse: bool = True,
) -> tuple[jax.Array, jax.Array]:
  """Contextual attention with dense [P, L] scores (the reference).

  Args:
    f: foreground features [B, H, W, C].
    b: background features [B, H, W, C] (the generator passes f again).
    mask: [B, H, W, 1] (or [1, H, W, 1], shared) with 1 marking holes, at the
      resolution of f.
    ksize: matching patch size.
    stride: matching stride; must be 1, as in the original.
    rate: downscale factor for matching; pasting uses 2*rate patches.
    fuse_k: size of the fusion (identity) kernel.
    softmax_scale: the softmax temperature lambda (10 in the paper).
    fuse: whether to propagate scores (docs/spec.md §2.2).

  Returns:
    y: [B, H, W, C] pasted background features.
    offsets: int32 [B, H/rate, W/rate, 2] (row, col) displacement of each
      position's best-matching background patch on the matching grid.
  """
  p = prepare(f, b, mask, ksize=ksize, stride=stride, rate=rate)
  s = jnp.einsum('bpk,blk->bpl', p['fq'], p['wn'],
                 preferred_element_type=jnp.float32)
  if fuse:
    s = fuse_scores(s, p['grid'], fuse_k)
  mm = p['mm'][:, None, :]
  a = jax.nn.softmax(s * mm * softmax_scale, axis=-1) * mm
  offsets = offsets_from_index(jnp.argmax(a, axis=-1), p['grid'])
  pasted = jnp.einsum('bpl,blk->bpk', a.astype(p['raw'].dtype), p['raw'],
                      preferred_element_type=jnp.float32)
  y = paste(pasted, f.shape[1:3], p['grid'], rate, f.dtype)
  return y, offsets
