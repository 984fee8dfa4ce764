// Schedulers that multiply the learning rate: PyTorch's StepLR, MultiStepLR, ExponentialLR,
// LambdaLR and MultiplicativeLR, in R torch's names (see base.ts for the shared rules).
import { LRScheduler, checkOptimizer, pow, type ScheduledOptimizer } from './base.js';
import { checkFinite, checkFunction, checkNonNegativeInteger, checkOptions, checkPositiveInteger, fail, failRange, optionKeys } from '../../core/validate.js';

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

/** Options of the schedulers whose only option is `last_epoch`: lr_exponential, lr_lambda, lr_multiplicative. */
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

/** LambdaLR and MultiplicativeLR: one function of the epoch per group. */
abstract class LambdaScheduler extends LRScheduler {
  protected readonly fns: ((epoch: number) => number)[];

  protected constructor(optimizer: ScheduledOptimizer, lr_lambda: LrLambda, options: ExponentialOptions | undefined, where: string) {
    const { last_epoch = -1 } = checkOptions(options, optionKeys<ExponentialOptions>({ last_epoch: true }), where);
    const fns = lambdas(lr_lambda, checkOptimizer(optimizer));
    super(optimizer, last_epoch);
    this.fns = fns;
    this.initialStep();
  }
}

/** PyTorch's LambdaLR: made by `lr_lambda`. */
export class LambdaLR extends LambdaScheduler {
  /** @internal Use lr_lambda. */
  constructor(optimizer: ScheduledOptimizer, lr_lambda: LrLambda, options?: ExponentialOptions) {
    super(optimizer, lr_lambda, options, 'lr_lambda');
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
export class MultiplicativeLR extends LambdaScheduler {
  /** @internal Use lr_multiplicative. */
  constructor(optimizer: ScheduledOptimizer, lr_lambda: LrLambda, options?: ExponentialOptions) {
    super(optimizer, lr_lambda, options, 'lr_multiplicative');
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
