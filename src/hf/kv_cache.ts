// A decoder's key/value cache, transformers' DynamicCache protocol: each attention layer hands
// its new keys and values to `update` and attends to what it returns (the cached ones first),
// so that generation feeds only the new tokens. GPT-2 accepts any object with this protocol.
import { torch_keep } from '../core/scope.js';
import { checkInteger } from '../core/validate.js';
import { torch_cat } from '../ops/functions.js';
import type { Tensor } from '../ops/tensor.js';

/** What a decoder's forward needs of a cache (transformers' `Cache`: `get_seq_length`, `update`). */
export interface KeyValueCacheLike {
  /** Positions cached in `layer` (0). */
  get_seq_length(layer?: number): number;
  /** Appends a layer's new keys and values (batch x heads x positions x head_dim); returns all of them. */
  update(key: Tensor, value: Tensor, layer: number): [Tensor, Tensor];
}

/**
 * The keys and values a decoder has computed, per layer, each batch x heads x positions x
 * head_dim. Its tensors outlive `torch_scope`; `dispose()` frees them.
 *
 * @example
 * const cache = new KeyValueCache();
 * let { logits } = model(prompt, { past_key_values: cache });
 * ({ logits } = model(next_token, { past_key_values: cache })); // attends to the prompt's keys too
 * cache.dispose();
 */
export class KeyValueCache implements KeyValueCacheLike {
  private keys: Tensor[] = [];
  private values: Tensor[] = [];

  /** Positions cached in `layer`. @example cache.get_seq_length() // 0 when empty */
  get_seq_length(layer = 0): number {
    return this.keys[checkInteger(layer, 'layer')]?.size(-2) ?? 0;
  }

  /** Appends a layer's new keys and values; returns all of them, the cached ones first. @example const [k, v] = cache.update(key, value, 0) */
  update(key: Tensor, value: Tensor, layer: number): [Tensor, Tensor] {
    const [oldKey, oldValue] = [this.keys[layer], this.values[layer]];
    this.keys[layer] = torch_keep(oldKey === undefined ? key : torch_cat([oldKey, key], -2));
    this.values[layer] = torch_keep(oldValue === undefined ? value : torch_cat([oldValue, value], -2));
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

/** @internal Whether `value` has the cache protocol. */
export function isKeyValueCache(value: unknown): value is KeyValueCacheLike {
  const cache = value as Partial<KeyValueCacheLike> | null;
  return typeof cache === 'object' && cache !== null && typeof cache.update === 'function' && typeof cache.get_seq_length === 'function';
}
