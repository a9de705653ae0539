# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Paint-a-mask web demo (Gradio), `deepfill-serve`.

  python -m deepfill_jax.apps.serve --checkpoint=PATH [--host 127.0.0.1 --port 7860]

Binds to loopback unless told otherwise; uploads are checked before
decoding (bytes, pixels, type); the client never names a server file;
sessions share only the model. One lock per padded image size
(`ShapeLocks`) so a shape never compiles twice at once. Request handling
(`web_inputs`, `Service`) imports no Gradio. See docs/serve.md.
"""

from __future__ import annotations

import abc
import functools
import logging
import os
import threading
from typing import Any, Callable, Sequence

import numpy as np
from PIL import Image

from deepfill_jax.inference import batching
from deepfill_jax.apps import cli
from deepfill_jax.utils import compilation_cache
from deepfill_jax.data import image_io
from deepfill_jax.inference import inpainter as inpainter_lib
from deepfill_jax.data import pixels
from deepfill_jax.apps.web_inputs import Limits
from deepfill_jax.apps.web_inputs import MB as _MB
from deepfill_jax.apps.web_inputs import RequestError
from deepfill_jax.apps.web_inputs import check_pixels
from deepfill_jax.apps.web_inputs import editor_value
from deepfill_jax.apps.web_inputs import preprocess_editor
from deepfill_jax.apps.web_inputs import read_editor
from deepfill_jax.apps.web_inputs import read_upload

# The bundled photos offered as examples (relative to the repository root).
PHOTOS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'data', 'photos')
VIEWS = ('Result', 'Attention flow')
# The brush paints in this colour; any painted pixel (alpha > 0) is a hole.
BRUSH_COLOR = '#ff00ff'
# What the editor shows before an image is open.
EMPTY_EDITOR = ('Open an image (the button below) or pick one of the photos '
                'to start.')


class ShapeLocks:
  """One lock per key (a padded image size), created on first use.

  Holding the lock of a size while running it means that concurrent requests
  of the same size wait for the first to compile and run, instead of
  compiling the same program twice; other sizes run meanwhile.
  """

  def __init__(self):
    self._guard = threading.Lock()
    self._locks: dict[Any, threading.Lock] = {}

  def __call__(self, key: Any) -> threading.Lock:
    with self._guard:
      return self._locks.setdefault(key, threading.Lock())


class Service:
  """The model (loaded once) and the photos: what every session shares.

  It holds no per-user state: sessions pass their inputs in and keep the
  outputs.
  """

  def __init__(self, inpainter: inpainter_lib.Inpainter, *,
               limits: Limits = Limits(),
               photos: Sequence[str] = ()):
    self.inpainter = inpainter
    self.limits = limits
    self.photos = list(photos)
    self.locks = ShapeLocks()

  def photo(self, index: Any) -> np.ndarray:
    """Bundled photo number `index` (the client never sends a path)."""
    if (isinstance(index, bool) or not isinstance(index, (int, np.integer))
        or not 0 <= index < len(self.photos)):
      raise RequestError(f'There is no bundled photo number {index!r}.')
    try:
      image = image_io.load_image(self.photos[index])
    except ValueError as e:
      raise RequestError(f'The bundled photo {index} cannot be read.') from e
    check_pixels(image.shape[:2], self.limits, 'The photo')
    return image

  def inpaint(self, value: dict[str, Any] | None,
              progress: Callable[[float, str], None] | None = None
              ) -> inpainter_lib.InpaintResult:
    """Inpaints the editor's image where it was painted.

    Args:
      value: the ImageEditor value (see `read_editor`).
      progress: called with (fraction, description) for the page.

    Returns:
      The result with `.image` and `.flow` (uint8 [H, W, 3]).

    Raises:
      RequestError: see `read_editor`.
    """
    image, holes = read_editor(value, self.limits)
    key = pixels.padded_size(image.shape[:2])
    lock = self.locks(key)
    if progress and lock.locked():
      progress(0.05, f'Waiting for another {key[1]}x{key[0]} request...')
    with lock:
      if progress:
        progress(0.1, 'Inpainting (the first image of a size compiles the '
                 'model for it: that one takes longer)...')
      batch, = batching.inpaint_many(
          self.inpainter, [(0, image.shape[:2])], lambda _: (image, holes),
          batch_size=1, return_flow=True, log=logging.info)
    if batch.errors[0] is not None:
      raise batch.errors[0]
    return inpainter_lib.InpaintResult(batch.outputs[0], batch.flows[0], None)


def bundled_photos(folder: str = PHOTOS_DIR) -> list[str]:
  """The photos offered as examples ([] if the folder has none)."""
  try:
    return image_io.list_images(folder)
  except (OSError, ValueError):
    return []


# ----------------------------------------------------------------------------
# The page.

_INTRO = """\
# DeepFill inpainting
Open an image or pick one of the photos, paint over what should disappear
(brush size in the brush menu; undo in the toolbar), then press **Inpaint**.
The result appears on the right; switch to the attention flow to see where the
contextual attention copied from (white: the pixel attends to itself). This
server accepts {limits}.
"""


def _error(message: str) -> str:
  return f'**Error:** {message}'


def _checked_editor(gr: Any, limits: Limits) -> type:
  """gr.ImageEditor whose input files are checked first (`preprocess_editor`).

  A subclass, because Gradio rebuilds a session's component from its class.
  Made without Gradio's component metaclass hook, which would write a .pyi
  stub next to this file at run time, and named ImageEditor, which picks the
  page's editor widget.
  """
  def preprocess(self, payload):
    return preprocess_editor(
        payload, limits, functools.partial(gr.ImageEditor.preprocess, self))
  return abc.ABCMeta.__new__(
      type(gr.ImageEditor), 'ImageEditor', (gr.ImageEditor,),
      {'preprocess': preprocess, '__module__': __name__,
       '__qualname__': 'CheckedImageEditor'})


# What a client that names a file it did not upload is told.
NOT_UPLOADED = ('The request names a file that was not uploaded to this '
                'server; please open the image again.')


def _checked_blocks(gr: Any) -> type:
  """gr.Blocks whose request decoding refuses in one line.

  Gradio checks the files a request names before any handler runs; its
  refusal (e.g. a path such as /etc/passwd instead of an upload) would be
  a traceback in the log and `{"error": null}` for the client. Here the
  client gets the reason (`NOT_UPLOADED`, a `gr.Error`) and the log one
  line. Made without Gradio's Blocks metaclass hook (it rewrites a stub
  file of Gradio's).
  """
  async def preprocess_data(self, *args, **kwargs):
    try:
      return await gr.Blocks.preprocess_data(self, *args, **kwargs)
    except gr.Error:
      raise
    except Exception as e:  # pylint: disable=broad-except
      logging.warning('Refused a request: %s', batching.first_line(e))
      message = (NOT_UPLOADED if type(e).__name__ == 'InvalidPathError' else
                 'The request could not be read; please reload the page.')
      raise gr.Error(message, print_exception=False) from None
  return type.__new__(type(gr.Blocks), 'Blocks', (gr.Blocks,),
                      {'preprocess_data': preprocess_data,
                       '__module__': __name__,
                       '__qualname__': 'CheckedBlocks'})


def build_app(service: Service, *, concurrency: int = 1):
  """The Gradio Blocks app of the demo (not launched)."""
  os.environ.setdefault('GRADIO_ANALYTICS_ENABLED', 'False')
  import gradio as gr  # pylint: disable=g-import-not-at-top

  limits = service.limits

  def opened(image):
    return (editor_value(image), None, None, 'Result',
            f'Image: {image.shape[1]}x{image.shape[0]}. Now paint over the '
            'region to remove and press Inpaint.')

  def unchanged(message):
    return gr.skip(), gr.skip(), gr.skip(), gr.skip(), _error(message)

  def on_upload(path):
    try:
      return opened(read_upload(path, limits))
    except RequestError as e:
      return unchanged(str(e))

  def on_pick(index):
    try:
      return opened(service.photo(index))
    except RequestError as e:
      return unchanged(str(e))

  def on_clear(value):
    return editor_value(value.get('background')
                        if isinstance(value, dict) else None)

  def on_inpaint(value, view, progress=gr.Progress()):
    try:
      res = service.inpaint(value, lambda f, d: progress(f, desc=d))
    except RequestError as e:
      return gr.skip(), gr.skip(), _error(str(e))
    except Exception:  # pylint: disable=broad-except
      logging.exception('Inpainting failed.')
      return gr.skip(), gr.skip(), _error(
          'Inpainting failed on the server (its log has the details).')
    shown = res.flow if view == VIEWS[1] else res.image
    return shown, (res.image, res.flow), (
        'Done. Download the PNG with the button on the result.')

  def on_view(view, results):
    if results is None:
      return None
    return results[1] if view == VIEWS[1] else results[0]

  with _checked_blocks(gr)(title='DeepFill JAX inpainting',
                          analytics_enabled=False,
                          delete_cache=(600, 3600)) as app:
    results = gr.State(None, time_to_live=3600)
    gr.Markdown(_INTRO.format(limits=limits.describe()))
    with gr.Row():
      with gr.Column():
        editor = _checked_editor(gr, limits)(
            label='Input: paint the region to remove', type='numpy',
            placeholder=EMPTY_EDITOR,
            image_mode='RGBA', sources=(), transforms=(), layers=False,
            brush=gr.Brush(default_size=24, colors=[BRUSH_COLOR],
                           color_mode='fixed'),
            eraser=gr.Eraser(default_size=24), format='png',
            elem_id='editor')
        with gr.Row():
          upload = gr.UploadButton('Open image...', type='filepath',
                                   file_types=['image'], elem_id='open')
          clear = gr.Button('Clear strokes', elem_id='clear')
          run = gr.Button('Inpaint', variant='primary', elem_id='inpaint')
      with gr.Column():
        output = gr.Image(label='Result', type='numpy', format='png',
                          interactive=False, buttons=['download', 'fullscreen'],
                          elem_id='result')
        view = gr.Radio(list(VIEWS), value=VIEWS[0], label='Show',
                        elem_id='view')
    status = gr.Markdown(elem_id='status')
    photos = service.photos
    examples = gr.Dataset(
        label='Or pick a photo', components=[gr.Image(render=False)],
        samples=[[p] for p in photos], type='index', layout='gallery',
        samples_per_page=max(1, len(photos)), elem_id='photos',
        visible=bool(photos))

    opened_outputs = [editor, output, results, view, status]
    upload.upload(on_upload, upload, opened_outputs, api_name='open',
                  concurrency_limit=4)
    examples.click(on_pick, examples, opened_outputs, api_name='pick',
                   concurrency_limit=4)
    clear.click(on_clear, editor, editor, api_name='clear', queue=False)
    run.click(on_inpaint, [editor, view], [output, results, status],
              api_name='inpaint', concurrency_limit=concurrency,
              concurrency_id='inpaint')
    view.change(on_view, [view, results], output, api_name='view',
                queue=False)
  app.queue(max_size=64)
  return app


def launch(app, *, host: str = '127.0.0.1', port: int = 7860,
           limits: Limits = Limits(), block: bool = True):
  """Starts the server; offline: no telemetry, no share link, system fonts."""
  import gradio as gr  # pylint: disable=g-import-not-at-top
  theme = gr.themes.Default(font=['system-ui', 'sans-serif'],
                            font_mono=['ui-monospace', 'monospace'])
  return app.launch(
      server_name=host, server_port=port, share=False, inbrowser=False,
      prevent_thread_lock=not block, max_file_size=limits.transport_bytes(),
      ssr_mode=False, mcp_server=False, pwa=False, theme=theme,
      footer_links=[], show_error=False, quiet=False)


# ----------------------------------------------------------------------------
# Command line.


def main(argv: Sequence[str]) -> None:
  """Loads the model once, then serves until interrupted."""
  from absl import app as absl_app  # pylint: disable=g-import-not-at-top
  from absl import flags  # pylint: disable=g-import-not-at-top
  # pylint: disable=g-import-not-at-top
  from absl import logging as absl_logging
  # pylint: enable=g-import-not-at-top
  flags_ = flags.FLAGS
  if len(argv) > 1:
    raise absl_app.UsageError(f'Unexpected arguments: {argv[1:]}')
  if not flags_['verbosity'].present:  # Quiet orbax unless asked.
    absl_logging.set_verbosity(absl_logging.WARNING)
  try:  # Before the model loads: say what to install, in one line.
    import gradio  # pylint: disable=g-import-not-at-top,unused-import
  except ImportError:
    raise SystemExit('error: the web demo needs Gradio: pip install -r '
                     'requirements-serve.txt') from None
  limits = Limits(max_bytes=int(flags_.max_upload_mb * _MB),
                  max_pixels=int(flags_.max_pixels))
  compilation_cache.enable()  # $DEEPFILL_JAX_CACHE: a folder or 'off'.
  try:
    inpainter = inpainter_lib.Inpainter.from_checkpoint(
        flags_.checkpoint, attention=flags_.attention,
        two_scale=flags_.two_scale, blend=flags_.blend)
  except (OSError, ValueError) as e:
    raise SystemExit(f'error: cannot load --checkpoint={flags_.checkpoint}: '
                     f'{str(e).splitlines()[0] if str(e) else e!r}') from None
  # Editor uploads are decoded by Gradio: let PIL refuse bombs there too.
  Image.MAX_IMAGE_PIXELS = limits.max_pixels
  photos = [] if flags_.no_photos else bundled_photos()
  service = Service(inpainter, limits=limits, photos=photos)
  launch(build_app(service, concurrency=flags_.concurrency),
         host=flags_.host, port=flags_.port, limits=limits)


def _define_flags() -> None:
  from absl import flags  # pylint: disable=g-import-not-at-top
  flags.DEFINE_string('checkpoint', None, 'Inference checkpoint, training '
                      'workdir (its latest step) or shipped model name '
                      '(default: the shipped photos_v1 model).')
  flags.DEFINE_string('host', '127.0.0.1', 'Address to bind; 0.0.0.0 makes '
                      'the demo reachable from other machines.')
  flags.DEFINE_integer('port', 7860, 'TCP port.')
  flags.DEFINE_enum('attention', 'auto', list(inpainter_lib.ATTENTION_MODES),
                    "Inpainter attention ('auto': memory-efficient, exact).")
  cli.define_inference(flags.FLAGS)
  flags.DEFINE_float('max_upload_mb', Limits.max_bytes / _MB,
                     'Largest image file a user may open, in MB.')
  flags.DEFINE_integer('max_pixels', Limits.max_pixels,
                       'Largest image, in pixels (H * W).')
  flags.DEFINE_integer('concurrency', 1, 'Inpaint requests run at once (one '
                       'per image size at most; more wait in the queue).')
  flags.DEFINE_bool('no_photos', False, 'Do not offer the bundled photos.')


def run() -> None:
  """Console script `deepfill-serve`."""
  from absl import app as absl_app  # pylint: disable=g-import-not-at-top
  _define_flags()
  cli.absl_help('deepfill-serve', 'Serve the paint-a-mask inpainting web '
                'demo (Gradio).')
  absl_app.run(main)


if __name__ == '__main__':
  run()
