// Optimizers as R torch names them (`optim_adam`, `optim_adamw`, `optim_sgd`, `optim_rmsprop`,
// `optim_adagrad`): libtorch's torch::optim holds groups and state (native/optim/optimizers.cc), and each
// step is Python torch.optim's for the linked libtorch, op for op (native/optim/step.cc);
// Adam, AdamW and SGD also have a fused path, one pass per parameter (`fused: true`,
// native/optim/fused.cc). Options are validated here; libtorch holds them per parameter group, so
// `param_groups[i].lr = x` (what a scheduler in src/optim/schedulers/ does) takes effect at the
// next step().
import { inspect } from 'node:util';
import { with_enable_grad } from '../ops/autograd.js';
import { native, type NativeOptimizerKind, type NativeOptimizerOptions, type NativeOptimizerStateTensor } from '../core/native.js';
import { Tensor, checkTensor, newTensor } from '../ops/tensor.js';
import {
  checkBoolean, checkFinite, checkFunction, checkNonNegativeInteger, checkOptions, fail, failRange,
} from '../core/validate.js';

/** Options of `optim_adam` and `optim_adamw`. */
export interface AdamOptions {
  /** Learning rate (0.001). */
  lr?: number;
  /** Decay rates of the running means of the gradient and its square ([0.9, 0.999]). */
  betas?: [number, number];
  /** Added to the denominator for stability (1e-8). */
  eps?: number;
  /** L2 penalty (Adam, 0) or decoupled weight decay (AdamW, 0.01). */
  weight_decay?: number;
  /** Use the maximum of past squared-gradient averages (false). */
  amsgrad?: boolean;
  /** Maximize the objective instead of minimizing it (false). */
  maximize?: boolean;
  /**
   * Update each parameter in one pass over param, grad and state (false): about a third of
   * the memory traffic of PyTorch's path, equal to it within float rounding. false runs
   * PyTorch's own sequence of ops, bit for bit.
   */
  fused?: boolean;
}

/** Options of `optim_sgd`. */
export interface SGDOptions {
  /** Learning rate (required, as in R torch). */
  lr?: number;
  /** Momentum factor (0). */
  momentum?: number;
  /** Dampening of the momentum (0). */
  dampening?: number;
  /** L2 penalty (0). */
  weight_decay?: number;
  /** Nesterov momentum (false); needs momentum > 0 and dampening 0. */
  nesterov?: boolean;
  /** Maximize the objective instead of minimizing it (false). */
  maximize?: boolean;
  /** Update each parameter in one pass (false); see `AdamOptions.fused`. */
  fused?: boolean;
}

/** Options of `optim_rmsprop`. */
export interface RMSpropOptions {
  /** Learning rate (0.01). */
  lr?: number;
  /** Smoothing constant of the running average of the squared gradient (0.99). */
  alpha?: number;
  /** Added to the denominator for stability (1e-8). */
  eps?: number;
  /** L2 penalty (0). */
  weight_decay?: number;
  /** Momentum factor (0). */
  momentum?: number;
  /** Normalise by an estimate of the gradient's variance instead of its second moment (false). */
  centered?: boolean;
}

/** Options of `optim_adagrad`. */
export interface AdagradOptions {
  /** Learning rate (0.01). */
  lr?: number;
  /** Learning-rate decay: step t uses lr / (1 + (t - 1) * lr_decay) (0). */
  lr_decay?: number;
  /** L2 penalty (0). */
  weight_decay?: number;
  /** Starting value of the sum of squared gradients (0). */
  initial_accumulator_value?: number;
  /** Added to the denominator for stability (1e-10). */
  eps?: number;
}

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

type Checker = (value: unknown, name: string) => unknown;

function checkLearningRate(value: unknown, name: string): number {
  if (checkFinite(value, name) < 0) failRange('a non-negative learning rate', name, value);
  return value as number;
}

function checkNonNegative(value: unknown, name: string): number {
  if (checkFinite(value, name) < 0) failRange('a non-negative number', name, value);
  return value as number;
}

function checkBetas(value: unknown, name: string): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) fail('an array of two numbers', name, value);
  value.forEach((beta, i) => {
    if (checkFinite(beta, `${name}[${i}]`) < 0 || beta >= 1) failRange('a number in [0, 1)', `${name}[${i}]`, beta);
  });
  return [value[0], value[1]];
}

interface Kind {
  defaults: NativeOptimizerOptions;
  checks: Record<string, Checker>;
  /** Checks that involve several options at once. */
  together?: (options: NativeOptimizerOptions) => void;
}

const ADAM_CHECKS: Record<string, Checker> = {
  lr: checkLearningRate, betas: checkBetas, eps: checkNonNegative, weight_decay: checkNonNegative, amsgrad: checkBoolean,
  maximize: checkBoolean, fused: checkBoolean,
};

const KINDS: Record<NativeOptimizerKind, Kind> = {
  adam: { defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false, maximize: false, fused: false }, checks: ADAM_CHECKS },
  adamw: { defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 1e-2, amsgrad: false, maximize: false, fused: false }, checks: ADAM_CHECKS },
  sgd: {
    defaults: { momentum: 0, dampening: 0, weight_decay: 0, nesterov: false, maximize: false, fused: false },
    checks: {
      lr: checkLearningRate, momentum: checkNonNegative, dampening: checkFinite, weight_decay: checkNonNegative, nesterov: checkBoolean,
      maximize: checkBoolean, fused: checkBoolean,
    },
    together: (options) => {
      if (options.lr === undefined) throw new TypeError('Expected a number for lr but received undefined (optim_sgd has no default learning rate)');
      if (options.nesterov === true && (options.momentum as number) <= 0) failRange('momentum > 0 with nesterov', 'momentum', options.momentum);
      if (options.nesterov === true && options.dampening !== 0) failRange('dampening 0 with nesterov', 'dampening', options.dampening);
    },
  },
  rmsprop: {
    defaults: { lr: 1e-2, alpha: 0.99, eps: 1e-8, weight_decay: 0, momentum: 0, centered: false },
    checks: {
      lr: checkLearningRate, alpha: checkNonNegative, eps: checkNonNegative, weight_decay: checkNonNegative, momentum: checkNonNegative, centered: checkBoolean,
    },
  },
  adagrad: {
    defaults: { lr: 1e-2, lr_decay: 0, weight_decay: 0, initial_accumulator_value: 0, eps: 1e-10 },
    checks: {
      lr: checkLearningRate, lr_decay: checkNonNegative, weight_decay: checkNonNegative, initial_accumulator_value: checkNonNegative, eps: checkNonNegative,
    },
  },
};

/** The state tensors each kind must have once a parameter has state (`options` are its group's). */
function neededState(kind: NativeOptimizerKind, options: NativeOptimizerOptions): NativeOptimizerStateTensor[] {
  switch (kind) {
    case 'adam': case 'adamw': return ['exp_avg', 'exp_avg_sq', ...(options.amsgrad === true ? ['max_exp_avg_sq' as const] : [])];
    case 'rmsprop': return [
      'square_avg', ...((options.momentum as number) > 0 ? ['momentum_buffer' as const] : []), ...(options.centered === true ? ['grad_avg' as const] : []),
    ];
    case 'adagrad': return ['sum'];
    case 'sgd': return [];
  }
}

const STATE_TENSORS: NativeOptimizerStateTensor[] = ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'momentum_buffer', 'square_avg', 'grad_avg', 'sum'];

// Options PyTorch's optimizers keep in every group that only choose how the same update is
// computed (a loop or one kernel for all, CUDA graphs, autograd through the step), and
// `initial_lr`, which PyTorch's schedulers add. A state_dict saved by PyTorch (or by a fused
// optimizer) carries them; the loading optimizer keeps its own choice, so they are accepted
// and dropped. `maximize` changes the update: where an optimizer lacks it, it loads only when false.
const PYTORCH_ONLY_OPTIONS = new Set(['foreach', 'fused', 'capturable', 'differentiable', 'initial_lr']);

// PyTorch 2.x's Adam and AdamW groups also say which weight decay they apply (AdamW's is
// decoupled): it changes the update, so it loads only where it names the loading optimizer's.
const DECOUPLED_WEIGHT_DECAY: Partial<Record<NativeOptimizerKind, boolean>> = { adam: false, adamw: true };

function withoutPytorchOnlyOptions(options: Record<string, unknown>, kind: NativeOptimizerKind, name: string): Record<string, unknown> {
  const { maximize, ...rest } = options;
  const decoupled = DECOUPLED_WEIGHT_DECAY[kind];
  if (decoupled !== undefined) {
    const { decoupled_weight_decay: saved } = rest;
    if (saved !== undefined && saved !== null && saved !== decoupled) {
      const what = decoupled ? 'decouples its weight decay' : 'adds its weight decay to the gradient';
      failRange(`decoupled_weight_decay ${decoupled} (optim_${kind} ${what})`, `${name}.decoupled_weight_decay`, saved);
    }
    delete rest.decoupled_weight_decay;
  }
  const kept = Object.fromEntries(Object.entries(rest).filter(([key]) => !PYTORCH_ONLY_OPTIONS.has(key)));
  if (Object.hasOwn(KINDS[kind].checks, 'maximize')) return maximize === undefined || maximize === null ? kept : { ...kept, maximize };
  if (maximize !== undefined && maximize !== false) failRange(`maximize false (optim_${kind} minimizes)`, `${name}.maximize`, maximize);
  return kept;
}

// PyTorch (1.13 and 2.x) keeps Adam's step count as a one-element float tensor.
function stepCount(value: unknown, name: string): number {
  if (!(value instanceof Tensor)) return checkNonNegativeInteger(value, name);
  if (value.numel() !== 1) failRange('a step count (a number, or a tensor of one element)', name, `a tensor of shape [${value.shape.join(', ')}]`);
  return checkNonNegativeInteger(value.item(), name);
}

function checkObject(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('an options object', name, value);
  return value as Record<string, unknown>;
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
  private readonly kind: NativeOptimizerKind;
  private readonly defaults: NativeOptimizerOptions;
  private readonly seen = new Set<Tensor>();

  /** @internal Use optim_adam, optim_adamw, optim_sgd, optim_rmsprop or optim_adagrad. */
  constructor(kind: NativeOptimizerKind, params: Tensor[] | ParamGroupInput<O>[], options: O) {
    if (typeof kind !== 'string' || !Object.hasOwn(KINDS, kind)) fail('one of "adam", "adamw", "sgd", "rmsprop", "adagrad" (or call optim_adam, ...)', 'kind', kind);
    this.kind = kind;
    this.defaults = this.resolve(options as Record<string, unknown>, KINDS[kind].defaults, 'options');
    if (!Array.isArray(params) || params.length === 0) fail('a non-empty array of Tensors or of parameter groups', 'params', params);
    const groups = params.every((p) => p instanceof Tensor) ? [{ params } as ParamGroupInput<O>] : params as ParamGroupInput<O>[];
    const resolved = groups.map((group, i) => this.resolveGroup(group, `params[${i}]`));
    native.optimizerNew(this, kind, resolved, this.defaults);
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
        const outs = Object.fromEntries(STATE_TENSORS.map((name) => [name, newTensor()])) as Record<NativeOptimizerStateTensor, Tensor>;
        const found = native.optimizerGetState(this, g, i, outs);
        if (found !== null) {
          const entry: ParamState = found.step === undefined ? {} : { step: found.step };
          for (const name of found.names) entry[name] = outs[name];
          state[index] = entry;
        }
        indices.push(index++);
      });
      param_groups.push({ ...(native.optimizerGetOptions(this, g) as Required<O>), params: indices });
    });
    return { state, param_groups };
  }

  /**
   * Restores options and state saved by `state_dict()` from an optimizer of the same kind
   * over parameters of the same shapes, in the same groups. Everything is checked before
   * anything changes; tensors are copied onto each parameter's device and dtype. A state
   * dict saved by PyTorch's optimizer (read with `torch_load`) loads too: its step-count
   * tensors and its options that only choose an implementation (`foreach`, `fused`, ...)
   * are taken as PyTorch means them.
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
    const options: NativeOptimizerOptions[] = [];
    const states: (ParamState | null)[][] = [];
    this.param_groups.forEach((group, g) => {
      const saved = checkObject(param_groups[g], `state_dict.param_groups[${g}]`);
      const { params: indices, ...savedOptions } = saved;
      if (!Array.isArray(indices) || indices.length !== group.params.length) {
        failRange(`${group.params.length} parameters`, `state_dict.param_groups[${g}].params`, indices);
      }
      const groupOptions = this.resolve(withoutPytorchOnlyOptions(savedOptions, this.kind, `state_dict.param_groups[${g}]`), this.defaults, `state_dict.param_groups[${g}]`);
      if (Object.hasOwn(groupOptions, 'fused')) groupOptions.fused = (group as Record<string, unknown>).fused as boolean; // the path stays this optimizer's
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
  [inspect.custom](): string {
    return `optim_${this.kind} ${inspect(this.param_groups, { depth: 2 })}`;
  }

  // ---- helpers ----

  // Fills `options` from `defaults` and checks every value.
  private resolve(options: Record<string, unknown>, defaults: NativeOptimizerOptions, name: string): NativeOptimizerOptions {
    const kind = KINDS[this.kind];
    const resolved: NativeOptimizerOptions = { ...defaults };
    for (const [key, value] of Object.entries(checkOptions(options, new Set(Object.keys(kind.checks)), `optim_${this.kind}`, name))) {
      if (value !== undefined) resolved[key] = kind.checks[key]!(value, key) as NativeOptimizerOptions[string];
    }
    kind.together?.(resolved);
    return resolved;
  }

  private resolveGroup(group: ParamGroupInput<O>, name: string): { params: Tensor[]; options: NativeOptimizerOptions } {
    const { params, ...options } = checkObject(group, name) as { params: unknown };
    if (!Array.isArray(params) || params.length === 0) fail('a non-empty array of Tensors', `${name}.params`, params);
    const unique = new Set<Tensor>();
    params.forEach((param, i) => {
      checkTensor(param, `${name}.params[${i}]`);
      if (!param.is_leaf) fail('a leaf Tensor (a parameter), not one computed from others', `${name}.params[${i}]`, param);
      if (this.seen.has(param) || unique.has(param)) fail('each parameter in one place only', `${name}.params[${i}]`, 'a parameter given twice');
      unique.add(param);
    });
    unique.forEach((param) => this.seen.add(param));
    return { params, options: this.resolve(options, this.defaults, name) };
  }

  private addView(params: Tensor[]): void {
    const index = this.param_groups.length;
    const view = { params } as ParamGroup<O>;
    for (const key of Object.keys(KINDS[this.kind].checks)) {
      Object.defineProperty(view, key, {
        enumerable: true,
        get: () => native.optimizerGetOptions(this, index)[key],
        set: (value: unknown) => {
          const current = native.optimizerGetOptions(this, index);
          const resolved = this.resolve({ [key]: value }, current, `param_groups[${index}]`);
          native.optimizerSetOptions(this, index, { [key]: resolved[key]! });
        },
      });
    }
    // Printed as its values (the accessors would show as [Getter/Setter]).
    Object.defineProperty(view, inspect.custom, {
      value: () => ({ params: `[${params.length} Tensors]`, ...native.optimizerGetOptions(this, index) }),
    });
    this.param_groups.push(Object.freeze(view) as ParamGroup<O>);
  }

  private checkState(entry: unknown, param: Tensor, options: NativeOptimizerOptions, name: string): ParamState {
    const saved = checkObject(entry, name);
    const result: ParamState = {};
    const needed: string[] = neededState(this.kind, options);
    if (this.kind !== 'sgd') result.step = stepCount(saved.step, `${name}.step`);
    for (const key of STATE_TENSORS) {
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

/**
 * Adam (Kingma & Ba), as `torch.optim.Adam`. `params` is an array of tensors (such as
 * `model.parameters`) or of parameter groups with their own options. `fused: true` updates
 * each parameter in one pass (`optim_adam(model.parameters, { fused: true })`).
 *
 * @example
 * const opt = optim_adam(model.parameters, { lr: 0.1 });
 * for (let epoch = 1; epoch <= 100; epoch++) {
 *   opt.zero_grad();
 *   const loss = nnf_mse_loss(model(x), y);
 *   loss.backward();
 *   opt.step();
 * }
 */
export function optim_adam(params: Tensor[] | ParamGroupInput<AdamOptions>[], options: AdamOptions = {}): Optimizer<AdamOptions> {
  return new Optimizer<AdamOptions>('adam', params, options);
}

/**
 * AdamW: Adam with decoupled weight decay (default 0.01), as `torch.optim.AdamW`.
 *
 * @example const opt = optim_adamw(model.parameters, { lr: 3e-4, weight_decay: 0.1 });
 */
export function optim_adamw(params: Tensor[] | ParamGroupInput<AdamOptions>[], options: AdamOptions = {}): Optimizer<AdamOptions> {
  return new Optimizer<AdamOptions>('adamw', params, options);
}

/**
 * Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay,
 * as `torch.optim.SGD`. `lr` is required.
 *
 * @example const opt = optim_sgd(model.parameters, { lr: 0.01, momentum: 0.9 });
 */
export function optim_sgd(params: Tensor[] | ParamGroupInput<SGDOptions>[], options: SGDOptions): Optimizer<SGDOptions> {
  return new Optimizer<SGDOptions>('sgd', params, options);
}

/**
 * RMSprop (Hinton), as `torch.optim.RMSprop`: divides the gradient by a running root mean
 * square, optionally centered and with momentum.
 *
 * @example const opt = optim_rmsprop(model.parameters, { lr: 0.01, momentum: 0.9 });
 */
export function optim_rmsprop(params: Tensor[] | ParamGroupInput<RMSpropOptions>[], options: RMSpropOptions = {}): Optimizer<RMSpropOptions> {
  return new Optimizer<RMSpropOptions>('rmsprop', params, options);
}

/**
 * Adagrad (Duchi et al.), as `torch.optim.Adagrad`: per-element learning rates scaled by the
 * root of the sum of past squared gradients. Its state (step 0, the sum at
 * `initial_accumulator_value`) exists from construction, as in PyTorch.
 *
 * @example const opt = optim_adagrad(model.parameters, { lr: 0.1, lr_decay: 1e-4 });
 */
export function optim_adagrad(params: Tensor[] | ParamGroupInput<AdagradOptions>[], options: AdagradOptions = {}): Optimizer<AdagradOptions> {
  return new Optimizer<AdagradOptions>('adagrad', params, options);
}
