# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""What a web demo request brings, checked before any work (`serve.py`).

`Limits` (bytes and pixels one request may send), `read_upload` (a file the
user opened: size and header checked before decoding), `preprocess_editor`
(the editor's files, checked before Gradio decodes them) and `read_editor`
(the image and the painted holes). Every refusal is a `RequestError` whose
message is shown on the page. Plain Python, no Gradio import.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Callable, Sequence

import numpy as np
from PIL import Image

from deepfill_jax.data import image_io

MB = 1 << 20


class RequestError(ValueError):
  """A request the demo refuses; the message is shown on the page."""


@dataclasses.dataclass(frozen=True)
class Limits:
  """What one request may send.

  Attributes:
    max_bytes: largest image file a user may open.
    max_pixels: largest H * W of an image (opened or sent by the editor).
  """
  max_bytes: int = 10 * MB
  max_pixels: int = 4_000_000

  def transport_bytes(self) -> int:
    """Gradio's upload cap: the editor re-sends the image as an RGBA PNG,
    which may be larger than the file the user opened."""
    return max(self.max_bytes, 4 * self.max_pixels + MB)

  def describe(self) -> str:
    """The limits in words, for the page."""
    return (f'files up to {self.max_bytes / MB:g} MB and '
            f'{self.max_pixels / 1e6:g} megapixels')


def check_pixels(hw: Sequence[int], limits: Limits, name: str) -> None:
  """Raises `RequestError` if an image of size `hw` has too many pixels."""
  height, width = int(hw[0]), int(hw[1])
  if height * width > limits.max_pixels:
    raise RequestError(
        f'{name} is {width}x{height} = {height * width / 1e6:.1f} megapixels; '
        f'this server accepts at most {limits.max_pixels / 1e6:g} megapixels. '
        'Please resize it first.')


def read_upload(path: str | None, limits: Limits, *,
                decode: bool = True) -> np.ndarray | None:
  """Validates and decodes a file the user opened.

  Checks the byte size and the header's pixel count before decoding, so an
  oversized file or a decompression bomb costs no memory.

  Args:
    path: the server-side temporary copy Gradio made of the upload.
    limits: the server's limits.
    decode: False to check only (returns None).

  Returns:
    uint8 RGB [H, W, 3].

  Raises:
    RequestError: no file, too many bytes, not an image, too many pixels.
  """
  if not path:
    raise RequestError('No file was received; please choose an image file.')
  name = os.path.basename(path)
  try:
    size = os.path.getsize(path)
  except OSError as e:
    raise RequestError(f'{name}: the upload could not be read.') from e
  if size > limits.max_bytes:
    raise RequestError(
        f'{name} is {size / MB:.1f} MB; this server accepts image files of '
        f'at most {limits.max_bytes / MB:g} MB.')
  try:
    hw = image_io.image_size(path)
    check_pixels(hw, limits, name)
    return image_io.load_image(path) if decode else None
  except ValueError as e:
    if isinstance(e, RequestError):
      raise
    if isinstance(e.__cause__, Image.DecompressionBombError):
      raise RequestError(
          f'{name} has far too many pixels; this server accepts at most '
          f'{limits.max_pixels / 1e6:g} megapixels.') from e
    raise RequestError(f'{name} is not an image this server can read '
                       '(PNG, JPEG, WebP, BMP, ...).') from e


def editor_value(image: np.ndarray | None) -> dict[str, Any] | None:
  """The ImageEditor value showing `image` with no strokes."""
  if image is None:
    return None
  return {'background': image, 'layers': [], 'composite': image}


def preprocess_editor(payload: Any, limits: Limits,
                      decode: Callable[[Any], Any]) -> Any:
  """The editor's input step: its files checked before `decode` (Gradio's).

  The page sends what it showed, but a direct call of the `/inpaint`
  endpoint may send any file as the background or a layer. Each is checked
  as an opened file is (`read_upload`, at the editor's transport size), so
  the answer is the page's message, never a decoding traceback; it is
  passed on as {'error': message} for `read_editor` to raise.
  """
  checked = dataclasses.replace(limits, max_bytes=limits.transport_bytes())
  files = [getattr(payload, 'background', None)]
  files += list(getattr(payload, 'layers', None) or [])
  try:
    for data in files:
      if getattr(data, 'path', None):
        read_upload(data.path, checked, decode=False)
    return decode(payload)
  except RequestError as e:
    return {'error': str(e)}
  except Exception:  # pylint: disable=broad-except
    return {'error': 'The editor sent an image this server cannot read; '
                     'please open the image again.'}


def _as_uint8_image(x: Any, what: str) -> np.ndarray:
  x = np.asarray(x)
  if x.dtype != np.uint8 or x.ndim not in (2, 3) or (
      x.ndim == 3 and x.shape[-1] not in (1, 3, 4)):
    raise RequestError(f'The editor sent an unexpected {what} '
                       f'({x.dtype}, shape {x.shape}); please reload the page.')
  return x


def read_editor(value: dict[str, Any] | None,
                limits: Limits) -> tuple[np.ndarray, np.ndarray]:
  """The image and the painted holes of an ImageEditor value.

  Args:
    value: {'background': [H, W, C], 'layers': [[H, W, 4], ...], ...} as
      numpy arrays (the editor's `type='numpy'`, RGBA mode).
    limits: the server's limits.

  Returns:
    (uint8 RGB [H, W, 3], bool holes [H, W]): a pixel is a hole if any
    stroke covers it (alpha > 0: anything the brush touched is replaced).

  Raises:
    RequestError: no image, too many pixels, no stroke, layers whose size
      differs from the image's.
  """
  if isinstance(value, dict) and value.get('error'):
    raise RequestError(value['error'])  # From `preprocess_editor`.
  background = value.get('background') if isinstance(value, dict) else None
  if background is None:
    raise RequestError('Open an image or pick one of the photos first.')
  background = _as_uint8_image(background, 'image')
  check_pixels(background.shape[:2], limits, 'The image')
  image = image_io.as_rgb(background)
  holes = np.zeros(image.shape[:2], bool)
  for layer in value.get('layers') or []:
    layer = _as_uint8_image(layer, 'layer')
    if layer.shape[:2] != image.shape[:2]:
      raise RequestError(
          f'A paint layer is {layer.shape[1]}x{layer.shape[0]} but the image '
          f'is {image.shape[1]}x{image.shape[0]}; please clear the strokes '
          'and paint again.')
    if layer.ndim == 3 and layer.shape[-1] == 4:
      holes |= layer[..., 3] > 0
    else:  # No alpha: whatever is not black was painted.
      holes |= (layer.reshape(*layer.shape[:2], -1) > 0).any(-1)
  if not holes.any():
    raise RequestError('Nothing to inpaint: paint over the region to remove '
                       'with the brush, then press Inpaint.')
  return image, holes
