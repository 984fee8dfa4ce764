// A Hugging Face tokenizer folder (tokenizer.json, tokenizer_config.json) as a tokenizer that is
// called like transformers' one. The tokenizing itself (normalizers, pre-tokenizers, BPE,
// WordPiece and Unigram models, added and special tokens, post-processors and their pair
// templates, truncation, padding, decoders) is Hugging Face's Rust `tokenizers` through its own
// Node binding, npm `tokenizers`, the crate and version Python's `tokenizers` and transformers'
// fast tokenizers run, so ids are Python's (docs/tokenizers.md says why this package and not a
// JavaScript port). Written here is only what transformers adds on top of that crate:
// tokenizer_config.json's special tokens, padding and truncation sides, model_max_length and
// model_input_names; the call's strategy (tokenizer_call.ts); chat templates (chat_template.ts);
// clean_up_tokenization_spaces; and int64 Tensors.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Tokenizer } from 'tokenizers';
import { checkBoolean, checkNonNegativeInteger, checkOptions, checkPositiveInteger, fail, failRange, optionKeys } from '../core/validate.js';
import { Tensor } from '../ops/tensor.js';
import { applyChatTemplate, givenTemplates, readChatTemplates, type ChatTemplates, type HfChatMessage, type HfChatTemplateOptions } from './chat_template.js';
import { callInputs, callOutput, callSettings, encodeCall, type CallDefaults } from './tokenizer_call.js';

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
  /** The chat template (or named templates) to use instead of the folder's. */
  chat_template?: string | Record<string, string>;
}

/** Options of a call, transformers' names and meanings. */
export interface HfTokenizeOptions {
  /** Whether the post-processor adds its special tokens ([CLS] ... [SEP], <s> ...). Default true. */
  add_special_tokens?: boolean;
  /** true or 'longest': to the batch's longest; 'max_length': to max_length; false (default): none. */
  padding?: boolean | 'longest' | 'max_length' | 'do_not_pad';
  /**
   * To max_length (or model_max_length), special tokens included. true or 'longest_first': a token
   * at a time from the longer of a pair; 'only_first' / 'only_second': from that text of the pair only.
   */
  truncation?: boolean | 'longest_first' | 'only_first' | 'only_second' | 'do_not_truncate';
  max_length?: number;
  pad_to_multiple_of?: number;
  padding_side?: HfPaddingSide;
  /** 'pt': int64 Tensors of shape [batch, length] (a string gives a batch of one). */
  return_tensors?: 'pt';
  /** Default: whether 'token_type_ids' is among the tokenizer's model_input_names (BERT's are). */
  return_token_type_ids?: boolean;
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
  /** Which text of a pair each token belongs to (0, 1): returned where return_token_type_ids asks, by default for BERT-like tokenizers. */
  token_type_ids?: T;
  attention_mask: T;
}

/** Options `O` with no key beyond `Known`'s: a misspelt option is a compile error, as with a non-generic parameter. */
type Only<O, Known> = O & Record<Exclude<keyof O, keyof Known>, never>;

/** What a call returns for text `T` with options `O`: Tensors with return_tensors: 'pt', else one list or a list per text. */
export type HfEncoded<T, O> = HfBatchEncoding<O extends { return_tensors: 'pt' } ? Tensor : T extends string ? number[] : number[][]>;

/**
 * A tokenizer as `hf_tokenizer` reads it: called on a string or an array of strings as
 * transformers' tokenizer is called, with encode/decode and the special tokens beside.
 * @example const { input_ids } = await tokenizer(['a', 'b c'], { padding: true, return_tensors: 'pt' });
 */
export interface HfTokenizer {
  /** Tokenizes a batch (or one string) with padding and truncation, as transformers' `tokenizer(texts, ...)`. */
  <T extends string | readonly string[], O extends HfTokenizeOptions = {}>(text: T, options?: Only<O, HfTokenizeOptions>): Promise<HfEncoded<T, O>>;
  /**
   * Tokenizes pairs of texts (a question and a passage; two sentences), as transformers'
   * `tokenizer(texts, text_pairs, ...)`: the post-processor's pair template (BERT's
   * `[CLS] a [SEP] b [SEP]`, token type 1 on b), truncated by `truncation`'s strategy.
   * @example const { input_ids, token_type_ids } = await tokenizer(questions, passages, { padding: true, truncation: 'only_second', return_tensors: 'pt' });
   */
  <T extends string | readonly string[], O extends HfTokenizeOptions = {}>(text: T, text_pair: T extends string ? string : readonly string[], options?: Only<O, HfTokenizeOptions>): Promise<HfEncoded<T, O>>;
  /**
   * Renders a conversation with the folder's chat template (transformers 5's apply_chat_template);
   * with `tokenize: false` the text, at once; otherwise a Promise of the encoded text (the call's
   * result, or its input_ids with `return_dict: false`).
   * @example const text = tokenizer.apply_chat_template([{ role: 'user', content: 'Hi' }], { tokenize: false, add_generation_prompt: true });
   */
  apply_chat_template(messages: readonly HfChatMessage[], options: HfChatTemplateOptions & { tokenize: false }): string;
  apply_chat_template(messages: readonly (readonly HfChatMessage[])[], options: HfChatTemplateOptions & { tokenize: false }): string[];
  apply_chat_template<O extends HfChatTemplateOptions = {}>(messages: readonly HfChatMessage[], options?: Only<O, HfChatTemplateOptions>): Promise<O extends { return_dict: false } ? HfEncoded<string, O>['input_ids'] : HfEncoded<string, O>>;
  apply_chat_template<O extends HfChatTemplateOptions = {}>(messages: readonly (readonly HfChatMessage[])[], options?: Only<O, HfChatTemplateOptions>): Promise<O extends { return_dict: false } ? HfEncoded<string[], O>['input_ids'] : HfEncoded<string[], O>>;
  /** The folder's chat template: a string, named templates, or null. */
  readonly chat_template: string | Readonly<Record<string, string>> | null;
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
  /** What the model's forward takes, transformers' attribute: tokenizer_config.json's, else the tokenizer class's. */
  readonly model_input_names: readonly string[];
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

const OPTION_KEYS = optionKeys<HfTokenizerOptions>({ pad_token: true, padding_side: true, truncation_side: true, model_max_length: true, chat_template: true });
const CALL_KEYS = optionKeys<HfTokenizeOptions>({
  add_special_tokens: true, padding: true, truncation: true, max_length: true, pad_to_multiple_of: true, padding_side: true, return_tensors: true,
  return_token_type_ids: true,
});
const ENCODE_KEYS = optionKeys<{ add_special_tokens?: boolean }>({ add_special_tokens: true });
const DECODE_KEYS = optionKeys<HfDecodeOptions>({ skip_special_tokens: true, clean_up_tokenization_spaces: true });
const SPECIAL_TOKENS = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'] as const;
type SpecialToken = (typeof SPECIAL_TOKENS)[number];
/** transformers' classes whose `padding_side` attribute is 'left', the default where tokenizer_config.json names none. */
const LEFT_PADDING_CLASSES = new Set(['LlamaTokenizer', 'CodeLlamaTokenizer', 'GemmaTokenizer', 'CohereTokenizer', 'XLNetTokenizer', 'Siglip2Tokenizer']);
/** transformers 5.18's classes whose model_input_names hold token_type_ids (tokenizer_class names them, with or without Fast). */
const TOKEN_TYPE_CLASSES = new Set([
  'BertTokenizer', 'CanineTokenizer', 'ConvBertTokenizer', 'DPRContextEncoderTokenizer', 'DPRQuestionEncoderTokenizer', 'DebertaTokenizer',
  'DebertaV2Tokenizer', 'ElectraTokenizer', 'FNetTokenizer', 'LayoutLMTokenizer', 'LayoutLMv2Tokenizer', 'LxmertTokenizer', 'MarkupLMTokenizer',
  'MobileBertTokenizer', 'SqueezeBertTokenizer', 'TapasTokenizer',
]);
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

  const model_input_names = inputNames(config.model_input_names, className);
  const chat_template: ChatTemplates = given.chat_template !== undefined
    ? givenTemplates(given.chat_template, 'chat_template') : readChatTemplates(dirname(tokenizerJson), config);
  const defaults: CallDefaults = {
    model_max_length, padding_side, truncation_side, pad_token: tokens.pad_token, pad_token_id: id(tokens.pad_token),
    token_type_ids: model_input_names.includes('token_type_ids'),
  };
  // tokenizer(text, options) or tokenizer(text, text_pair, options): a second argument that is text is the pair.
  const call = (text: unknown, second?: unknown, third?: unknown): Promise<HfBatchEncoding<unknown>> => {
    const pairGiven = typeof second === 'string' || Array.isArray(second);
    if (!pairGiven && third !== undefined) fail('a string or an array of strings', 'text_pair', second);
    const inputs = callInputs(text, pairGiven ? second : undefined);
    const settings = callSettings(checkOptions((pairGiven ? third : second) as HfTokenizeOptions | undefined, CALL_KEYS, 'tokenizer call'), defaults);
    return inTurn(() => encodeCall(backend, inputs, settings, defaults)).then((encodings) => callOutput(encodings, inputs.single, settings));
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
    apply_chat_template: (messages: unknown, chatOptions?: HfChatTemplateOptions) =>
      applyChatTemplate({ templates: chat_template, special_tokens: tokens, encode: (texts, callOptions) => call(texts, callOptions) }, messages, chatOptions),
    chat_template,
    convert_tokens_to_ids: (token: string): number | null => backend.tokenToId(typeof token === 'string' ? token : fail('a string', 'token', token)),
    convert_ids_to_tokens: (tokenId: number): string | null => backend.idToToken(checkNonNegativeInteger(tokenId, 'id')),
    bos_token: tokens.bos_token, bos_token_id: id(tokens.bos_token),
    eos_token: tokens.eos_token, eos_token_id: id(tokens.eos_token),
    unk_token: tokens.unk_token, unk_token_id: id(tokens.unk_token),
    pad_token: tokens.pad_token, pad_token_id: id(tokens.pad_token),
    padding_side, truncation_side, model_max_length, model_input_names: Object.freeze([...model_input_names]),
    vocab_size: backend.getVocabSize(false),
    backend_tokenizer: backend,
  })) as HfTokenizer;
}

/** transformers' model_input_names: tokenizer_config.json's, else the class's (BERT-like classes add token_type_ids). */
function inputNames(value: unknown, className: string): string[] {
  if (value === undefined || value === null) {
    return TOKEN_TYPE_CLASSES.has(className) ? ['input_ids', 'token_type_ids', 'attention_mask'] : ['input_ids', 'attention_mask'];
  }
  if (!Array.isArray(value) || !value.every((name) => typeof name === 'string')) fail('a list of strings', "tokenizer_config.json's model_input_names", value);
  return value as string[];
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

/** transformers' `clean_up_tokenization`: the spaces WordPiece decoding leaves before punctuation and contractions. */
function cleanUpTokenization(text: string): string {
  return text.replaceAll(' .', '.').replaceAll(' ?', '?').replaceAll(' !', '!').replaceAll(' ,', ',').replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't").replaceAll(" 'm", "'m").replaceAll(" 's", "'s").replaceAll(" 've", "'ve").replaceAll(" 're", "'re");
}
