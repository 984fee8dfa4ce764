// The field specs every architecture's config table is made of (readConfig's FieldSpec: a
// default and a check whose message names config.json's field), and transformers' generic
// weight initialisation that GPT-2 and BERT start from.
import { with_no_grad } from '../ops/autograd.js';
import { checkBoolean, checkFinite, checkPositiveInteger, failRange } from '../core/validate.js';
import { Conv1D } from '../nn/hf_conv1d.js';
import { nn_init_normal_, nn_init_zeros_ } from '../nn/init.js';
import { Embedding, Linear } from '../nn/layers.js';
import type { nn_Module } from '../nn/module.js';
import { checkProbability } from '../nn/options.js';
import type { FieldSpec } from './config.js';

/** @internal How a message names config.json's field `name`. @example failRange('a divisor of 32', configField('num_key_value_heads'), 5) */
export const configField = (name: string): string => `config.json's ${name}`;
const field = configField;

/** A positive integer, `fallback` when config.json leaves it out. */
export const positive = (fallback?: number): FieldSpec<number> => ({ default: fallback, check: (v, n) => checkPositiveInteger(v, field(n)) });

/** A positive integer or null. */
export const nullablePositive = (fallback: number | null): FieldSpec<number | null> => ({
  default: fallback, check: (v, n) => (v === null ? null : checkPositiveInteger(v, field(n))),
});

/** A finite number. */
export const finite = (fallback: number): FieldSpec<number> => ({ default: fallback, check: (v, n) => checkFinite(v, field(n)) });

/** A probability (a dropout rate). */
export const probability = (fallback: number): FieldSpec<number> => ({ default: fallback, check: (v, n) => checkProbability(v, field(n)) });

/** A boolean. */
export const flag = (fallback: boolean): FieldSpec<boolean> => ({ default: fallback, check: (v, n) => checkBoolean(v, field(n)) });

/** A field torchlora implements at one value only, its default (`what` says what that value means). */
export const only = <T>(value: T, what: string): FieldSpec<T> => ({
  default: value, check: (v, n) => (v === value ? value : failRange(`${JSON.stringify(value)} (torchlora implements ${what})`, field(n), v)),
});

/** A boolean torchlora implements only as false (`what` says what false means). */
export const falseOnly = (what: string): FieldSpec<false> => only(false as const, what);

/** A field the classes built here never read (another head's, or a field transformers 5.18 no longer reads): any value. */
export const anyValue = (): FieldSpec<unknown> => ({ default: null, check: (v) => v });

/**
 * transformers' PreTrainedModel._init_weights: linear and Conv1D weights and embeddings
 * N(0, std²), biases and embeddings' padding rows zero (layer norms start at ones and zeros).
 */
export function initHfWeights(model: nn_Module, std: number): void {
  with_no_grad(() => model.apply((module) => {
    if (module instanceof Linear || module instanceof Conv1D) {
      nn_init_normal_(module.weight, 0, std);
      if (module.bias !== null) nn_init_zeros_(module.bias);
    } else if (module instanceof Embedding) {
      nn_init_normal_(module.weight, 0, std);
      if (module.padding_idx !== null) module.weight.index_put_([module.padding_idx], 0);
    }
  }));
}
