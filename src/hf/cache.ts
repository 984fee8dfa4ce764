// The key/value cache of a decoder (transformers' DynamicCache) and the attention masks its
// layers see, decided as transformers' sdpa_mask decides them: no mask at all (SDPA's own
// causal flag) when nothing is padded and the window does not bite, else a boolean mask,
// batch x 1 x query x key, true where a query may attend.
import { torch_arange } from '../ops/creation.js';
import { torch_cat } from '../ops/functions.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { torch_keep } from '../core/scope.js';
import { fail, failRange } from '../core/validate.js';

/** What a decoder's layers ask of a cache (transformers' Cache protocol); HfCache is one. */
export interface KeyValueCacheLike {
  get_seq_length(layer?: number): number;
  update(key: Tensor, value: Tensor, layer: number): [Tensor, Tensor];
}

/** @internal A cache as the forward options take it, or a TypeError naming `name`. */
export function checkCache(value: unknown, name: string): KeyValueCacheLike {
  const cache = value as Partial<KeyValueCacheLike> | null;
  if (typeof cache?.get_seq_length !== 'function' || typeof cache.update !== 'function') fail('a cache with get_seq_length() and update() (an HfCache)', name, value);
  return value as KeyValueCacheLike;
}

/**
 * The keys and values a decoder has computed, per layer (batch x key/value heads x positions x
 * head_dim), so that generation feeds only the new tokens. Its tensors outlive `torch_scope`;
 * `dispose()` frees them.
 *
 * @example
 * const { logits, past_key_values } = model(prompt, { use_cache: true });
 * const next = model(token, { past_key_values }).logits; // attends to the prompt's keys too
 * past_key_values.dispose();
 */
export class HfCache implements KeyValueCacheLike {
  private keys: Tensor[] = [];
  private values: Tensor[] = [];

  /** Positions cached (those of the first layer). @example cache.get_seq_length() */
  get_seq_length(layer = 0): number {
    return this.keys[layer]?.size(-2) ?? 0;
  }

  /** Appends a layer's new keys and values; returns all of them, the cached ones first. */
  update(key: Tensor, value: Tensor, layer: number): [Tensor, Tensor] {
    const [oldKey, oldValue] = [this.keys[layer], this.values[layer]];
    // A cat even for the first entry, as transformers' DynamicLayer does: a contiguous copy.
    this.keys[layer] = torch_keep(torch_cat(oldKey === undefined ? [key] : [oldKey, key], -2));
    this.values[layer] = torch_keep(torch_cat(oldValue === undefined ? [value] : [oldValue, value], -2));
    oldKey?.dispose();
    oldValue?.dispose();
    return [this.keys[layer]!, this.values[layer]!];
  }

  /** Frees every cached tensor; the cache is empty afterwards. @example cache.dispose() */
  dispose(): void {
    for (const tensor of [...this.keys, ...this.values]) tensor.dispose();
    this.keys = [];
    this.values = [];
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** The mask one attention layer uses: null with `causal` (SDPA's own), or a boolean mask. */
export interface LayerMask {
  mask: Tensor | null;
  causal: boolean;
}

/** What decides a layer's mask. */
export interface MaskInputs {
  batch: number;
  query: number;
  /** Positions already cached. */
  past: number;
  /** batch x (past + query), 1 (or true) where a token is real, 0 where it is padding. */
  attention_mask: Tensor | null;
  /** A query sees only the last `window` positions (itself included); null: all before it. */
  window: number | null;
  /** Given with neither a mask nor a cache: positions that restart mark packed sequences. */
  position_ids: Tensor | null;
  device: string;
}

/** @internal Checks a 2-d attention_mask against the batch and the positions it must cover. */
export function checkAttentionMask(mask: Tensor, batch: number, positions: number): Tensor {
  checkTensor(mask, 'attention_mask');
  if (mask.dim() !== 2 || mask.size(0) !== batch || mask.size(1) !== positions) {
    failRange(`a ${batch} x ${positions} tensor (batch x cached and new positions)`, 'attention_mask', `shape [${mask.shape.join(', ')}]`);
  }
  return mask.dtype === 'bool' ? mask : mask.ne(0);
}

// transformers' find_packed_sequence_indices: a sequence id per position, or null when each row is one sequence.
function packedSequences(position_ids: Tensor, batch: number): Tensor | null {
  const ids = position_ids.size(0) === batch ? position_ids : position_ids.expand(batch, -1);
  const previous = torch_cat([ids.index(':', '0:1').sub(1), ids.index(':', ':-1')], -1);
  const sequence = ids.sub(previous).ne(1).cumsum(-1);
  return sequence.index(':', -1).eq(0).all().item() ? null : sequence;
}

/** @internal The mask of one layer kind (full attention or one window), as transformers makes it for SDPA. */
export function layerMask(inputs: MaskInputs): LayerMask {
  const { batch, query, past, window, device } = inputs;
  const keys = past + query;
  const padding = inputs.attention_mask;
  const packed = padding === null && past === 0 && inputs.position_ids !== null ? packedSequences(inputs.position_ids, batch) : null;
  const windowBites = window !== null && keys >= window;
  if (!windowBites && packed === null && (query === 1 || keys === query) && (padding === null || padding.all().item())) {
    return { mask: null, causal: query > 1 };
  }
  const queryIndex = torch_arange(past, keys, 1, { dtype: 'int64', device }).unsqueeze(-1);
  const keyIndex = torch_arange(0, keys, 1, { dtype: 'int64', device }).unsqueeze(0);
  let mask = keyIndex.le(queryIndex);
  if (window !== null) mask = mask.logical_and(keyIndex.gt(queryIndex.sub(window)));
  mask = mask.index(null, null);
  if (padding !== null) mask = mask.logical_and(padding.index(':', null, null, ':'));
  if (packed !== null) mask = mask.logical_and(packed.index(':', null, ':', null).eq(packed.index(':', null, null, ':')));
  return { mask: mask.expand(batch, 1, query, keys), causal: false };
}
