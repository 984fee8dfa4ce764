// The masks transformers hands to scaled-dot-product attention (masking_utils.py's sdpa_mask):
// none where SDPA's own `is_causal` (or no mask at all) says the same, else a bool mask
// batch x 1 x queries x keys, true where a query attends to a key. Building the same mask in the
// same cases keeps the same kernel, so the same rounding.
import { failRange } from '../core/validate.js';
import { torch_arange } from '../ops/creation.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';

/** What a decoder's attention takes: a bool mask, or none and whether SDPA masks causally itself. */
export interface AttentionMask {
  readonly mask: Tensor | null;
  readonly is_causal: boolean;
}

// attention_mask (batch x keys, 1 = a token, 0 = padding) checked, or null when it masks nothing.
function paddingMask(attention_mask: Tensor | null | undefined, batch: number, keys: number): Tensor | null {
  if (attention_mask === null || attention_mask === undefined) return null;
  checkTensor(attention_mask, 'attention_mask');
  const [rows, columns] = attention_mask.shape;
  if (attention_mask.dim() !== 2 || rows !== batch || columns !== keys) {
    failRange(`a ${batch} x ${keys} tensor (batch x past and new tokens)`, 'attention_mask', `shape [${attention_mask.shape.join(', ')}]`);
  }
  const padding = attention_mask.bool();
  return padding.all().item() === true ? null : padding;
}

/**
 * @internal The causal mask of `queries` new positions after `past` cached ones, with `attention_mask`'s
 * padding (batch x (past + queries)) masked out, as transformers' `create_causal_mask` for sdpa.
 */
export function causalMask(attention_mask: Tensor | null | undefined, batch: number, queries: number, past: number, device: string): AttentionMask {
  const keys = past + queries;
  const padding = paddingMask(attention_mask, batch, keys);
  if (padding === null && (queries === 1 || past === 0)) return { mask: null, is_causal: queries > 1 };
  const queryAt = torch_arange(past, keys, 1, { device }).unsqueeze(1);
  let mask = torch_arange(0, keys, 1, { device }).unsqueeze(0).le(queryAt).view(1, 1, queries, keys);
  if (padding !== null) mask = mask.logical_and(padding.view(batch, 1, 1, keys));
  return { mask: mask.expand(batch, -1, queries, keys), is_causal: false };
}

/**
 * @internal An encoder's mask: every query attends to every key that `attention_mask` does not mark as
 * padding; null when it marks none (transformers' `create_bidirectional_mask` for sdpa).
 */
export function bidirectionalMask(attention_mask: Tensor | null | undefined, batch: number, queries: number): Tensor | null {
  const padding = paddingMask(attention_mask, batch, queries);
  return padding === null ? null : padding.view(batch, 1, 1, queries).expand(batch, -1, queries, queries);
}
