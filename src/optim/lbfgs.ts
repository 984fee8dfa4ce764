// L-BFGS (`optim_lbfgs`), as torch.optim.LBFGS: Python's step line for line over tensor ops,
// its floats and one-element tensors kept apart as Python keeps them (lbfgs_search.ts), so
// that the steps are PyTorch's bit for bit. One parameter group; `step(closure)` evaluates the
// loss as often as the search needs.
import { outside_scopes, torch_keep, torch_scope } from '../core/scope.js';
import { checkFunction, checkPositiveInteger, failRange } from '../core/validate.js';
import { with_enable_grad, with_no_grad } from '../ops/autograd.js';
import { atenOp } from '../ops/aten.js';
import { torch_zeros } from '../ops/creation.js';
import { torch_cat } from '../ops/functions.js';
import { Tensor } from '../ops/tensor.js';
import { learningRate, nonNegative, type Field, type OptionsOf, type Settings, optimizerOptions } from './kind.js';
import { type Positional } from '../nn/options.js';
import { compare, dot, maxAbs, min, mul, scalar, strongWolfe, type Num } from './lbfgs_search.js';
import type { OptimizerStateDict, ParamGroupInput } from './optimizer.js';
import { TensorOptimizer, isSparse, type TensorKind } from './tensor_optimizer.js';

const NEG = atenOp('neg');
const ABS = atenOp('abs');
const SUM = atenOp('sum');
const RECIPROCAL = atenOp('reciprocal');
const ADD_ = atenOp('add_', 'Tensor');
const TO_DENSE = atenOp('to_dense');

const positiveInteger = (value: number): Field<number> => ({ default: value, check: checkPositiveInteger, noun: 'integer' });

const LBFGS_FIELDS = {
  /** Learning rate (1). */
  lr: learningRate(1),
  /** Most iterations per step (20). */
  max_iter: positiveInteger(20),
  /** Most loss evaluations per step (null: max_iter * 5 / 4, rounded down). */
  max_eval: { default: null, noun: 'integer', check: (value: unknown, name: string) => (value === null ? null : checkPositiveInteger(value, name)) } as Field<number | null>,
  /** Stop when every gradient element is at most this (1e-7). */
  tolerance_grad: nonNegative(1e-7),
  /** Stop when the loss or the parameters change less than this (1e-9). */
  tolerance_change: nonNegative(1e-9),
  /** How many updates the inverse Hessian estimate remembers (100). */
  history_size: positiveInteger(100),
  /** `'strong_wolfe'` for a line search, or null for steps of `lr` (null). */
  line_search_fn: {
    default: null, noun: 'line search',
    check: (value: unknown, name: string) => {
      if (value === null || value === 'strong_wolfe') return value;
      return failRange('"strong_wolfe" or null', name, value);
    },
  } as Field<'strong_wolfe' | null>,
};

/** Options of `optim_lbfgs`. */
export type LBFGSOptions = OptionsOf<typeof LBFGS_FIELDS>;

const LBFGS_KIND: TensorKind = {
  name: 'lbfgs', fields: LBFGS_FIELDS as unknown as TensorKind['fields'],
  state: { tensors: {}, step: false },
  init: () => ({}),
  update: () => {},
};

/** LBFGS's state, under PyTorch's names (kept by its first parameter in PyTorch's state_dict). */
export interface LBFGSState {
  func_evals: number;
  n_iter: number;
  d?: Tensor;
  t?: Num;
  old_dirs?: Tensor[];
  old_stps?: Tensor[];
  ro?: Tensor[];
  H_diag?: Num;
  prev_flat_grad?: Tensor;
  prev_loss?: number;
  al?: (Tensor | null)[];
}

function tensorsOf(state: LBFGSState): Set<Tensor> {
  const all = [state.d, state.t, state.H_diag, state.prev_flat_grad, ...(state.old_dirs ?? []), ...(state.old_stps ?? []), ...(state.ro ?? []), ...(state.al ?? [])];
  return new Set(all.filter((value): value is Tensor => value instanceof Tensor));
}

/** The optimizer `optim_lbfgs` makes. */
export class LBFGS extends TensorOptimizer<LBFGSOptions> {
  private lbfgs: LBFGSState = { func_evals: 0, n_iter: 0 };

  /** @internal Use optim_lbfgs. */
  constructor(params: Tensor[], options: LBFGSOptions) {
    super(LBFGS_KIND, params, options);
    const settings = this.settings[0]!;
    if ((settings.max_eval as unknown) === null) settings.max_eval = Math.floor((settings.max_iter as number) * 5 / 4);
  }

  protected override beforeAdd(): void {
    if (this.param_groups.length > 0) failRange('one parameter group (optim_lbfgs takes no per-parameter options)', 'params', 'several');
  }

  /**
   * Runs up to `max_iter` iterations of L-BFGS, calling `closure` (which zeroes the
   * gradients, computes the loss, calls backward() and returns the loss) as often as needed;
   * returns the loss of its first call. The loss tensors of the later calls are read, then
   * disposed.
   *
   * @example
   * opt.step(() => { opt.zero_grad(); const loss = nnf_mse_loss(model(x), y); loss.backward(); return loss; });
   */
  override step(closure?: () => Tensor): Tensor {
    checkFunction(closure, 'closure');
    const evaluate = (): Tensor => outside_scopes(() => with_enable_grad(closure as () => Tensor));
    const before = tensorsOf(this.lbfgs);
    // What the state keeps outlives the scope (and the caller's); what it dropped is freed.
    const loss = with_no_grad(() => torch_scope(() => {
      const result = this.iterate(evaluate);
      for (const tensor of tensorsOf(this.lbfgs)) torch_keep(tensor);
      return result;
    }));
    const after = tensorsOf(this.lbfgs);
    for (const tensor of before) if (!after.has(tensor)) tensor.dispose();
    return loss;
  }

  /** `{ state: { 0: func_evals, n_iter, d, t, old_dirs, ... } }` as PyTorch's, sharing the tensors. @example opt.state_dict() */
  override state_dict(): OptimizerStateDict<LBFGSOptions> {
    const saved = super.state_dict();
    const { old_dirs, old_stps, ro, al } = this.lbfgs;
    const lists = { old_dirs: old_dirs && [...old_dirs], old_stps: old_stps && [...old_stps], ro: ro && [...ro], al: al && [...al] };
    return { ...saved, state: { 0: { ...this.lbfgs, ...lists } as never } };
  }

  /** Restores what `state_dict()` saved (copies of the state's tensors). @example opt.load_state_dict(saved) */
  override load_state_dict(state_dict: OptimizerStateDict<LBFGSOptions>): void {
    super.load_state_dict({ ...state_dict, state: {} });
    const saved = (state_dict.state as Record<number, unknown>)[0] as LBFGSState | undefined;
    if (saved === undefined) {
      this.dispose();
      return;
    }
    const copy = <T>(value: T): T => (value instanceof Tensor ? torch_keep(value.clone()) as T : value);
    const copies = <T>(values: T[] | undefined): T[] | undefined => values?.map(copy);
    const previous = tensorsOf(this.lbfgs);
    this.lbfgs = outside_scopes(() => ({
      func_evals: Number(saved.func_evals ?? 0), n_iter: Number(saved.n_iter ?? 0), prev_loss: saved.prev_loss,
      d: copy(saved.d), t: copy(saved.t), H_diag: copy(saved.H_diag), prev_flat_grad: copy(saved.prev_flat_grad),
      old_dirs: copies(saved.old_dirs), old_stps: copies(saved.old_stps), ro: copies(saved.ro), al: copies(saved.al),
    }));
    for (const tensor of previous) tensor.dispose();
  }

  /** Frees the state now (the parameters stay); the next step starts afresh. Idempotent. */
  override dispose(): void {
    for (const tensor of tensorsOf(this.lbfgs)) tensor.dispose();
    this.lbfgs = { func_evals: 0, n_iter: 0 };
  }

  // ---- PyTorch's helpers ----

  private get params(): Tensor[] {
    return this.param_groups[0]!.params;
  }

  private flatGrad(): Tensor {
    return torch_cat(this.params.map((p) => {
      const grad = p.grad;
      if (grad === undefined) return torch_zeros([p.numel()], { dtype: p.dtype, device: p.device });
      return (isSparse(grad) ? TO_DENSE.call(grad) : grad).view(-1);
    }), 0);
  }

  private addGrad(step: Num, update: Tensor): void {
    let offset = 0;
    const alpha = scalar(step);
    for (const p of this.params) {
      const numel = p.numel();
      ADD_.call(p, update.narrow(0, offset, numel).view(p.shape), alpha);
      offset += numel;
    }
  }

  private iterate(closure: () => Tensor): Tensor {
    const group = this.settings[0]! as Settings & { line_search_fn: string | null };
    const lr = group.lr as number;
    const max_iter = group.max_iter as number;
    const max_eval = group.max_eval as number;
    const tolerance_grad = group.tolerance_grad as number;
    const tolerance_change = group.tolerance_change as number;
    const history_size = group.history_size as number;
    const state = this.lbfgs;

    const orig_loss = closure();
    let loss = orig_loss.item() as number;
    // Later evaluations are only read: their loss tensors are freed at once.
    const evaluate = (): number => {
      const value = closure();
      try {
        return value.item() as number;
      } finally {
        if (value !== orig_loss) value.dispose();
      }
    };
    let current_evals = 1;
    state.func_evals += 1;
    let flat_grad = this.flatGrad();
    let opt_cond = compare(maxAbs(flat_grad), 'le', tolerance_grad);
    if (opt_cond) return orig_loss;

    let { d, t, old_dirs, old_stps, ro, H_diag, prev_flat_grad, prev_loss } = state;
    let n_iter = 0;
    while (n_iter < max_iter) {
      n_iter += 1;
      state.n_iter += 1;
      if (state.n_iter === 1) {
        d = NEG.call(flat_grad);
        [old_dirs, old_stps, ro, H_diag] = [[], [], [], 1];
      } else {
        // The L-BFGS update of the inverse Hessian's history, then the two-loop recursion.
        const y = flat_grad.sub(prev_flat_grad!);
        const s = d!.mul(t!);
        const ys = dot(y, s);
        if (compare(ys, 'gt', 1e-10)) {
          if (old_dirs!.length === history_size) {
            old_dirs!.shift();
            old_stps!.shift();
            ro!.shift();
          }
          old_dirs!.push(y);
          old_stps!.push(s);
          ro!.push(RECIPROCAL.call(ys).mul(1.0));
          H_diag = ys.div(dot(y, y));
        }
        const num_old = old_dirs!.length;
        state.al ??= new Array<Tensor | null>(history_size).fill(null);
        const al = state.al;
        const q = NEG.call(flat_grad);
        for (let i = num_old - 1; i >= 0; i--) {
          al[i] = dot(old_stps![i]!, q).mul(ro![i]!);
          ADD_.call(q, old_dirs![i]!, scalar(al[i]!.neg()));
        }
        const r: Tensor = q.mul(H_diag as Tensor | number);
        d = r;
        for (let i = 0; i < num_old; i++) {
          const be_i = dot(old_dirs![i]!, r).mul(ro![i]!);
          ADD_.call(r, old_stps![i]!, scalar(al[i]!.sub(be_i)));
        }
      }
      if (prev_flat_grad === undefined) prev_flat_grad = flat_grad.clone();
      else prev_flat_grad.copy_(flat_grad);
      prev_loss = loss;

      t = state.n_iter === 1 ? mul(min(1.0, RECIPROCAL.call(SUM.call(ABS.call(flat_grad))).mul(1.0)), lr) : lr;
      const gtd = dot(flat_grad, d!);
      if (compare(gtd, 'gt', -tolerance_change)) break;

      let ls_func_evals = 0;
      if (group.line_search_fn !== null) {
        const x_init = this.params.map((p) => p.clone().contiguous());
        const direction = d!;
        const objective = (step: Num): [number, Tensor] => {
          this.addGrad(step, direction);
          const value = evaluate();
          const grad = this.flatGrad();
          this.params.forEach((p, i) => p.copy_(x_init[i]!));
          return [value, grad];
        };
        [loss, flat_grad, t, ls_func_evals] = strongWolfe(objective, t, direction, loss, flat_grad, gtd, tolerance_change, max_eval - current_evals);
        this.addGrad(t, direction);
        opt_cond = compare(maxAbs(flat_grad), 'le', tolerance_grad);
      } else {
        this.addGrad(t, d!);
        if (n_iter !== max_iter) {
          loss = evaluate();
          flat_grad = this.flatGrad();
          opt_cond = compare(maxAbs(flat_grad), 'le', tolerance_grad);
          ls_func_evals = 1;
        }
      }
      current_evals += ls_func_evals;
      state.func_evals += ls_func_evals;

      if (n_iter === max_iter || current_evals >= max_eval || opt_cond) break;
      if (compare(maxAbs(d!.mul(t)), 'le', tolerance_change)) break;
      if (Math.abs(loss - prev_loss) < tolerance_change) break;
    }
    Object.assign(state, { d, t, old_dirs, old_stps, ro, H_diag, prev_flat_grad, prev_loss });
    return orig_loss;
  }
}

/**
 * L-BFGS, as R torch's `optim_lbfgs` and PyTorch's `torch.optim.LBFGS` (heavily inspired by
 * minFunc): one parameter group; `step(closure)` takes a function that recomputes the loss,
 * calls backward() and returns the loss. `line_search_fn: 'strong_wolfe'` searches each step's
 * length.
 *
 * @example
 * const opt = optim_lbfgs(model.parameters, { line_search_fn: 'strong_wolfe' });
 * const closure = () => { opt.zero_grad(); const loss = nnf_mse_loss(model(x), y); loss.backward(); return loss; };
 * for (let i = 0; i < 10; i++) opt.step(closure);
 */
export function optim_lbfgs(params: Tensor[], ...args: Positional<[
  lr: number, max_iter: number, max_eval: number | null, tolerance_grad: number, tolerance_change: number, history_size: number, line_search_fn: 'strong_wolfe' | null,
], LBFGSOptions>): LBFGS {
  const names = ['lr', 'max_iter', 'max_eval', 'tolerance_grad', 'tolerance_change', 'history_size', 'line_search_fn'] as const;
  return new LBFGS(params, optimizerOptions<LBFGSOptions>(LBFGS_FIELDS, args, names, 'optim_lbfgs'));
}
