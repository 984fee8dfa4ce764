// Cosine annealing with warm restarts (SGDR): PyTorch's CosineAnnealingWarmRestarts, its
// arithmetic term for term (see base.ts for the shared rules).
import { LRScheduler, checkObject, cos, type ScheduledOptimizer, type SchedulerState } from './base.js';
import { checkFinite, checkInteger, checkNumber, checkPositiveInteger, failRange, optionKeys } from '../../core/validate.js';
import { positionalOptions, type Positional } from '../../nn/options.js';

/** Options of `lr_cosine_annealing_warm_restarts`. */
export interface CosineAnnealingWarmRestartsOptions {
  /** The factor by which each period grows after a restart, an integer >= 1 (1). */
  T_mult?: number;
  /** The smallest learning rate (0). */
  eta_min?: number;
  last_epoch?: number;
}

/** What a warm-restarts scheduler's `state_dict()` holds: the base counters and its place in the period. */
export interface WarmRestartsState extends SchedulerState {
  T_cur: number;
  T_i: number;
}

/** PyTorch's CosineAnnealingWarmRestarts: made by `lr_cosine_annealing_warm_restarts`. */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  readonly T_mult: number;
  readonly eta_min: number;
  /** Epochs since the last restart (a fraction when stepped with fractional epochs). */
  T_cur: number;
  /** The length of the current period. */
  T_i: number;

  /** @internal Use lr_cosine_annealing_warm_restarts. */
  constructor(optimizer: ScheduledOptimizer, readonly T_0: number, ...args: Positional<[T_mult: number, eta_min: number, last_epoch: number], CosineAnnealingWarmRestartsOptions>) {
    const { T_mult = 1, eta_min = 0, last_epoch = -1 } = positionalOptions<CosineAnnealingWarmRestartsOptions>(args, ['T_mult', 'eta_min', 'last_epoch'],
      optionKeys<CosineAnnealingWarmRestartsOptions>({ T_mult: true, eta_min: true, last_epoch: true }), 'lr_cosine_annealing_warm_restarts');
    checkPositiveInteger(T_0, 'T_0');
    if (checkInteger(T_mult, 'T_mult') < 1) failRange('an integer >= 1', 'T_mult', T_mult);
    checkFinite(eta_min, 'eta_min');
    super(optimizer, last_epoch);
    this.T_mult = T_mult;
    this.eta_min = eta_min;
    this.T_i = T_0;
    this.T_cur = last_epoch;
    this.initialStep();
  }

  protected compute(): number[] {
    return this.base_lrs.map((base) => this.eta_min + (base - this.eta_min) * (1 + cos(Math.PI * this.T_cur / this.T_i)) / 2);
  }

  /**
   * Advances one epoch (restarting when a period ends); with `epoch`, jumps to it, which may
   * be fractional (`scheduler.step(epoch + i / iters)` inside an epoch's batches, as PyTorch's).
   *
   * @example scheduler.step()
   */
  override step(epoch?: number): void {
    if (epoch === undefined && this.last_epoch < 0) epoch = 0;
    if (epoch === undefined) {
      this.T_cur += 1;
      if (this.T_cur >= this.T_i) {
        this.T_cur %= this.T_i;
        this.T_i *= this.T_mult;
      }
      super.step();
      return;
    }
    if (checkNumber(epoch, 'epoch') < 0 || !Number.isFinite(epoch)) failRange('a non-negative epoch', 'epoch', epoch);
    const { T_0, T_mult } = this;
    if (epoch >= T_0) {
      if (T_mult === 1) {
        this.T_cur = epoch % T_0;
      } else {
        // Python's math.log(x, base) is log(x) / log(base).
        const n = Math.trunc(Math.log(epoch / T_0 * (T_mult - 1) + 1) / Math.log(T_mult));
        this.T_cur = epoch - T_0 * (T_mult ** n - 1) / (T_mult - 1);
        this.T_i = T_0 * T_mult ** n;
      }
    } else {
      this.T_i = T_0;
      this.T_cur = epoch;
    }
    this.last_epoch = Math.floor(epoch) - 1;
    super.step(); // moves last_epoch to floor(epoch) and sets the rates
  }

  override state_dict(): WarmRestartsState {
    return { ...super.state_dict(), T_cur: this.T_cur, T_i: this.T_i };
  }

  override load_state_dict(state: WarmRestartsState): void {
    const saved = checkObject(state, 'state');
    const T_cur = saved.T_cur === undefined ? this.T_cur : checkFinite(saved.T_cur, 'state.T_cur');
    const T_i = saved.T_i === undefined ? this.T_i : checkPositiveInteger(saved.T_i, 'state.T_i');
    super.load_state_dict(state);
    this.T_cur = T_cur;
    this.T_i = T_i;
  }
}

/**
 * Cosine annealing with warm restarts (Loshchilov & Hutter's SGDR), as PyTorch's
 * CosineAnnealingWarmRestarts: each learning rate falls from its initial value to `eta_min`
 * along a half cosine over `T_0` epochs, then restarts; each period is `T_mult` times the last.
 *
 * @example
 * const scheduler = lr_cosine_annealing_warm_restarts(opt, 10, { T_mult: 2, eta_min: 1e-5 }); // or (opt, 10, 2, 1e-5), PyTorch's order
 * for (let epoch = 0; epoch < 70; epoch++) { train(); scheduler.step(); }
 */
export function lr_cosine_annealing_warm_restarts(
  optimizer: ScheduledOptimizer, T_0: number, ...args: Positional<[T_mult: number, eta_min: number, last_epoch: number], CosineAnnealingWarmRestartsOptions>
): CosineAnnealingWarmRestarts {
  return new CosineAnnealingWarmRestarts(optimizer, T_0, ...args);
}
