// PyTorch's OneCycleLR as R torch's lr_one_cycle (see base.ts for the shared rules).
import { LRScheduler, checkOptimizer, cos, perGroup, type ScheduledOptimizer } from './base.js';
import { checkBoolean, checkFinite, checkOptions, checkPositiveInteger, fail, failRange, optionKeys } from '../../core/validate.js';

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
