// Learning-rate schedulers in R torch's names (`lr_step`, `lr_lambda`, `lr_one_cycle`, ...)
// with PyTorch 1.13's arithmetic (torch/optim/lr_scheduler.py): the same recursive or closed
// formula at each step, so that a schedule equals PyTorch's bit for bit. Cosines and powers go
// through the C library (native.libmCos/libmPow), as CPython's math.cos and ** do.
import { native } from './native.js';
import { Optimizer } from './optim.js';
import { Tensor } from './tensor.js';
import {
  checkBoolean, checkFinite, checkFunction, checkInteger, checkNonNegativeInteger, checkOptions, checkPositiveInteger, fail, failRange, optionKeys,
} from './validate.js';

/** An optimizer whose groups have a learning rate (every optimizer here). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ScheduledOptimizer = Optimizer<any>;

/** Each optimizer's `initial_lr` per group, which PyTorch keeps in the param groups themselves. */
const INITIAL_LR = new WeakMap<ScheduledOptimizer, number[]>();

const cos = (x: number): number => native.libmCos(x);
const pow = (x: number, y: number): number => native.libmPow(x, y);

function checkOptimizer(value: unknown): ScheduledOptimizer {
  if (!(value instanceof Optimizer)) fail('an optimizer', 'optimizer', value);
  return value;
}

function checkLastEpoch(value: unknown): number {
  if (checkInteger(value, 'last_epoch') < -1) failRange('an integer >= -1', 'last_epoch', value);
  return value as number;
}

function checkObject(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('an object', name, value);
  return value as Record<string, unknown>;
}

/** One value per group: a number for all, or an array with one per group. */
function perGroup(value: unknown, optimizer: ScheduledOptimizer, name: string, check: (v: unknown, n: string) => number): number[] {
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

  protected constructor(readonly optimizer: ScheduledOptimizer, last_epoch: number, initialLr?: number[]) {
    checkOptimizer(optimizer);
    checkLastEpoch(last_epoch);
    const groups = optimizer.param_groups;
    const initial = initialLr ?? INITIAL_LR.get(optimizer) ?? [];
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

// ---------------------------------------------------------------- step, multistep, exponential

/** PyTorch's StepLR: made by `lr_step`. */
export class StepLR extends LRScheduler {
  /** @internal Use lr_step. */
  constructor(optimizer: ScheduledOptimizer, readonly step_size: number, readonly gamma = 0.1, last_epoch = -1) {
    checkPositiveInteger(step_size, 'step_size');
    checkFinite(gamma, 'gamma');
    super(optimizer, last_epoch);
    this.initialStep();
  }

  protected compute(): number[] {
    if (this.last_epoch === 0 || this.last_epoch % this.step_size !== 0) return this.lrs();
    return this.lrs().map((lr) => lr * this.gamma);
  }

  protected override closedForm(): number[] {
    return this.base_lrs.map((lr) => lr * pow(this.gamma, Math.floor(this.last_epoch / this.step_size)));
  }
}

/**
 * R torch's `lr_step(optimizer, step_size, gamma)`: decays every group's learning rate by
 * `gamma` every `step_size` epochs (PyTorch's StepLR).
 *
 * @example
 * const scheduler = lr_step(opt, 10, 0.5);
 * scheduler.step(); // once per epoch
 */
export function lr_step(optimizer: ScheduledOptimizer, step_size: number, gamma = 0.1, last_epoch = -1): StepLR {
  return new StepLR(optimizer, step_size, gamma, last_epoch);
}

/** Options of `lr_multistep`. */
export interface MultiStepOptions { gamma?: number; last_epoch?: number }

/** PyTorch's MultiStepLR: made by `lr_multistep`. */
export class MultiStepLR extends LRScheduler {
  /** How many times each epoch is listed. */
  private readonly counts = new Map<number, number>();
  readonly milestones: number[];
  readonly gamma: number;

  /** @internal Use lr_multistep. */
  constructor(optimizer: ScheduledOptimizer, milestones: number[], options?: MultiStepOptions) {
    const { gamma = 0.1, last_epoch = -1 } = checkOptions(options, optionKeys<MultiStepOptions>({ gamma: true, last_epoch: true }), 'lr_multistep');
    if (!Array.isArray(milestones)) fail('an array of epochs', 'milestones', milestones);
    const sorted = milestones.map((m, i) => checkNonNegativeInteger(m, `milestones[${i}]`)).sort((a, b) => a - b);
    checkFinite(gamma, 'gamma');
    super(optimizer, last_epoch);
    this.milestones = sorted;
    for (const m of sorted) this.counts.set(m, (this.counts.get(m) ?? 0) + 1);
    this.gamma = gamma;
    this.initialStep();
  }

  protected compute(): number[] {
    const count = this.counts.get(this.last_epoch);
    if (count === undefined) return this.lrs();
    return this.lrs().map((lr) => lr * pow(this.gamma, count));
  }

  protected override closedForm(): number[] {
    const passed = this.milestones.filter((m) => m <= this.last_epoch).length;
    return this.base_lrs.map((lr) => lr * pow(this.gamma, passed));
  }
}

/**
 * Multiplies the learning rates by `gamma` at each epoch listed in `milestones` (PyTorch's
 * MultiStepLR; an epoch listed twice multiplies by gamma²).
 *
 * @example const scheduler = lr_multistep(opt, [30, 80], { gamma: 0.1 });
 */
export function lr_multistep(optimizer: ScheduledOptimizer, milestones: number[], options?: MultiStepOptions): MultiStepLR {
  return new MultiStepLR(optimizer, milestones, options);
}

/** Options of `lr_exponential` and `lr_cosine_annealing`'s shared `last_epoch`. */
export interface ExponentialOptions { last_epoch?: number }

/** PyTorch's ExponentialLR: made by `lr_exponential`. */
export class ExponentialLR extends LRScheduler {
  /** @internal Use lr_exponential. */
  constructor(optimizer: ScheduledOptimizer, readonly gamma: number, options?: ExponentialOptions) {
    const { last_epoch = -1 } = checkOptions(options, optionKeys<ExponentialOptions>({ last_epoch: true }), 'lr_exponential');
    checkFinite(gamma, 'gamma');
    super(optimizer, last_epoch);
    this.initialStep();
  }

  protected compute(): number[] {
    if (this.last_epoch === 0) return this.lrs();
    return this.lrs().map((lr) => lr * this.gamma);
  }

  protected override closedForm(): number[] {
    return this.base_lrs.map((lr) => lr * pow(this.gamma, this.last_epoch));
  }
}

/**
 * Multiplies the learning rates by `gamma` every epoch (PyTorch's ExponentialLR).
 *
 * @example const scheduler = lr_exponential(opt, 0.95);
 */
export function lr_exponential(optimizer: ScheduledOptimizer, gamma: number, options?: ExponentialOptions): ExponentialLR {
  return new ExponentialLR(optimizer, gamma, options);
}

// ---------------------------------------------------------------- lambda, multiplicative

/** A function of the epoch: one for all groups, or one per group. */
export type LrLambda = ((epoch: number) => number) | ((epoch: number) => number)[];

function lambdas(value: unknown, optimizer: ScheduledOptimizer): ((epoch: number) => number)[] {
  const groups = optimizer.param_groups.length;
  if (!Array.isArray(value)) return new Array(groups).fill(checkFunction(value, 'lr_lambda'));
  if (value.length !== groups) failRange(`${groups} functions (one per parameter group)`, 'lr_lambda', value);
  return value.map((f, i) => checkFunction(f, `lr_lambda[${i}]`) as (epoch: number) => number);
}

function factor(fn: (epoch: number) => number, epoch: number, i: number): number {
  return checkFinite(fn(epoch), `lr_lambda(${epoch}) of group ${i}`);
}

/** PyTorch's LambdaLR: made by `lr_lambda`. */
export class LambdaLR extends LRScheduler {
  private readonly fns: ((epoch: number) => number)[];

  /** @internal Use lr_lambda. */
  constructor(optimizer: ScheduledOptimizer, lr_lambda: LrLambda, options?: ExponentialOptions) {
    const { last_epoch = -1 } = checkOptions(options, optionKeys<ExponentialOptions>({ last_epoch: true }), 'lr_lambda');
    const fns = lambdas(lr_lambda, checkOptimizer(optimizer));
    super(optimizer, last_epoch);
    this.fns = fns;
    this.initialStep();
  }

  protected compute(): number[] {
    return this.base_lrs.map((lr, i) => lr * factor(this.fns[i]!, this.last_epoch, i));
  }
}

/**
 * Sets each learning rate to its initial value times `lr_lambda(epoch)` (PyTorch's LambdaLR).
 *
 * @example const scheduler = lr_lambda(opt, (epoch) => 0.95 ** epoch);
 */
export function lr_lambda(optimizer: ScheduledOptimizer, lr_lambda: LrLambda, options?: ExponentialOptions): LambdaLR {
  return new LambdaLR(optimizer, lr_lambda, options);
}

/** PyTorch's MultiplicativeLR: made by `lr_multiplicative`. */
export class MultiplicativeLR extends LRScheduler {
  private readonly fns: ((epoch: number) => number)[];

  /** @internal Use lr_multiplicative. */
  constructor(optimizer: ScheduledOptimizer, lr_lambda: LrLambda, options?: ExponentialOptions) {
    const { last_epoch = -1 } = checkOptions(options, optionKeys<ExponentialOptions>({ last_epoch: true }), 'lr_multiplicative');
    const fns = lambdas(lr_lambda, checkOptimizer(optimizer));
    super(optimizer, last_epoch);
    this.fns = fns;
    this.initialStep();
  }

  protected compute(): number[] {
    if (this.last_epoch <= 0) return this.lrs();
    return this.lrs().map((lr, i) => lr * factor(this.fns[i]!, this.last_epoch, i));
  }
}

/**
 * Multiplies each learning rate by `lr_lambda(epoch)` every epoch (PyTorch's MultiplicativeLR).
 *
 * @example const scheduler = lr_multiplicative(opt, () => 0.95);
 */
export function lr_multiplicative(optimizer: ScheduledOptimizer, lr_lambda: LrLambda, options?: ExponentialOptions): MultiplicativeLR {
  return new MultiplicativeLR(optimizer, lr_lambda, options);
}

// ---------------------------------------------------------------- cosine annealing, linear

/** Options of `lr_cosine_annealing`. */
export interface CosineAnnealingOptions {
  /** The smallest learning rate (0). */
  eta_min?: number;
  last_epoch?: number;
}

/** PyTorch's CosineAnnealingLR: made by `lr_cosine_annealing`. */
export class CosineAnnealingLR extends LRScheduler {
  readonly eta_min: number;

  /** @internal Use lr_cosine_annealing. */
  constructor(optimizer: ScheduledOptimizer, readonly T_max: number, options?: CosineAnnealingOptions) {
    const { eta_min = 0, last_epoch = -1 } = checkOptions(options, optionKeys<CosineAnnealingOptions>({ eta_min: true, last_epoch: true }), 'lr_cosine_annealing');
    checkPositiveInteger(T_max, 'T_max');
    checkFinite(eta_min, 'eta_min');
    super(optimizer, last_epoch);
    this.eta_min = eta_min;
    this.initialStep();
  }

  // PyTorch's recursive form, term for term (the order of operations decides the last bit).
  protected compute(): number[] {
    const { eta_min, T_max, last_epoch } = this;
    if (last_epoch === 0) return this.lrs();
    if (this.step_count === 1 && last_epoch > 0) {
      return this.base_lrs.map((base) => eta_min + (base - eta_min) * (1 + cos(last_epoch * Math.PI / T_max)) / 2);
    }
    if ((last_epoch - 1 - T_max) % (2 * T_max) === 0) {
      return this.lrs().map((lr, i) => lr + (this.base_lrs[i]! - eta_min) * (1 - cos(Math.PI / T_max)) / 2);
    }
    return this.lrs().map((lr) => (1 + cos(Math.PI * last_epoch / T_max)) / (1 + cos(Math.PI * (last_epoch - 1) / T_max)) * (lr - eta_min) + eta_min);
  }

  protected override closedForm(): number[] {
    return this.base_lrs.map((base) => this.eta_min + (base - this.eta_min) * (1 + cos(Math.PI * this.last_epoch / this.T_max)) / 2);
  }
}

/**
 * Anneals each learning rate from its initial value to `eta_min` along a half cosine over
 * `T_max` epochs, then back up (PyTorch's CosineAnnealingLR, its recursive form).
 *
 * @example const scheduler = lr_cosine_annealing(opt, 100, { eta_min: 1e-5 });
 */
export function lr_cosine_annealing(optimizer: ScheduledOptimizer, T_max: number, options?: CosineAnnealingOptions): CosineAnnealingLR {
  return new CosineAnnealingLR(optimizer, T_max, options);
}

/** Options of `lr_linear`. */
export interface LinearLROptions {
  /** The factor at the first epoch, in (0, 1] (1/3). */
  start_factor?: number;
  /** The factor after `total_iters` epochs, in [0, 1] (1). */
  end_factor?: number;
  /** Epochs to go from start_factor to end_factor (5). */
  total_iters?: number;
  last_epoch?: number;
}

/** PyTorch's LinearLR: made by `lr_linear`. */
export class LinearLR extends LRScheduler {
  readonly start_factor: number;
  readonly end_factor: number;
  readonly total_iters: number;

  /** @internal Use lr_linear. */
  constructor(optimizer: ScheduledOptimizer, options?: LinearLROptions) {
    const { start_factor = 1 / 3, end_factor = 1, total_iters = 5, last_epoch = -1 } = checkOptions(
      options, optionKeys<LinearLROptions>({ start_factor: true, end_factor: true, total_iters: true, last_epoch: true }), 'lr_linear');
    // PyTorch allows 0, which divides by zero at the second step; refused here.
    if (checkFinite(start_factor, 'start_factor') <= 0 || start_factor > 1) failRange('a number in (0, 1]', 'start_factor', start_factor);
    if (checkFinite(end_factor, 'end_factor') < 0 || end_factor > 1) failRange('a number in [0, 1]', 'end_factor', end_factor);
    checkPositiveInteger(total_iters, 'total_iters');
    super(optimizer, last_epoch);
    this.start_factor = start_factor;
    this.end_factor = end_factor;
    this.total_iters = total_iters;
    this.initialStep();
  }

  protected compute(): number[] {
    const { start_factor, end_factor, total_iters, last_epoch } = this;
    if (last_epoch === 0) return this.lrs().map((lr) => lr * start_factor);
    if (last_epoch > total_iters) return this.lrs();
    return this.lrs().map((lr) => lr * (1 + (end_factor - start_factor) / (total_iters * start_factor + (last_epoch - 1) * (end_factor - start_factor))));
  }

  protected override closedForm(): number[] {
    const { start_factor, end_factor, total_iters, last_epoch } = this;
    return this.base_lrs.map((base) => base * (start_factor + (end_factor - start_factor) * Math.min(total_iters, last_epoch) / total_iters));
  }
}

/**
 * Scales the learning rates by a factor that goes linearly from `start_factor` to
 * `end_factor` over `total_iters` epochs (PyTorch's LinearLR): the linear warm-up. Follow it
 * with another schedule through `lr_sequential`.
 *
 * @example
 * const warmup = lr_linear(opt, { start_factor: 0.01, total_iters: 100 });
 */
export function lr_linear(optimizer: ScheduledOptimizer, options?: LinearLROptions): LinearLR {
  return new LinearLR(optimizer, options);
}

// ---------------------------------------------------------------- sequential

/** PyTorch's SequentialLR: made by `lr_sequential`. */
export class SequentialLR {
  last_epoch: number;
  private lastLr: number[];
  readonly schedulers: LRScheduler[];
  readonly milestones: number[];

  /** @internal Use lr_sequential. */
  constructor(readonly optimizer: ScheduledOptimizer, schedulers: LRScheduler[], milestones: number[], last_epoch = -1) {
    checkOptimizer(optimizer);
    if (!Array.isArray(schedulers) || schedulers.length === 0) fail('a non-empty array of schedulers', 'schedulers', schedulers);
    schedulers.forEach((scheduler, i) => {
      if (!(scheduler instanceof LRScheduler)) fail('an epoch scheduler (lr_step, lr_linear, ...)', `schedulers[${i}]`, scheduler);
      if (scheduler.optimizer !== optimizer) fail('a scheduler of the same optimizer', `schedulers[${i}]`, scheduler);
    });
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      failRange(`an array of ${schedulers.length - 1} epochs (one fewer than the schedulers)`, 'milestones', milestones);
    }
    milestones.forEach((m, i) => {
      checkPositiveInteger(m, `milestones[${i}]`);
      if (i > 0 && m <= milestones[i - 1]!) failRange('increasing epochs', `milestones[${i}]`, m);
    });
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    this.last_epoch = checkLastEpoch(last_epoch) + 1;
    // As PyTorch: undo what the schedulers' own first steps did, then take the first one's again.
    const initial = INITIAL_LR.get(optimizer)!;
    optimizer.param_groups.forEach((group, i) => { group.lr = initial[i]!; });
    for (const scheduler of this.schedulers) scheduler.last_epoch -= 1;
    this.schedulers[0]!.initialStep();
    this.lastLr = this.schedulers[0]!.get_last_lr();
  }

  /** Advances one epoch in the scheduler whose turn it is. @example scheduler.step() */
  step(): void {
    this.last_epoch += 1;
    const index = this.milestones.filter((m) => m <= this.last_epoch).length;
    const scheduler = this.schedulers[index]!;
    if (index > 0 && this.milestones[index - 1] === this.last_epoch) scheduler.step(0);
    else scheduler.step();
    this.lastLr = scheduler.get_last_lr();
  }

  /** The learning rates the last `step()` set. @example scheduler.get_last_lr() */
  get_last_lr(): number[] {
    return [...this.lastLr];
  }

  /** Its epoch and each scheduler's state. @example const s = scheduler.state_dict() */
  state_dict(): { last_epoch: number; _last_lr: number[]; _schedulers: SchedulerState[] } {
    return { last_epoch: this.last_epoch, _last_lr: [...this.lastLr], _schedulers: this.schedulers.map((s) => s.state_dict()) };
  }

  /** Restores what `state_dict()` saved. @example scheduler.load_state_dict(s) */
  load_state_dict(state: { last_epoch: number; _last_lr?: number[]; _schedulers: SchedulerState[] }): void {
    const saved = checkObject(state, 'state');
    const last_epoch = checkLastEpoch(saved.last_epoch);
    if (!Array.isArray(saved._schedulers) || saved._schedulers.length !== this.schedulers.length) {
      failRange(`${this.schedulers.length} scheduler states`, 'state._schedulers', saved._schedulers);
    }
    this.schedulers.forEach((scheduler, i) => scheduler.load_state_dict((saved._schedulers as SchedulerState[])[i]!));
    this.last_epoch = last_epoch;
    if (Array.isArray(saved._last_lr)) this.lastLr = perGroup(saved._last_lr, this.optimizer, 'state._last_lr', checkFinite);
  }
}

/**
 * Runs `schedulers` one after another: the first until `milestones[0]`, the next from there
 * (restarted at its epoch 0), and so on (PyTorch's SequentialLR). This is how a warm-up
 * composes with any other schedule.
 *
 * @example
 * // 5 epochs of linear warm-up, then cosine annealing over 95
 * const scheduler = lr_sequential(opt, [lr_linear(opt, { start_factor: 0.1, total_iters: 5 }), lr_cosine_annealing(opt, 95)], [5]);
 */
export function lr_sequential(optimizer: ScheduledOptimizer, schedulers: LRScheduler[], milestones: number[], last_epoch = -1): SequentialLR {
  return new SequentialLR(optimizer, schedulers, milestones, last_epoch);
}

// ---------------------------------------------------------------- one cycle

/** Options of `lr_one_cycle`. Give `total_steps`, or `epochs` and `steps_per_epoch`. */
export interface OneCycleOptions {
  total_steps?: number;
  epochs?: number;
  steps_per_epoch?: number;
  /** Fraction of the cycle spent increasing the learning rate (0.3). */
  pct_start?: number;
  /** 'cos' (default) or 'linear'. */
  anneal_strategy?: 'cos' | 'linear';
  /** Cycle momentum (SGD, RMSprop) or beta1 (Adam, AdamW) inversely to the learning rate (true). */
  cycle_momentum?: boolean;
  /** The lowest momentum, one per group or one for all (0.85). */
  base_momentum?: number | number[];
  /** The highest momentum (0.95). */
  max_momentum?: number | number[];
  /** initial_lr = max_lr / div_factor (25). */
  div_factor?: number;
  /** min_lr = initial_lr / final_div_factor (1e4). */
  final_div_factor?: number;
  /** Three phases: up, down to initial_lr, then down to min_lr (false). */
  three_phase?: boolean;
  last_epoch?: number;
}

interface Phase { end_step: number; start_lr: number[]; end_lr: number[]; start_momentum: number[]; end_momentum: number[] }

/** PyTorch's OneCycleLR: made by `lr_one_cycle`. */
export class OneCycleLR extends LRScheduler {
  readonly total_steps: number;
  private readonly phases: Phase[];
  private readonly anneal: (start: number, end: number, pct: number) => number;
  private readonly cycle_momentum: boolean;
  private readonly use_beta1: boolean;

  /** @internal Use lr_one_cycle. */
  constructor(optimizer: ScheduledOptimizer, max_lr: number | number[], options?: OneCycleOptions) {
    const given = checkOptions(options, optionKeys<OneCycleOptions>({
      total_steps: true, epochs: true, steps_per_epoch: true, pct_start: true, anneal_strategy: true, cycle_momentum: true, base_momentum: true,
      max_momentum: true, div_factor: true, final_div_factor: true, three_phase: true, last_epoch: true,
    }), 'lr_one_cycle');
    const {
      total_steps, epochs, steps_per_epoch, pct_start = 0.3, anneal_strategy = 'cos', cycle_momentum = true, base_momentum = 0.85,
      max_momentum = 0.95, div_factor = 25, final_div_factor = 1e4, three_phase = false, last_epoch = -1,
    } = given;
    checkOptimizer(optimizer);
    let total: number;
    if (total_steps !== undefined) total = checkPositiveInteger(total_steps, 'total_steps');
    else if (epochs !== undefined && steps_per_epoch !== undefined) total = checkPositiveInteger(epochs, 'epochs') * checkPositiveInteger(steps_per_epoch, 'steps_per_epoch');
    else throw new TypeError('Expected total_steps, or epochs and steps_per_epoch, for lr_one_cycle options but received neither');
    if (checkFinite(pct_start, 'pct_start') < 0 || pct_start > 1) failRange('a number in [0, 1]', 'pct_start', pct_start);
    if (anneal_strategy !== 'cos' && anneal_strategy !== 'linear') fail('"cos" or "linear"', 'anneal_strategy', anneal_strategy);
    checkFinite(div_factor, 'div_factor');
    checkFinite(final_div_factor, 'final_div_factor');
    checkBoolean(three_phase, 'three_phase');
    checkBoolean(cycle_momentum, 'cycle_momentum');
    const maxLrs = perGroup(max_lr, optimizer, 'max_lr', checkFinite);
    const group0 = optimizer.param_groups[0] as Record<string, unknown>;
    const useBeta1 = 'betas' in group0;
    if (cycle_momentum && !useBeta1 && !('momentum' in group0)) {
      fail('an optimizer with momentum or betas (or cycle_momentum: false)', 'optimizer', optimizer);
    }
    const maxMomenta = perGroup(max_momentum, optimizer, 'max_momentum', checkFinite);
    const baseMomenta = perGroup(base_momentum, optimizer, 'base_momentum', checkFinite);
    // initial_lr, as PyTorch writes it into each group (it overrides an earlier scheduler's).
    let initial: number[] | undefined;
    if (last_epoch === -1) {
      initial = maxLrs.map((lr) => lr / div_factor);
      if (cycle_momentum) {
        optimizer.param_groups.forEach((group, i) => {
          const g = group as Record<string, unknown>;
          if (useBeta1) g.betas = [maxMomenta[i]!, (g.betas as number[])[1]!];
          else g.momentum = maxMomenta[i]!;
        });
      }
    }
    super(optimizer, last_epoch, initial);
    const initialLrs = this.base_lrs;
    const minLrs = initialLrs.map((lr) => lr / final_div_factor);
    this.total_steps = total;
    const first = pct_start * total - 1;
    this.phases = three_phase
      ? [
        { end_step: first, start_lr: initialLrs, end_lr: maxLrs, start_momentum: maxMomenta, end_momentum: baseMomenta },
        { end_step: 2 * pct_start * total - 2, start_lr: maxLrs, end_lr: initialLrs, start_momentum: baseMomenta, end_momentum: maxMomenta },
        { end_step: total - 1, start_lr: initialLrs, end_lr: minLrs, start_momentum: maxMomenta, end_momentum: maxMomenta },
      ]
      : [
        { end_step: first, start_lr: initialLrs, end_lr: maxLrs, start_momentum: maxMomenta, end_momentum: baseMomenta },
        { end_step: total - 1, start_lr: maxLrs, end_lr: minLrs, start_momentum: baseMomenta, end_momentum: maxMomenta },
      ];
    this.anneal = anneal_strategy === 'cos'
      ? (start, end, pct) => end + (start - end) / 2 * (cos(Math.PI * pct) + 1)
      : (start, end, pct) => (end - start) * pct + start;
    this.cycle_momentum = cycle_momentum;
    this.use_beta1 = useBeta1;
    this.initialStep();
  }

  protected compute(): number[] {
    const step = this.last_epoch;
    if (step > this.total_steps) failRange(`at most ${this.total_steps} steps (total_steps)`, 'step()', step + 1);
    return this.optimizer.param_groups.map((group, g) => {
      let start = 0;
      let lr = 0;
      let momentum = 0;
      for (let i = 0; i < this.phases.length; i++) {
        const phase = this.phases[i]!;
        if (step <= phase.end_step || i === this.phases.length - 1) {
          const pct = (step - start) / (phase.end_step - start);
          lr = this.anneal(phase.start_lr[g]!, phase.end_lr[g]!, pct);
          momentum = this.anneal(phase.start_momentum[g]!, phase.end_momentum[g]!, pct);
          break;
        }
        start = phase.end_step;
      }
      if (this.cycle_momentum) {
        const record = group as Record<string, unknown>;
        if (this.use_beta1) record.betas = [momentum, (record.betas as number[])[1]!];
        else record.momentum = momentum;
      }
      return lr;
    });
  }
}

/**
 * The one-cycle policy (Smith & Topsakal; PyTorch's OneCycleLR): the learning rate rises
 * from max_lr / div_factor to `max_lr`, then falls far below it, while the momentum (or
 * Adam's beta1) does the opposite. Call `step()` after every batch.
 *
 * @example const scheduler = lr_one_cycle(opt, 0.1, { epochs: 10, steps_per_epoch: loader.length });
 */
export function lr_one_cycle(optimizer: ScheduledOptimizer, max_lr: number | number[], options?: OneCycleOptions): OneCycleLR {
  return new OneCycleLR(optimizer, max_lr, options);
}

// ---------------------------------------------------------------- reduce on plateau

/** Options of `lr_reduce_on_plateau`. */
export interface ReduceOnPlateauOptions {
  /** 'min' (default): reduce when the metric stops falling; 'max': when it stops rising. */
  mode?: 'min' | 'max';
  /** new_lr = lr * factor, below 1 (0.1). */
  factor?: number;
  /** Epochs without improvement before reducing (10). */
  patience?: number;
  /** Smallest change that counts as an improvement (1e-4). */
  threshold?: number;
  /** 'rel' (default): relative to the best; 'abs': absolute. */
  threshold_mode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting again (0). */
  cooldown?: number;
  /** Lower bound of the learning rate, one per group or one for all (0). */
  min_lr?: number | number[];
  /** Changes smaller than this are not made (1e-8). */
  eps?: number;
}

/**
 * PyTorch's ReduceLROnPlateau: made by `lr_reduce_on_plateau`. `step(metric)` takes the
 * epoch's validation metric (a number or a one-element tensor).
 */
export class ReduceLROnPlateau {
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly threshold_mode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly min_lrs: number[];
  readonly eps: number;
  best: number;
  num_bad_epochs = 0;
  cooldown_counter = 0;
  last_epoch = 0;
  private lastLr: number[];

  /** @internal Use lr_reduce_on_plateau. */
  constructor(readonly optimizer: ScheduledOptimizer, options?: ReduceOnPlateauOptions) {
    const {
      mode = 'min', factor = 0.1, patience = 10, threshold = 1e-4, threshold_mode = 'rel', cooldown = 0, min_lr = 0, eps = 1e-8,
    } = checkOptions(options, optionKeys<ReduceOnPlateauOptions>({
      mode: true, factor: true, patience: true, threshold: true, threshold_mode: true, cooldown: true, min_lr: true, eps: true,
    }), 'lr_reduce_on_plateau');
    checkOptimizer(optimizer);
    if (mode !== 'min' && mode !== 'max') fail('"min" or "max"', 'mode', mode);
    if (threshold_mode !== 'rel' && threshold_mode !== 'abs') fail('"rel" or "abs"', 'threshold_mode', threshold_mode);
    if (checkFinite(factor, 'factor') >= 1) failRange('a number below 1', 'factor', factor);
    this.mode = mode;
    this.factor = factor;
    this.patience = checkNonNegativeInteger(patience, 'patience');
    this.threshold = checkFinite(threshold, 'threshold');
    this.threshold_mode = threshold_mode;
    this.cooldown = checkNonNegativeInteger(cooldown, 'cooldown');
    this.min_lrs = perGroup(min_lr, optimizer, 'min_lr', checkFinite);
    this.eps = checkFinite(eps, 'eps');
    this.best = mode === 'min' ? Infinity : -Infinity;
    this.lastLr = optimizer.param_groups.map((group) => group.lr as number);
  }

  /**
   * Records the epoch's metric; reduces the learning rates after `patience` epochs without
   * improvement.
   *
   * @example scheduler.step(validation_loss)
   */
  step(metric: number | Tensor): void {
    let current: number;
    if (metric instanceof Tensor) current = Number(metric.item());
    else if (typeof metric === 'number') current = metric;
    else fail('a number or a one-element Tensor', 'metric', metric);
    this.last_epoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.num_bad_epochs = 0;
    } else {
      this.num_bad_epochs += 1;
    }
    if (this.cooldown_counter > 0) {
      this.cooldown_counter -= 1;
      this.num_bad_epochs = 0; // bad epochs in cooldown do not count
    }
    if (this.num_bad_epochs > this.patience) {
      this.reduce();
      this.cooldown_counter = this.cooldown;
      this.num_bad_epochs = 0;
    }
    this.lastLr = this.optimizer.param_groups.map((group) => group.lr as number);
  }

  /** The learning rates after the last `step()`. @example scheduler.get_last_lr() */
  get_last_lr(): number[] {
    return [...this.lastLr];
  }

  /** The counters needed to resume. @example const s = scheduler.state_dict() */
  state_dict(): { best: number; num_bad_epochs: number; cooldown_counter: number; last_epoch: number } {
    return { best: this.best, num_bad_epochs: this.num_bad_epochs, cooldown_counter: this.cooldown_counter, last_epoch: this.last_epoch };
  }

  /** Restores what `state_dict()` saved. @example scheduler.load_state_dict(s) */
  load_state_dict(state: { best: number; num_bad_epochs: number; cooldown_counter: number; last_epoch: number }): void {
    const saved = checkObject(state, 'state');
    const best = typeof saved.best === 'number' ? saved.best : fail('a number', 'state.best', saved.best);
    const bad = checkNonNegativeInteger(saved.num_bad_epochs, 'state.num_bad_epochs');
    const cooldown = checkNonNegativeInteger(saved.cooldown_counter, 'state.cooldown_counter');
    this.last_epoch = checkNonNegativeInteger(saved.last_epoch, 'state.last_epoch');
    this.best = best;
    this.num_bad_epochs = bad;
    this.cooldown_counter = cooldown;
  }

  private isBetter(a: number, best: number): boolean {
    if (this.mode === 'min' && this.threshold_mode === 'rel') return a < best * (1 - this.threshold);
    if (this.mode === 'min') return a < best - this.threshold;
    if (this.threshold_mode === 'rel') return a > best * (this.threshold + 1);
    return a > best + this.threshold;
  }

  private reduce(): void {
    this.optimizer.param_groups.forEach((group, i) => {
      const old = group.lr as number;
      const lr = Math.max(old * this.factor, this.min_lrs[i]!);
      if (old - lr > this.eps) group.lr = lr;
    });
  }
}

/**
 * Reduces the learning rates by `factor` when a metric has stopped improving for `patience`
 * epochs (PyTorch's ReduceLROnPlateau). Pass the metric to `step()`.
 *
 * @example
 * const scheduler = lr_reduce_on_plateau(opt, { patience: 3 });
 * for (let epoch = 0; epoch < 100; epoch++) { train(); scheduler.step(validate()); }
 */
export function lr_reduce_on_plateau(optimizer: ScheduledOptimizer, options?: ReduceOnPlateauOptions): ReduceLROnPlateau {
  return new ReduceLROnPlateau(optimizer, options);
}
