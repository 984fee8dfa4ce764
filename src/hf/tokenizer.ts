// A Hugging Face tokenizer folder (tokenizer.json, tokenizer_config.json) as a tokenizer that is
// called like transformers' one. The tokenizing itself (normalizers, pre-tokenizers, BPE,
// WordPiece and Unigram models, added and special tokens, post-processors, truncation, padding,
// decoders) is Hugging Face's Rust `tokenizers` through its own Node binding, npm `tokenizers`,
// the crate and version Python's `tokenizers` and transformers' fast tokenizers run, so ids are
// Python's (docs/tokenizers.md says why this package and not a JavaScript port). Written here is
// only what transformers adds on top of that crate: tokenizer_config.json's special tokens,
// padding and truncation sides and model_max_length; the
// padding/truncation strategy of `tokenizer(texts, { padding, truncation, max_length })`;
// clean_up_tokenization_spaces; and int64 Tensors.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Encoding, Tokenizer } from 'tokenizers';
import { checkBoolean, checkNonNegativeInteger, checkOptions, checkPositiveInteger, fail, failRange, optionKeys } from '../core/validate.js';
import { torch_tensor } from '../ops/creation.js';
import { Tensor } from '../ops/tensor.js';

type TokenizersBinding = typeof import('tokenizers');
let binding: TokenizersBinding | undefined;
/** npm tokenizers, required on first use, not at import: a program that never tokenizes does not load its binary. */
function tokenizers(): TokenizersBinding {
  try {
    return (binding ??= createRequire(import.meta.url)('tokenizers') as TokenizersBinding);
  } catch (error) {
    throw new Error(`hf_tokenizer needs npm tokenizers' binary for ${process.platform}-${process.arch}, which did not load: ${(error as Error).message}`, { cause: error });
  }
}

/** Which end padding (or truncation) takes tokens from or adds them to. */
export type HfPaddingSide = 'left' | 'right';

/** What `hf_tokenizer` may override, as `from_pretrained(path, **kwargs)` does in transformers. */
export interface HfTokenizerOptions {
  /** The padding token, for tokenizers that have none (`pad_token: '</s>'`, as `tokenizer.pad_token = tokenizer.eos_token`). */
  pad_token?: string;
  padding_side?: HfPaddingSide;
  truncation_side?: HfPaddingSide;
  /** The length `truncation: true` and `padding: 'max_length'` use when no max_length is given. */
  model_max_length?: number;
}

/** Options of a call, transformers' names and meanings. */
export interface HfTokenizeOptions {
  /** Whether the post-processor adds its special tokens ([CLS] ... [SEP], <s> ...). Default true. */
  add_special_tokens?: boolean;
  /** true or 'longest': to the batch's longest; 'max_length': to max_length; false (default): none. */
  padding?: boolean | 'longest' | 'max_length' | 'do_not_pad';
  /** true or 'longest_first': to max_length (or model_max_length), special tokens included. */
  truncation?: boolean | 'longest_first' | 'do_not_truncate';
  max_length?: number;
  pad_to_multiple_of?: number;
  padding_side?: HfPaddingSide;
  /** 'pt': int64 Tensors of shape [batch, length] (a string gives a batch of one). */
  return_tensors?: 'pt';
}

/** Options of `decode` and `batch_decode`, transformers' names. */
export interface HfDecodeOptions {
  skip_special_tokens?: boolean;
  /** Default: tokenizer_config.json's (false when absent); never applied to BPE models, as in transformers 5. */
  clean_up_tokenization_spaces?: boolean;
}

/** `tokenizer(texts, options)`'s result: lists, or int64 Tensors with `return_tensors: 'pt'`. */
export interface HfBatchEncoding<T> {
  input_ids: T;
  attention_mask: T;
  token_type_ids: T;
}

/**
 * A tokenizer as `hf_tokenizer` reads it: called on a string or an array of strings as
 * transformers' tokenizer is called, with encode/decode and the special tokens beside.
 * @example const { input_ids } = await tokenizer(['a', 'b c'], { padding: true, return_tensors: 'pt' });
 */
export interface HfTokenizer {
  /** Tokenizes a batch (or one string) with padding and truncation, as transformers' `tokenizer(texts, ...)`. */
  (text: string, options: HfTokenizeOptions & { return_tensors: 'pt' }): Promise<HfBatchEncoding<Tensor>>;
  (text: readonly string[], options: HfTokenizeOptions & { return_tensors: 'pt' }): Promise<HfBatchEncoding<Tensor>>;
  (text: string, options?: HfTokenizeOptions): Promise<HfBatchEncoding<number[]>>;
  (text: readonly string[], options?: HfTokenizeOptions): Promise<HfBatchEncoding<number[][]>>;
  /** The ids of one text, with the post-processor's special tokens unless `add_special_tokens: false`. */
  encode(text: string, options?: { add_special_tokens?: boolean }): Promise<number[]>;
  /** The text of ids (an array or a 1-D Tensor). */
  decode(ids: readonly number[] | Tensor, options?: HfDecodeOptions): Promise<string>;
  /** The texts of a batch of ids (arrays or a 2-D Tensor). */
  batch_decode(ids: readonly (readonly number[])[] | Tensor, options?: HfDecodeOptions): Promise<string[]>;
  convert_tokens_to_ids(token: string): number | null;
  convert_ids_to_tokens(id: number): string | null;
  readonly bos_token: string | null; readonly bos_token_id: number | null;
  readonly eos_token: string | null; readonly eos_token_id: number | null;
  readonly unk_token: string | null; readonly unk_token_id: number | null;
  readonly pad_token: string | null; readonly pad_token_id: number | null;
  readonly padding_side: HfPaddingSide;
  readonly truncation_side: HfPaddingSide;
  /** Infinity where the folder gives none (transformers' 1e30). */
  readonly model_max_length: number;
  /** The vocabulary without added tokens, as transformers' `vocab_size`; `len(tokenizer)` is `backend_tokenizer.getVocabSize(true)`. */
  readonly vocab_size: number;
  /**
   * The `tokenizers` package's Tokenizer underneath, for what this object does not wrap
   * (offsets, pairs, training). Typed `unknown`: that package's own declarations do not compile
   * in a strict project without skipLibCheck, and torchlora's must. Cast it:
   * `tokenizer.backend_tokenizer as import('tokenizers').Tokenizer`.
   */
  readonly backend_tokenizer: unknown;
}

const OPTION_KEYS = optionKeys<HfTokenizerOptions>({ pad_token: true, padding_side: true, truncation_side: true, model_max_length: true });
const CALL_KEYS = optionKeys<HfTokenizeOptions>({
  add_special_tokens: true, padding: true, truncation: true, max_length: true, pad_to_multiple_of: true, padding_side: true, return_tensors: true,
});
const ENCODE_KEYS = optionKeys<{ add_special_tokens?: boolean }>({ add_special_tokens: true });
const DECODE_KEYS = optionKeys<HfDecodeOptions>({ skip_special_tokens: true, clean_up_tokenization_spaces: true });
const SPECIAL_TOKENS = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'] as const;
type SpecialToken = (typeof SPECIAL_TOKENS)[number];
/** transformers' classes whose `padding_side` attribute is 'left', the default where tokenizer_config.json names none. */
const LEFT_PADDING_CLASSES = new Set(['LlamaTokenizer', 'CodeLlamaTokenizer', 'GemmaTokenizer', 'CohereTokenizer', 'XLNetTokenizer', 'Siglip2Tokenizer']);
/** transformers' LARGE_INTEGER: a model_max_length above it means "no limit". */
const LARGE_INTEGER = 1e20;

type Json = Record<string, unknown>;

const readJson = (path: string): Json => {
  const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) failRange('a JSON object', path, value);
  return value as Json;
};

/** A special token as tokenizer_config.json writes it: a string, an AddedToken object, or null. */
function tokenContent(value: unknown, name: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && typeof (value as Json).content === 'string') return (value as Json).content as string;
  return fail('a string or an AddedToken object with content', `tokenizer_config.json's ${name}`, value);
}

const side = (value: unknown, name: string): HfPaddingSide => {
  if (value !== 'left' && value !== 'right') failRange('"left" or "right"', name, value);
  return value;
};

/** The folder's files: `path` is the folder or its tokenizer.json (tokenizer_config.json is read beside it). */
function folderFiles(path: unknown): { tokenizerJson: string; config: Json } {
  if (typeof path !== 'string') fail('a path to a folder with tokenizer.json, or to a tokenizer.json', 'hf_tokenizer path', path);
  const isFolder = existsSync(path) && statSync(path).isDirectory();
  const tokenizerJson = isFolder ? join(path, 'tokenizer.json') : path;
  if (!existsSync(tokenizerJson)) {
    failRange('a folder with tokenizer.json (a slow-only tokenizer must be saved once by transformers, which writes one), or a tokenizer.json', 'hf_tokenizer path', path);
  }
  const configPath = join(dirname(tokenizerJson), 'tokenizer_config.json');
  return { tokenizerJson, config: existsSync(configPath) ? readJson(configPath) : {} };
}

/**
 * Reads a Hugging Face tokenizer: a model folder (or its tokenizer.json) holding BPE
 * (GPT-2's byte-level, Llama's SentencePiece-style with byte fallback), WordPiece (BERT) or
 * Unigram, with tokenizer_config.json's special tokens, padding side and model_max_length.
 * The tokenizer is called as transformers' is, and answers with Promises (the Rust crate
 * works off the main thread). Ids equal Python `tokenizers`', and transformers' on the folders it
 * saves (docs/tokenizers.md: where transformers 5.18 reads a folder otherwise).
 *
 * @example
 * const tokenizer = hf_tokenizer('models/llama', { pad_token: '</s>' });
 * const ids = await tokenizer.encode('Hello world');           // [1, 15043, 3186]
 * const { input_ids, attention_mask } = await tokenizer(['Hi', 'Hello world'], { padding: true, return_tensors: 'pt' });
 * await tokenizer.decode(ids, { skip_special_tokens: true }); // 'Hello world'
 */
export function hf_tokenizer(path: string, options?: HfTokenizerOptions): HfTokenizer {
  const given = checkOptions(options, OPTION_KEYS, 'hf_tokenizer');
  const { tokenizerJson, config } = folderFiles(path);
  const text = readFileSync(tokenizerJson, 'utf8');
  let backend: Tokenizer;
  try {
    backend = tokenizers().Tokenizer.fromString(text);
  } catch (error) {
    return failRange('a tokenizer.json that Hugging Face tokenizers 0.23 reads', tokenizerJson, (error as Error).message);
  }
  if (config.split_special_tokens === true) failRange('false (the tokenizers binding cannot split special tokens)', "tokenizer_config.json's split_special_tokens", true);
  // What the binding does not expose: the model's type and tokenizer.json's own padding and truncation.
  const json = JSON.parse(text) as Json;
  const jsonPadding = json.padding as Json | null | undefined;
  const jsonTruncation = json.truncation as Json | null | undefined;

  // Special tokens: hf_tokenizer's options, then tokenizer_config.json, then tokenizer.json's padding;
  // one the vocabulary lacks is added as a special token, as transformers does on loading.
  const tokens = Object.fromEntries(SPECIAL_TOKENS.map((name) => [name, tokenContent(config[name], name)])) as Record<SpecialToken, string | null>;
  if (given.pad_token !== undefined) tokens.pad_token = tokenContent(given.pad_token, 'pad_token');
  tokens.pad_token ??= tokenContent(jsonPadding?.pad_token, 'pad_token');
  // transformers 4 lists more special tokens in additional_special_tokens; 5 in extra_special_tokens, a list or a name -> token map.
  const extra = [config.additional_special_tokens, config.extra_special_tokens]
    .flatMap((list) => (Array.isArray(list) ? list : typeof list === 'object' && list !== null ? Object.values(list) : []));
  const missing = [...Object.values(tokens), ...extra.map((token) => tokenContent(token, 'additional_special_tokens'))]
    .filter((token): token is string => token !== null && backend.tokenToId(token) === null);
  if (missing.length > 0) backend.addSpecialTokens([...new Set(missing)]);
  const id = (token: string | null): number | null => (token === null ? null : backend.tokenToId(token));

  // tokenizer.json's post-processor decides which special tokens encoding adds: transformers 5.18 ignores
  // tokenizer_config.json's add_bos_token/add_eos_token on loading too (test/hf/tokenizer_reference.py's llama2_hub).
  const className = typeof config.tokenizer_class === 'string' ? config.tokenizer_class.replace(/Fast$/, '') : '';
  const jsonDirection = (settings: Json | null | undefined): HfPaddingSide | undefined =>
    typeof settings?.direction === 'string' ? (settings.direction.toLowerCase() as HfPaddingSide) : undefined;
  const padding_side = side(given.padding_side ?? config.padding_side ?? jsonDirection(jsonPadding) ?? (LEFT_PADDING_CLASSES.has(className) ? 'left' : 'right'), 'padding_side');
  const truncation_side = side(given.truncation_side ?? config.truncation_side ?? jsonDirection(jsonTruncation) ?? 'right', 'truncation_side');
  const maxLength = given.model_max_length ?? config.model_max_length ?? Infinity;
  if (typeof maxLength !== 'number' || !(maxLength > 0)) failRange('a positive number', 'model_max_length', maxLength);
  const model_max_length = maxLength > LARGE_INTEGER ? Infinity : checkPositiveInteger(maxLength, 'model_max_length');
  const cleanUp = config.clean_up_tokenization_spaces === true &&
    ((json.model as Json | undefined)?.type !== 'BPE' || config.clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output === true);
  // transformers sets padding and truncation on the backend per call; tokenizer.json's own are only defaults.
  backend.disablePadding();
  backend.disableTruncation();

  // Padding and truncation are settings of the shared backend that each call changes: calls take turns.
  let turn: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(job: () => Promise<T>): Promise<T> => {
    const run = turn.then(job, job);
    turn = run.catch(() => undefined);
    return run;
  };

  const call = (text: string | readonly string[], callOptions?: HfTokenizeOptions): Promise<HfBatchEncoding<unknown>> => {
    const texts = checkTexts(text);
    const settings = strategy(checkOptions(callOptions, CALL_KEYS, 'tokenizer call'), model_max_length, id(tokens.pad_token), padding_side);
    return inTurn(async () => {
      if (settings.truncate) backend.setTruncation(settings.max_length!, { direction: truncation_side, stride: 0 });
      else backend.disableTruncation();
      if (settings.pad) {
        backend.setPadding({
          maxLength: settings.pad === 'max_length' ? settings.max_length! : undefined, direction: settings.side, padId: id(tokens.pad_token)!,
          padToken: tokens.pad_token!, padTypeId: 0, padToMultipleOf: settings.pad_to_multiple_of,
        });
      } else {
        backend.disablePadding();
      }
      return backend.encodeBatch(texts as string[], { addSpecialTokens: settings.add_special_tokens });
    }).then((encodings) => output(encodings, typeof text === 'string', settings.return_tensors));
  };

  const decodeOne = (ids: number[], skip: boolean, clean: boolean): Promise<string> =>
    backend.decode(ids, skip).then((decoded) => (clean ? cleanUpTokenization(decoded) : decoded));
  const decodeSettings = (decodeOptions: HfDecodeOptions | undefined, where: string) => {
    const { skip_special_tokens = false, clean_up_tokenization_spaces } = checkOptions(decodeOptions, DECODE_KEYS, where);
    const clean = clean_up_tokenization_spaces === undefined ? cleanUp : checkBoolean(clean_up_tokenization_spaces, 'clean_up_tokenization_spaces') && (json.model as Json | undefined)?.type !== 'BPE';
    return { skip: checkBoolean(skip_special_tokens, 'skip_special_tokens'), clean };
  };

  return Object.freeze(Object.assign(call, {
    encode(text: string, encodeOptions?: { add_special_tokens?: boolean }): Promise<number[]> {
      if (typeof text !== 'string') fail('a string', 'encode text', text);
      const { add_special_tokens = true } = checkOptions(encodeOptions, ENCODE_KEYS, 'encode');
      checkBoolean(add_special_tokens, 'add_special_tokens');
      return inTurn(async () => {
        backend.disablePadding();
        backend.disableTruncation();
        return (await backend.encode(text, null, { addSpecialTokens: add_special_tokens })).getIds();
      });
    },
    decode(ids: readonly number[] | Tensor, decodeOptions?: HfDecodeOptions): Promise<string> {
      const { skip, clean } = decodeSettings(decodeOptions, 'decode');
      return decodeOne(checkIds(ids instanceof Tensor ? tensorRows(ids, 1, 'decode ids')[0]! : ids, 'decode ids'), skip, clean);
    },
    batch_decode(ids: readonly (readonly number[])[] | Tensor, decodeOptions?: HfDecodeOptions): Promise<string[]> {
      const { skip, clean } = decodeSettings(decodeOptions, 'batch_decode');
      const rows = ids instanceof Tensor ? tensorRows(ids, 2, 'batch_decode ids') : ids;
      if (!Array.isArray(rows)) fail('an array of arrays of ids, or a 2-D Tensor', 'batch_decode ids', ids);
      return Promise.all(rows.map((row, i) => decodeOne(checkIds(row, `batch_decode ids[${i}]`), skip, clean)));
    },
    convert_tokens_to_ids: (token: string): number | null => backend.tokenToId(typeof token === 'string' ? token : fail('a string', 'token', token)),
    convert_ids_to_tokens: (tokenId: number): string | null => backend.idToToken(checkNonNegativeInteger(tokenId, 'id')),
    bos_token: tokens.bos_token, bos_token_id: id(tokens.bos_token),
    eos_token: tokens.eos_token, eos_token_id: id(tokens.eos_token),
    unk_token: tokens.unk_token, unk_token_id: id(tokens.unk_token),
    pad_token: tokens.pad_token, pad_token_id: id(tokens.pad_token),
    padding_side, truncation_side, model_max_length,
    vocab_size: backend.getVocabSize(false),
    backend_tokenizer: backend,
  })) as HfTokenizer;
}

interface Strategy {
  add_special_tokens: boolean;
  pad: false | 'longest' | 'max_length';
  truncate: boolean;
  max_length: number | undefined;
  pad_to_multiple_of: number | undefined;
  side: HfPaddingSide;
  return_tensors: 'pt' | undefined;
}

/** transformers' `_get_padding_truncation_strategies`, for one sequence per text. */
function strategy(options: HfTokenizeOptions, modelMaxLength: number, padId: number | null, defaultSide: HfPaddingSide): Strategy {
  const { add_special_tokens = true, padding = false, max_length, pad_to_multiple_of, padding_side = defaultSide, return_tensors } = options;
  let { truncation } = options;
  checkBoolean(add_special_tokens, 'add_special_tokens');
  if (max_length !== undefined) checkPositiveInteger(max_length, 'max_length');
  if (pad_to_multiple_of !== undefined) checkPositiveInteger(pad_to_multiple_of, 'pad_to_multiple_of');
  if (return_tensors !== undefined && return_tensors !== 'pt') failRange("'pt' (torchlora's Tensors) or no return_tensors", 'return_tensors', return_tensors);
  // transformers: max_length alone asks for truncation.
  if (max_length !== undefined && padding === false && truncation === undefined) truncation = 'longest_first';
  let pad: Strategy['pad'];
  if (padding === true || padding === 'longest') pad = 'longest';
  else if (padding === 'max_length') pad = 'max_length';
  else if (padding === false || padding === 'do_not_pad') pad = false;
  else return fail("true, false, 'longest', 'max_length' or 'do_not_pad'", 'padding', padding);
  let truncate: boolean;
  if (truncation === true || truncation === 'longest_first') truncate = true;
  else if (truncation === false || truncation === undefined || truncation === 'do_not_truncate') truncate = false;
  else return fail("true, false, 'longest_first' or 'do_not_truncate'", 'truncation', truncation);
  let length = max_length;
  if (length === undefined) {
    // model_max_length stands in; where it is unbounded, transformers neither pads to it nor truncates.
    if (pad === 'max_length' && modelMaxLength === Infinity) pad = false;
    if (truncate && modelMaxLength === Infinity) truncate = false;
    if (pad === 'max_length' || truncate) length = modelMaxLength;
  }
  if (pad !== false && padId === null) {
    failRange("a pad_token (tokenizer_config.json has none: hf_tokenizer(path, { pad_token: '...' }) sets one, as tokenizer.pad_token = ... does)", 'padding', padding);
  }
  if (truncate && pad !== false && pad_to_multiple_of !== undefined && length !== undefined && length % pad_to_multiple_of !== 0) {
    failRange(`a max_length that is a multiple of pad_to_multiple_of (${pad_to_multiple_of})`, 'max_length', length);
  }
  return { add_special_tokens, pad, truncate, max_length: length, pad_to_multiple_of, side: side(padding_side, 'padding_side'), return_tensors };
}

function checkTexts(text: unknown): string[] {
  if (typeof text === 'string') return [text];
  if (!Array.isArray(text)) fail('a string or an array of strings', 'text', text);
  text.forEach((item, i) => typeof item === 'string' || fail('a string', `text[${i}]`, item));
  return text as string[];
}

function checkIds(ids: unknown, name: string): number[] {
  if (!Array.isArray(ids)) fail('an array of token ids', name, ids);
  ids.forEach((tokenId, i) => checkNonNegativeInteger(tokenId, `${name}[${i}]`));
  return ids as number[];
}

/** A Tensor of ids as rows of numbers: a 1-D one as one row, a 2-D one as its rows. */
function tensorRows(ids: Tensor, dims: 1 | 2, name: string): number[][] {
  if (ids.dim() !== dims || !['int64', 'int32', 'int16', 'int8', 'uint8'].includes(ids.dtype)) fail(`a ${dims}-D integer Tensor`, name, ids);
  const values = ids.to_array() as number[] | number[][];
  return dims === 1 ? [values as number[]] : (values as number[][]);
}

/** The encodings as transformers returns them: lists (flat for one string), or int64 Tensors. */
function output(encodings: Encoding[], single: boolean, returnTensors: 'pt' | undefined): HfBatchEncoding<unknown> {
  const fields = {
    input_ids: encodings.map((encoding) => encoding.getIds()),
    attention_mask: encodings.map((encoding) => encoding.getAttentionMask()),
    token_type_ids: encodings.map((encoding) => encoding.getTypeIds()),
  };
  if (returnTensors === undefined) {
    return single ? { input_ids: fields.input_ids[0], attention_mask: fields.attention_mask[0], token_type_ids: fields.token_type_ids[0] } : fields;
  }
  const lengths = new Set(fields.input_ids.map((row) => row.length));
  if (lengths.size > 1) {
    failRange("sequences of one length for return_tensors: 'pt' (pass padding: true)", 'the lengths', [...lengths].join(', '));
  }
  const width = fields.input_ids[0]?.length ?? 0;
  const tensor = (rows: number[][]): Tensor => torch_tensor(BigInt64Array.from(rows.flat(), BigInt), { shape: [rows.length, width] });
  return { input_ids: tensor(fields.input_ids), attention_mask: tensor(fields.attention_mask), token_type_ids: tensor(fields.token_type_ids) };
}

/** transformers' `clean_up_tokenization`: the spaces WordPiece decoding leaves before punctuation and contractions. */
function cleanUpTokenization(text: string): string {
  return text.replaceAll(' .', '.').replaceAll(' ?', '?').replaceAll(' !', '!').replaceAll(' ,', ',').replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't").replaceAll(" 'm", "'m").replaceAll(" 's", "'s").replaceAll(" 've", "'ve").replaceAll(" 're", "'re");
}
