# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Slow, independent NumPy reference of contextual attention and flow colouring.

Written from the specification `docs/spec.md` (§1.6-3, §2.1-2.5) only, without
looking at the JAX implementation, so that the two can be compared. Everything
is explicit Python loops over images, positions and patches; only the innermost
dot products over channels use NumPy. Keep inputs tiny (feature maps of about
16x16).

Numerics:
  * The align_corners nearest-resize index is evaluated in float32 as TF1's
    legacy kernel does (`roundf(float(o) * float(in - 1) / float(out - 1))`),
    so exact .5 ties in real arithmetic may land on either side.
  * Attention is computed in float64 (the "ideal" values of the float32
    original); the tests compare a float32 implementation with a tolerance.
  * The flow colouring replays the original float64 NumPy arithmetic scalar by
    scalar (Python floats are IEEE doubles), including the 1-based colour-wheel
    index and the sign of zero in `atan2(-v, -u)`.
"""

import math

import numpy as np

# Colour-wheel segment lengths (Middlebury / flownet), §2.3.
_WHEEL_SEGMENTS = (('RY', 15), ('YG', 6), ('GC', 4), ('CB', 11), ('BM', 13),
                   ('MR', 6))
# Segment -> (constant channel, ramped channel, ramp goes up?). Channels RGB.
_WHEEL_RAMPS = {
    'RY': (0, 1, True),   # red, green rises: red -> yellow
    'YG': (1, 0, False),  # green, red falls: yellow -> green
    'GC': (1, 2, True),   # green, blue rises: green -> cyan
    'CB': (2, 1, False),  # blue, green falls: cyan -> blue
    'BM': (2, 0, True),   # blue, red rises: blue -> magenta
    'MR': (0, 2, False),  # red, blue falls: magenta -> red
}
_UNKNOWN_FLOW_THRESHOLD = 1e7


# ----------------------------------------------------------------------------
# Resizing and patches.
# ----------------------------------------------------------------------------


def round_half_away_from_zero(x):
  """Rounds a float to the nearest integer, halves away from zero (`roundf`)."""
  x = float(x)  # float32 -> float64 is exact, so the comparison below is too.
  r = math.floor(abs(x))
  if abs(x) - r >= 0.5:
    r += 1
  return int(math.copysign(r, x))


def nearest_source_index(o, in_size, out_size):
  """Input index read by output index `o` (TF1 legacy, align_corners=True).

  TF computes the scale as a float32 division and the product `o * scale` in
  float32, then applies `roundf` and clamps to `in_size - 1` (docs/spec.md
  §1.6-3, §2.5).

  Args:
    o: output index.
    in_size: input length.
    out_size: output length.

  Returns:
    The input index.
  """
  if out_size > 1:
    scale = np.float32(in_size - 1) / np.float32(out_size - 1)
  else:
    scale = np.float32(in_size) / np.float32(out_size)
  pos = np.float32(o) * scale
  assert isinstance(pos, np.float32)
  return min(round_half_away_from_zero(pos), in_size - 1)


def resize_nearest(x, out_h, out_w):
  """Nearest resize of one `[H, W, C]` map with align_corners=True."""
  in_h, in_w = x.shape[:2]
  out = np.zeros((out_h, out_w) + x.shape[2:], x.dtype)
  for i in range(out_h):
    for j in range(out_w):
      out[i, j] = x[nearest_source_index(i, in_h, out_h),
                    nearest_source_index(j, in_w, out_w)]
  return out


def same_padding(size, k, s):
  """TF 'SAME' padding `(before, after)` of a length-`size` axis."""
  out = -(-size // s)
  total = max((out - 1) * s + k - size, 0)
  return total // 2, total - total // 2


def extract_patches(x, k, s):
  """`tf.extract_image_patches` with 'SAME' zero padding on one image.

  Args:
    x: `[H, W, C]`.
    k: window size.
    s: stride.

  Returns:
    `[L, k, k, C]`, L = ceil(H/s)*ceil(W/s) in row-major order of the patch
    grid; patch (i, j) covers rows i*s - pad_top + (0..k-1), likewise columns.
  """
  h, w, c = x.shape
  top, _ = same_padding(h, k, s)
  left, _ = same_padding(w, k, s)
  grid_h, grid_w = -(-h // s), -(-w // s)
  patches = np.zeros((grid_h * grid_w, k, k, c), x.dtype)
  for i in range(grid_h):
    for j in range(grid_w):
      for a in range(k):
        for bb in range(k):
          r, q = i * s - top + a, j * s - left + bb
          if 0 <= r < h and 0 <= q < w:
            patches[i * grid_w + j, a, bb] = x[r, q]
  return patches


# ----------------------------------------------------------------------------
# Contextual attention (§2.1, §2.2).
# ----------------------------------------------------------------------------


def _fuse_pass(s, order_f, order_b, k):
  """One identity-kernel fusion pass (§2.2) along a traversal order.

  The score "image" s[p, q] is laid out with rows and columns in the order
  given by `order_f` / `order_b` (lists of row-major indices), then convolved
  ('SAME', zero padding) with the k x k identity kernel:
  out[p, q] = sum_t s[p + t - pad, q + t - pad]. Neighbours are taken in the
  flattened order, so they wrap across row (or column) ends.

  Args:
    s: `[P, Q]` scores indexed by row-major positions.
    order_f: traversal order of the P foreground positions.
    order_b: traversal order of the Q background positions.
    k: identity kernel size.

  Returns:
    `[P, Q]` fused scores, indexed by row-major positions.
  """
  num_p, num_q = s.shape
  pad, _ = same_padding(num_p, k, 1)
  out = np.zeros_like(s)
  for a in range(num_p):
    for c in range(num_q):
      acc = 0.0
      for t in range(k):
        a2, c2 = a + t - pad, c + t - pad
        if 0 <= a2 < num_p and 0 <= c2 < num_q:
          acc += s[order_f[a2], order_b[c2]]
      out[order_f[a], order_b[c]] = acc
  return out


def _row_major(h, w):
  return [r * w + c for r in range(h) for c in range(w)]


def _column_major(h, w):
  return [r * w + c for c in range(w) for r in range(h)]


def fuse_scores(s, h, w, k=3):
  """Attention propagation (§2.2) of one image's `[P, P]` scores.

  First along the row-major order (left-right, wrapping across row ends), then
  along the column-major order (top-down, wrapping across column ends).

  Args:
    s: `[P, P]` scores, P = h * w, both axes in row-major order.
    h: grid height.
    w: grid width.
    k: identity kernel size.

  Returns:
    `[P, P]` fused scores.
  """
  s = _fuse_pass(s, _row_major(h, w), _row_major(h, w), k)
  return _fuse_pass(s, _column_major(h, w), _column_major(h, w), k)


def attention_scores(f, b, mask, *, ksize=3, stride=1, rate=2, fuse_k=3,
                     fuse=True):
  """Matching scores before masking, and the validity indicator.

  Args:
    f: `[B, H, W, C]` foreground features.
    b: `[B, H, W, C]` background features.
    mask: `[B, H, W, 1]`, 1 = hole, per image.
    ksize: matching patch size.
    stride: must be 1.
    rate: downscaling rate.
    fuse_k: identity kernel size of the fusion.
    fuse: whether to fuse.

  Returns:
    scores: `[B, P, L]` float64 (after fusion if `fuse`), P = L = (H/rate) *
      (W/rate) in row-major order.
    mm: `[B, L]` float64, 1 for valid background patches.
  """
  if stride != 1:
    raise ValueError('stride must be 1 (docs/spec.md §2.5).')
  f = np.asarray(f, np.float64)
  b = np.asarray(b, np.float64)
  mask = np.asarray(mask, np.float32)
  if f.shape != b.shape:
    raise ValueError('f and b must have the same shape (docs/spec.md §2.5).')
  batch, h, w, _ = f.shape
  hs, ws = h // rate, w // rate
  num = hs * ws
  scores = np.zeros((batch, num, num))
  mm = np.zeros((batch, num))
  for i in range(batch):
    f_s = resize_nearest(f[i], hs, ws)
    b_s = resize_nearest(b[i], hs, ws)
    m_s = resize_nearest(mask[i], hs, ws)
    # Validity: mean of the mask patch exactly 0; padding counts as known.
    m_patches = extract_patches(m_s, ksize, stride)
    for l in range(num):
      mm[i, l] = float(np.mean(m_patches[l], dtype=np.float32) == 0.0)
    # Normalised background patches; foreground patches are not normalised.
    w_patches = extract_patches(b_s, ksize, stride)
    f_patches = extract_patches(f_s, ksize, 1)
    for l in range(num):
      w_l = w_patches[l].ravel()
      w_l = w_l / max(np.sqrt(np.sum(w_l * w_l)), 1e-4)
      for p in range(num):
        scores[i, p, l] = np.dot(f_patches[p].ravel(), w_l)
    if fuse:
      scores[i] = fuse_scores(scores[i], hs, ws, fuse_k)
  return scores, mm


def attention_weights(scores, mm, softmax_scale=10.0):
  """Masks to 0, softmax over the background axis, masks again (§2.1-5d)."""
  batch, num_p, _ = scores.shape
  weights = np.zeros_like(scores)
  for i in range(batch):
    for p in range(num_p):
      logits = softmax_scale * (scores[i, p] * mm[i])
      e = np.exp(logits - np.max(logits))
      weights[i, p] = e / np.sum(e) * mm[i]
  return weights


def contextual_attention(f, b, mask, *, ksize=3, stride=1, rate=2, fuse_k=3,
                         softmax_scale=10.0, fuse=True):
  """Reference contextual attention with per-image masks.

  Args:
    f: `[B, H, W, C]` foreground features.
    b: `[B, H, W, C]` background features (same shape as f).
    mask: `[B, H, W, 1]` float, 1 = hole, at f's resolution.
    ksize: matching patch size.
    stride: must be 1.
    rate: downscaling rate; raw patches are 2*rate wide at stride rate.
    fuse_k: fusion kernel size.
    softmax_scale: softmax temperature factor.
    fuse: whether to apply attention propagation.

  Returns:
    y: `[B, H, W, C]` float64 pasted features.
    offsets: `[B, H/rate, W/rate, 2]` int32 (row, col) displacement of the
      argmax background patch from the query's own grid position.
  """
  scores, mm = attention_scores(f, b, mask, ksize=ksize, stride=stride,
                                rate=rate, fuse_k=fuse_k, fuse=fuse)
  weights = attention_weights(scores, mm, softmax_scale)
  b = np.asarray(b, np.float64)
  batch, h, w, c = b.shape
  hs, ws = h // rate, w // rate
  k = 2 * rate
  top, _ = same_padding(h, k, rate)
  left, _ = same_padding(w, k, rate)
  y = np.zeros((batch, h, w, c))
  offsets = np.zeros((batch, hs, ws, 2), np.int32)
  for i in range(batch):
    raw = extract_patches(b[i], k, rate)  # [L, k, k, C]
    for p in range(hs * ws):
      pr, pc = divmod(p, ws)
      idx = int(np.argmax(weights[i, p]))  # First maximum, like tf.argmax.
      offsets[i, pr, pc] = (idx // ws - pr, idx % ws - pc)
      # conv2d_transpose (stride rate, SAME): query (pr, pc) spreads the
      # weighted raw patches over rows pr*rate - top + (0..k-1), likewise cols.
      for l in range(hs * ws):
        for a in range(k):
          for bb in range(k):
            r, q = pr * rate - top + a, pc * rate - left + bb
            if 0 <= r < h and 0 <= q < w:
              y[i, r, q] += weights[i, p, l] * raw[l, a, bb]
  return y / 4.0, offsets


def top2_gap(scores, mm):
  """Smallest gap between the best and second-best valid score of a query.

  Used by the tests to show that random inputs have no near-ties, so the
  argmax is the same in float32 and float64. Queries with fewer than two valid
  patches are skipped.

  Args:
    scores: `[B, P, L]` from `attention_scores`.
    mm: `[B, L]` from `attention_scores`.

  Returns:
    The minimum gap (inf if no query has two valid patches).
  """
  gap = math.inf
  for i in range(scores.shape[0]):
    valid = [l for l in range(scores.shape[2]) if mm[i, l] > 0]
    if len(valid) < 2:
      continue
    for p in range(scores.shape[1]):
      s = sorted((scores[i, p, l] for l in valid), reverse=True)
      gap = min(gap, s[0] - s[1])
  return gap


# ----------------------------------------------------------------------------
# Flow colouring (§2.3).
# ----------------------------------------------------------------------------


def make_color_wheel():
  """The 55-colour Middlebury wheel, `[55, 3]` float64 RGB in [0, 255]."""
  rows = []
  for name, n in _WHEEL_SEGMENTS:
    const, ramp, up = _WHEEL_RAMPS[name]
    for i in range(n):
      col = [0.0, 0.0, 0.0]
      col[const] = 255.0
      step = float(math.floor(255 * i / n))
      col[ramp] = step if up else 255.0 - step
      rows.append(col)
  return np.array(rows, np.float64)


def color_of(u, v, wheel):
  """Colour of one normalised displacement, the original's float64 steps.

  Args:
    u: row displacement divided by (maxrad + eps), Python float.
    v: column displacement, likewise.
    wheel: `make_color_wheel()`.

  Returns:
    (r, g, b) ints in [0, 255].
  """
  if math.isnan(u) or math.isnan(v):
    return (0, 0, 0)
  ncols = wheel.shape[0]
  rad = math.sqrt(u * u + v * v)  # NumPy's `x**2` is x*x.
  a = math.atan2(-v, -u) / math.pi  # -0.0 for v == 0 matters here.
  fk = (a + 1) / 2 * (ncols - 1) + 1  # 1-based, as in the original.
  k0 = math.floor(fk)
  k1 = k0 + 1
  if k1 == ncols + 1:
    k1 = 1
  frac = fk - k0
  rgb = []
  for ch in range(3):
    col0 = float(wheel[k0 - 1, ch]) / 255
    col1 = float(wheel[k1 - 1, ch]) / 255
    col = (1 - frac) * col0 + frac * col1
    if rad <= 1:
      col = 1 - rad * (1 - col)
    else:
      col *= 0.75
    rgb.append(int(math.floor(255 * col)))
  return tuple(rgb)


def flow_to_image(offsets):
  """Colours `[B, h, w, 2]` (row, col) displacements, per-image normalised.

  Args:
    offsets: `[B, h, w, 2]` integer displacements; channel 0 is u (rows).

  Returns:
    `[B, h, w, 3]` uint8 RGB.
  """
  offsets = np.asarray(offsets)
  batch, h, w, _ = offsets.shape
  wheel = make_color_wheel()
  eps = float(np.finfo(np.float64).eps)
  out = np.zeros((batch, h, w, 3), np.uint8)
  for i in range(batch):
    uv = [[[offsets[i, r, c, 0].item(), offsets[i, r, c, 1].item()]
           for c in range(w)] for r in range(h)]
    maxrad = -1.0
    for r in range(h):
      for c in range(w):
        u, v = uv[r][c]
        if abs(u) > _UNKNOWN_FLOW_THRESHOLD or abs(v) > _UNKNOWN_FLOW_THRESHOLD:
          uv[r][c] = [0, 0]
          u, v = 0, 0
        maxrad = max(maxrad, math.sqrt(u * u + v * v))
    for r in range(h):
      for c in range(w):
        u, v = uv[r][c]
        out[i, r, c] = color_of(u / (maxrad + eps), v / (maxrad + eps), wheel)
  return out
