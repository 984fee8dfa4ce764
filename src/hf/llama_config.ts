// config.json of the decoders that share Llama's layout (model_type llama, mistral, qwen2),
// read into one set of settings: each model type's own fields and transformers' defaults for
// them, and a refusal by name of every field that would change the model and is not built.
import { failRange } from '../core/validate.js';
import { checkModelType, readConfig, type FieldValues, type HfConfig } from './config.js';
import { anyValue, configField, finite, flag, nullablePositive, only, positive, probability } from './config_fields.js';
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

// Fields every type reads; rope fields are read by readRope; initializer_range only seeds a
// new model's random weights, which loading replaces; transformers 4.48-4.50 saved
// _attn_implementation_autoset, which says how it ran, not what it computes.
const COMMON = {
  hidden_act: only('silu', "Llama's SiLU-gated MLP"), rms_norm_eps: finite(1e-6), tie_word_embeddings: flag(false), attention_dropout: probability(0),
  num_key_value_heads: nullablePositive(null), head_dim: nullablePositive(null), initializer_range: finite(0.02), _attn_implementation_autoset: anyValue(),
  rope_parameters: anyValue(), rope_scaling: anyValue(), rope_theta: anyValue(), partial_rotary_factor: anyValue(), original_max_position_embeddings: anyValue(),
};

// transformers' defaults, per model type, of the sizes config.json may leave out.
const SIZES = {
  llama: { vocab_size: positive(32000), hidden_size: positive(4096), intermediate_size: positive(11008), num_hidden_layers: positive(32), num_attention_heads: positive(32), max_position_embeddings: positive(2048) },
  mistral: { vocab_size: positive(32000), hidden_size: positive(4096), intermediate_size: positive(14336), num_hidden_layers: positive(32), num_attention_heads: positive(32), max_position_embeddings: positive(131072) },
  qwen2: { vocab_size: positive(151936), hidden_size: positive(4096), intermediate_size: positive(22016), num_hidden_layers: positive(32), num_attention_heads: positive(32), max_position_embeddings: positive(32768) },
};

const LLAMA = { ...COMMON, ...SIZES.llama, attention_bias: flag(false), mlp_bias: flag(false), pretraining_tp: anyValue() };
const MISTRAL = { ...COMMON, ...SIZES.mistral, sliding_window: nullablePositive(null) };
const QWEN2 = {
  ...COMMON, ...SIZES.qwen2, use_sliding_window: flag(false), sliding_window: nullablePositive(null), max_window_layers: positive(28), layer_types: anyValue(),
};

/** @internal Reads config.json for `model_type` llama, mistral or qwen2. */
export function readLlamaConfig(config: HfConfig): LlamaSettings {
  const model_type = checkModelType(config, ['llama', 'mistral', 'qwen2'], 'Llama');
  const fields = model_type === 'mistral' ? MISTRAL : model_type === 'qwen2' ? QWEN2 : LLAMA;
  // Qwen2.5's files carry use_mrope: false (multimodal rotary positions, Qwen2-VL's), which Qwen2Config ignores.
  const read = readConfig(config, model_type, fields, model_type === 'qwen2' ? { use_mrope: false } : {}) as Record<string, unknown> & FieldValues<typeof COMMON & typeof SIZES.llama>;
  const heads = read.num_attention_heads;
  // MistralConfig's default is 8 when the field is absent; null means one per attention head, as in the others.
  const kvHeads = read.num_key_value_heads ?? (model_type === 'mistral' && !('num_key_value_heads' in config) ? 8 : heads);
  if (heads % kvHeads !== 0) failRange(`a divisor of num_attention_heads (${heads})`, configField('num_key_value_heads'), kvHeads);
  const head_dim = read.head_dim ?? Math.floor(read.hidden_size / heads);
  const layers = read.num_hidden_layers;
  let windows: (number | null)[] = Array.from({ length: layers }, () => null);
  if (model_type === 'mistral') windows = windows.map(() => read.sliding_window as number | null);
  if (model_type === 'qwen2') windows = qwenWindows(read, layers);
  const pad = config.pad_token_id;
  if (pad !== null && pad !== undefined && (typeof pad !== 'number' || !Number.isInteger(pad))) failRange('an integer or null', configField('pad_token_id'), pad);
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
    failRange(`${layers} of "full_attention" and "sliding_attention"`, configField('layer_types'), types);
  }
  if (window === null && types.includes('sliding_attention')) failRange('a sliding_window with use_sliding_window for its "sliding_attention" layers', configField('sliding_window'), null);
  return types.map((type) => (type === 'sliding_attention' ? window : null));
}
