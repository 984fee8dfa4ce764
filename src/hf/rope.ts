// Rotary position embeddings as transformers 5.18 computes them (modeling_rope_utils.py and
// LlamaRotaryEmbedding): the inverse frequencies of each `rope_type` it supports for Llama's
// layout (default, linear, dynamic, yarn, longrope, llama3), made with the same float32 tensor
// operations in the same order, so that cos and sin agree to the bit; dynamic and longrope
// change their frequencies with the longest position seen, as transformers' module does.
import { torch_arange, torch_tensor } from '../ops/creation.js';
import { torch_cat, torch_matmul, torch_pow, torch_where } from '../ops/functions.js';
import type { Tensor } from '../ops/tensor.js';
import { with_no_grad } from '../ops/autograd.js';
import { torch_keep, torch_scope } from '../core/scope.js';
import { failRange } from '../core/validate.js';
import { nn_Module } from '../nn/module.js';
import type { HfConfig } from './config.js';

/** A checked `rope_parameters` (or legacy `rope_scaling` + `rope_theta`). */
export interface RopeSettings {
  readonly rope_type: 'default' | 'linear' | 'dynamic' | 'yarn' | 'longrope' | 'llama3';
  readonly rope_theta: number;
  readonly parameters: Readonly<Record<string, unknown>>;
  /** Rotated size of each head (head_dim). */
  readonly dim: number;
  readonly max_position_embeddings: number;
}

// The keys transformers' validator accepts for each type (beside rope_type, type, rope_theta,
// partial_rotary_factor); any other type or key is refused by name.
const TYPE_KEYS: Record<RopeSettings['rope_type'], string[]> = {
  default: [],
  linear: ['factor'],
  dynamic: ['factor'],
  yarn: ['factor', 'original_max_position_embeddings', 'attention_factor', 'beta_fast', 'beta_slow', 'mscale', 'mscale_all_dim', 'truncate'],
  longrope: ['short_factor', 'long_factor', 'original_max_position_embeddings', 'attention_factor', 'factor'],
  llama3: ['factor', 'original_max_position_embeddings', 'low_freq_factor', 'high_freq_factor'],
};
const REQUIRED: Record<RopeSettings['rope_type'], string[]> = {
  default: [], linear: ['factor'], dynamic: ['factor'], yarn: ['factor'], longrope: ['short_factor', 'long_factor'],
  llama3: ['factor', 'low_freq_factor', 'high_freq_factor'],
};

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * @internal Reads config.json's rotary settings as transformers standardises them: `rope_scaling`
 * (older files) before `rope_parameters`, `rope_theta` inside or beside it (10000 by default),
 * `original_max_position_embeddings` beside it overriding the one inside.
 */
export function readRope(config: HfConfig, dim: number, max_position_embeddings: number): RopeSettings {
  const given = (config.rope_scaling ?? config.rope_parameters ?? {}) as Record<string, unknown>;
  if (typeof given !== 'object' || Array.isArray(given)) failRange('an object', "config.json's rope_parameters", given);
  const rope_type = (given.rope_type ?? given.type ?? 'default') as RopeSettings['rope_type'];
  if (typeof rope_type !== 'string' || !(rope_type in TYPE_KEYS)) {
    failRange(`a rope_type torchlora implements (${Object.keys(TYPE_KEYS).join(', ')})`, "config.json's rope_parameters.rope_type", rope_type);
  }
  const rope_theta = given.rope_theta ?? config.rope_theta ?? 10000;
  if (!isNumber(rope_theta) || rope_theta <= 0) failRange('a positive number', "config.json's rope_theta", rope_theta);
  const partial = given.partial_rotary_factor ?? config.partial_rotary_factor ?? 1;
  if (partial !== 1) failRange('1 (Llama rotates whole heads; torchlora implements no other partial_rotary_factor)', "config.json's partial_rotary_factor", partial);
  const parameters: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(given)) {
    if (['rope_type', 'type', 'rope_theta', 'partial_rotary_factor'].includes(key)) continue;
    if (!TYPE_KEYS[rope_type].includes(key)) failRange(`only keys of rope_type "${rope_type}" (${TYPE_KEYS[rope_type].join(', ') || 'none'})`, "config.json's rope_parameters", key);
    parameters[key] = value;
  }
  for (const key of REQUIRED[rope_type]) if (parameters[key] === undefined) failRange(`a value (rope_type "${rope_type}" needs it)`, `config.json's rope_parameters.${key}`, undefined);
  if (['llama3', 'yarn', 'longrope'].includes(rope_type)) {
    parameters.original_max_position_embeddings = config.original_max_position_embeddings ?? parameters.original_max_position_embeddings ?? max_position_embeddings;
  }
  for (const [key, value] of Object.entries(parameters)) {
    const list = key === 'short_factor' || key === 'long_factor';
    const ok = list ? Array.isArray(value) && value.length === dim / 2 && value.every(isNumber)
      : key === 'truncate' ? typeof value === 'boolean' : value === null || isNumber(value);
    if (!ok) failRange(list ? `an array of ${dim / 2} numbers` : key === 'truncate' ? 'a boolean' : 'a number', `config.json's rope_parameters.${key}`, value);
  }
  return Object.freeze({ rope_type, rope_theta, parameters: Object.freeze(parameters), dim, max_position_embeddings });
}

// 1 / base^(2i / dim), float32 as transformers: arange, divide, pow with a scalar base, reciprocal.
function baseFrequencies(base: number | Tensor, dim: number): Tensor {
  const exponents = torch_arange(0, dim, 2, { dtype: 'int64' }).float().div(dim);
  return (typeof base === 'number' ? torch_pow(base, exponents) : base.pow(exponents)).reciprocal();
}

const get_mscale = (scale: number, mscale = 1): number => (scale <= 1 ? 1 : 0.1 * mscale * Math.log(scale) + 1);

/** @internal The inverse frequencies and cos/sin factor of `rope` (at `seq_len`, for dynamic and longrope). */
export function ropeFrequencies(rope: RopeSettings, seq_len: number | null = null): { inv_freq: Tensor; attention_scaling: number } {
  const { dim, rope_theta: base, parameters: p } = rope;
  const factor = p.factor as number;
  switch (rope.rope_type) {
    case 'default': return { inv_freq: baseFrequencies(base, dim), attention_scaling: 1 };
    case 'linear': return { inv_freq: baseFrequencies(base, dim).div(factor), attention_scaling: 1 };
    case 'dynamic': {
      if (seq_len === null) return { inv_freq: baseFrequencies(base, dim), attention_scaling: 1 };
      // A tensor in transformers (max(position_ids) + 1), so the new base is float32 arithmetic.
      const length = torch_tensor([Math.max(seq_len, rope.max_position_embeddings)], { dtype: 'int64' }).squeeze();
      const scaled = length.mul(factor).div(rope.max_position_embeddings).sub(factor - 1).pow(dim / (dim - 2)).mul(base);
      return { inv_freq: baseFrequencies(scaled, dim), attention_scaling: 1 };
    }
    case 'yarn': return yarn(rope);
    case 'longrope': {
      const original = p.original_max_position_embeddings as number;
      const scale = (p.factor as number | null) ?? rope.max_position_embeddings / original;
      const attention = (p.attention_factor as number | null) ?? (scale <= 1 ? 1 : Math.sqrt(1 + Math.log(scale) / Math.log(original)));
      const factors = torch_tensor(seq_len !== null && seq_len > original ? p.long_factor as number[] : p.short_factor as number[], { dtype: 'float32' });
      const shape = torch_arange(0, dim, 2, { dtype: 'int64' }).float().div(dim);
      return { inv_freq: factors.mul(torch_pow(base, shape)).reciprocal(), attention_scaling: attention };
    }
    case 'llama3': return llama3(rope);
  }
}

function yarn(rope: RopeSettings): { inv_freq: Tensor; attention_scaling: number } {
  const { dim, rope_theta: base, parameters: p } = rope;
  const original = p.original_max_position_embeddings as number;
  const factor = (p.factor as number | null) ?? rope.max_position_embeddings / original;
  const [mscale, mscaleAllDim] = [p.mscale as number | null | undefined, p.mscale_all_dim as number | null | undefined];
  const attention = (p.attention_factor as number | null | undefined)
    ?? (mscale && mscaleAllDim ? get_mscale(factor, mscale) / get_mscale(factor, mscaleAllDim) : get_mscale(factor));
  const beta_fast = (p.beta_fast as number | null | undefined) || 32;
  const beta_slow = (p.beta_slow as number | null | undefined) || 1;
  const correction = (rotations: number): number => (dim * Math.log(original / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
  let [low, high] = [correction(beta_fast), correction(beta_slow)];
  if ((p.truncate ?? true) === true) [low, high] = [Math.floor(low), Math.ceil(high)];
  [low, high] = [Math.max(low, 0), Math.min(high, dim - 1)];
  if (low === high) high += 0.001;
  const positions = torch_pow(base, torch_arange(0, dim, 2, { dtype: 'int64' }).float().div(dim));
  const extrapolation = positions.reciprocal();
  const interpolation = positions.mul(factor).reciprocal();
  const ramp = torch_arange(0, dim / 2, 1, { dtype: 'float32' }).sub(low).div(high - low).clamp(0, 1);
  const extrapolationFactor = ramp.neg().add(1);
  const inv_freq = interpolation.mul(extrapolationFactor.neg().add(1)).add(extrapolation.mul(extrapolationFactor));
  return { inv_freq, attention_scaling: attention };
}

function llama3(rope: RopeSettings): { inv_freq: Tensor; attention_scaling: number } {
  const { dim, rope_theta: base, parameters: p } = rope;
  const [factor, low, high, old] = [p.factor, p.low_freq_factor, p.high_freq_factor, p.original_max_position_embeddings] as number[];
  const inv_freq = baseFrequencies(base, dim);
  const wavelen = inv_freq.reciprocal().mul(2 * Math.PI);
  const scaled = torch_where(wavelen.gt(old! / low!), inv_freq.div(factor!), inv_freq);
  const smooth = wavelen.reciprocal().mul(old!).sub(low!).div(high! - low!);
  const smoothed = smooth.neg().add(1).mul(scaled).div(factor!).add(smooth.mul(scaled));
  const medium = wavelen.lt(old! / high!).logical_not().logical_and(wavelen.gt(old! / low!).logical_not());
  return { inv_freq: torch_where(medium, smoothed, scaled), attention_scaling: 1 };
}

/**
 * transformers' LlamaRotaryEmbedding: `forward(x, position_ids)` gives `[cos, sin]`
 * (batch x sequence x head_dim, in x's dtype), computed in float32. It holds no parameters
 * and no state_dict entries (transformers' inv_freq is a non-persistent buffer).
 *
 * @example
 * const [cos, sin] = model.model.rotary_emb(hidden_states, position_ids);
 */
export class LlamaRotaryEmbedding extends nn_Module {
  readonly rope: RopeSettings;
  private inv_freq: Tensor | null = null;
  private attention_scaling = 1;
  private original: Tensor | null = null;
  private max_seq_len_cached: number;
  private longrope_long = false;

  constructor(rope: RopeSettings) {
    super();
    this.rope = rope;
    this.max_seq_len_cached = rope.max_position_embeddings;
  }

  private frequencies(device: string, seq_len: number | null): void {
    const made = with_no_grad(() => torch_scope(() => {
      const { inv_freq, attention_scaling } = ropeFrequencies(this.rope, seq_len);
      return { inv_freq: torch_keep(inv_freq.to({ device })), attention_scaling };
    }));
    if (this.inv_freq !== null && this.inv_freq !== this.original) this.inv_freq.dispose();
    this.inv_freq = made.inv_freq;
    this.attention_scaling = made.attention_scaling;
  }

  // transformers' dynamic_rope_update: dynamic grows its frequencies past the longest position
  // seen and goes back below the original length; longrope switches to its long factors past it.
  private update(position_ids: Tensor, device: string): void {
    if (this.inv_freq === null || this.inv_freq.device !== device) {
      this.frequencies(device, null);
      this.original = this.inv_freq;
    }
    const type = this.rope.rope_type;
    if (type !== 'dynamic' && type !== 'longrope') return;
    const seq_len = torch_scope(() => position_ids.max().item() as number) + 1;
    if (type === 'longrope') {
      const long = seq_len > (this.rope.parameters.original_max_position_embeddings as number);
      if (long !== this.longrope_long) {
        if (long) this.frequencies(device, seq_len);
        else this.restore();
        this.longrope_long = long;
      }
      return;
    }
    const cached = this.max_seq_len_cached;
    if (seq_len > cached) {
      this.frequencies(device, seq_len);
      this.max_seq_len_cached = seq_len;
    }
    if (seq_len < this.rope.max_position_embeddings && cached > this.rope.max_position_embeddings) {
      this.restore();
      this.max_seq_len_cached = this.rope.max_position_embeddings;
    }
  }

  private restore(): void {
    if (this.inv_freq !== null && this.inv_freq !== this.original) this.inv_freq.dispose();
    this.inv_freq = this.original;
  }

  override forward(x: Tensor, position_ids: Tensor): [Tensor, Tensor] {
    this.update(position_ids, x.device);
    return with_no_grad(() => torch_scope(() => {
      const inv = this.inv_freq!.index(null, '...', null).expand(position_ids.size(0), -1, 1).float();
      const positions = position_ids.index(':', null, ':').float();
      const freqs = torch_matmul(inv, positions).transpose(1, 2);
      const emb = torch_cat([freqs, freqs], -1);
      return [emb.cos().mul(this.attention_scaling).to({ dtype: x.dtype }), emb.sin().mul(this.attention_scaling).to({ dtype: x.dtype })];
    }));
  }
}
