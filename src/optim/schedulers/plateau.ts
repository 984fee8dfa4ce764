// PyTorch's ReduceLROnPlateau as R torch's lr_reduce_on_plateau: driven by a metric, not by
// the epoch count, so it is not an LRScheduler.
import { Tensor } from '../../ops/tensor.js';
import { checkObject, checkOptimizer, perGroup, type ScheduledOptimizer } from './base.js';
import { checkFinite, checkNonNegativeInteger, checkOptions, fail, failRange, optionKeys } from '../../core/validate.js';

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
