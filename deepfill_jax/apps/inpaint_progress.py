# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""What `deepfill-inpaint` tells about a run (stderr): the line before a
single image's work, its progress bar and the closing line."""

from __future__ import annotations

import resource
import sys
import time
from typing import Callable, Sequence

import numpy as np
from scipy import ndimage
from tqdm import tqdm

from deepfill_jax.inference import context_windows
from deepfill_jax.inference import inpainter as inpainter_lib
from deepfill_jax.inference import memory
from deepfill_jax.inference import working_size

# A single image whose estimate is at least this many seconds gets a
# progress bar.
PROGRESS_SECONDS = 5.


def peak_memory_gb() -> float:
  """This process's peak resident memory so far, in GB."""
  peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
  return peak * (1 if sys.platform == 'darwin' else 1024) / 1e9


def summary(start: float) -> str:
  """The run's time since `start` and its peak memory, for the last line."""
  return (f'{time.perf_counter() - start:.1f} s, peak memory '
          f'{peak_memory_gb():.1f} GB')


def plan_single(inpainter: inpainter_lib.Inpainter, name: str,
                holes: np.ndarray) -> tuple[str, list[int], float | None]:
  """What inpainting one image will do, before the work.

  Returns:
    (the line announcing it: size, holes, passes and a rough time; each
    pass's estimated bytes in the order they run, `Inpainter.pass_costs`;
    the estimated seconds, or None where there is no estimate).
  """
  hgt, wid = holes.shape
  count = ndimage.label(holes, structure=np.ones((3, 3)))[1]
  line = f'{name}: {wid}x{hgt}, {count} hole{"s" if count != 1 else ""}; '
  if inpainter.working_size != 'full':
    context = inpainter.context or working_size.CONTEXT
    factor = working_size.choose_factor(holes, inpainter.working_size,
                                        context=context)
    if factor > 1:
      small = working_size.shrink_mask(holes, factor)
      wins = working_size.windows(small, context)
      needs = [inpainter.replace(working_size='full', two_scale=0)._need(
          (w.bottom - w.top, w.right - w.left), 1, None, False)
               for w in wins]
      seconds = memory.estimate_seconds(sum(needs))
      return (line + f'working size 1/{factor}, {len(wins)} window'
              f'{"s" if len(wins) != 1 else ""}, detail restored at full '
              f'size; {_eta(seconds)}.', needs, seconds)
  crops = [holes]
  if inpainter.context:
    crops = [holes[w.crop]
             for w in context_windows.windows(holes, inpainter.context)]
  plain = inpainter.replace(context=None)
  needs = [need for crop in crops for _, need in plain.pass_costs(crop)]
  passes = 'one pass'
  if inpainter.two_scale:
    passes = 'two scales: 1x pass + 2x pass'
    if not inpainter.context:
      passes += f' at {2 * wid}x{2 * hgt}'
  if inpainter.context:
    passes = (f'{len(crops)} window{"s" if len(crops) != 1 else ""} '
              f'(--context={inpainter.context}), each {passes}')
  seconds = memory.estimate_seconds(sum(needs))
  return line + f'{passes}; {_eta(seconds)}.', needs, seconds


def _eta(seconds: float | None) -> str:
  """A rough time for the announcement."""
  if seconds is None:
    return 'no time estimate off the CPU'
  eta = 'under 1 s' if seconds < 1 else f'about {round(seconds)} s'
  return eta + ' (plus compiling, the first time for a size)'


def progress_bar(needs: Sequence[int], show: bool
                 ) -> tuple[tqdm, Callable[[], None]]:
  """A progress bar over passes of estimated bytes `needs` (their share of
  the bar and the ETA), and the hook `inpainter_lib.pass_progress` calls."""
  bar = tqdm(total=max(1, sum(needs)), desc='inpainting', disable=not show,
             leave=False, file=sys.stderr,
             bar_format='{desc}: {percentage:3.0f}%|{bar}| '
                        '[{elapsed}<{remaining}]')
  left = list(needs)
  return bar, lambda: bar.update(left.pop(0) if left else 0)
