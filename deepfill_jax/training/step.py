# Copyright 2026 The deepfill_jax Authors.
# SPDX-License-Identifier: Apache-2.0
"""The training step: networks, state and the pure critic, generator and
evaluation steps. No loop, no files: `train.py` drives these, and bench/ and
tests/ call them directly.

One iteration = `config.critic_steps` critic updates on fresh batches, then
one generator update. Steps are pure functions of a `TrainState` under
`jax.jit`, batch sharded over the mesh's `data` axis. DeepFill v2's
spectral-norm vectors live in `TrainState.critic_state`. `Counters.step`
counts iterations, `Counters.updates` optimizer updates (it seeds each
update's randomness). See docs/training.md.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Callable, Iterator, NamedTuple

import flax.struct
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
from flax import nnx

from deepfill_jax.checkpoints import store
from deepfill_jax.training import losses as losses_lib
from deepfill_jax.data import masks as masks_lib
from deepfill_jax.utils import metrics as metrics_lib
from deepfill_jax.models import InpaintGenerator
from deepfill_jax.models import make_generator
from deepfill_jax.models import registry
from deepfill_jax.models.critics import SpectralVector

Metrics = dict[str, jax.Array]
# The checkpoint item of `TrainState.critic_state` (v2 only).
CRITIC_STATE_ITEM = 'critic_state'


@flax.struct.dataclass
class Counters:
  """Progress of a run (int32 scalars, replicated)."""
  step: jax.Array        # Generator iterations done.
  updates: jax.Array     # Optimizer updates done (critic and generator).
  bad_streak: jax.Array  # Non-finite updates in a row, skipped.
  bad_total: jax.Array   # Non-finite updates in all, skipped.


@flax.struct.dataclass
class TrainState:
  """Everything a training step reads and writes (pure pytrees).

  `critics` is {'local_critic': params, 'global_critic': params} (v1) or
  {'sn_patch_gan': params} (v2), the tree `opt_d` optimizes.
  `critic_state` holds what the critics carry but do not train: v2's
  spectral-norm vectors {'sn_patch_gan': {'conv1': {'u': ...}, ...}}; empty
  for v1.
  """
  generator: Any
  critics: dict[str, Any]
  opt_g: Any
  opt_d: Any
  counters: Counters
  critic_state: dict[str, Any] = flax.struct.field(default_factory=dict)

  def items(self) -> dict[str, Any]:
    """The orbax items of a training checkpoint (names stay as written)."""
    items = {store.GENERATOR_ITEM: self.generator, **self.critics,
             'opt_g': self.opt_g, 'opt_d': self.opt_d,
             'counters': {f.name: getattr(self.counters, f.name)
                          for f in dataclasses.fields(Counters)}}
    if self.critic_state:
      items[CRITIC_STATE_ITEM] = self.critic_state
    return items

  @classmethod
  def from_items(cls, items: dict[str, Any]) -> TrainState:
    """The inverse of `items`."""
    return cls(generator=items[store.GENERATOR_ITEM],
               critics={k: items[k] for k in store.ALL_CRITICS
                        if k in items},
               opt_g=items['opt_g'], opt_d=items['opt_d'],
               counters=Counters(**items['counters']),
               critic_state=items.get(CRITIC_STATE_ITEM, {}))


class Networks(NamedTuple):
  """Graph definitions (structure without parameters) of the networks:
  the generator and the critics by their `TrainState.critics` names."""
  generator: nnx.GraphDef
  critics: dict[str, nnx.GraphDef]


def model_spec(config: ml_collections.ConfigDict) -> registry.ModelSpec:
  """The spec of `config.model.name` (default: v1)."""
  return registry.spec(config.model.get('name', registry.DEFAULT))


def critic_sizes(config: ml_collections.ConfigDict) -> tuple[int, int]:
  """(local, global) v1 critic input sizes: the box and the training
  image."""
  box_h, box_w = masks_lib.MaskGenerator(
      config.masks, (config.image_size, config.image_size)).box_hw
  if box_h != box_w:
    raise ValueError(f'config.masks: the local critic needs a square box, got '
                     f'{box_h}x{box_w} px.')
  return box_h, config.image_size


def build_networks(config: ml_collections.ConfigDict, rngs: nnx.Rngs
                   ) -> tuple[InpaintGenerator, dict[str, nnx.Module]]:
  """The generator and the critics (by name) as `config.model` says."""
  model = config.model
  dtype = jnp.dtype(model.dtype)
  backward = model.get('conv_backward', 'auto')
  guided = model.get('guided', False)
  gen = make_generator(model.get('name', registry.DEFAULT), model.cnum,
                       rngs=rngs, dtype=dtype,
                       contextual_attention=model.contextual_attention,
                       guided=guided, conv_backward=backward)
  critics = {}
  for critic in model_spec(config).critics:
    options = {}
    if critic.size is not None:  # A dense head: one input size.
      box, image = critic_sizes(config)
      options['size'] = box if critic.size == 'box' else image
    if critic.conditioned:  # [image, mask (gan_with_mask), edge (guided)].
      options['in_features'] = (3 + int(config.loss.gan_with_mask)
                                + int(guided))
    critics[critic.item] = critic.cls(model.critic_cnum, rngs=rngs,
                                      dtype=dtype, conv_backward=backward,
                                      **options)
  return gen, critics


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
  grid = model_spec(config).grid
  if config.image_size % grid:
    raise ValueError(f'config.image_size={config.image_size} must be a '
                     f'multiple of {grid}.')
  gen, critics = nnx.eval_shape(lambda: build_networks(config, nnx.Rngs(0)))
  networks = Networks(nnx.graphdef(gen),
                      {k: nnx.graphdef(m) for k, m in critics.items()})
  return Setup(config, mesh, networks, make_optimizer(config))


def init_state(setup: Setup) -> TrainState:
  """Fresh parameters (from `config.seed`) and optimizer states, replicated."""
  def init() -> TrainState:
    gen, modules = build_networks(setup.config,
                                  nnx.Rngs(setup.config.seed))
    generator = store.pure_params(gen)
    critics = {k: store.pure_params(m) for k, m in modules.items()}
    zero = jnp.zeros((), jnp.int32)
    return TrainState(
        generator=generator, critics=critics, opt_g=setup.tx.init(generator),
        opt_d=setup.tx.init(critics),
        counters=Counters(step=zero, updates=zero, bad_streak=zero,
                          bad_total=zero),
        critic_state=_critic_state(modules))
  return jax.jit(init, out_shardings=setup.replicated)()


def _critic_state(modules: dict[str, nnx.Module]) -> dict[str, Any]:
  """The critics' untrained state (spectral-norm vectors), by critic; only
  critics that have any."""
  out = {k: nnx.to_pure_dict(nnx.state(m, SpectralVector))
         for k, m in modules.items()}
  return {k: v for k, v in out.items() if v}


def _modules(setup: Setup, generator: Any, critics: Any | None,
             critic_state: dict[str, Any] | None = None):
  """(generator, {name: critic} or None) holding these trees."""
  gen = nnx.merge(setup.networks.generator, generator)
  if critics is None:
    return gen, None
  modules = {}
  for name, params in critics.items():
    extra = [critic_state[name]] if name in (critic_state or {}) else []
    modules[name] = nnx.merge(setup.networks.critics[name], params, *extra)
  return gen, modules


def _wgan_gp(setup: Setup, counters: Counters, gen: InpaintGenerator,
             critics: list[nnx.Module | None], batch: dict[str, jax.Array]
             ) -> dict[str, jax.Array]:
  gp_alpha = jax.random.uniform(_update_key(setup, counters),
                                (2, batch['image'].shape[0]))
  return losses_lib.compute_losses(gen, *critics, batch, gp_alpha=gp_alpha,
                                   config=setup.config)


def _hinge(setup: Setup, counters: Counters, gen: InpaintGenerator,
           critics: list[nnx.Module | None], batch: dict[str, jax.Array]
           ) -> dict[str, jax.Array]:
  del counters  # No randomness.
  return losses_lib.compute_losses_v2(gen, *critics, batch,
                                      config=setup.config)


# `ModelSpec.loss` -> the objective.
_OBJECTIVES = {'wgan_gp': _wgan_gp, 'hinge': _hinge}


def _losses(setup: Setup, counters: Counters, gen: InpaintGenerator,
            critics: dict[str, nnx.Module] | None,
            batch: dict[str, jax.Array]) -> dict[str, jax.Array]:
  """The model's objective on `batch` (v1: WGAN-GP, v2: hinge)."""
  spec = model_spec(setup.config)
  critics = critics or {}
  return _OBJECTIVES[spec.loss](
      setup, counters, gen, [critics.get(k) for k in spec.critic_items],
      batch)


def _keep_if(ok: jax.Array, new: Any, old: Any) -> Any:
  """`new` where the update was applied, else `old` (leaf by leaf)."""
  return jax.tree.map(lambda n, o: jnp.where(ok, n, o), new, old)


def _update_key(setup: Setup, counters: Counters) -> jax.Array:
  """The randomness of one update: the seed folded with the update count."""
  return jax.random.fold_in(jax.random.key(setup.config.seed),
                            counters.updates)


def _apply_if_finite(setup: Setup, loss: jax.Array, grads: Any, params: Any,
                     opt_state: Any, counters: Counters):
  """Adam update, applied only if the loss, gradients and updates are finite.

  Returns (params, opt_state, counters, ok); a skipped update leaves params
  and optimizer state as they were and extends the non-finite streak.
  """
  updates, new_opt = setup.tx.update(grads, opt_state, params)
  new_params = optax.apply_updates(params, updates)
  ok = jnp.isfinite(loss)
  for g in jax.tree.leaves((grads, updates)):
    ok &= jnp.all(jnp.isfinite(g))
  bad = (~ok).astype(jnp.int32)
  counters = counters.replace(updates=counters.updates + 1,
                              bad_streak=(counters.bad_streak + 1) * bad,
                              bad_total=counters.bad_total + bad)
  return (_keep_if(ok, new_params, params), _keep_if(ok, new_opt, opt_state),
          counters, ok)


def _step_metrics(losses: dict[str, jax.Array], counters: Counters,
                  ok: jax.Array) -> Metrics:
  return dict(losses, skipped=(~ok).astype(jnp.float32),
              bad_streak=counters.bad_streak)


def critic_step(state: TrainState, batch: dict[str, jax.Array], *,
                setup: Setup) -> tuple[TrainState, Metrics]:
  """One critic update: gradient of `d_loss` w.r.t. the critics."""
  counters = state.counters

  def loss_fn(critics):
    gen, modules = _modules(setup, state.generator, critics,
                            state.critic_state)
    losses = _losses(setup, counters, gen, modules, batch)
    return losses['d_loss'], (losses, _critic_state(modules))

  (loss, (losses, critic_state)), grads = jax.value_and_grad(
      loss_fn, has_aux=True)(state.critics)
  critics, opt_d, counters, ok = _apply_if_finite(
      setup, loss, grads, state.critics, state.opt_d, counters)
  losses = {k: v for k, v in losses.items()
            if k not in losses_lib.GENERATOR_METRICS}
  return (state.replace(critics=critics, opt_d=opt_d, counters=counters,
                        critic_state=_keep_if(ok, critic_state,
                                              state.critic_state)),
          _step_metrics(losses, counters, ok))


def generator_step(state: TrainState, batch: dict[str, jax.Array], *,
                   setup: Setup) -> tuple[TrainState, Metrics]:
  """One generator update: gradient of `g_loss` w.r.t. the generator."""
  counters = state.counters
  critics = (state.critics if losses_lib.uses_critics(setup.config)
             else None)

  def loss_fn(generator):
    gen, modules = _modules(setup, generator, critics, state.critic_state)
    losses = _losses(setup, counters, gen, modules, batch)
    # Only the generator's terms: the critics' penalty is then dead code.
    return losses['g_loss'], (
        {k: v for k, v in losses.items()
         if k in losses_lib.GENERATOR_METRICS},
        _critic_state(modules) if modules else state.critic_state)

  (loss, (losses, critic_state)), grads = jax.value_and_grad(
      loss_fn, has_aux=True)(state.generator)
  generator, opt_g, counters, ok = _apply_if_finite(
      setup, loss, grads, state.generator, state.opt_g, counters)
  counters = counters.replace(step=counters.step + 1)
  return (state.replace(generator=generator, opt_g=opt_g, counters=counters,
                        critic_state=_keep_if(ok, critic_state,
                                              state.critic_state)),
          _step_metrics(losses, counters, ok))


def eval_step(generator: Any, batch: dict[str, jax.Array], *, setup: Setup,
              num_views: int) -> tuple[Metrics, dict[str, jax.Array]]:
  """Metric sums over one evaluation batch and the first images' outputs."""
  gen, _ = _modules(setup, generator, None)
  image, mask = batch['image'], batch['mask']
  edge = batch.get('edge') if gen.guided else None
  x1, x2, offsets = gen(image, mask, edge=edge)
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
  critic: Callable[[TrainState, Any], tuple[TrainState, Metrics]]
  generator: Callable[[TrainState, Any], tuple[TrainState, Metrics]]
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


def train_iteration(steps: Steps, setup: Setup, state: TrainState,
                    batches: Iterator[dict[str, np.ndarray]]
                    ) -> tuple[TrainState, list[Metrics], Metrics | None]:
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
