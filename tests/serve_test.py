# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""Tests of the web demo (deepfill_jax/apps/serve.py).

Three layers:

* the request handling, as plain functions (no Gradio needed);
* the HTTP API of a real server (`python -m deepfill_jax.apps.serve` on 127.0.0.1,
  a free port, the tiny random checkpoint `ckpt` of conftest.py), one test
  per error case;
* the page in headless Chromium (Playwright driving Debian's
  /usr/bin/chromium): pick a photo, paint a stroke, inpaint, and check that
  the returned PNG differs from the photo only inside the stroke.

All traffic goes to 127.0.0.1 (the browser aborts any other request and the
test fails if there was one); every wait is bounded.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import numpy as np
import pytest
from PIL import Image

from deepfill_jax.apps import serve

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM = os.environ.get('DEEPFILL_CHROMIUM', '/usr/bin/chromium')
HAS_GRADIO = importlib.util.find_spec('gradio') is not None
HAS_PLAYWRIGHT = importlib.util.find_spec('playwright') is not None
NEEDS_GRADIO = pytest.mark.skipif(
    not HAS_GRADIO, reason='gradio is not installed: pip install -r '
    'requirements-serve.txt')
# The server's limits in these tests: every bundled photo (<= 768x604) fits.
MAX_UPLOAD_MB = 0.5
MAX_PIXELS = 500_000
STARTUP_SECONDS = 180
REQUEST_SECONDS = 120
# The log file of the module's server (set by the `server` fixture).
SERVER_LOG = []


def _png(image: np.ndarray) -> bytes:
  buf = io.BytesIO()
  Image.fromarray(image).save(buf, format='PNG')
  return buf.getvalue()


def _write(path, data: bytes) -> str:
  with open(path, 'wb') as f:
    f.write(data)
  return str(path)


def _photo(index: int = 0) -> np.ndarray:
  return np.asarray(Image.open(serve.bundled_photos()[index]).convert('RGB'))


def _stroke_value(image: np.ndarray, rows: slice, cols: slice
                  ) -> dict[str, object]:
  layer = np.zeros(image.shape[:2] + (4,), np.uint8)
  layer[rows, cols] = (255, 0, 255, 255)
  return {'background': image, 'layers': [layer], 'composite': image}


# ----------------------------------------------------------------------------
# Request handling, without a server.

LIMITS = serve.Limits(max_bytes=2000, max_pixels=64 * 64)


def test_read_upload_accepts_an_image(tmp_path):
  image = np.random.default_rng(0).integers(0, 256, (20, 30, 3), np.uint8)
  out = serve.read_upload(_write(tmp_path / 'a.png', _png(image)), LIMITS)
  np.testing.assert_array_equal(out, image)


def test_read_upload_refuses_too_many_bytes(tmp_path):
  noise = np.random.default_rng(0).integers(0, 256, (60, 60, 3), np.uint8)
  path = _write(tmp_path / 'big.png', _png(noise))
  assert os.path.getsize(path) > LIMITS.max_bytes
  with pytest.raises(serve.RequestError, match=r'big.png is .* MB; .* at '
                     r'most'):
    serve.read_upload(path, LIMITS)


def test_read_upload_refuses_too_many_pixels_before_decoding(tmp_path):
  limits = serve.Limits(max_bytes=10 << 20, max_pixels=10_000_000)
  # 5000 x 4000 pixels in a few kB: refused from the header.
  path = tmp_path / 'large.png'
  Image.new('1', (5000, 4000)).save(path)
  with pytest.raises(serve.RequestError, match='large.png is 5000x4000 = '
                     '20.0 megapixels; .* at most 10 megapixels'):
    serve.read_upload(str(path), limits)
  # A decompression bomb (30000 x 30000), which PIL itself refuses to
  # open: measured from its header all the same.
  Image.new('1', (30000, 30000)).save(tmp_path / 'bomb.png')
  with pytest.raises(serve.RequestError, match='bomb.png is 30000x30000 = '
                     '900.0 megapixels; .* at most 10 megapixels'):
    serve.read_upload(str(tmp_path / 'bomb.png'), limits)


def test_read_upload_refuses_non_images(tmp_path):
  path = _write(tmp_path / 'notes.png', b'hello, not a picture')
  with pytest.raises(serve.RequestError, match='notes.png is not an image'):
    serve.read_upload(path, LIMITS)
  truncated = _png(np.zeros((40, 40, 3), np.uint8))[:60]
  with pytest.raises(serve.RequestError, match='is not an image'):
    serve.read_upload(_write(tmp_path / 'cut.png', truncated), LIMITS)


def test_read_upload_refuses_no_file(tmp_path):
  with pytest.raises(serve.RequestError, match='No file was received'):
    serve.read_upload(None, LIMITS)
  with pytest.raises(serve.RequestError, match='could not be read'):
    serve.read_upload(str(tmp_path / 'gone.png'), LIMITS)


def test_read_editor_returns_image_and_strokes():
  image = np.full((32, 48, 3), 7, np.uint8)
  value = _stroke_value(image, slice(4, 9), slice(10, 30))
  value['layers'][0][20, 40, 3] = 1  # A faint anti-aliased edge is a hole.
  rgb, holes = serve.read_editor(value, LIMITS)
  np.testing.assert_array_equal(rgb, image)
  expected = np.zeros((32, 48), bool)
  expected[4:9, 10:30] = True
  expected[20, 40] = True
  np.testing.assert_array_equal(holes, expected)


def test_read_editor_uses_every_layer_and_drops_alpha_of_background():
  image = np.full((16, 16, 4), 200, np.uint8)
  first = _stroke_value(image, slice(0, 2), slice(0, 2))['layers'][0]
  second = _stroke_value(image, slice(8, 10), slice(8, 10))['layers'][0]
  rgb, holes = serve.read_editor(
      {'background': image, 'layers': [first, second]}, LIMITS)
  assert rgb.shape == (16, 16, 3)
  assert holes.sum() == 8 and holes[0, 0] and holes[9, 9]


@pytest.mark.parametrize('value', [None, {}, {'background': None}, ['x']],
                         ids=['none', 'empty', 'no_background', 'not_a_dict'])
def test_read_editor_refuses_no_image(value):
  with pytest.raises(serve.RequestError, match='Open an image'):
    serve.read_editor(value, LIMITS)


def test_read_editor_refuses_no_stroke():
  image = np.zeros((16, 16, 3), np.uint8)
  erased = np.zeros((16, 16, 4), np.uint8)
  erased[..., :3] = 255  # Colour without alpha: erased, not painted.
  for layers in ([], None, [erased]):
    with pytest.raises(serve.RequestError, match='Nothing to inpaint'):
      serve.read_editor({'background': image, 'layers': layers}, LIMITS)


def test_read_editor_refuses_too_many_pixels():
  value = _stroke_value(np.zeros((65, 64, 3), np.uint8), slice(0, 4),
                        slice(0, 4))
  with pytest.raises(serve.RequestError, match='64x65 .* at most 0.004096'):
    serve.read_editor(value, LIMITS)


def test_read_editor_refuses_layers_of_another_size():
  image = np.zeros((16, 16, 3), np.uint8)
  layer = np.full((8, 16, 4), 255, np.uint8)
  with pytest.raises(serve.RequestError, match='layer is 16x8 but the image '
                     'is 16x16'):
    serve.read_editor({'background': image, 'layers': [layer]}, LIMITS)


@pytest.mark.parametrize('background', [
    np.zeros((8, 8, 3), np.float32), np.zeros((8, 8, 2), np.uint8),
    np.zeros((2, 8, 8, 3), np.uint8)], ids=['float', 'two_channels', '4d'])
def test_read_editor_refuses_malformed_arrays(background):
  with pytest.raises(serve.RequestError, match='unexpected image'):
    serve.read_editor({'background': background, 'layers': []}, LIMITS)


class _FakeInpainter:
  """A `Model` for `batches.inpaint_many` that records its calls and
  tracks how many runs of one size overlap."""

  def __init__(self, seconds: float = 0.):
    self.seconds = seconds
    self.calls = []
    self.active: dict[tuple[int, int], int] = {}
    self.max_active: dict[tuple[int, int], int] = {}
    self.guard = threading.Lock()

  attention = context = None  # As an export: nothing to plan or fit.

  def runs_whole(self, hole):
    del hole
    return True

  def batch_outputs(self, images, masks, *, return_flow, sizes=None):
    (image,), (holes,) = images, masks
    del sizes
    key = image.shape[:2]
    with self.guard:
      self.calls.append((image, holes, return_flow))
      self.active[key] = self.active.get(key, 0) + 1
      self.max_active[key] = max(self.max_active.get(key, 0),
                                 self.active[key])
    time.sleep(self.seconds)
    with self.guard:
      self.active[key] -= 1
    out = np.where(holes[..., None], np.uint8(0), image)
    return serve.inpainter_lib.InpaintResult(out[None],
                                         np.full_like(image, 255)[None])


def test_service_photo_by_index_only():
  service = serve.Service(_FakeInpainter(), photos=serve.bundled_photos())
  assert len(service.photos) >= 2
  np.testing.assert_array_equal(service.photo(1), _photo(1))
  for bad in (-1, len(service.photos), '0', 'data/photos/x.jpg', '/etc/passwd',
              1.0, True, None):
    with pytest.raises(serve.RequestError, match='no bundled photo'):
      service.photo(bad)


def test_service_photo_refuses_photos_over_the_pixel_limit():
  service = serve.Service(_FakeInpainter(), limits=LIMITS,
                          photos=serve.bundled_photos())
  with pytest.raises(serve.RequestError, match='megapixels'):
    service.photo(0)


def test_service_inpaint_passes_image_and_holes_and_reports_progress():
  fake = _FakeInpainter()
  service = serve.Service(fake)
  image = np.full((20, 24, 3), 9, np.uint8)
  steps = []
  res = service.inpaint(_stroke_value(image, slice(2, 5), slice(3, 8)),
                        lambda f, d: steps.append((f, d)))
  (got_image, got_holes, flow), = fake.calls
  np.testing.assert_array_equal(got_image, image)
  assert got_holes.sum() == 15 and flow
  assert res.image[3, 4].tolist() == [0, 0, 0] and steps
  with pytest.raises(serve.RequestError, match='Nothing to inpaint'):
    service.inpaint({'background': image, 'layers': []})
  assert len(fake.calls) == 1


def test_shape_locks_serialise_one_size_only():
  fake = _FakeInpainter(seconds=0.2)
  service = serve.Service(fake)
  small = _stroke_value(np.zeros((16, 16, 3), np.uint8), slice(0, 4),
                        slice(0, 4))
  other = _stroke_value(np.zeros((16, 40, 3), np.uint8), slice(0, 4),
                        slice(0, 4))
  threads = [threading.Thread(target=service.inpaint, args=(v,))
             for v in (small, small, small, other, other)]
  for t in threads:
    t.start()
  for t in threads:
    t.join(timeout=30)
  assert len(fake.calls) == 5
  assert fake.max_active == {(16, 16): 1, (16, 40): 1}
  locks = serve.ShapeLocks()
  assert locks((8, 8)) is locks((8, 8)) and locks((8, 8)) is not locks((8, 16))


def test_service_with_a_real_model_changes_only_the_holes(ckpt):
  inpainter = serve.inpainter_lib.Inpainter.from_checkpoint(ckpt)
  service = serve.Service(inpainter)
  image = _photo(0)[:64, :96]
  res = service.inpaint(_stroke_value(image, slice(20, 40), slice(30, 70)))
  changed = (res.image != image).any(-1)
  assert changed.any() and not changed[:20].any() and not changed[40:].any()
  assert res.flow.shape == image.shape and res.flow.dtype == np.uint8


class _File:
  """What the editor's payload holds for a file (Gradio's FileData)."""

  def __init__(self, path):
    self.path = str(path)


class _Payload:

  def __init__(self, background, layers=()):
    self.background, self.layers = background, list(layers)


def test_preprocess_editor_checks_files_before_decoding(tmp_path):
  decoded = []
  decode = lambda payload: decoded.append(payload) or {'background': 1}
  table = _write(tmp_path / 'table.png', b'a,b\n1,2\n')
  wide = tmp_path / 'wide.png'
  Image.new('RGB', (100, 50)).save(wide)
  ok = _write(tmp_path / 'ok.png', _png(np.zeros((8, 8, 3), np.uint8)))
  limits = serve.Limits(max_bytes=2000, max_pixels=64 * 64)
  assert serve.preprocess_editor(_Payload(_File(table)), limits, decode) == {
      'error': 'table.png is not an image this server can read (PNG, JPEG, '
               'WebP, BMP, ...).'}
  answer = serve.preprocess_editor(_Payload(_File(ok), [_File(wide)]),
                                   limits, decode)
  assert answer['error'].startswith('wide.png is 100x50 = 0.0 megapixels')
  assert not decoded
  payload = _Payload(_File(ok), [_File(ok)])
  assert serve.preprocess_editor(payload, limits, decode) == {'background': 1}
  assert decoded == [payload]
  with pytest.raises(serve.RequestError, match='^table.png is not an image'):
    serve.read_editor(serve.preprocess_editor(_Payload(_File(table)), limits,
                                              decode), limits)


def test_serve_without_gradio_says_what_to_install_before_loading():
  code = ('import sys, runpy; sys.modules["gradio"] = None; '
          'sys.argv = ["serve", "--checkpoint=/nonexistent"]; '
          'runpy.run_module("deepfill_jax.apps.serve", run_name="__main__")')
  proc = subprocess.run([sys.executable, '-c', code], cwd=REPO,
                        capture_output=True, text=True, timeout=300,
                        env=dict(os.environ, PYTHONPATH=REPO))
  assert proc.returncode == 1
  assert proc.stderr.strip().splitlines() == [
      'error: the web demo needs Gradio: pip install -r '
      'requirements-serve.txt']


@NEEDS_GRADIO
def test_empty_editor_says_to_open_an_image_or_pick_a_photo(ckpt):
  del ckpt
  service = serve.Service(None, photos=serve.bundled_photos())
  app = serve.build_app(service)
  editors = [c for c in app.config['components']
             if c.get('props', {}).get('elem_id') == 'editor']
  assert [e['props']['placeholder'] for e in editors] == [serve.EMPTY_EDITOR]
  assert 'draw tool' not in serve.EMPTY_EDITOR
  # Building the page writes nothing into the package (no Gradio .pyi).
  assert not os.path.exists(os.path.splitext(serve.__file__)[0] + '.pyi')


# ----------------------------------------------------------------------------
# A real server.


def _free_port() -> int:
  with contextlib.closing(socket.socket()) as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


@pytest.fixture(scope='module')
def server(ckpt, tmp_path_factory):
  """`python -m deepfill_jax.apps.serve` on 127.0.0.1 and a free port; its URL."""
  if not HAS_GRADIO:
    pytest.skip('gradio is not installed: pip install -r '
                'requirements-serve.txt')
  port = _free_port()
  log_path = tmp_path_factory.mktemp('serve_log') / 'server.log'
  SERVER_LOG[:] = [log_path]
  env = dict(os.environ, GRADIO_ANALYTICS_ENABLED='False',
             GRADIO_TEMP_DIR=str(tmp_path_factory.mktemp('gradio')),
             JAX_PLATFORMS='cpu', XLA_FLAGS='', PYTHONPATH=REPO)
  with open(log_path, 'wb') as log:
    proc = subprocess.Popen(
        [sys.executable, '-m', 'deepfill_jax.apps.serve',
         f'--checkpoint={ckpt}', '--host=127.0.0.1',
         f'--port={port}', f'--max_upload_mb={MAX_UPLOAD_MB}',
         f'--max_pixels={MAX_PIXELS}'], cwd=REPO, env=env, stdout=log,
        stderr=subprocess.STDOUT)
  url = f'http://127.0.0.1:{port}/'
  deadline = time.monotonic() + STARTUP_SECONDS
  try:
    while True:
      if proc.poll() is not None:
        pytest.fail(f'the server exited ({proc.returncode}):\n'
                    + log_path.read_text()[-3000:])
      try:
        with urllib.request.urlopen(url, timeout=5) as r:
          if r.status == 200:
            break
      except OSError:
        pass
      if time.monotonic() > deadline:
        pytest.fail('the server did not start in time:\n'
                    + log_path.read_text()[-3000:])
      time.sleep(1)
    yield url
  finally:
    proc.terminate()
    try:
      proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
      proc.kill()
      proc.wait(timeout=20)


@pytest.fixture(scope='module')
def client(server):
  from gradio_client import Client  # pylint: disable=g-import-not-at-top
  return Client(server, verbose=False, download_files=False)


def _call(client, *args, api_name):
  job = client.submit(*args, api_name=api_name)
  return job.result(timeout=REQUEST_SECONDS)


def _file(path):
  from gradio_client import handle_file  # pylint: disable=g-import-not-at-top
  return handle_file(str(path))


def _editor(path, layer_path=None):
  return {'background': _file(path),
          'layers': [_file(layer_path)] if layer_path else [],
          'composite': None}


@NEEDS_GRADIO
def test_api_open_refuses_too_many_bytes(client, tmp_path):
  noise = np.random.default_rng(0).integers(0, 256, (450, 450, 3), np.uint8)
  path = _write(tmp_path / 'noise.png', _png(noise))
  assert os.path.getsize(path) > MAX_UPLOAD_MB * 2**20
  status = _call(client, _file(path), api_name='/open')[-1]
  assert status == ('**Error:** noise.png is 0.6 MB; this server accepts '
                    'image files of at most 0.5 MB.')


@NEEDS_GRADIO
def test_api_open_refuses_too_many_pixels(client, tmp_path):
  path = tmp_path / 'wide.png'
  Image.new('RGB', (1000, 600)).save(path)
  status = _call(client, _file(path), api_name='/open')[-1]
  assert 'wide.png is 1000x600 = 0.6 megapixels; this server accepts at ' \
      'most 0.5 megapixels' in status


@NEEDS_GRADIO
def test_api_open_refuses_non_images(client, tmp_path):
  path = _write(tmp_path / 'table.png', b'a,b\n1,2\n')
  status = _call(client, _file(path), api_name='/open')[-1]
  assert 'table.png is not an image this server can read' in status


@NEEDS_GRADIO
def test_api_open_accepts_an_image(client, tmp_path):
  path = _write(tmp_path / 'ok.png', _png(np.zeros((30, 50, 3), np.uint8)))
  status = _call(client, _file(path), api_name='/open')[-1]
  assert status.startswith('Image: 50x30.')


@NEEDS_GRADIO
def test_api_upload_over_transport_limit_is_refused(server, client, tmp_path):
  # Past Gradio's own cap (serve.Limits.transport_bytes) the upload route
  # refuses the file before any handler runs.
  cap = serve.Limits(int(MAX_UPLOAD_MB * 2**20), MAX_PIXELS).transport_bytes()
  path = _write(tmp_path / 'huge.png', b'\0' * (cap + 1024))
  with pytest.raises(Exception, match='(?i)too large|413|exceeds'):
    _call(client, _file(path), api_name='/open')


@NEEDS_GRADIO
def test_api_pick_refuses_bad_indices(client):
  for bad in (-1, 10_000):
    status = _call(client, bad, api_name='/pick')[-1]
    assert status == f'**Error:** There is no bundled photo number {bad}.'
  status = _call(client, 2, api_name='/pick')[-1]
  assert status.startswith('Image: ')


@NEEDS_GRADIO
def test_api_inpaint_refuses_no_image(client):
  status = _call(client, None, 'Result', api_name='/inpaint')[-1]
  assert status == ('**Error:** Open an image or pick one of the photos '
                    'first.')


@NEEDS_GRADIO
def test_api_inpaint_refuses_no_mask(client, tmp_path):
  path = _write(tmp_path / 'bg.png', _png(np.zeros((40, 40, 3), np.uint8)))
  status = _call(client, _editor(path), 'Result', api_name='/inpaint')[-1]
  assert status.startswith('**Error:** Nothing to inpaint')


@NEEDS_GRADIO
def test_api_inpaint_refuses_too_many_pixels(client, tmp_path):
  path = tmp_path / 'wide.png'
  Image.new('RGB', (1000, 600)).save(path)
  status = _call(client, _editor(str(path)), 'Result',
                 api_name='/inpaint')[-1]
  assert 'is 1000x600 = 0.6 megapixels' in status


def _assert_no_traceback_in_server_log():
  time.sleep(1)  # Let the server write its log.
  log = SERVER_LOG[0].read_text()
  assert 'Traceback' not in log, log[-3000:]


@NEEDS_GRADIO
def test_api_inpaint_refuses_a_non_image_background(client, tmp_path):
  path = _write(tmp_path / 'table.png', b'a,b\n1,2\n')
  status = _call(client, _editor(path), 'Result', api_name='/inpaint')[-1]
  assert status == ('**Error:** table.png is not an image this server can '
                    'read (PNG, JPEG, WebP, BMP, ...).')
  _assert_no_traceback_in_server_log()


@NEEDS_GRADIO
def test_api_inpaint_refuses_a_background_far_over_the_limit(client,
                                                            tmp_path):
  path = tmp_path / 'bomb.png'
  Image.new('RGB', (1500, 800)).save(path)  # Past PIL's bomb limit here.
  status = _call(client, _editor(str(path)), 'Result',
                 api_name='/inpaint')[-1]
  assert status == ('**Error:** bomb.png is 1500x800 = 1.2 megapixels; this '
                    'server accepts at most 0.5 megapixels. Please resize it '
                    'first.')  # As /open.
  _assert_no_traceback_in_server_log()


@NEEDS_GRADIO
def test_api_refuses_a_path_it_did_not_upload_in_one_line(server):
  """A background naming a server file instead of an upload: the client
  gets the reason, the log one line."""
  time.sleep(1)  # Earlier requests' log lines first.
  logged = len(SERVER_LOG[0].read_text())
  url = f'{server}gradio_api/call/inpaint'
  value = {'background': {'path': '/etc/passwd',
                          'meta': {'_type': 'gradio.FileData'}},
           'layers': [], 'composite': None}
  request = urllib.request.Request(
      url, data=json.dumps({'data': [value, 'Result']}).encode(),
      headers={'Content-Type': 'application/json'})
  with urllib.request.urlopen(request, timeout=REQUEST_SECONDS) as r:
    event = json.load(r)['event_id']
  with urllib.request.urlopen(f'{url}/{event}', timeout=REQUEST_SECONDS) as r:
    lines = r.read().decode().strip().splitlines()
  assert lines[0] == 'event: error'
  assert json.loads(lines[1][len('data: '):])['error'] == (
      'The request names a file that was not uploaded to this server; please '
      'open the image again.')
  time.sleep(1)
  new = SERVER_LOG[0].read_text()[logged:].strip().splitlines()
  assert len(new) == 1 and new[0].endswith(
      '] Refused a request: InvalidPathError: Cannot move /etc/passwd to the '
      'gradio cache dir because it was not uploaded by a user.'), new


@NEEDS_GRADIO
def test_api_inpaint_returns_a_png(client, tmp_path):
  image = _photo(0)[:48, :64]
  value = _stroke_value(image, slice(10, 30), slice(20, 40))
  bg = _write(tmp_path / 'bg.png', _png(image))
  layer = _write(tmp_path / 'layer.png', _png(value['layers'][0]))
  out, status = _call(client, _editor(bg, layer), 'Result',
                      api_name='/inpaint')
  assert status.startswith('Done.')
  with urllib.request.urlopen(out['url'], timeout=30) as r:
    data = r.read()
  assert data.startswith(b'\x89PNG')
  result = np.asarray(Image.open(io.BytesIO(data)).convert('RGB'))
  changed = (result != image).any(-1)
  assert changed.any() and not (changed & ~value['layers'][0][..., 3].astype(
      bool)).any()


# ----------------------------------------------------------------------------
# The page in headless Chromium.


def _browser_skip_reason() -> str | None:
  if not HAS_GRADIO:
    return 'gradio is not installed: pip install -r requirements-serve.txt'
  if not HAS_PLAYWRIGHT:
    return 'playwright is not installed (pip install playwright)'
  if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
    return (f'no Chromium at {CHROMIUM} (apt-get install chromium, or set '
            'DEEPFILL_CHROMIUM)')
  return None


def _pngs_in(body: bytes) -> list[np.ndarray]:
  """The PNG files in a multipart upload body, decoded."""
  out, start = [], 0
  while (start := body.find(b'\x89PNG\r\n\x1a\n', start)) >= 0:
    end = body.find(b'IEND', start) + 8
    out.append(np.asarray(Image.open(io.BytesIO(body[start:end]))))
    start = end
  return out


@pytest.mark.skipif(_browser_skip_reason() is not None,
                    reason=_browser_skip_reason() or '')
def test_browser_paint_and_inpaint(server):
  # pylint: disable-next=g-import-not-at-top
  from playwright.sync_api import sync_playwright
  photo = _photo(0)
  external, uploads = [], []

  def route(r):
    if not r.request.url.startswith(server):
      external.append(r.request.url)
      r.abort()
      return
    if '/upload' in r.request.url and r.request.post_data_buffer:
      uploads.append(r.request.post_data_buffer)
    r.continue_()

  wait_ms = REQUEST_SECONDS * 1000
  status_js = "document.querySelector('#status').innerText.includes({!r})"
  with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                timeout=60_000)
    try:
      page = browser.new_page(viewport={'width': 1400, 'height': 1000})
      page.set_default_timeout(wait_ms)
      page.route('**/*', route)
      page.goto(server)
      # Inpaint before anything is open: a message, no result.
      page.click('#inpaint')
      page.wait_for_function(status_js.format('Open an image'))
      page.locator('#photos button').first.click()
      page.wait_for_function(status_js.format('Image: 768x432'))
      page.wait_for_selector('#editor [data-testid=status-tracker].hide',
                             state='attached')
      time.sleep(1)  # The canvas draws the photo.
      box = page.locator('#editor canvas').first.bounding_box()
      x, y = box['x'] + box['width'] / 2, box['y'] + box['height'] / 2
      page.mouse.move(x - 60, y)
      page.mouse.down()
      for i in range(13):
        page.mouse.move(x - 60 + 10 * i, y)
      page.mouse.up()
      time.sleep(0.5)
      del uploads[:]
      page.click('#inpaint')
      page.wait_for_function(status_js.format('Done.'))
      src = page.locator('#result img').get_attribute('src')
      png = page.request.get(src).body()
      page.locator('#view label', has_text='Attention flow').click()
      page.wait_for_function(
          f"document.querySelector('#result img').src != {src!r}")
      flow = page.request.get(
          page.locator('#result img').get_attribute('src')).body()
    finally:
      browser.close()

  assert not external, f'requests left 127.0.0.1: {external}'
  assert png.startswith(b'\x89PNG')
  result = np.asarray(Image.open(io.BytesIO(png)).convert('RGB'))
  assert result.shape == photo.shape
  # The stroke as the browser sent it: the RGBA layer that is mostly empty.
  layers = [a for a in _pngs_in(b''.join(uploads))
            if a.ndim == 3 and a.shape[-1] == 4 and a.shape[:2] ==
            photo.shape[:2] and (a[..., 3] == 0).mean() > 0.5]
  assert layers, 'no stroke layer was uploaded'
  stroke = layers[-1][..., 3] > 0
  rows, cols = np.nonzero(stroke)
  # A horizontal stroke across the middle of the photo.
  assert 50 < cols.max() - cols.min() < 400 and rows.max() - rows.min() < 80
  assert abs(rows.mean() - photo.shape[0] / 2) < 40
  changed = (result != photo).any(-1)
  assert changed.any(), 'the result equals the input'
  assert not (changed & ~stroke).any(), (
      f'{int((changed & ~stroke).sum())} pixels outside the stroke changed')
  flow_image = np.asarray(Image.open(io.BytesIO(flow)).convert('RGB'))
  assert flow_image.shape == photo.shape and not np.array_equal(
      flow_image, result)
