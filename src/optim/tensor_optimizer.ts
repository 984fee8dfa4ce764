// The optimizers written over tensor ops (`optim_radam`, `optim_nadam`, `optim_adamax`,
// `optim_lbfgs`): libtorch's C++ frontend has none of the first three, so each is Python
// torch.optim's single-tensor function (`_single_tensor_radam`, ...), aten op for aten op, in
// the same order and with the same Python numbers, which gives PyTorch's result bit for bit.
// The groups and the per-parameter state live here, in TypeScript; options are checked by the
// same tables as the native optimizers' (kind.ts), and state_dict() uses PyTorch's names.
import { INSPECT_CUSTOM } from '../core/symbols.js';
import { inspect } from 'node:util';
import { libtorchAtLeast } from '../core/libtorch_version.js';
import { TorchError } from '../core/errors.js';
import { outside_scopes, torch_scope } from '../core/scope.js';
import { checkBoolean, checkFunction, checkNonNegativeInteger, fail, failRange } from '../core/validate.js';
import { with_enable_grad, with_no_grad } from '../ops/autograd.js';
import { atenOp } from '../ops/aten.js';
import { Tensor, checkTensor } from '../ops/tensor.js';
import { defaultsOf, fieldsOf, resolveOptions, savedOptions, type Field, type Fields, type KindTable, type Settings } from './kind.js';
import { checkGroupParams, checkObject, type OptimizerStateDict, type ParamGroup, type ParamGroupInput } from './optimizer.js';

/** Per-parameter state of an optimizer over tensor ops: its step count and its tensors, by PyTorch's names. */
export type TensorParamState = { step?: number } & Record<string, Tensor | number | undefined>;

/** An optimizer kind over tensor ops: its table (kind.ts) and how one parameter steps. */
export interface TensorKind extends KindTable {
  readonly state: {
    /** Every tensor the state holds, in PyTorch's order, and each one's shape: the parameter's or a scalar's. */
    readonly tensors: Readonly<Record<string, 'param' | 'scalar'>>;
    readonly step: boolean;
  };
  /** A parameter's state before its first step (PyTorch's `_init_group`). */
  readonly init: (param: Tensor) => TensorParamState;
  /** One step of one parameter, under no_grad, inside a scope that frees what it makes. */
  readonly update: (param: Tensor, grad: Tensor, state: TensorParamState, options: Settings) => void;
}

/**
 * An option of PyTorch's that picks an implementation this optimizer lacks (`foreach`,
 * `capturable`, `differentiable`): false (or null, PyTorch's "let it choose") only.
 */
export const singleTensorOnly = (kind: string): Field<boolean> => ({
  default: false, noun: 'boolean', path: true,
  check: (value, name) => {
    if (value === null || checkBoolean(value, name) === false) return false;
    return failRange(`false (optim_${kind} runs PyTorch's single-tensor path only)`, name, value);
  },
});

const SPARSE_DIM = atenOp('sparse_dim');

/**
 * Whether a gradient is sparse (an embedding's with `sparse: true`). libtorch 2 answers
 * sparse_dim 0 for a dense tensor; 1.13 has the operator for sparse layouts only and refuses
 * a dense one, so there a refusal means dense. @internal
 */
export function isSparse(tensor: Tensor): boolean {
  if (libtorchAtLeast(2, 0)) return SPARSE_DIM.call<number>(tensor) > 0;
  try {
    return SPARSE_DIM.call<number>(tensor) > 0;
  } catch (error) {
    if (error instanceof TorchError) return false;
    throw error;
  }
}


// PyTorch keeps step counts as one-element float tensors.
function stepCount(value: unknown, name: string): number {
  if (!(value instanceof Tensor)) return checkNonNegativeInteger(value, name);
  if (value.numel() !== 1) failRange('a step count (a number, or a tensor of one element)', name, `a tensor of shape [${value.shape.join(', ')}]`);
  return checkNonNegativeInteger(value.item(), name);
}

/**
 * An optimizer whose groups and state live in TypeScript and whose steps are tensor ops.
 * The same surface as the native optimizers (`step`, `zero_grad`, `param_groups`,
 * `state_dict`, `load_state_dict`, `add_param_group`), and the schedulers drive it alike.
 *
 * @example
 * const opt = optim_radam(model.parameters, { lr: 1e-3 });
 * opt.zero_grad(); loss.backward(); opt.step();
 */
export class TensorOptimizer<O extends object = Record<string, unknown>> {
  /** The parameter groups; setting an option (`group.lr = 0.01`) takes effect at the next step. */
  readonly param_groups: ParamGroup<O>[] = [];
  /** @internal Per-parameter state, made at a parameter's first step. */
  protected readonly state = new Map<Tensor, TensorParamState>();
  /** @internal Each group's checked options. */
  protected readonly settings: Settings[] = [];
  protected readonly defaults: Settings;
  private readonly seen = new Set<Tensor>();

  /** @internal Use optim_radam, optim_nadam, optim_adamax or optim_lbfgs. */
  constructor(protected readonly kind: TensorKind, params: Tensor[] | ParamGroupInput<O>[], options: O) {
    if (typeof kind !== 'object' || kind === null || !('fields' in kind) || !('update' in kind)) {
      fail('an optimizer kind over tensor ops (or call optim_radam, optim_nadam, ...)', 'kind', kind);
    }
    this.defaults = resolveOptions(kind, options, defaultsOf(kind), 'options');
    if (!Array.isArray(params) || params.length === 0) fail('a non-empty array of Tensors or of parameter groups', 'params', params);
    const groups = params.every((p) => p instanceof Tensor) ? [{ params } as ParamGroupInput<O>] : params as ParamGroupInput<O>[];
    groups.forEach((group, i) => this.add(group, `params[${i}]`));
  }

  /** Adds a group of parameters with its own options. @example opt.add_param_group({ params: head.parameters, lr: 1e-2 }) */
  add_param_group(group: ParamGroupInput<O>): void {
    this.add(group, 'group');
  }

  /**
   * Updates every parameter that has a gradient, as PyTorch's single-tensor path. With
   * `closure` (which recomputes and returns the loss), runs it first with gradients on and
   * returns its loss.
   *
   * @example opt.step()
   */
  step(closure?: () => Tensor): Tensor | undefined {
    let loss: Tensor | undefined;
    if (closure !== undefined) loss = with_enable_grad(checkFunction(closure, 'closure') as () => Tensor);
    with_no_grad(() => this.param_groups.forEach((group, g) => torch_scope(() => {
      // Every gradient is checked before any parameter moves, as PyTorch's _init_group does.
      const grads = group.params.map((param, i) => {
        const grad = param.grad;
        if (grad !== undefined && isSparse(grad)) {
          fail(`a dense gradient (optim_${this.kind.name} does not support sparse gradients, as PyTorch's)`, `param_groups[${g}].params[${i}].grad`, 'a sparse one');
        }
        return grad;
      });
      group.params.forEach((param, i) => {
        const grad = grads[i];
        if (grad === undefined) return;
        const state = this.state.get(param) ?? outside_scopes(() => this.kind.init(param));
        this.state.set(param, state);
        torch_scope(() => this.kind.update(param, grad, state, this.settings[g]!));
      });
    })));
    return loss;
  }

  /** Drops the gradients (`set_to_none = true`, PyTorch's default) or zeroes them in place. @example opt.zero_grad() */
  zero_grad(set_to_none = true): void {
    checkBoolean(set_to_none, 'set_to_none');
    for (const group of this.param_groups) {
      for (const param of group.params) {
        if (set_to_none) { param.grad = null; continue; }
        const grad = param.grad;
        if (grad === undefined) continue;
        with_no_grad(() => grad.zero_());
        grad.dispose();
      }
    }
  }

  /**
   * The options of every group and the state of every parameter that has stepped, under
   * PyTorch's names. State tensors share memory with the optimizer; clone them to keep a snapshot.
   *
   * @example const saved = opt.state_dict(); opt2.load_state_dict(saved);
   */
  state_dict(): OptimizerStateDict<O> {
    const state: Record<number, TensorParamState> = {};
    const param_groups: OptimizerStateDict<O>['param_groups'] = [];
    let index = 0;
    this.param_groups.forEach((group, g) => {
      const indices: number[] = [];
      for (const param of group.params) {
        const entry = this.state.get(param);
        if (entry !== undefined) state[index] = { ...entry };
        indices.push(index++);
      }
      param_groups.push({ ...(fieldsOf(this.kind, this.settings[g]!) as Required<O>), params: indices });
    });
    return { state: state as OptimizerStateDict<O>['state'], param_groups };
  }

  /**
   * Restores options and state saved by `state_dict()` here or by PyTorch (read with
   * `torch_load`). Everything is checked before anything changes; tensors are copied onto
   * each parameter's device and dtype (scalars stay float32, as PyTorch keeps them).
   *
   * @example opt.load_state_dict(saved)
   */
  load_state_dict(state_dict: OptimizerStateDict<O>): void {
    const { state, param_groups } = checkObject(state_dict, 'state_dict') as unknown as OptimizerStateDict<O>;
    checkObject(state, 'state_dict.state');
    if (!Array.isArray(param_groups) || param_groups.length !== this.param_groups.length) {
      failRange(`${this.param_groups.length} parameter groups`, 'state_dict.param_groups', param_groups);
    }
    const options: Settings[] = [];
    const states: [Tensor, Record<string, unknown> | null][] = [];
    this.param_groups.forEach((group, g) => {
      const name = `state_dict.param_groups[${g}]`;
      const { params: indices, ...saved } = checkObject(param_groups[g], name);
      if (!Array.isArray(indices) || indices.length !== group.params.length) failRange(`${group.params.length} parameters`, `${name}.params`, indices);
      options.push(resolveOptions(this.kind, savedOptions(this.kind, saved, this.settings[g]!, name), this.defaults, name));
      group.params.forEach((param, i) => {
        const key = indices[i] as number;
        const entry = (state as Record<number, unknown>)[key];
        states.push([param, entry === undefined ? null : this.checkState(entry, param, `state_dict.state[${key}]`)]);
      });
    });
    options.forEach((groupOptions, g) => { this.settings[g] = groupOptions; });
    for (const [param, entry] of states) {
      if (entry === null) this.state.delete(param);
      else this.state.set(param, this.restore(entry, param));
    }
  }

  /** Drops the state now (the parameters stay). Idempotent. */
  dispose(): void {
    for (const entry of this.state.values()) {
      for (const value of Object.values(entry)) if (value instanceof Tensor) value.dispose();
    }
    this.state.clear();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** `optim_radam` and its groups' options. */
  [INSPECT_CUSTOM](): string {
    return `optim_${this.kind.name} ${inspect(this.param_groups, { depth: 2 })}`;
  }

  // ---- helpers ----

  /** @internal Checks a saved state entry (shapes against the parameter's); overridden by kinds with other state. */
  protected checkState(entry: unknown, param: Tensor, name: string): Record<string, unknown> {
    const saved = checkObject(entry, name);
    const result: Record<string, unknown> = {};
    if (this.kind.state.step) result.step = stepCount(saved.step, `${name}.step`);
    for (const [key, shape] of Object.entries(this.kind.state.tensors)) {
      const tensor = checkTensor(saved[key], `${name}.${key}`);
      const expected = shape === 'param' ? param.shape : [];
      if (tensor.shape.length !== expected.length || tensor.shape.some((size, i) => size !== expected[i])) {
        failRange(`shape [${expected.join(', ')}]`, `${name}.${key}`, `shape [${tensor.shape.join(', ')}]`);
      }
      result[key] = tensor;
    }
    return result;
  }

  /** @internal A checked entry as this optimizer's own state: copies on the parameter's device and dtype. */
  protected restore(entry: Record<string, unknown>, param: Tensor): TensorParamState {
    return outside_scopes(() => this.copyState(entry, param));
  }

  private copyState(entry: Record<string, unknown>, param: Tensor): TensorParamState {
    const result: TensorParamState = {};
    if (entry.step !== undefined) result.step = entry.step as number;
    for (const [key, shape] of Object.entries(this.kind.state.tensors)) {
      const tensor = entry[key] as Tensor;
      result[key] = tensor.to({ dtype: shape === 'param' ? param.dtype : 'float32', device: param.device, copy: true });
    }
    return result;
  }

  private add(group: ParamGroupInput<O>, name: string): void {
    const { params, options, unique } = checkGroupParams(group, name, this.seen);
    const resolved = resolveOptions(this.kind, options, this.defaults, name);
    this.beforeAdd(params);
    unique.forEach((param) => this.seen.add(param));
    const index = this.settings.length;
    this.settings.push(resolved);
    const view = { params } as ParamGroup<O>;
    for (const key of Object.keys(this.kind.fields)) {
      Object.defineProperty(view, key, {
        enumerable: true,
        get: () => this.settings[index]![key],
        set: (value: unknown) => {
          this.settings[index] = resolveOptions(this.kind, { [key]: value }, this.settings[index]!, `param_groups[${index}]`);
        },
      });
    }
    Object.defineProperty(view, inspect.custom, { value: () => ({ params: `[${params.length} Tensors]`, ...this.settings[index] }) });
    this.param_groups.push(Object.freeze(view) as ParamGroup<O>);
  }

  /** @internal A kind's check before a group is added (LBFGS takes one group only). */
  protected beforeAdd(_params: Tensor[]): void {}
}
