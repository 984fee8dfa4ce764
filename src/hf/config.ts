// A Hugging Face model folder's config.json, read for one architecture: every field the
// architecture implements, with transformers' default where config.json leaves it out; the
// fields every transformers config carries and no forward pass reads; and a refusal, by name,
// of any other field whose value would change the model (a field we do not implement may be
// present only at transformers' own default).
import { fail, failRange } from '../core/validate.js';

/** config.json as transformers writes it. */
export type HfConfig = Readonly<Record<string, unknown>>;

/**
 * Fields of PretrainedConfig that say how to run, save or generate, not what the forward pass
 * computes (generation reads the token ids itself).
 */
const BOOKKEEPING = new Set([
  'architectures', 'model_type', 'transformers_version', 'torch_dtype', 'dtype', 'use_cache', '_name_or_path',
  'bos_token_id', 'eos_token_id', 'pad_token_id', 'sep_token_id', 'decoder_start_token_id', 'id2label', 'label2id',
  'output_attentions', 'output_hidden_states', 'return_dict', 'task_specific_params', 'problem_type',
  'tokenizer_class', 'prefix', 'chunk_size_feed_forward', 'is_encoder_decoder', 'is_decoder', 'add_cross_attention',
  'tie_encoder_decoder', 'cross_attention_hidden_size', 'finetuning_task', 'torchscript', 'pruned_heads',
  'max_length', 'min_length', 'do_sample', 'num_beams', 'temperature', 'top_k', 'top_p', 'repetition_penalty',
  'length_penalty', 'no_repeat_ngram_size', 'bad_words_ids', 'num_return_sequences', 'early_stopping',
]);

/**
 * Checks that `config` is config.json's object for one of `types` (its `model_type`): a
 * config without one is no config.json, and taking transformers' default sizes for it would
 * build a model of billions of parameters from `{}`.
 */
export function checkModelType<T extends string>(config: unknown, types: readonly T[], label: string): T {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) fail(`config.json's object (${label})`, 'config', config);
  const type = (config as HfConfig).model_type;
  if (!types.includes(type as T)) failRange(types.map((t) => JSON.stringify(t)).join(' or '), `config.json's model_type (${label})`, type);
  return type as T;
}

/** One field an architecture reads: transformers' default (undefined: required) and its check. */
export interface FieldSpec<T> {
  default?: T;
  check: (value: unknown, name: string) => T;
}

/** What a field spec table reads into. */
export type FieldValues<S> = { readonly [K in keyof S]: S[K] extends FieldSpec<infer T> ? T : never };

/**
 * Reads `config` for the architecture `label` names: each field of `fields` checked (or its
 * default), each field of `inert` accepted at the value given there (transformers' default,
 * the only one implemented), anything else refused by name.
 */
export function readConfig<S extends Record<string, FieldSpec<unknown>>>(
  config: HfConfig, label: string, fields: S, inert: Readonly<Record<string, unknown>> = {},
): FieldValues<S> {
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(fields)) {
    const value = config[name] ?? spec.default;
    if (value === undefined) failRange(`a value in config.json (${label} needs it)`, name, value);
    values[name] = spec.check(value, name);
  }
  for (const [name, value] of Object.entries(config)) {
    if (name in fields || BOOKKEEPING.has(name)) continue;
    if (name in inert) {
      if (value === null || JSON.stringify(value) === JSON.stringify(inert[name])) continue;
      failRange(`${JSON.stringify(inert[name])}, the only value torchlora's ${label} implements,`, `config.json's ${name}`, value);
    }
    failRange(`only fields torchlora's ${label} implements (${Object.keys(fields).join(', ')})`, "config.json's fields", name);
  }
  return Object.freeze(values) as FieldValues<S>;
}
