// The schedules Hugging Face's Trainer steps once per optimizer step: a linear warm-up from 0
// to each group's learning rate, then a linear or cosine decay (transformers' optimization.py,
// get_linear_schedule_with_warmup and get_cosine_schedule_with_warmup). Each is a LambdaLR
// whose factor is transformers' formula written in the same order, its cosine through the C
// library as Python's math.cos, so the rates equal transformers' bit for bit.
import { checkFinite, checkNonNegativeInteger, checkOptions, checkPositiveInteger, failRange, optionKeys } from '../../core/validate.js';
import { checkLastEpoch, cos, type ScheduledOptimizer } from './base.js';
import { lr_lambda, type LambdaLR } from './decay.js';

export interface WarmupOptions {
  /** The step to resume after (-1: a new schedule). */
  last_epoch?: number;
}

export interface CosineWarmupOptions extends WarmupOptions {
  /** Cosine waves over the decay (0.5: one half-wave, from the rate to 0). */
  num_cycles?: number;
  /** The decay's floor, as a fraction of each rate (0; transformers' cosine_with_min_lr). */
  min_lr_rate?: number;
}

const WARMUP_KEYS = optionKeys<WarmupOptions>({ last_epoch: true });
const COSINE_KEYS = optionKeys<CosineWarmupOptions>({ last_epoch: true, num_cycles: true, min_lr_rate: true });

function checkSteps(num_warmup_steps: unknown, num_training_steps: unknown): void {
  checkNonNegativeInteger(num_warmup_steps, 'num_warmup_steps');
  checkPositiveInteger(num_training_steps, 'num_training_steps');
}

/** Warm-up's factor, or undefined after it. */
const warmup = (step: number, warmupSteps: number): number | undefined => (step < warmupSteps ? step / Math.max(1, warmupSteps) : undefined);

/**
 * Raises each learning rate linearly from 0 over `num_warmup_steps`, then lowers it linearly
 * to 0 at `num_training_steps` (transformers' get_linear_schedule_with_warmup). Step it after
 * every optimizer step.
 *
 * @example
 * const opt = optim_adamw(lora_parameters(model), { lr: 2e-4 });
 * const scheduler = lr_linear_with_warmup(opt, 100, 1000);
 */
export function lr_linear_with_warmup(optimizer: ScheduledOptimizer, num_warmup_steps: number, num_training_steps: number, options?: WarmupOptions): LambdaLR {
  const { last_epoch = -1 } = checkOptions(options, WARMUP_KEYS, 'lr_linear_with_warmup');
  checkSteps(num_warmup_steps, num_training_steps);
  return lr_lambda(optimizer, (step) => warmup(step, num_warmup_steps)
    ?? Math.max(0, (num_training_steps - step) / Math.max(1, num_training_steps - num_warmup_steps)), { last_epoch: checkLastEpoch(last_epoch) });
}

/**
 * Raises each learning rate linearly from 0 over `num_warmup_steps`, then follows a cosine
 * down to `min_lr_rate` times the rate at `num_training_steps` (transformers'
 * get_cosine_schedule_with_warmup, and get_cosine_with_min_lr_schedule_with_warmup with
 * `min_lr_rate`). Step it after every optimizer step.
 *
 * @example
 * const scheduler = lr_cosine_with_warmup(opt, 100, 1000);
 * for (...) { loss.backward(); opt.step(); scheduler.step(); opt.zero_grad(); }
 */
export function lr_cosine_with_warmup(optimizer: ScheduledOptimizer, num_warmup_steps: number, num_training_steps: number, options?: CosineWarmupOptions): LambdaLR {
  const { last_epoch = -1, num_cycles = 0.5, min_lr_rate = 0 } = checkOptions(options, COSINE_KEYS, 'lr_cosine_with_warmup');
  checkSteps(num_warmup_steps, num_training_steps);
  checkFinite(num_cycles, 'num_cycles');
  if (checkFinite(min_lr_rate, 'min_lr_rate') < 0 || min_lr_rate > 1) failRange('a fraction in [0, 1]', 'min_lr_rate', min_lr_rate);
  return lr_lambda(optimizer, (step) => {
    const rising = warmup(step, num_warmup_steps);
    if (rising !== undefined) return rising;
    const progress = (step - num_warmup_steps) / Math.max(1, num_training_steps - num_warmup_steps);
    const factor = 0.5 * (1.0 + cos(Math.PI * num_cycles * 2.0 * progress));
    // With min_lr_rate 0 the blend gives the factor itself, as the plain cosine schedule does.
    return Math.max(0, factor * (1 - min_lr_rate) + min_lr_rate);
  }, { last_epoch: checkLastEpoch(last_epoch) });
}
