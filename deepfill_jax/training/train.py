# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The training loop of DeepFill v1 and v2 (docs/training.md): data,
checkpoints, periodic evaluation, logging, signals. The state and the pure
steps it runs are in `step.py`.
"""

from __future__ import annotations

import functools
import os
import signal
from typing import Any

from absl import logging
import jax
import ml_collections
import numpy as np
from etils import epath
from flax import nnx
from flax import traverse_util

from deepfill_jax.training import cpu_hours
from deepfill_jax.checkpoints import store
from deepfill_jax.training import checkpoints as run_checkpoints
from deepfill_jax.utils import files
from deepfill_jax.data import image_io
from deepfill_jax.data import input_pipeline
from deepfill_jax.training import losses as losses_lib
from deepfill_jax.data import strips as strips_lib
from deepfill_jax.training import resume_checks
from deepfill_jax.training import step as step_lib
from deepfill_jax.training import stop_signals
from deepfill_jax.training import workdir_lock
from deepfill_jax.training import periodic_eval
from deepfill_jax.training.step import Metrics
from deepfill_jax.training.step import TrainState


class TrainingStopped(Exception):
  """Training ended early on purpose (non-finite losses, a signal)."""

  def __init__(self, message: str, exit_code: int = 1):
    super().__init__(message)
    self.exit_code = exit_code


def init_from(setup: step_lib.Setup, state: TrainState, path: str
              ) -> TrainState:
  """Starts from the generator (and critics, when present) stored at `path`.

  Optimizer states stay fresh, as the original's fine-tuning from a
  released model.
  """
  config = setup.config
  gen, meta = store.load_generator(path)
  want = {'name': config.model.name, 'cnum': config.model.cnum,
          'contextual_attention': config.model.contextual_attention,
          'guided': config.model.guided}
  have = {'name': gen.model_name, 'cnum': gen.cnum,
          'contextual_attention': gen.contextual_attention,
          'guided': gen.guided}
  if want != have:
    raise ValueError(f'config.init_from={path}: its generator is {have}, the '
                     f'config asks for {want}.')
  state = state.replace(generator=run_checkpoints.replicate_like(
      store.pure_params(gen), state.generator))
  try:
    critics = run_checkpoints.load_training_critics(path, state.critics)
  except ValueError as e:
    raise ValueError(f'config.init_from={path}: its critics do not match '
                     'config.model.critic_cnum / the image size '
                     f'({str(e).splitlines()[0]})') from e
  if critics is None:
    logging.info('init_from %s: generator (%s); fresh critics.', path,
                 meta.get('step', 'inference checkpoint'))
    return state
  logging.info('init_from %s: generator and critics.', path)
  return state.replace(critics=critics)


# ----------------------------------------------------------------------------
# Logging.


def parameter_counts(state: TrainState) -> dict[str, int]:
  trees = {'generator': state.generator, **state.critics}
  return {k: int(sum(x.size for x in jax.tree.leaves(t)))
          for k, t in trees.items()}


def _mean_metrics(metrics: list[Metrics], prefix: str) -> dict[str, float]:
  if not metrics:
    return {}
  host = jax.device_get(metrics)
  return {f'{prefix}/{k}': float(np.mean([m[k] for m in host]))
          for k in host[0] if k != 'bad_streak'}


# The progress line's loss terms (label, scalar), those the model has.
_PROGRESS = (('g_loss', 'generator/g_loss'), ('l1', 'generator/l1_loss'),
             ('ae', 'generator/ae_loss'), ('d_loss', 'critic/d_loss'),
             ('gp', 'critic/gp_loss'))


# ----------------------------------------------------------------------------
# The loop.


def _write_run_files(workdir: epath.Path,
                     config: ml_collections.ConfigDict) -> None:
  """generator.json (so the workdir is a checkpoint) and config.json."""
  gen = nnx.eval_shape(lambda: step_lib.build_networks(config, nnx.Rngs(0))[0])
  store.write_meta(workdir, store.generator_meta(
      gen, trained_with={'image_size': config.image_size,
                         'model_dtype': config.model.dtype}))
  files.write_atomic(workdir / 'config.json', config.to_json_best_effort(
      indent=2, sort_keys=True) + '\n')


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str
                       ) -> TrainState:
  """Trains (or resumes training) in `workdir`; returns the final state.

  The workdir is locked for the run (`workdir_lock`), a resume is checked
  against the recorded model config before anything is built
  (`run_config`), and SIGTERM/SIGINT are answered at once (`stop_signals`).

  Raises:
    TrainingStopped: too many non-finite updates in a row, or SIGTERM/SIGINT
      (after saving a checkpoint).
    WorkdirInUse: another run holds `workdir`.
    ConfigMismatch: `workdir` holds checkpoints of another model.
    ValueError, FileNotFoundError: bad config or data.
  """
  losses_lib.check_config(config.loss)  # Before the workdir is touched.
  checkpoints = os.path.join(workdir, store.CHECKPOINTS_DIR)
  with workdir_lock.hold(workdir, chief=jax.process_index() == 0,
                         process_count=jax.process_count()) as lock:
    resume_checks.check_resume(
        config, workdir, bool(stop_signals.finalised_steps(checkpoints)))
    release = lock and functools.partial(workdir_lock.release, workdir, lock)
    with stop_signals.Signals(checkpoints, on_hard_stop=release) as signals:
      return _train_and_evaluate(config, workdir, signals)


def _train_and_evaluate(config: ml_collections.ConfigDict, workdir: str,
                        signals: stop_signals.Signals) -> TrainState:
  """`train_and_evaluate` in a held workdir, with `signals` watched."""
  # pylint: disable=g-import-not-at-top
  from clu import metric_writers
  from clu import periodic_actions
  # pylint: enable=g-import-not-at-top
  workdir_path = epath.Path(workdir)
  workdir_path.mkdir(parents=True, exist_ok=True)
  is_chief = jax.process_index() == 0
  setup = step_lib.make_setup(config)
  logging.info('Mesh: %d devices on %d processes, global batch %d.',
               setup.mesh.size, jax.process_count(), config.batch_size)
  train_iter = input_pipeline.create_dataset(config, split='train')
  evaluator = periodic_eval.Evaluator(config, setup)
  steps = step_lib.compile_steps(setup)
  state = step_lib.init_state(setup)

  mngr = run_checkpoints.checkpoint_manager(workdir_path, config)
  latest = mngr.latest_step()
  if latest is not None:
    logging.info('Resuming from %s at step %d.', workdir, latest)
    state = TrainState.from_items(run_checkpoints.restore_training(
        mngr, state.items(), train_iter, latest))
  elif config.init_from:
    state = init_from(setup, state, config.init_from)
  if is_chief:
    _write_run_files(workdir_path, config)
    (workdir_path / 'strips').mkdir(exist_ok=True)

  writer = metric_writers.create_default_writer(
      workdir, just_logging=not is_chief, asynchronous=True)
  counts = parameter_counts(state)
  for name, count in counts.items():
    logging.info('%s: %s parameters', name, f'{count:,}')
  step = int(jax.device_get(state.counters.step))
  if step == 0:
    writer.write_hparams(_flat(config.to_dict()))

  critic_steps = (config.critic_steps if losses_lib.uses_critics(config)
                  else 0)
  images_per_step = config.batch_size * (1 + critic_steps)
  cpu_log = cpu_hours.CpuLog(workdir_path, step, write=is_chief)
  pending_critic, pending_gen = [], []
  last_metrics = None
  num_steps = config.num_train_steps
  logging.info('Training from step %d to %d (%d critic updates per generator '
               'update, %d images per step); compiling the first steps...',
               step, num_steps, critic_steps, images_per_step)
  # Steps/s, % done and ETA at each log step: a line "Setting work unit
  # notes: ..." and the scalars steps_per_sec and uptime.
  progress = periodic_actions.ReportProgress(
      num_train_steps=num_steps, writer=writer,
      every_steps=config.log_every_steps, every_secs=None)
  progress(step)  # The start: the first call never reports.

  def log_eval(step: int, strips: bool) -> None:
    means, views = evaluator(steps, state.generator)
    writer.write_scalars(step, means)
    logging.info('eval at step %d: %s', step, ', '.join(
        f'{k[5:]}={v:.4g}' for k, v in sorted(means.items())))
    if strips and is_chief:
      strip = strips_lib.training_strip(
          views, step_lib.model_spec(config).generator.flow_upsampling)
      writer.write_images(step, {'strips': strip[None]})
      image_io.save_image(str(workdir_path / 'strips' / f'step_{step:07d}.png'),
                          strip)

  try:
    with metric_writers.ensure_flushes(writer):
      if step == 0 and num_steps > 0:
        log_eval(0, strips=True)
      while step < num_steps:
        state, critic_m, gen_m = step_lib.train_iteration(
            steps, setup, state, train_iter)
        step += 1
        pending_critic.extend(critic_m)
        pending_gen.append(gen_m)
        # The previous iteration's streak: already computed, so no stall.
        if last_metrics is not None:
          streak = int(jax.device_get(last_metrics['bad_streak']))
          if streak >= config.max_bad_steps:
            mngr.wait_until_finished()
            raise TrainingStopped(
                f'stopped at step {step - 1}: {streak} updates in a row had a '
                f'non-finite loss or gradient (config.max_bad_steps='
                f'{config.max_bad_steps}); the last good checkpoint '
                f'(step {mngr.latest_step()}) is kept in {workdir}.')
        last_metrics = gen_m
        run_checkpoints.save_training(mngr, step, state.items(), train_iter,
                                    force=step == num_steps)
        progress(step)

        if step % config.log_every_steps == 0 or step == num_steps:
          scalars = {**_mean_metrics(pending_critic, 'critic'),
                     **_mean_metrics(pending_gen, 'generator')}
          scalars.update({
              'train/cpu_hours': cpu_log.record(step),
              'train/learning_rate': config.learning_rate,
              'train/skipped_updates_total': float(jax.device_get(
                  state.counters.bad_total)),
              'data/skipped_images': float(train_iter.skipped)})
          writer.write_scalars(step, scalars)
          shown = ' '.join(
              f'{label} {scalars[key]:.4f}' for label, key in _PROGRESS
              if key in scalars)
          logging.info('step %d/%d | %s', step, num_steps, shown)
          pending_critic, pending_gen = [], []
        if (step % config.eval_every_steps == 0 or step == num_steps):
          log_eval(step, strips=step % config.log_images_every == 0
                   or step == num_steps)
        if signals.stop_requested():
          if step not in mngr.all_steps():
            run_checkpoints.save_training(mngr, step, state.items(),
                                        train_iter, force=True)
          mngr.wait_until_finished()
          name = signal.Signals(signals.received or signal.SIGTERM).name
          raise TrainingStopped(
              f'{name} at step {step}: checkpoint saved in {workdir}; run the '
              'same command to resume.', exit_code=128 + int(
                  signals.received or signal.SIGTERM))
      mngr.wait_until_finished()
  finally:
    mngr.close()
  jax.block_until_ready(state)
  return state


def _flat(tree: dict[str, Any]) -> dict[str, Any]:
  """{'a': {'b': 1}} -> {'a.b': 1} with values TensorBoard can show."""
  return {k: v if isinstance(v, (int, float, str, bool)) else str(v)
          for k, v in traverse_util.flatten_dict(tree, sep='.').items()}
