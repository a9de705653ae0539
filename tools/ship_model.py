# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Copies a training step's generator into the package as a shipped model.

  python -m tools.ship_model --workdir=/ckpt/photos --step=1500 \
      --name=photos_v1
  python -m tools.ship_model --workdir=/ckpt/photos \
      --average=1500,1750,2000 --name=photos_v1 --replace

`--two_scale=D` and `--blend` record in generator.json that the model is
meant to run with `Inpainter(two_scale=D, blend=True)`, which
`Inpainter.pretrained()` then uses. `--credits=FILE` copies the training
data's authors and licences beside the weights as CREDITS.md.

`--average` ships the mean of the generator parameters of several steps of
one run (weight averaging: the steps of a constant learning rate scatter
around a minimum, and their mean sits nearer to it than any one of them;
measured in docs/model_card.md). The recorded step is the last one.

Writes `deepfill_jax/checkpoints/pretrained/NAME/` (an inference checkpoint: the
generator's float32 parameters alone, no optimizer or critics) and records in
its `generator.json` the step, the CPU hours the run had used by then (from
WORKDIR/cpu_hours.tsv or `--cpu_log`) and the training config. An existing
model of that name is replaced only with `--replace`.
"""

from __future__ import annotations

import os
import shutil
import sys
from typing import Sequence

from absl import app
from absl import flags
from absl import logging
import numpy as np

from deepfill_jax.checkpoints import store
from deepfill_jax.training import cpu_hours
from deepfill_jax.utils import files
from deepfill_jax.checkpoints import pretrained

_WORKDIR = flags.DEFINE_string('workdir', None, 'Training workdir.')
_STEP = flags.DEFINE_integer('step', None, 'Step (default: the latest).')
_NAME = flags.DEFINE_string('name', pretrained.DEFAULT, 'Model name.')
_CPU_LOG = flags.DEFINE_string('cpu_log', '', '"STEP CPU_SECONDS" lines '
                               '(default: WORKDIR/cpu_hours.tsv).')
_REPLACE = flags.DEFINE_bool('replace', False, 'Replace an existing model.')
_AVERAGE = flags.DEFINE_list('average', [], 'Steps whose generators to '
                             'average (instead of --step).')
_TWO_SCALE = flags.DEFINE_integer('two_scale', 0, 'D of the two-scale '
                                  'inference the model is meant for '
                                  '(Inpainter(two_scale=D)); 0: none.',
                                  lower_bound=0)
_CREDITS = flags.DEFINE_string('credits', '', 'Authors and licences of the '
                               'training data (e.g. the CREDITS.md of '
                               'make_photo_dataset), copied as CREDITS.md '
                               'beside the weights.')
_BLEND = flags.DEFINE_bool('blend', False, 'Record that the model is meant '
                           'to run with Inpainter(blend=True).')


def main(argv: Sequence[str]) -> None:
  del argv
  logging.set_verbosity(logging.WARNING)
  if _NAME.value not in pretrained.MODELS:
    sys.exit(f'error: add {_NAME.value!r} to deepfill_jax.checkpoints.pretrained.MODELS '
             'first.')
  if _AVERAGE.value and _STEP.value is not None:
    sys.exit('error: pass --step or --average, not both.')
  if _AVERAGE.value:
    try:
      steps = sorted(int(s) for s in _AVERAGE.value)
    except ValueError:
      sys.exit(f'error: --average takes steps, got {_AVERAGE.value}.')
    gen, meta = store.average_generators(_WORKDIR.value, steps)
  else:
    gen, meta = store.load_generator(_WORKDIR.value,
                                             step=_STEP.value)
  workdir = store.as_path(_WORKDIR.value)
  rows = cpu_hours.read(store.as_path(_CPU_LOG.value) if
                        _CPU_LOG.value else workdir / cpu_hours.FILE)
  hours = (float(np.interp(meta['step'], *np.array(rows).T)) / 3600.
           if rows else None)
  config = files.read_json(workdir / 'config.json')
  target = os.path.join(os.path.dirname(pretrained.__file__), _NAME.value)
  if os.path.exists(target):
    if not _REPLACE.value:
      sys.exit(f'error: {target} exists; pass --replace to replace it.')
    shutil.rmtree(target)
  inference = {**({'two_scale': _TWO_SCALE.value} if _TWO_SCALE.value
                  else {}),
               **({'blend': True} if _BLEND.value else {})}
  store.save_generator(
      target, gen, trained_with=meta.get('trained_with', {}),
      training={'step': meta['step'], 'cpu_hours': hours,
                'config': config,
                **({'averaged_steps': meta['averaged_steps']}
                   if 'averaged_steps' in meta else {})},
      **({'inference': inference} if inference else {}))
  if _CREDITS.value:
    shutil.copyfile(_CREDITS.value, os.path.join(target, 'CREDITS.md'))
  print(f'{_NAME.value}: step {meta["step"]}'
        + (f', {hours:.2f} CPU hours' if hours is not None else '')
        + f' -> {target}')


if __name__ == '__main__':
  flags.mark_flag_as_required('workdir')
  app.run(main)
