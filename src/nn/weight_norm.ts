// PyTorch's weight normalisation (torch.nn.utils.weight_norm, the hook-based form): a
// parameter `weight` becomes two, `weight_g` (its norm over every dimension but `dim`) and
// `weight_v` (its direction), and `weight = g * v / ‖v‖` is recomputed before each forward.
// Names and order are PyTorch's, so its state_dicts (`bias`, `weight_g`, `weight_v`) load.
import { atenOp } from '../ops/aten.js';
import { with_no_grad } from '../ops/autograd.js';
import { Tensor } from '../ops/tensor.js';
import { checkInteger, checkOptions, fail, optionKeys } from '../core/validate.js';
import { type RemovableHandle } from './hooks.js';
import { nn_Module } from './module.js';
import { is_nn_parameter, nn_parameter } from './registry.js';
import { positionalOptions, type Positional } from './options.js';
import type { RestructuredState } from './state_keys.js';

const WEIGHT_NORM = atenOp('_weight_norm');
const NORM_EXCEPT_DIM = atenOp('norm_except_dim');

interface Applied { dim: number; handle: RemovableHandle }
// Each module's reparametrised parameters, by name.
const APPLIED = new WeakMap<nn_Module, Map<string, Applied>>();

export interface WeightNormOptions {
  /** The parameter reparametrised ("weight"). */
  name?: string;
  /** The dimension kept by the norm (0: one norm per output row); null for one norm of the whole tensor. */
  dim?: number | null;
}
const WEIGHT_NORM_KEYS = optionKeys<WeightNormOptions>({ name: true, dim: true });

function parameterOf(module: nn_Module, name: string): Tensor {
  return (module as unknown as Record<string, Tensor>)[name]!;
}

function computeWeight(module: nn_Module, name: string, dim: number): Tensor {
  return WEIGHT_NORM.call(parameterOf(module, `${name}_v`), parameterOf(module, `${name}_g`), dim);
}

function setWeight(module: nn_Module, name: string, weight: Tensor): void {
  const target = module as unknown as Record<string, Tensor>;
  const previous = target[name];
  target[name] = weight;
  if (previous instanceof Tensor && previous !== weight && !is_nn_parameter(previous as unknown)) previous.dispose();
}

/**
 * Replaces `module[name]` by `name_g` (magnitude) and `name_v` (direction) parameters, and
 * recomputes `module[name]` from them before each forward, as PyTorch's `weight_norm` (the
 * previous computed tensor is released then: read it again after a forward). Returns the
 * module, typed with a `state_dict()` of any keys.
 *
 * @example
 * const layer = nn_utils_weight_norm(nn_linear(20, 40));
 * Object.keys(layer.state_dict()); // ['bias', 'weight_g', 'weight_v']
 */
export function nn_utils_weight_norm<M extends nn_Module>(module: M, ...args: Positional<[name: string, dim: number | null], WeightNormOptions>): M & RestructuredState {
  const { name = 'weight', dim: dimOption = 0 } = positionalOptions<WeightNormOptions>(args, ['name', 'dim'], WEIGHT_NORM_KEYS, 'nn_utils_weight_norm');
  if (!(module instanceof nn_Module)) fail('an nn_module', 'module', module);
  if (typeof name !== 'string') fail('a parameter name', 'name', name);
  // PyTorch's None: one norm over the whole tensor, which _weight_norm spells -1.
  const dim = dimOption === null ? -1 : checkInteger(dimOption, 'dim');
  const applied = APPLIED.get(module) ?? new Map<string, Applied>();
  if (applied.has(name)) fail(`a parameter without weight norm (${name} has one already)`, 'name', name);
  const weight = (module as unknown as Record<string, unknown>)[name];
  if (!(weight instanceof Tensor) || !is_nn_parameter(weight)) fail(`the name of a parameter of the module`, 'name', name);
  const target = module as unknown as Record<string, unknown>;
  delete target[name];
  with_no_grad(() => {
    target[`${name}_g`] = nn_parameter(NORM_EXCEPT_DIM.call<Tensor>(weight, 2, dim).detach());
    target[`${name}_v`] = nn_parameter(weight.detach());
  });
  setWeight(module, name, computeWeight(module, name, dim));
  const handle = module.register_forward_pre_hook((m) => setWeight(m, name, computeWeight(m, name, dim)));
  applied.set(name, { dim, handle });
  APPLIED.set(module, applied);
  return module;
}

/**
 * Undoes `nn_utils_weight_norm`: `module[name]` becomes a parameter again, holding the
 * current `g * v / ‖v‖`, and `name_g`/`name_v` are removed. Returns the module.
 *
 * @example nn_utils_remove_weight_norm(layer)
 */
export function nn_utils_remove_weight_norm<M extends nn_Module>(module: M, options?: { name?: string }): M {
  const { name = 'weight' } = checkOptions(options, optionKeys<{ name?: string }>({ name: true }), 'nn_utils_remove_weight_norm');
  const applied = module instanceof nn_Module ? APPLIED.get(module)?.get(name) : undefined;
  if (applied === undefined) fail(`a module with weight norm on ${String(name)}`, 'module', module);
  const weight = with_no_grad(() => computeWeight(module, name, applied.dim));
  const target = module as unknown as Record<string, unknown>;
  const previous = target[name];
  delete target[name];
  if (previous instanceof Tensor && !is_nn_parameter(previous as unknown)) previous.dispose();
  delete target[`${name}_g`];
  delete target[`${name}_v`];
  target[name] = nn_parameter(weight);
  applied.handle.remove();
  APPLIED.get(module)!.delete(name);
  return module;
}
