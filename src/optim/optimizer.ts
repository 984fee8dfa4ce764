// The optimizer all of `optim_adam`, `optim_adamw`, `optim_sgd`, `optim_rmsprop` and
// `optim_adagrad` make (adam.ts, sgd.ts, rmsprop.ts, adagrad.ts), driven by its kind's table
// (kind.ts). libtorch's torch::optim holds the groups and the state (native/optim/optimizers.cc);
// each step is Python torch.optim's for the linked libtorch, op for op, by the path a group
// chose: its single-tensor path by default, `foreach: true` its multi-tensor path, `fused:
// true` its fused kernels (native/optim/step.cc, foreach.cc, fused.cc). Options are checked
// here, once; libtorch holds them per parameter group, so `param_groups[i].lr = x` (what a
// scheduler in src/optim/schedulers/ does) takes effect at the next step().
import { INSPECT_CUSTOM } from '../core/symbols.js';
import { inspect } from 'node:util';
import { with_enable_grad } from '../ops/autograd.js';
import { native, type NativeOptimizerStateTensor } from '../core/native.js';
import { Tensor, checkTensor, newTensor } from '../ops/tensor.js';
import { checkBoolean, checkFunction, checkNonNegativeInteger, fail, failRange } from '../core/validate.js';
import { defaultsOf, fieldsOf, resolveOptions, savedOptions, type OptimizerKind, type Settings } from './kind.js';

/** A parameter group as given to an optimizer: its parameters and options that override the defaults. */
export type ParamGroupInput<O> = { params: Tensor[] } & O;

/** A live parameter group: setting an option (`group.lr = 0.01`) changes the optimizer. */
export type ParamGroup<O> = { readonly params: Tensor[] } & Required<O>;

/**
 * Per-parameter state in a state_dict: Adam's step count and running means, SGD's momentum
 * buffer, RMSprop's step, square_avg (and momentum_buffer, grad_avg), Adagrad's step and sum.
 */
export type ParamState = { step?: number } & Partial<Record<NativeOptimizerStateTensor, Tensor>>;

/** What `state_dict()` returns and `load_state_dict()` takes, shaped like PyTorch's. */
export interface OptimizerStateDict<O> {
  /** By parameter index, counted across groups in order; parameters that never stepped are absent. */
  state: Record<number, ParamState>;
  param_groups: (Required<O> & { params: number[] })[];
}

// PyTorch (1.13 and 2.x) keeps Adam's step count as a one-element float tensor.
function stepCount(value: unknown, name: string): number {
  if (!(value instanceof Tensor)) return checkNonNegativeInteger(value, name);
  if (value.numel() !== 1) failRange('a step count (a number, or a tensor of one element)', name, `a tensor of shape [${value.shape.join(', ')}]`);
  return checkNonNegativeInteger(value.item(), name);
}

/** @internal An options object (a group, a state_dict and its parts). */
export function checkObject(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('an options object', name, value);
  return value as Record<string, unknown>;
}

/**
 * @internal A parameter group's params, checked (leaf tensors, each in one group only, not in
 * `seen` either), and its other keys, unchecked. Both optimizer classes take groups through it.
 */
export function checkGroupParams(group: unknown, name: string, seen: ReadonlySet<Tensor>): { params: Tensor[]; options: Record<string, unknown>; unique: Set<Tensor> } {
  const { params, ...options } = checkObject(group, name) as { params: unknown };
  if (!Array.isArray(params) || params.length === 0) fail('a non-empty array of Tensors', `${name}.params`, params);
  const unique = new Set<Tensor>();
  params.forEach((param, i) => {
    checkTensor(param, `${name}.params[${i}]`);
    if (!param.is_leaf) fail('a leaf Tensor (a parameter), not one computed from others', `${name}.params[${i}]`, param);
    if (seen.has(param) || unique.has(param)) fail('each parameter in one place only', `${name}.params[${i}]`, 'a parameter given twice');
    unique.add(param);
  });
  return { params: params as Tensor[], options, unique };
}

/**
 * An optimizer over libtorch's implementation. Made by `optim_adam`, `optim_adamw`,
 * `optim_sgd`, `optim_rmsprop` and `optim_adagrad`; `step()` skips parameters that have no gradient (a frozen layer).
 *
 * @example
 * const opt = optim_adam(model.parameters);
 * opt.zero_grad(); loss.backward(); opt.step();
 */
export class Optimizer<O extends object = Record<string, unknown>> {
  /** The parameter groups; each option is read from and written to libtorch. */
  readonly param_groups: ParamGroup<O>[] = [];
  private readonly kind: OptimizerKind;
  private readonly defaults: Settings;
  private readonly seen = new Set<Tensor>();

  /** @internal Use optim_adam, optim_adamw, optim_sgd, optim_rmsprop or optim_adagrad. */
  constructor(kind: OptimizerKind, params: Tensor[] | ParamGroupInput<O>[], options: O) {
    if (typeof kind !== 'object' || kind === null || !('fields' in kind)) fail('an optimizer kind (or call optim_adam, optim_sgd, ...)', 'kind', kind);
    this.kind = kind;
    this.defaults = resolveOptions(kind, options, defaultsOf(kind), 'options');
    if (!Array.isArray(params) || params.length === 0) fail('a non-empty array of Tensors or of parameter groups', 'params', params);
    const groups = params.every((p) => p instanceof Tensor) ? [{ params } as ParamGroupInput<O>] : params as ParamGroupInput<O>[];
    const resolved = groups.map((group, i) => {
      const one = this.resolveGroup(group, `params[${i}]`);
      one.unique.forEach((param) => this.seen.add(param)); // a later group may not repeat them
      return one;
    });
    native.optimizerNew(this, kind.name, resolved, this.defaults);
    resolved.forEach((group) => this.addView(group.params));
  }

  /**
   * Adds a group of parameters with its own options (the rest from the optimizer's defaults).
   *
   * @example opt.add_param_group({ params: head.parameters, lr: 1e-2 })
   */
  add_param_group(group: ParamGroupInput<O>): void {
    const resolved = this.resolveGroup(group, 'group');
    native.optimizerAddParamGroup(this, resolved.params, resolved.options);
    resolved.unique.forEach((param) => this.seen.add(param)); // only once added: a refused group may be given again
    this.addView(resolved.params);
  }

  /**
   * Updates every parameter that has a gradient. With `closure` (which recomputes and
   * returns the loss), runs it first with gradients on and returns its loss.
   *
   * @example opt.step()
   */
  step(closure?: () => Tensor): Tensor | undefined {
    let loss: Tensor | undefined;
    if (closure !== undefined) loss = with_enable_grad(checkFunction(closure, 'closure') as () => Tensor);
    native.optimizerStep(this);
    return loss;
  }

  /**
   * Clears the gradients of the optimizer's parameters. Drops them by default
   * (`set_to_none = true`, PyTorch's default since 2.0: the next backward() allocates fresh
   * ones and step() skips parameters that got none); `false` zeroes them in place.
   *
   * @example opt.zero_grad()
   */
  zero_grad(set_to_none = true): void {
    native.optimizerZeroGrad(this, checkBoolean(set_to_none, 'set_to_none'));
  }

  /**
   * The options of every group and the state of every parameter that has stepped. State
   * tensors share memory with the optimizer; clone them to keep a snapshot.
   *
   * @example
   * const saved = opt.state_dict();
   * opt2.load_state_dict(saved);
   */
  state_dict(): OptimizerStateDict<O> {
    const state: Record<number, ParamState> = {};
    const param_groups: OptimizerStateDict<O>['param_groups'] = [];
    let index = 0;
    this.param_groups.forEach((group, g) => {
      const indices: number[] = [];
      group.params.forEach((_, i) => {
        const outs = Object.fromEntries(this.kind.state.tensors.map((name) => [name, newTensor()])) as Record<NativeOptimizerStateTensor, Tensor>;
        const found = native.optimizerGetState(this, g, i, outs);
        if (found !== null) {
          const entry: ParamState = found.step === undefined ? {} : { step: found.step };
          for (const name of found.names) entry[name] = outs[name];
          state[index] = entry;
        }
        indices.push(index++);
      });
      param_groups.push({ ...(this.options(g) as Required<O>), params: indices });
    });
    return { state, param_groups };
  }

  /**
   * Restores options and state saved by `state_dict()` from an optimizer of the same kind
   * over parameters of the same shapes, in the same groups. Everything is checked before
   * anything changes; tensors are copied onto each parameter's device and dtype. A state
   * dict saved by PyTorch's optimizer (read with `torch_load`) loads too: its step-count
   * tensors and its options that only choose an implementation (`foreach`, `fused`, ...)
   * are taken as PyTorch means them; each group keeps its own `foreach` and `fused`.
   *
   * @example
   * opt.load_state_dict(saved);
   * // written in Python by torch.save(opt.state_dict(), 'optimizer.pt'):
   * opt.load_state_dict(torch_load<OptimizerStateDict<AdamOptions>>('optimizer.pt'));
   */
  load_state_dict(state_dict: OptimizerStateDict<O>): void {
    const { state, param_groups } = checkObject(state_dict, 'state_dict') as unknown as OptimizerStateDict<O>;
    checkObject(state, 'state_dict.state');
    if (!Array.isArray(param_groups) || param_groups.length !== this.param_groups.length) {
      failRange(`${this.param_groups.length} parameter groups`, 'state_dict.param_groups', param_groups);
    }
    const options: Settings[] = [];
    const states: (ParamState | null)[][] = [];
    this.param_groups.forEach((group, g) => {
      const name = `state_dict.param_groups[${g}]`;
      const { params: indices, ...saved } = checkObject(param_groups[g], name);
      if (!Array.isArray(indices) || indices.length !== group.params.length) failRange(`${group.params.length} parameters`, `${name}.params`, indices);
      const groupOptions = resolveOptions(this.kind, savedOptions(this.kind, saved, this.options(g), name), this.defaults, name);
      options.push(groupOptions);
      states.push(group.params.map((param, i) => {
        const key = indices[i] as number;
        const entry = (state as Record<number, unknown>)[key];
        return entry === undefined ? null : this.checkState(entry, param, groupOptions, `state_dict.state[${key}]`);
      }));
    });
    options.forEach((groupOptions, g) => native.optimizerSetOptions(this, g, groupOptions));
    states.forEach((groupStates, g) => groupStates.forEach((entry, i) => native.optimizerSetState(this, g, i, entry)));
  }

  /** Frees the optimizer and its state now; it cannot be used afterwards. Idempotent. */
  dispose(): void {
    native.optimizerDispose(this);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** `optim_adam` and its groups' options. */
  [INSPECT_CUSTOM](): string {
    return `optim_${this.kind.name} ${inspect(this.param_groups, { depth: 2 })}`;
  }

  // ---- helpers ----

  // Group g's options, as libtorch holds them.
  private options(g: number): Settings {
    return fieldsOf(this.kind, native.optimizerGetOptions(this, g));
  }

  private resolveGroup(group: ParamGroupInput<O>, name: string): { params: Tensor[]; options: Settings; unique: Set<Tensor> } {
    const { params, options, unique } = checkGroupParams(group, name, this.seen);
    return { params, options: resolveOptions(this.kind, options, this.defaults, name), unique };
  }

  private addView(params: Tensor[]): void {
    const index = this.param_groups.length;
    const view = { params } as ParamGroup<O>;
    for (const key of Object.keys(this.kind.fields)) {
      Object.defineProperty(view, key, {
        enumerable: true,
        get: () => native.optimizerGetOptions(this, index)[key],
        set: (value: unknown) => {
          const resolved = resolveOptions(this.kind, { [key]: value }, this.options(index), `param_groups[${index}]`);
          native.optimizerSetOptions(this, index, { [key]: resolved[key]! });
        },
      });
    }
    // Printed as its values (the accessors would show as [Getter/Setter]).
    Object.defineProperty(view, inspect.custom, { value: () => ({ params: `[${params.length} Tensors]`, ...this.options(index) }) });
    this.param_groups.push(Object.freeze(view) as ParamGroup<O>);
  }

  private checkState(entry: unknown, param: Tensor, options: Settings, name: string): ParamState {
    const saved = checkObject(entry, name);
    const result: ParamState = {};
    const needed = this.kind.state.needed(options);
    if (this.kind.state.step) result.step = stepCount(saved.step, `${name}.step`);
    for (const key of this.kind.state.tensors) {
      const value = saved[key];
      if (value === undefined || value === null) {
        if (needed.includes(key)) fail('a Tensor', `${name}.${key}`, value);
        continue;
      }
      const tensor = checkTensor(value, `${name}.${key}`);
      const same = tensor.shape.length === param.shape.length && tensor.shape.every((size, i) => size === param.shape[i]);
      if (!same) failRange(`the parameter's shape [${param.shape.join(', ')}]`, `${name}.${key}`, `shape [${tensor.shape.join(', ')}]`);
      result[key] = tensor;
    }
    return result;
  }
}
