// Schedulers that follow a curve, and their composition: PyTorch's CosineAnnealingLR,
// LinearLR (the linear warm-up) and SequentialLR (see base.ts for the shared rules).
import { LRScheduler, checkLastEpoch, checkObject, checkOptimizer, cos, initialLr, perGroup, type ScheduledOptimizer, type SchedulerState } from './base.js';
import { checkFinite, checkOptions, checkPositiveInteger, fail, failRange, optionKeys } from '../../core/validate.js';

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
    const initial = initialLr(optimizer);
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
