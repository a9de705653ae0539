# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Serving exports of the generator: serialized `jax.export` artifacts.

`export(gen, output, sizes)` writes an inference checkpoint
(`generator.json`, `params/`) plus `export.json` (written last) and one
`deepfill_<H>x<W>.jax` StableHLO artifact per size: parameters baked in,
symbolic batch, lowered for CPU, CUDA and TPU, dense attention. `load(path)`
returns a callable that picks the artifact by input size, without the model
code; masks follow `image_io.MASK_RULE`. Layout and signature:
docs/checkpoints.md.
"""

from __future__ import annotations

import os
import re
from typing import Any, Callable, Iterable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from etils import epath
from flax import nnx

from deepfill_jax.checkpoints import store
from deepfill_jax.utils import files
from deepfill_jax.data import image_io
from deepfill_jax.models import InpaintGenerator
from deepfill_jax.models.generator import GRID

FORMAT = 'deepfill_jax.inference.export'
VERSION = 1
MANIFEST = 'export.json'
DEFAULT_PLATFORMS = ('cpu', 'cuda', 'tpu')
PLATFORMS = ('cpu', 'cuda', 'rocm', 'tpu')
SIGNATURE = {
    'inputs': {'x': 'float32 [b, H, W, 3], RGB in [-1, 1]',
               'mask': 'float32 [b, H, W, 1], 1 marks the hole'},
    'outputs': {'x_stage1': 'float32 [b, H, W, 3], coarse result in [-1, 1]',
                'x_stage2': 'float32 [b, H, W, 3], refined result in [-1, 1] '
                            '(composite: x_stage2 * mask + x * (1 - mask))',
                'offsets': 'int32 [b, H/8, W/8, 2], attention (row, col) '
                           'displacements'},
}
Size = tuple[int, int]


def size_name(size: Size) -> str:
  return f'{size[0]}x{size[1]}'


def parse_sizes(text: str | Iterable[str]) -> list[Size]:
  """'256x256,512x680' (height x width) -> [(256, 256), (512, 680)]."""
  items = text.split(',') if isinstance(text, str) else list(text)
  sizes = []
  for item in items:
    found = re.fullmatch(r'\s*(\d+)\s*[xX]\s*(\d+)\s*', item)
    if not found:
      raise ValueError(f'Bad image size {item!r}: use HEIGHTxWIDTH, e.g. '
                       '256x256.')
    size = (int(found.group(1)), int(found.group(2)))
    if size[0] % GRID or size[1] % GRID or min(size) <= 0:
      raise ValueError(f'Image size {size_name(size)}: height and width must '
                       f'be positive multiples of {GRID}.')
    if size not in sizes:
      sizes.append(size)
  if not sizes:
    raise ValueError('No image sizes given.')
  return sizes


def export_generator(gen: InpaintGenerator, size: Size, *,
                     platforms: Sequence[str] = DEFAULT_PLATFORMS
                     ) -> jax.export.Exported:
  """Exports `gen` for images of `size` = (H, W) with a symbolic batch."""
  unknown = sorted(set(platforms) - set(PLATFORMS))
  if unknown or not platforms:
    raise ValueError(f'Unknown platforms {unknown}; choose from {PLATFORMS}.')
  graphdef, state = nnx.split(gen)

  def infer(x, mask, *edge):  # A guided v2 generator also takes its sketch.
    return nnx.merge(graphdef, state)(x, mask, edge=edge[0] if edge else None)

  batch, = jax.export.symbolic_shape('b')
  h, w = size
  plane = jax.ShapeDtypeStruct((batch, h, w, 1), jnp.float32)
  return jax.export.export(jax.jit(infer), platforms=tuple(platforms))(
      jax.ShapeDtypeStruct((batch, h, w, 3), jnp.float32), plane,
      *([plane] if gen.guided else []))


def export(gen: InpaintGenerator, output: str, sizes: Sequence[Size], *,
           platforms: Sequence[str] = DEFAULT_PLATFORMS,
           meta: dict[str, Any] | None = None) -> dict[str, Any]:
  """Writes the generator's checkpoint and one artifact per size.

  Args:
    gen: the generator (float32).
    output: export directory; must not hold a checkpoint yet.
    sizes: (H, W) image sizes, multiples of 8.
    platforms: lowering targets, a subset of `PLATFORMS`.
    meta: extra metadata for generator.json (e.g. from the source
      checkpoint).

  Returns:
    The manifest written to `export.json`.
  """
  # The export holds the generator only: drop the source's format keys and
  # its critics entry.
  meta = {k: v for k, v in (meta or {}).items()
          if k not in ('format', 'version', 'model', 'critics')}
  # Lower everything before writing, so a failure leaves no partial export.
  blobs = {size_name(size): export_generator(gen, size, platforms=platforms)
           .serialize() for size in sizes}
  output = store.as_path(output)
  if (output / MANIFEST).exists():
    raise FileExistsError(f'{output} already holds an export; choose a new '
                          'directory.')
  store.save_generator(output, gen, **meta)
  artifacts = {}
  for name, blob in blobs.items():
    artifacts[name] = f'deepfill_{name}.jax'
    files.write_atomic(output / artifacts[name], bytes(blob))
  signature = SIGNATURE
  if gen.guided:
    signature = dict(SIGNATURE, inputs=dict(SIGNATURE['inputs'], edge=(
        'float32 [b, H, W, 1], sketch in {0, 1} (used inside the hole)')))
  manifest = {
      'format': FORMAT, 'version': VERSION, 'artifacts': artifacts,
      'platforms': list(platforms),
      'model': store.generator_meta(gen)['model'],
      'channel_order': meta.get('channel_order', 'RGB'),
      'jax_version': jax.__version__, **signature,
  }
  files.write_json(output / MANIFEST, manifest)  # Last: marks it complete.
  return manifest


def export_checkpoint(checkpoint: str, output: str, sizes: Sequence[Size], *,
                      platforms: Sequence[str] = DEFAULT_PLATFORMS,
                      step: int | None = None) -> dict[str, Any]:
  """`export` of what `store.load_generator(checkpoint)` loads."""
  gen, meta = store.load_generator(checkpoint, step=step)
  meta = dict(meta, exported_from=os.fspath(store.as_path(checkpoint)))
  return export(gen, output, sizes, platforms=platforms, meta=meta)


def _read(path: os.PathLike) -> jax.export.Exported:
  return jax.export.deserialize(bytearray(epath.Path(path).read_bytes()))


class ExportedGenerator:
  """The exported generator: `(x, mask) -> (x_stage1, x_stage2, offsets)`.

  Inputs may be NumPy or JAX arrays; x of any real dtype (cast to float32),
  the mask by the mask convention (`image_io.MASK_RULE`), [b, H, W],
  [b, H, W, 1] or [1, H, W(, 1)] (broadcast over the batch). The artifact is
  chosen by (H, W).
  """

  def __init__(self, artifacts: dict[Size, Callable[[], jax.export.Exported]],
               source: str):
    self._loaders = artifacts
    self._fns: dict[Size, Callable[..., Any]] = {}
    self.source = source

  @property
  def sizes(self) -> list[Size]:
    """The (H, W) image sizes this export serves."""
    return sorted(self._loaders)

  def exported(self, size: Size) -> jax.export.Exported:
    """The deserialized artifact for `size`."""
    if size not in self._loaders:
      raise ValueError(
          f'{self.source} has no artifact for {size_name(size)} images; '
          f'available: {", ".join(size_name(s) for s in self.sizes)}. Resize '
          'or pad the input, or export again with this size (--sizes).')
    return self._loaders[size]()

  def __call__(self, x: Any, mask: Any) -> tuple[jax.Array, ...]:
    x, mask = _inputs(x, mask)
    size = (int(x.shape[1]), int(x.shape[2]))
    if size not in self._fns:
      self._fns[size] = jax.jit(self.exported(size).call)
    return self._fns[size](x, mask)

  def inpaint(self, x: Any, mask: Any) -> jax.Array:
    """The composited result: x_stage2 inside the hole, x elsewhere."""
    x, mask = _inputs(x, mask)
    _, x2, _ = self(x, mask)
    return x2 * mask + x * (1. - mask)


def _inputs(x: Any, mask: Any) -> tuple[jax.Array, jax.Array]:
  """float32 x [b, H, W, 3] and a 0/1 float32 mask [b, H, W, 1]."""
  x = jnp.asarray(x, jnp.float32)
  if x.ndim != 4 or x.shape[-1] != 3:
    raise ValueError(f'x must be [b, H, W, 3], got {x.shape}.')
  holes = image_io.holes_from_values(np.asarray(mask))
  if holes.ndim == 3:
    holes = holes[..., None]
  if (holes.ndim != 4 or holes.shape[-1] != 1
      or holes.shape[1:3] != x.shape[1:3]
      or holes.shape[0] not in (1, x.shape[0])):
    raise ValueError(f'mask must be [b, H, W] or [b, H, W, 1] (b = '
                     f'{x.shape[0]} or 1) for x of shape {x.shape}, got '
                     f'{np.shape(mask)}.')
  mask = jnp.asarray(holes, jnp.float32)
  return x, jnp.broadcast_to(mask, x.shape[:3] + (1,))


def load(path: str | os.PathLike) -> ExportedGenerator:
  """Loads an export directory (with export.json) or a single `.jax` file."""
  path = store.as_path(path)
  if path.is_file():
    exported = _read(path)
    h, w = (int(d) for d in exported.in_avals[0].shape[1:3])
    return ExportedGenerator({(h, w): lambda: exported}, os.fspath(path))
  manifest_path = path / MANIFEST
  if not manifest_path.is_file():
    raise FileNotFoundError(f'{path}: not a deepfill_jax export (no '
                            f'{MANIFEST}: none or an unfinished one); run '
                            'deepfill_jax/tools/export.py.')
  manifest = files.read_json(manifest_path)
  if manifest.get('format') != FORMAT:
    raise ValueError(f'{manifest_path}: unknown format '
                     f'{manifest.get("format")!r}.')
  if not isinstance(manifest.get('version'), int) or (
      manifest['version'] > VERSION):
    raise ValueError(f'{manifest_path}: format version '
                     f'{manifest.get("version")!r}; this deepfill_jax reads '
                     f'up to {VERSION}.')
  cache: dict[Size, jax.export.Exported] = {}

  def loader(size: Size, file: str) -> Callable[[], jax.export.Exported]:
    def get():
      if size not in cache:
        cache[size] = _read(path / file)
      return cache[size]
    return get

  artifacts = {}
  for name, file in manifest['artifacts'].items():
    size = parse_sizes(name)[0]
    artifacts[size] = loader(size, file)
  return ExportedGenerator(artifacts, os.fspath(path))
