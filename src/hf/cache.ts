// The key/value cache of every decoder here (transformers' DynamicCache protocol): each
// attention layer hands its new keys and values to `update` and attends to what it returns (the
// cached ones first), so that generation feeds only the new tokens. The masks those layers use
// are in attention_masks.ts.
import { torch_cat } from '../ops/functions.js';
import type { Tensor } from '../ops/tensor.js';
import { torch_keep } from '../core/scope.js';
import { fail } from '../core/validate.js';

/** What a decoder's layers ask of a cache (transformers' Cache protocol); HfCache is one. */
export interface KeyValueCacheLike {
  /** Positions cached in `layer` (0). */
  get_seq_length(layer?: number): number;
  /** Appends a layer's new keys and values (batch x heads x positions x head_dim); returns all of them. */
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

  /** Appends a layer's new keys and values; returns all of them, the cached ones first. @example const [k, v] = cache.update(key, value, 0) */
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
