// What `tokenizer(text, text_pair, options)` does on top of npm tokenizers, as transformers' fast
// tokenizers do it: the padding/truncation strategy (`_get_padding_truncation_strategies`), the
// pairs of a batch, padding a batch to one width, and the result as lists or int64 Tensors.
import type { Encoding, Tokenizer } from 'tokenizers';
import { checkBoolean, checkPositiveInteger, fail, failRange } from '../core/validate.js';
import { torch_tensor } from '../ops/creation.js';
import type { Tensor } from '../ops/tensor.js';
import type { HfBatchEncoding, HfPaddingSide, HfTokenizeOptions } from './tokenizer.js';

type Truncation = 'longest_first' | 'only_first' | 'only_second';

/** One call's settings, checked. */
export interface CallSettings {
  add_special_tokens: boolean;
  pad: false | 'longest' | 'max_length';
  truncate: false | Truncation;
  max_length: number | undefined;
  pad_to_multiple_of: number | undefined;
  side: HfPaddingSide;
  return_tensors: 'pt' | undefined;
  return_token_type_ids: boolean;
}

/** What a tokenizer brings to each call: its defaults and its padding token. */
export interface CallDefaults {
  model_max_length: number;
  padding_side: HfPaddingSide;
  truncation_side: HfPaddingSide;
  pad_token: string | null;
  pad_token_id: number | null;
  /** Whether `token_type_ids` is among transformers' model_input_names for this tokenizer. */
  token_type_ids: boolean;
}

const TRUNCATIONS: readonly unknown[] = ['longest_first', 'only_first', 'only_second'] satisfies Truncation[];
const RUST_TRUNCATION = { longest_first: 'LongestFirst', only_first: 'OnlyFirst', only_second: 'OnlySecond' } as const;

/** transformers' `_get_padding_truncation_strategies`. */
export function callSettings(options: HfTokenizeOptions, defaults: CallDefaults): CallSettings {
  const { add_special_tokens = true, padding = false, max_length, pad_to_multiple_of, padding_side = defaults.padding_side, return_tensors } = options;
  const { return_token_type_ids = defaults.token_type_ids } = options;
  let { truncation } = options;
  checkBoolean(add_special_tokens, 'add_special_tokens');
  checkBoolean(return_token_type_ids, 'return_token_type_ids');
  if (max_length !== undefined) checkPositiveInteger(max_length, 'max_length');
  if (pad_to_multiple_of !== undefined) checkPositiveInteger(pad_to_multiple_of, 'pad_to_multiple_of');
  if (return_tensors !== undefined && return_tensors !== 'pt') failRange("'pt' (torchlora's Tensors) or no return_tensors", 'return_tensors', return_tensors);
  // transformers: max_length alone asks for truncation.
  if (max_length !== undefined && padding === false && truncation === undefined) truncation = 'longest_first';
  let pad: CallSettings['pad'];
  if (padding === true || padding === 'longest') pad = 'longest';
  else if (padding === 'max_length') pad = 'max_length';
  else if (padding === false || padding === 'do_not_pad') pad = false;
  else return fail("true, false, 'longest', 'max_length' or 'do_not_pad'", 'padding', padding);
  let truncate: Truncation | false;
  if (truncation === undefined || truncation === false || truncation === 'do_not_truncate') truncate = false;
  else if (truncation === true) truncate = 'longest_first';
  else if (TRUNCATIONS.includes(truncation)) truncate = truncation;
  else return fail("true, false, 'longest_first', 'only_first', 'only_second' or 'do_not_truncate'", 'truncation', truncation);
  let length = max_length;
  if (length === undefined) {
    // model_max_length stands in; where it is unbounded, transformers neither pads to it nor truncates.
    if (pad === 'max_length' && defaults.model_max_length === Infinity) pad = false;
    if (truncate !== false && defaults.model_max_length === Infinity) truncate = false;
    if (pad === 'max_length' || truncate !== false) length = defaults.model_max_length;
  }
  if (pad !== false && defaults.pad_token_id === null) {
    failRange("a pad_token (tokenizer_config.json has none: hf_tokenizer(path, { pad_token: '...' }) sets one, as tokenizer.pad_token = ... does)", 'padding', padding);
  }
  if (truncate !== false && pad !== false && pad_to_multiple_of !== undefined && length !== undefined && length % pad_to_multiple_of !== 0) {
    failRange(`a max_length that is a multiple of pad_to_multiple_of (${pad_to_multiple_of})`, 'max_length', length);
  }
  if (padding_side !== 'left' && padding_side !== 'right') failRange('"left" or "right"', 'padding_side', padding_side);
  return { add_special_tokens, pad, truncate, max_length: length, pad_to_multiple_of, side: padding_side, return_tensors, return_token_type_ids };
}

/** A call's texts: one string (`single`), or a batch; each with its pair or null. */
export interface CallInputs {
  single: boolean;
  texts: string[];
  pairs: (string | null)[];
}

/** `text` and `text_pair` as transformers' `_encode_plus` takes them: one string and its pair, or two lists of one length. */
export function callInputs(text: unknown, textPair: unknown): CallInputs {
  if (typeof text === 'string') {
    if (textPair !== undefined && typeof textPair !== 'string') fail('a string (text is one string)', 'text_pair', textPair);
    // transformers: `[(text, text_pair)] if text_pair else [text]`; an empty pair is no pair.
    return { single: true, texts: [text], pairs: [textPair === undefined || textPair === '' ? null : textPair] };
  }
  if (!Array.isArray(text)) fail('a string or an array of strings', 'text', text);
  text.forEach((item, i) => typeof item === 'string' || fail('a string', `text[${i}]`, item));
  if (textPair === undefined) return { single: false, texts: text as string[], pairs: text.map(() => null) };
  if (!Array.isArray(textPair)) fail(`an array of ${text.length} strings, one per text (text is an array)`, 'text_pair', textPair);
  if (textPair.length !== text.length) failRange(`an array of ${text.length} strings, one per text`, 'text_pair', textPair);
  textPair.forEach((item, i) => typeof item === 'string' || fail('a string', `text_pair[${i}]`, item));
  return { single: false, texts: text as string[], pairs: textPair as string[] };
}

/**
 * Encodes the inputs with the call's truncation, then pads them to one width as the crate's
 * batch padding does (the longest, or max_length, rounded up to pad_to_multiple_of). The backend's
 * truncation is a setting of the shared tokenizer: the caller runs this in its turn.
 */
export async function encodeCall(backend: Tokenizer, inputs: CallInputs, settings: CallSettings, defaults: CallDefaults): Promise<Encoding[]> {
  const { truncate, max_length, add_special_tokens } = settings;
  if (truncate !== false) backend.setTruncation(max_length!, { direction: defaults.truncation_side, stride: 0, strategy: RUST_TRUNCATION[truncate] as never });
  else backend.disableTruncation();
  backend.disablePadding();
  let encodings: Encoding[];
  try {
    // The binding's encodeBatch takes single texts only; pairs go one by one, still on libuv's pool.
    encodings = inputs.pairs.every((pair) => pair === null)
      ? await backend.encodeBatch(inputs.texts, { addSpecialTokens: add_special_tokens })
      : await Promise.all(inputs.texts.map((text, i) => backend.encode(text, inputs.pairs[i], { addSpecialTokens: add_special_tokens })));
  } catch (error) {
    const message = (error as Error).message;
    // The crate refuses a strategy that cannot reach max_length (only_first on a short first text, only_second with no pair).
    if (truncate !== false && message.startsWith('Truncation error')) {
      return failRange(`a strategy that can cut every text${inputs.pairs.some((pair) => pair !== null) ? ' pair' : ''} to max_length ${max_length} (tokenizers: ${message})`, 'truncation', truncate);
    }
    throw error;
  }
  if (settings.pad !== false && encodings.length > 0) {
    let width = settings.pad === 'max_length' ? max_length! : Math.max(...encodings.map((encoding) => encoding.getLength()));
    const multiple = settings.pad_to_multiple_of;
    if (multiple !== undefined && width % multiple !== 0) width += multiple - (width % multiple);
    const padding = { direction: settings.side, padId: defaults.pad_token_id!, padTypeId: 0, padToken: defaults.pad_token! };
    for (const encoding of encodings) encoding.pad(width, padding);
  }
  return encodings;
}

/** The encodings as transformers returns them: lists (flat for one string), or int64 Tensors; token_type_ids where asked. */
export function callOutput(encodings: Encoding[], single: boolean, settings: CallSettings): HfBatchEncoding<unknown> {
  const rows: Record<string, number[][]> = { input_ids: encodings.map((encoding) => encoding.getIds()) };
  if (settings.return_token_type_ids) rows.token_type_ids = encodings.map((encoding) => encoding.getTypeIds());
  rows.attention_mask = encodings.map((encoding) => encoding.getAttentionMask());
  if (settings.return_tensors === undefined) {
    return Object.fromEntries(Object.entries(rows).map(([key, value]) => [key, single ? value[0] : value])) as unknown as HfBatchEncoding<unknown>;
  }
  const lengths = new Set(rows.input_ids!.map((row) => row.length));
  if (lengths.size > 1) {
    failRange("sequences of one length for return_tensors: 'pt' (pass padding: true)", 'the lengths', [...lengths].join(', '));
  }
  const width = rows.input_ids![0]?.length ?? 0;
  const tensor = (values: number[][]): Tensor => torch_tensor(BigInt64Array.from(values.flat(), BigInt), { shape: [values.length, width] });
  return Object.fromEntries(Object.entries(rows).map(([key, value]) => [key, tensor(value)])) as unknown as HfBatchEncoding<unknown>;
}
