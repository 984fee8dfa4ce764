// Learning-rate schedulers in R torch's names (`lr_step`, `lr_lambda`, `lr_one_cycle`, ...)
// with PyTorch's arithmetic (1.13's and 2.13's alike) (torch/optim/lr_scheduler.py): the same recursive or closed
// formula at each step, so that a schedule equals PyTorch's bit for bit. Cosines and powers go
// through the C library (native.libmCos/libmPow), as CPython's math.cos and ** do. This file
// is the base of the epoch schedulers and the helpers every scheduler file shares.
import { native } from '../../core/native.js';
import { Optimizer } from '../optimizer.js';
import { TensorOptimizer } from '../tensor_optimizer.js';
import { checkFinite, checkInteger, checkNonNegativeInteger, fail, failRange } from '../../core/validate.js';

/** An optimizer whose groups have a learning rate (every optimizer here, native or over tensor ops). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ScheduledOptimizer = Optimizer<any> | TensorOptimizer<any>;

/** Each optimizer's `initial_lr` per group, which PyTorch keeps in the param groups themselves. */
const INITIAL_LR = new WeakMap<ScheduledOptimizer, number[]>();

/** The optimizer's recorded initial_lr per group (empty before any scheduler). */
export function initialLr(optimizer: ScheduledOptimizer): number[] {
  return INITIAL_LR.get(optimizer) ?? [];
}

export const cos = (x: number): number => native.libmCos(x);
export const pow = (x: number, y: number): number => native.libmPow(x, y);

export function checkOptimizer(value: unknown): ScheduledOptimizer {
  if (!(value instanceof Optimizer) && !(value instanceof TensorOptimizer)) fail('an optimizer', 'optimizer', value);
  return value;
}

export function checkLastEpoch(value: unknown): number {
  if (checkInteger(value, 'last_epoch') < -1) failRange('an integer >= -1', 'last_epoch', value);
  return value as number;
}

export function checkObject(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('an object', name, value);
  return value as Record<string, unknown>;
}

/** One value per group: a number for all, or an array with one per group. */
export function perGroup(value: unknown, optimizer: ScheduledOptimizer, name: string, check: (v: unknown, n: string) => number): number[] {
  const groups = optimizer.param_groups.length;
  if (!Array.isArray(value)) return new Array<number>(groups).fill(check(value, name));
  if (value.length !== groups) failRange(`${groups} values (one per parameter group)`, name, value);
  return value.map((v, i) => check(v, `${name}[${i}]`));
}

/** What a scheduler's `state_dict()` returns: enough to resume. */
export interface SchedulerState {
  last_epoch: number;
  base_lrs: number[];
  _step_count: number;
  _last_lr: number[];
}

/**
 * The base of the epoch schedulers, as PyTorch's `_LRScheduler`: the constructor records each
 * group's `initial_lr` (the first scheduler's wins) and takes the first step; `step()` moves
 * one epoch and sets every group's learning rate. Call it once per epoch (or per batch for
 * `lr_one_cycle`), after the optimizer's step.
 *
 * @example
 * const scheduler = lr_exponential(opt, 0.9);
 * for (let epoch = 0; epoch < 10; epoch++) { train(); scheduler.step(); }
 */
export abstract class LRScheduler {
  /** The number of `step()` calls so far (-1 before the one the constructor makes). */
  last_epoch: number;
  /** Each group's `initial_lr`. */
  base_lrs: number[];
  /** @internal PyTorch's `_step_count`: cosine annealing's first step depends on it. */
  protected step_count = 0;
  private lastLr: number[] = [];

  protected constructor(readonly optimizer: ScheduledOptimizer, last_epoch: number, initial_lr?: number[]) {
    checkOptimizer(optimizer);
    checkLastEpoch(last_epoch);
    const groups = optimizer.param_groups;
    const initial = initial_lr ?? INITIAL_LR.get(optimizer) ?? [];
    if (last_epoch === -1) {
      groups.forEach((group, i) => { if (initial[i] === undefined) initial[i] = group.lr as number; });
    } else if (initial.length < groups.length) {
      failRange('-1 unless resuming a scheduled optimizer (no initial learning rate is recorded)', 'last_epoch', last_epoch);
    }
    INITIAL_LR.set(optimizer, initial);
    this.base_lrs = groups.map((_, i) => initial[i]!);
    this.last_epoch = last_epoch;
  }

  /** The learning rates for `last_epoch`, from the groups' current ones (PyTorch's get_lr). */
  protected abstract compute(): number[];

  /** The learning rates for `last_epoch` from the base ones, where PyTorch has such a formula. */
  protected closedForm(): number[] | undefined { return undefined; }

  /** @internal The constructor's step (PyTorch's `_initial_step`); SequentialLR repeats it. */
  initialStep(): void {
    this.step_count = 0;
    this.step();
  }

  /**
   * Advances one epoch; with `epoch`, jumps to it (the closed formula where there is one, as
   * PyTorch's deprecated `step(epoch)`).
   *
   * @example scheduler.step()
   */
  step(epoch?: number): void {
    this.step_count += 1;
    let values: number[];
    if (epoch === undefined) {
      this.last_epoch += 1;
      values = this.compute();
    } else {
      this.last_epoch = checkNonNegativeInteger(epoch, 'epoch');
      values = this.closedForm() ?? this.compute();
    }
    this.optimizer.param_groups.forEach((group, i) => { group.lr = values[i]!; });
    this.lastLr = this.lrs();
  }

  /** The learning rates the last `step()` set, one per group. @example scheduler.get_last_lr() */
  get_last_lr(): number[] {
    return [...this.lastLr];
  }

  /** The counters needed to resume (functions are not saved). @example const s = scheduler.state_dict() */
  state_dict(): SchedulerState {
    return { last_epoch: this.last_epoch, base_lrs: [...this.base_lrs], _step_count: this.step_count, _last_lr: [...this.lastLr] };
  }

  /** Restores what `state_dict()` saved. @example scheduler.load_state_dict(s) */
  load_state_dict(state: SchedulerState): void {
    const saved = checkObject(state, 'state');
    const last_epoch = checkLastEpoch(saved.last_epoch);
    const base = saved.base_lrs === undefined ? this.base_lrs : perGroup(saved.base_lrs, this.optimizer, 'state.base_lrs', checkFinite);
    const count = saved._step_count === undefined ? this.step_count : checkNonNegativeInteger(saved._step_count, 'state._step_count');
    const last = saved._last_lr === undefined ? this.lastLr : perGroup(saved._last_lr, this.optimizer, 'state._last_lr', checkFinite);
    this.last_epoch = last_epoch;
    this.base_lrs = [...base];
    this.step_count = count;
    this.lastLr = [...last];
  }

  protected lrs(): number[] {
    return this.optimizer.param_groups.map((group) => group.lr as number);
  }
}

