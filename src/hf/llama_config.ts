// config.json of the decoders that share Llama's layout (model_type llama, mistral, qwen2),
// read into one set of settings: each model type's own fields and transformers' defaults for
// them, and a refusal by name of every field that would change the model and is not built.
import { checkPositiveInteger, failRange } from '../core/validate.js';
import { readConfig, type FieldSpec, type FieldValues, type HfConfig } from './config.js';
import { readRope, type RopeSettings } from './rope.js';

/** What the Llama-family modules are built from. */
export interface LlamaSettings {
  readonly model_type: 'llama' | 'mistral' | 'qwen2';
  readonly vocab_size: number;
  readonly hidden_size: number;
  readonly intermediate_size: number;
  readonly num_hidden_layers: number;
  readonly num_attention_heads: number;
  readonly num_key_value_heads: number;
  readonly head_dim: number;
  readonly rms_norm_eps: number;
  readonly tie_word_embeddings: boolean;
  /** Biases of q_proj, k_proj and v_proj (Llama's attention_bias, always in Qwen2). */
  readonly qkv_bias: boolean;
  /** The bias of o_proj (Llama's attention_bias; never in Qwen2). */
  readonly o_bias: boolean;
  readonly mlp_bias: boolean;
  readonly attention_dropout: number;
  readonly pad_token_id: number | null;
  /** The standard deviation of a new model's random weights (transformers' _init_weights). */
  readonly initializer_range: number;
  readonly rope: RopeSettings;
  /** Each layer's sliding window (a query sees that many positions, itself included), or null. */
  readonly windows: readonly (number | null)[];
}

const where = (name: string): string => `config.json's ${name}`;
const positive: FieldSpec<number>['check'] = (value, name) => checkPositiveInteger(value, where(name));
const int = (fallback?: number): FieldSpec<number> => ({ default: fallback, check: positive });
const optionalInt: FieldSpec<number | null> = { default: null, check: (value, name) => (value === null ? null : positive(value, name)) };
const bool = (fallback: boolean): FieldSpec<boolean> => ({
  default: fallback, check: (value, name) => (typeof value === 'boolean' ? value : failRange('true or false', where(name), value)),
});
const number = (fallback: number, min = 0): FieldSpec<number> => ({
  default: fallback, check: (value, name) => (typeof value === 'number' && value >= min && Number.isFinite(value) ? value : failRange(`a number >= ${min}`, where(name), value)),
});
const anything: FieldSpec<unknown> = { default: null, check: (value) => value };
const silu: FieldSpec<string> = {
  default: 'silu', check: (value, name) => (value === 'silu' ? value : failRange('"silu", the only activation torchlora\'s Llama implements', where(name), value)),
};

// Fields every type reads; rope fields are read by readRope; initializer_range only seeds a
// new model's random weights, which loading replaces; transformers 4.48-4.50 saved
// _attn_implementation_autoset, which says how it ran, not what it computes.
const COMMON = {
  hidden_act: silu, rms_norm_eps: number(1e-6), tie_word_embeddings: bool(false), attention_dropout: number(0),
  num_key_value_heads: optionalInt, head_dim: optionalInt, initializer_range: number(0.02), _attn_implementation_autoset: anything,
  rope_parameters: anything, rope_scaling: anything, rope_theta: anything, partial_rotary_factor: anything, original_max_position_embeddings: anything,
};

// transformers' defaults, per model type, of the sizes config.json may leave out.
const SIZES = {
  llama: { vocab_size: int(32000), hidden_size: int(4096), intermediate_size: int(11008), num_hidden_layers: int(32), num_attention_heads: int(32), max_position_embeddings: int(2048) },
  mistral: { vocab_size: int(32000), hidden_size: int(4096), intermediate_size: int(14336), num_hidden_layers: int(32), num_attention_heads: int(32), max_position_embeddings: int(131072) },
  qwen2: { vocab_size: int(151936), hidden_size: int(4096), intermediate_size: int(22016), num_hidden_layers: int(32), num_attention_heads: int(32), max_position_embeddings: int(32768) },
};

const LLAMA = { ...COMMON, ...SIZES.llama, attention_bias: bool(false), mlp_bias: bool(false), pretraining_tp: anything };
const MISTRAL = { ...COMMON, ...SIZES.mistral, sliding_window: optionalInt };
const QWEN2 = {
  ...COMMON, ...SIZES.qwen2, use_sliding_window: bool(false), sliding_window: optionalInt, max_window_layers: int(28), layer_types: anything,
};

/** @internal Reads config.json for `model_type` llama, mistral or qwen2. */
export function readLlamaConfig(config: HfConfig): LlamaSettings {
  const model_type = config.model_type as LlamaSettings['model_type'];
  const fields = model_type === 'mistral' ? MISTRAL : model_type === 'qwen2' ? QWEN2 : LLAMA;
  // Qwen2.5's files carry use_mrope: false (multimodal rotary positions, Qwen2-VL's), which Qwen2Config ignores.
  const read = readConfig(config, model_type, fields, model_type === 'qwen2' ? { use_mrope: false } : {}) as Record<string, unknown> & FieldValues<typeof COMMON & typeof SIZES.llama>;
  const heads = read.num_attention_heads;
  // MistralConfig's default is 8 when the field is absent; null means one per attention head, as in the others.
  const kvHeads = read.num_key_value_heads ?? (model_type === 'mistral' && !('num_key_value_heads' in config) ? 8 : heads);
  if (heads % kvHeads !== 0) failRange(`a divisor of num_attention_heads (${heads})`, where('num_key_value_heads'), kvHeads);
  const head_dim = read.head_dim ?? Math.floor(read.hidden_size / heads);
  const layers = read.num_hidden_layers;
  let windows: (number | null)[] = Array.from({ length: layers }, () => null);
  if (model_type === 'mistral') windows = windows.map(() => read.sliding_window as number | null);
  if (model_type === 'qwen2') windows = qwenWindows(read, layers);
  const pad = config.pad_token_id;
  if (pad !== null && pad !== undefined && (typeof pad !== 'number' || !Number.isInteger(pad))) failRange('an integer or null', where('pad_token_id'), pad);
  return Object.freeze({
    model_type, vocab_size: read.vocab_size, hidden_size: read.hidden_size, intermediate_size: read.intermediate_size, num_hidden_layers: layers,
    num_attention_heads: heads, num_key_value_heads: kvHeads, head_dim, rms_norm_eps: read.rms_norm_eps, tie_word_embeddings: read.tie_word_embeddings,
    qkv_bias: model_type === 'qwen2' || read.attention_bias === true, o_bias: read.attention_bias === true, mlp_bias: read.mlp_bias === true,
    attention_dropout: read.attention_dropout, pad_token_id: (pad as number | null | undefined) ?? null, initializer_range: read.initializer_range,
    rope: readRope(config, head_dim, read.max_position_embeddings), windows: Object.freeze(windows),
  });
}

// Qwen2Config: a window only with use_sliding_window, on the layers layer_types names (by
// default those from max_window_layers on).
function qwenWindows(read: Record<string, unknown>, layers: number): (number | null)[] {
  const window = read.use_sliding_window ? read.sliding_window as number | null : null;
  const types = (read.layer_types ?? Array.from({ length: layers }, (_, i) => (window !== null && i >= (read.max_window_layers as number) ? 'sliding_attention' : 'full_attention'))) as unknown[];
  if (!Array.isArray(types) || types.length !== layers || !types.every((type) => type === 'full_attention' || type === 'sliding_attention')) {
    failRange(`${layers} of "full_attention" and "sliding_attention"`, where('layer_types'), types);
  }
  if (window === null && types.includes('sliding_attention')) failRange('a sliding_window with use_sliding_window for its "sliding_attention" layers', where('sliding_window'), null);
  return types.map((type) => (type === 'sliding_attention' ? window : null));
}
