# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""GAN training of DeepFill v1, sharded over a device mesh (docs/training.md).

One generator iteration = `config.critic_steps` critic updates, each on a
fresh batch, then one generator update on another batch, as the original.
Steps are pure functions of a state pytree under `jax.jit`; the batch is
sharded over the mesh's `data` axis, parameters and optimizer states are
replicated, and XLA inserts the gradient all-reduce. The same code runs on one
CPU, on 8 TPU cores or on many hosts (`jax.distributed`): each process feeds
its block of the global batch.

The state is a plain dict of pure pytrees:

    generator, critics = {local_critic, global_critic}, opt_g, opt_d,
    counters = {step, updates, bad_streak, bad_total}

`step` counts generator iterations (`config.num_train_steps` of them),
`updates` every optimizer update (it seeds the update's randomness, so a
resumed run draws exactly what an uninterrupted one would).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import signal
import time
from typing import Any, Callable, Iterator, NamedTuple

from absl import logging
import grain
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import orbax.checkpoint as ocp
from etils import epath
from flax import nnx

from deepfill_jax import checkpointing
from deepfill_jax import files
from deepfill_jax import image_io
from deepfill_jax import input_pipeline
from deepfill_jax import losses as losses_lib
from deepfill_jax import masks as masks_lib
from deepfill_jax import metrics as metrics_lib
from deepfill_jax import run_config
from deepfill_jax import stop_signals
from deepfill_jax import workdir_lock
from deepfill_jax.models import GlobalCritic
from deepfill_jax.models import InpaintGenerator
from deepfill_jax.models import LocalCritic
from deepfill_jax.models import flow_to_image

State = dict[str, Any]
Metrics = dict[str, jax.Array]
CRITICS = ('local_critic', 'global_critic')
# Orbax items of a training checkpoint: `generator` (the item
# `checkpointing.load_generator` reads), the CRITICS, `opt_g`, `opt_d`,
# `counters` (see `_state_items`) and the grain iterator:
DATA_ITEM = 'data'


class TrainingStopped(Exception):
  """Training ended early on purpose (non-finite losses, a signal)."""

  def __init__(self, message: str, exit_code: int = 1):
    super().__init__(message)
    self.exit_code = exit_code


# ----------------------------------------------------------------------------
# Networks, optimizer, mesh.


class Networks(NamedTuple):
  """Graph definitions (structure without parameters) of the three networks."""
  generator: nnx.GraphDef
  local_critic: nnx.GraphDef
  global_critic: nnx.GraphDef


def critic_sizes(config: ml_collections.ConfigDict) -> tuple[int, int]:
  """(local, global) critic input sizes: the box and the training image."""
  box_h, box_w = masks_lib.MaskGenerator(
      config.masks, (config.image_size, config.image_size)).box_hw
  if box_h != box_w:
    raise ValueError(f'config.masks: the local critic needs a square box, got '
                     f'{box_h}x{box_w} px.')
  return box_h, config.image_size


def build_networks(config: ml_collections.ConfigDict, rngs: nnx.Rngs
                   ) -> tuple[InpaintGenerator, LocalCritic, GlobalCritic]:
  """The generator and both critics as `config.model` describes them."""
  dtype = jnp.dtype(config.model.dtype)
  local_size, global_size = critic_sizes(config)
  backward = config.model.get('conv_backward', 'auto')
  gen = InpaintGenerator(
      config.model.cnum, rngs=rngs, dtype=dtype,
      contextual_attention=config.model.contextual_attention,
      conv_backward=backward)
  local = LocalCritic(config.model.critic_cnum, rngs=rngs, dtype=dtype,
                      size=local_size, conv_backward=backward)
  glob = GlobalCritic(config.model.critic_cnum, rngs=rngs, dtype=dtype,
                      size=global_size, conv_backward=backward)
  return gen, local, glob


def make_optimizer(config: ml_collections.ConfigDict
                   ) -> optax.GradientTransformation:
  """Adam(lr, beta1, beta2) as the original (epsilon 1e-8, TF's default)."""
  return optax.adam(config.learning_rate, b1=config.adam_b1,
                    b2=config.adam_b2, eps=1e-8)


def create_mesh(devices: list[jax.Device] | None = None) -> jax.sharding.Mesh:
  """A 1-D `data` mesh over `devices` (default: every device of every host)."""
  devices = jax.devices() if devices is None else devices
  return jax.sharding.Mesh(np.asarray(devices), ('data',),
                           axis_types=(jax.sharding.AxisType.Auto,))


@dataclasses.dataclass(frozen=True)
class Setup:
  """What is fixed for a run: config, mesh, network structure, optimizer."""
  config: ml_collections.ConfigDict
  mesh: jax.sharding.Mesh
  networks: Networks
  tx: optax.GradientTransformation

  @property
  def replicated(self) -> jax.sharding.NamedSharding:
    return jax.sharding.NamedSharding(self.mesh, jax.sharding.PartitionSpec())

  @property
  def data_sharding(self) -> jax.sharding.NamedSharding:
    return jax.sharding.NamedSharding(self.mesh,
                                      jax.sharding.PartitionSpec('data'))


def make_setup(config: ml_collections.ConfigDict,
               mesh: jax.sharding.Mesh | None = None) -> Setup:
  """Checks the config against the mesh and builds the run's `Setup`."""
  mesh = create_mesh() if mesh is None else mesh
  for name, batch in (('batch_size', config.batch_size),
                      ('eval.batch_size', config.eval.batch_size)):
    if batch <= 0 or batch % mesh.size:
      raise ValueError(f'config.{name}={batch} must be a positive multiple of '
                       f'the {mesh.size} devices of the mesh.')
  if config.critic_steps < 0 or config.num_train_steps < 0:
    raise ValueError('config.critic_steps and config.num_train_steps must be '
                     '>= 0.')
  if config.image_size % 8:
    raise ValueError(f'config.image_size={config.image_size} must be a '
                     'multiple of 8.')
  abstract = nnx.eval_shape(lambda: build_networks(config, nnx.Rngs(0)))
  networks = Networks(*(nnx.graphdef(m) for m in abstract))
  return Setup(config, mesh, networks, make_optimizer(config))


def init_state(setup: Setup) -> State:
  """Fresh parameters (from `config.seed`) and optimizer states, replicated."""
  def init() -> State:
    gen, local, glob = build_networks(setup.config,
                                      nnx.Rngs(setup.config.seed))
    generator = checkpointing.pure_params(gen)
    critics = {'local_critic': checkpointing.pure_params(local),
               'global_critic': checkpointing.pure_params(glob)}
    zero = jnp.zeros((), jnp.int32)
    return {'generator': generator, 'critics': critics,
            'opt_g': setup.tx.init(generator), 'opt_d': setup.tx.init(critics),
            'counters': {'step': zero, 'updates': zero, 'bad_streak': zero,
                         'bad_total': zero}}
  return jax.jit(init, out_shardings=setup.replicated)()


# ----------------------------------------------------------------------------
# Pure step functions.


def _modules(setup: Setup, generator: Any, critics: Any | None):
  gen = nnx.merge(setup.networks.generator, generator)
  if critics is None:
    return gen, None, None
  return (gen, nnx.merge(setup.networks.local_critic, critics['local_critic']),
          nnx.merge(setup.networks.global_critic, critics['global_critic']))


def _update_key(setup: Setup, counters: dict[str, jax.Array]) -> jax.Array:
  """The randomness of one update: the seed folded with the update count."""
  return jax.random.fold_in(jax.random.key(setup.config.seed),
                            counters['updates'])


def _apply_if_finite(setup: Setup, loss: jax.Array, grads: Any, params: Any,
                     opt_state: Any, counters: dict[str, jax.Array]):
  """Adam update, applied only if the loss, gradients and updates are finite.

  Returns (params, opt_state, counters, ok); a skipped update leaves params
  and optimizer state as they were and extends the non-finite streak.
  """
  updates, new_opt = setup.tx.update(grads, opt_state, params)
  new_params = optax.apply_updates(params, updates)
  ok = jnp.isfinite(loss)
  for g in jax.tree.leaves((grads, updates)):
    ok &= jnp.all(jnp.isfinite(g))
  keep = functools.partial(jax.tree.map, lambda n, o: jnp.where(ok, n, o))
  bad = (~ok).astype(jnp.int32)
  counters = dict(counters, updates=counters['updates'] + 1,
                  bad_streak=(counters['bad_streak'] + 1) * bad,
                  bad_total=counters['bad_total'] + bad)
  return keep(new_params, params), keep(new_opt, opt_state), counters, ok


def _step_metrics(losses: dict[str, jax.Array], counters, ok) -> Metrics:
  return dict(losses, skipped=(~ok).astype(jnp.float32),
              bad_streak=counters['bad_streak'])


def critic_step(state: State, batch: dict[str, jax.Array], *, setup: Setup
                ) -> tuple[State, Metrics]:
  """One critic update: gradient of `d_loss` w.r.t. both critics."""
  counters = state['counters']
  gp_alpha = jax.random.uniform(_update_key(setup, counters),
                                (2, batch['image'].shape[0]))

  def loss_fn(critics):
    gen, local, glob = _modules(setup, state['generator'], critics)
    losses = losses_lib.compute_losses(gen, local, glob, batch,
                                       gp_alpha=gp_alpha, config=setup.config)
    return losses['d_loss'], losses

  (loss, losses), grads = jax.value_and_grad(loss_fn, has_aux=True)(
      state['critics'])
  critics, opt_d, counters, ok = _apply_if_finite(
      setup, loss, grads, state['critics'], state['opt_d'], counters)
  losses = {k: v for k, v in losses.items()
            if k not in losses_lib.GENERATOR_METRICS}
  return (dict(state, critics=critics, opt_d=opt_d, counters=counters),
          _step_metrics(losses, counters, ok))


def generator_step(state: State, batch: dict[str, jax.Array], *, setup: Setup
                   ) -> tuple[State, Metrics]:
  """One generator update: gradient of `g_loss` w.r.t. the generator."""
  counters = state['counters']
  gp_alpha = jax.random.uniform(_update_key(setup, counters),
                                (2, batch['image'].shape[0]))
  critics = (state['critics'] if losses_lib.uses_critics(setup.config)
             else None)

  def loss_fn(generator):
    gen, local, glob = _modules(setup, generator, critics)
    losses = losses_lib.compute_losses(gen, local, glob, batch,
                                       gp_alpha=gp_alpha, config=setup.config)
    # Only the generator's terms: the critics' penalty is then dead code.
    return losses['g_loss'], {k: v for k, v in losses.items()
                              if k in losses_lib.GENERATOR_METRICS}

  (loss, losses), grads = jax.value_and_grad(loss_fn, has_aux=True)(
      state['generator'])
  generator, opt_g, counters, ok = _apply_if_finite(
      setup, loss, grads, state['generator'], state['opt_g'], counters)
  counters = dict(counters, step=counters['step'] + 1)
  return (dict(state, generator=generator, opt_g=opt_g, counters=counters),
          _step_metrics(losses, counters, ok))


def eval_step(generator: Any, batch: dict[str, jax.Array], *, setup: Setup,
              num_views: int) -> tuple[Metrics, dict[str, jax.Array]]:
  """Metric sums over one evaluation batch and the first images' outputs."""
  gen, _, _ = _modules(setup, generator, None)
  image, mask = batch['image'], batch['mask']
  x1, x2, offsets = gen(image, mask)
  complete = x2 * mask + image * (1. - mask)
  per_image = metrics_lib.compute((complete + 1.) / 2., (image + 1.) / 2.,
                                  mask)
  sums = {k: jnp.sum(v) for k, v in per_image.items()}
  views = {'image': image, 'mask': mask, 'coarse': x1, 'refined': x2,
           'complete': complete, 'offsets': offsets}
  return sums, {k: v[:num_views] for k, v in views.items()}


@dataclasses.dataclass(frozen=True)
class Steps:
  """The jitted steps of a `Setup` (state donated, outputs replicated)."""
  critic: Callable[[State, Any], tuple[State, Metrics]]
  generator: Callable[[State, Any], tuple[State, Metrics]]
  evaluate: Callable[[Any, Any], tuple[Metrics, dict[str, jax.Array]]]


def compile_steps(setup: Setup) -> Steps:
  """jit the step functions for `setup` (compiled on first call)."""
  repl = setup.replicated
  jit_step = lambda fn: jax.jit(functools.partial(fn, setup=setup),
                                donate_argnums=0, out_shardings=(repl, repl))
  return Steps(
      critic=jit_step(critic_step), generator=jit_step(generator_step),
      evaluate=jax.jit(functools.partial(
          eval_step, setup=setup,
          num_views=setup.config.eval.num_strip_images),
                       out_shardings=(repl, repl)))


def global_batch(setup: Setup, local: dict[str, np.ndarray]
                 ) -> dict[str, jax.Array]:
  """This process's block of a batch -> global arrays sharded over `data`."""
  return {k: jax.make_array_from_process_local_data(setup.data_sharding, v)
          for k, v in local.items()}


def train_iteration(steps: Steps, setup: Setup, state: State,
                    batches: Iterator[dict[str, np.ndarray]]
                    ) -> tuple[State, list[Metrics], Metrics | None]:
  """critic_steps critic updates, then one generator update.

  Returns (state, critic metrics per update, generator metrics).
  """
  critic_metrics = []
  if losses_lib.uses_critics(setup.config):
    for _ in range(setup.config.critic_steps):
      state, m = steps.critic(state, global_batch(setup, next(batches)))
      critic_metrics.append(m)
  state, gen_metrics = steps.generator(state, global_batch(setup,
                                                           next(batches)))
  return state, critic_metrics, gen_metrics


# ----------------------------------------------------------------------------
# Checkpoints.


def checkpoint_manager(workdir: epath.Path, config: ml_collections.ConfigDict
                       ) -> ocp.CheckpointManager:
  """Saves every `checkpoint_every_steps`; keeps the last N and every K-th."""
  policies = ocp.checkpoint_managers
  keep = [policies.LatestN(config.keep_checkpoints)]
  if config.keep_checkpoint_every:
    keep.append(policies.EveryNSteps(config.keep_checkpoint_every))
  options = ocp.CheckpointManagerOptions(
      save_decision_policy=policies.FixedIntervalPolicy(
          config.checkpoint_every_steps),
      preservation_policy=policies.AnyPreservationPolicy(keep),
      enable_async_checkpointing=True, create=True)
  return ocp.CheckpointManager(workdir / checkpointing.CHECKPOINTS_DIR,
                               options=options)


def _state_items(state: State) -> dict[str, Any]:
  return {checkpointing.GENERATOR_ITEM: state['generator'],
          'local_critic': state['critics']['local_critic'],
          'global_critic': state['critics']['global_critic'],
          'opt_g': state['opt_g'], 'opt_d': state['opt_d'],
          'counters': state['counters']}


def save_checkpoint(mngr: ocp.CheckpointManager, step: int, state: State,
                    data: grain.DatasetIterator, *, force: bool = False
                    ) -> bool:
  """Saves `state` after `step` iterations (asynchronously) if the policy
  says so or `force`; `data` is the iterator that fed them."""
  args = {k: ocp.args.StandardSave(v) for k, v in _state_items(state).items()}
  args[DATA_ITEM] = input_pipeline.checkpoint_save_args(data)
  return mngr.save(step, args=ocp.args.Composite(**args), force=force)


def restore_checkpoint(mngr: ocp.CheckpointManager, state: State,
                       data: grain.DatasetIterator, step: int) -> State:
  """Restores everything of `step` into the shapes and shardings of `state`;
  the iterator `data` is restored in place."""
  abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, _state_items(state))
  args = {k: ocp.args.StandardRestore(v) for k, v in abstract.items()}
  args[DATA_ITEM] = input_pipeline.checkpoint_restore_args(data)
  restored = mngr.restore(step, args=ocp.args.Composite(**args))
  return {'generator': restored[checkpointing.GENERATOR_ITEM],
          'critics': {k: restored[k] for k in CRITICS},
          'opt_g': restored['opt_g'], 'opt_d': restored['opt_d'],
          'counters': restored['counters']}


def _replicate(setup: Setup, tree: Any, like: Any) -> Any:
  """Host values -> replicated global arrays with the dtypes of `like`."""
  def put(x, ref):
    x = np.asarray(x, ref.dtype)
    if x.shape != ref.shape:
      raise ValueError(f'shape {x.shape} does not match {ref.shape}.')
    return jax.make_array_from_callback(x.shape, setup.replicated,
                                        lambda idx: x[idx])
  return jax.tree.map(put, tree, like)


def _initial_critics(setup: Setup, path: str, like: dict[str, Any]
                     ) -> dict[str, Any] | None:
  """Critic parameters stored with a generator at `path`, if any, as
  replicated arrays shaped like `like` (this run's critics).

  Raises:
    ValueError: the stored critics do not have this run's shapes.
  """
  root = epath.Path(path)
  try:
    if (root / checkpointing.CHECKPOINTS_DIR).is_dir():  # A training workdir.
      with ocp.CheckpointManager(root / checkpointing.CHECKPOINTS_DIR) as mngr:
        step = mngr.latest_step()
        if step is None or not all(k in mngr.item_metadata(step)
                                   for k in CRITICS):
          return None
        # Restored straight into this run's replicated shardings.
        target = jax.tree.map(ocp.utils.to_shape_dtype_struct, like)
        restored = mngr.restore(step, args=ocp.args.Composite(
            **{k: ocp.args.StandardRestore(target[k]) for k in CRITICS}))
        return {k: restored[k] for k in CRITICS}
    from deepfill_jax import convert  # pylint: disable=g-import-not-at-top
    critics = convert.load_critics(str(root))
    if critics is None:
      return None
    return _replicate(setup, dict(zip(CRITICS, map(checkpointing.pure_params,
                                                   critics))), like)
  except ValueError as e:
    raise ValueError(f'config.init_from={path}: its critics do not match '
                     'config.model.critic_cnum / the image size '
                     f'({str(e).splitlines()[0]})') from e


def init_from(setup: Setup, state: State, path: str) -> State:
  """Starts from the generator (and critics, when present) stored at `path`.

  Optimizer states stay fresh, as the original's fine-tuning from a
  released model.
  """
  config = setup.config
  gen, meta = checkpointing.load_generator(path)
  want = {'cnum': config.model.cnum,
          'contextual_attention': config.model.contextual_attention}
  have = {'cnum': gen.cnum, 'contextual_attention': gen.contextual_attention}
  if want != have:
    raise ValueError(f'config.init_from={path}: its generator is {have}, the '
                     f'config asks for {want}.')
  state = dict(state, generator=_replicate(
      setup, checkpointing.pure_params(gen), state['generator']))
  critics = _initial_critics(setup, path, state['critics'])
  if critics is None:
    logging.info('init_from %s: generator (%s); fresh critics.', path,
                 meta.get('step', 'inference checkpoint'))
    return state
  logging.info('init_from %s: generator and critics.', path)
  return dict(state, critics=critics)


# ----------------------------------------------------------------------------
# Logging.


def parameter_counts(state: State) -> dict[str, int]:
  trees = {'generator': state['generator'], **state['critics']}
  return {k: int(sum(x.size for x in jax.tree.leaves(t)))
          for k, t in trees.items()}


def _to_uint8(x: np.ndarray) -> np.ndarray:
  return np.clip(np.rint((x + 1.) * 127.5), 0, 255).astype(np.uint8)


def make_strip(views: dict[str, np.ndarray]) -> np.ndarray:
  """Rows of [real | input with hole | coarse | refined | composite | flow]."""
  image = _to_uint8(views['image'])
  hole = views['mask'] > 0.5
  shown = np.where(hole, np.uint8(255), image)
  flow = np.asarray(flow_to_image(views['offsets']))
  scale = image.shape[1] // flow.shape[1]
  flow = flow.repeat(scale, axis=1).repeat(scale, axis=2)
  cols = [image, shown, _to_uint8(views['coarse']),
          _to_uint8(views['refined']), _to_uint8(views['complete']), flow]
  return np.concatenate(cols, axis=2).reshape(
      -1, image.shape[2] * len(cols), 3)


def _mean_metrics(metrics: list[Metrics], prefix: str) -> dict[str, float]:
  if not metrics:
    return {}
  host = jax.device_get(metrics)
  return {f'{prefix}/{k}': float(np.mean([m[k] for m in host]))
          for k in host[0] if k != 'bad_streak'}


def _format_eta(seconds: float) -> str:
  seconds = int(seconds)
  return (f'{seconds // 3600}h{seconds % 3600 // 60:02d}m' if seconds >= 3600
          else f'{seconds // 60}m{seconds % 60:02d}s')


class Evaluator:
  """The fixed evaluation set (first images of the eval split) and its loop."""

  def __init__(self, config: ml_collections.ConfigDict, setup: Setup):
    eval_config = ml_collections.ConfigDict(config.to_dict())
    eval_config.batch_size = config.eval.batch_size
    it = input_pipeline.create_dataset(eval_config, split='eval')
    num_batches = max(1, config.eval.num_images // config.eval.batch_size)
    self.batches = []
    for _ in range(num_batches):
      try:
        self.batches.append(next(it))
      except StopIteration:
        break
    self.num_images = len(self.batches) * config.eval.batch_size
    self.setup = setup

  def __call__(self, steps: Steps, generator: Any
               ) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """(mean of each metric over the set, outputs of the first images)."""
    totals, views = None, None
    for batch in self.batches:
      sums, batch_views = steps.evaluate(generator,
                                         global_batch(self.setup, batch))
      totals = sums if totals is None else jax.tree.map(jnp.add, totals, sums)
      views = batch_views if views is None else views
    means = {f'eval/{k}': float(v) / self.num_images
             for k, v in jax.device_get(totals).items()}
    return means, jax.device_get(views)


# ----------------------------------------------------------------------------
# The loop.


def _write_run_files(workdir: epath.Path,
                     config: ml_collections.ConfigDict) -> None:
  """generator.json (so the workdir is a checkpoint) and config.json."""
  gen = nnx.eval_shape(lambda: build_networks(config, nnx.Rngs(0))[0])
  checkpointing.write_meta(workdir, checkpointing.generator_meta(
      gen, trained_with={'image_size': config.image_size,
                         'model_dtype': config.model.dtype}))
  files.write_atomic(workdir / 'config.json', config.to_json_best_effort(
      indent=2, sort_keys=True) + '\n')


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str
                       ) -> State:
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
  checkpoints = os.path.join(workdir, checkpointing.CHECKPOINTS_DIR)
  with workdir_lock.hold(workdir, chief=jax.process_index() == 0,
                         process_count=jax.process_count()) as lock:
    run_config.check_resume(
        config, workdir, bool(stop_signals.finalised_steps(checkpoints)))
    release = lock and functools.partial(workdir_lock.release, workdir, lock)
    with stop_signals.Signals(checkpoints, on_hard_stop=release) as signals:
      return _train_and_evaluate(config, workdir, signals)


def _train_and_evaluate(config: ml_collections.ConfigDict, workdir: str,
                        signals: stop_signals.Signals) -> State:
  """`train_and_evaluate` in a held workdir, with `signals` watched."""
  from clu import metric_writers  # pylint: disable=g-import-not-at-top
  workdir_path = epath.Path(workdir)
  workdir_path.mkdir(parents=True, exist_ok=True)
  is_chief = jax.process_index() == 0
  setup = make_setup(config)
  logging.info('Mesh: %d devices on %d processes, global batch %d.',
               setup.mesh.size, jax.process_count(), config.batch_size)
  train_iter = input_pipeline.create_dataset(config, split='train')
  evaluator = Evaluator(config, setup)
  steps = compile_steps(setup)
  state = init_state(setup)

  mngr = checkpoint_manager(workdir_path, config)
  latest = mngr.latest_step()
  if latest is not None:
    logging.info('Resuming from %s at step %d.', workdir, latest)
    state = restore_checkpoint(mngr, state, train_iter, latest)
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
  step = int(jax.device_get(state['counters']['step']))
  if step == 0:
    writer.write_hparams({k: v for k, v in _flat(config.to_dict()).items()})

  critic_steps = (config.critic_steps if losses_lib.uses_critics(config)
                  else 0)
  images_per_step = config.batch_size * (1 + critic_steps)
  pending_critic, pending_gen = [], []
  last_metrics = None
  timer = (time.perf_counter(), step)
  num_steps = config.num_train_steps
  logging.info('Training from step %d to %d (%d critic updates per generator '
               'update); compiling the first steps...', step, num_steps,
               critic_steps)

  def log_eval(step: int, strips: bool) -> None:
    means, views = evaluator(steps, state['generator'])
    writer.write_scalars(step, means)
    logging.info('eval at step %d: %s', step, ', '.join(
        f'{k[5:]}={v:.4g}' for k, v in sorted(means.items())))
    if strips and is_chief:
      strip = make_strip(views)
      writer.write_images(step, {'strips': strip[None]})
      image_io.save_image(str(workdir_path / 'strips' / f'step_{step:07d}.png'),
                          strip)

  try:
    with metric_writers.ensure_flushes(writer):
      if step == 0 and num_steps > 0:
        log_eval(0, strips=True)
      while step < num_steps:
        state, critic_m, gen_m = train_iteration(steps, setup, state,
                                                 train_iter)
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
        save_checkpoint(mngr, step, state, train_iter, force=step == num_steps)

        if step % config.log_every_steps == 0 or step == num_steps:
          scalars = {**_mean_metrics(pending_critic, 'critic'),
                     **_mean_metrics(pending_gen, 'generator')}
          now = time.perf_counter()
          rate = (step - timer[1]) / max(now - timer[0], 1e-9)
          timer = (now, step)
          scalars.update({
              'train/learning_rate': config.learning_rate,
              'train/steps_per_sec': rate,
              'train/images_per_sec': rate * images_per_step,
              'train/skipped_updates_total': float(jax.device_get(
                  state['counters']['bad_total'])),
              'data/skipped_images': float(train_iter.skipped)})
          writer.write_scalars(step, scalars)
          logging.info(
              'step %d/%d (%.1f%%) %.3f it/s %.1f img/s ETA %s | g_loss %.4f '
              'l1 %.4f ae %.4f d_loss %.4f gp %.4f', step, num_steps,
              100 * step / num_steps, rate, rate * images_per_step,
              _format_eta((num_steps - step) / max(rate, 1e-9)),
              scalars.get('generator/g_loss', np.nan),
              scalars.get('generator/l1_loss', np.nan),
              scalars.get('generator/ae_loss', np.nan),
              scalars.get('critic/d_loss', np.nan),
              scalars.get('critic/gp_loss', np.nan))
          pending_critic, pending_gen = [], []
        if (step % config.eval_every_steps == 0 or step == num_steps):
          log_eval(step, strips=step % config.log_images_every == 0
                   or step == num_steps)
        if signals.stop_requested():
          if step not in mngr.all_steps():
            save_checkpoint(mngr, step, state, train_iter, force=True)
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


def _flat(tree: dict[str, Any], prefix: str = '') -> dict[str, Any]:
  """{'a': {'b': 1}} -> {'a.b': 1} with values TensorBoard can show."""
  out = {}
  for k, v in tree.items():
    if isinstance(v, dict):
      out.update(_flat(v, f'{prefix}{k}.'))
    else:
      out[f'{prefix}{k}'] = v if isinstance(v, (int, float, str, bool)) else (
          str(v))
  return out
