// The masks transformers hands to scaled-dot-product attention (masking_utils.py's sdpa_mask),
// for every architecture here: none where SDPA's own `is_causal` (or no mask at all) says the
// same, else a bool mask batch x 1 x queries x keys, true where a query attends to a key.
// Building the same mask in the same cases keeps the same kernel, so the same rounding.
import { failRange } from '../core/validate.js';
import { torch_arange } from '../ops/creation.js';
import { torch_cat } from '../ops/functions.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';

/** What one attention layer hands SDPA: a bool mask, or none and whether SDPA masks causally itself. */
export interface AttentionMask {
  readonly mask: Tensor | null;
  readonly is_causal: boolean;
}

/** What decides a decoder layer's mask. */
export interface CausalMaskInputs {
  batch: number;
  query: number;
  /** Positions already cached. */
  past: number;
  /** batch x (past + query), checked by checkAttentionMask: true where a token is real, false where it is padding. */
  attention_mask: Tensor | null;
  /** A query sees only the last `window` positions (itself included); null: all before it. */
  window: number | null;
  /** Given with neither a mask nor a cache: positions that restart mark packed sequences. */
  position_ids: Tensor | null;
  device: string;
}

/** @internal Checks a 2-d attention_mask (1 = a token, 0 = padding) against the batch and the positions it must cover; a bool tensor. */
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

/**
 * @internal A decoder layer's mask (full attention or one window), as transformers'
 * `create_causal_mask` makes it for SDPA.
 */
export function causalMask(inputs: CausalMaskInputs): AttentionMask {
  const { batch, query, past, window, device } = inputs;
  const keys = past + query;
  const padding = inputs.attention_mask;
  const packed = padding === null && past === 0 && inputs.position_ids !== null ? packedSequences(inputs.position_ids, batch) : null;
  const windowBites = window !== null && keys >= window;
  if (!windowBites && packed === null && (query === 1 || keys === query) && (padding === null || padding.all().item())) {
    return { mask: null, is_causal: query > 1 };
  }
  const queryIndex = torch_arange(past, keys, 1, { dtype: 'int64', device }).unsqueeze(-1);
  const keyIndex = torch_arange(0, keys, 1, { dtype: 'int64', device }).unsqueeze(0);
  let mask = keyIndex.le(queryIndex);
  if (window !== null) mask = mask.logical_and(keyIndex.gt(queryIndex.sub(window)));
  mask = mask.index(null, null);
  if (padding !== null) mask = mask.logical_and(padding.index(':', null, null, ':'));
  if (packed !== null) mask = mask.logical_and(packed.index(':', null, ':', null).eq(packed.index(':', null, null, ':')));
  return { mask: mask.expand(batch, 1, query, keys), is_causal: false };
}

/**
 * @internal An encoder's mask: every query attends to every key that `attention_mask` does not mark as
 * padding; null when it marks none (transformers' `create_bidirectional_mask` for SDPA).
 */
export function bidirectionalMask(attention_mask: Tensor | null | undefined, batch: number, positions: number): Tensor | null {
  if (attention_mask === null || attention_mask === undefined) return null;
  const padding = checkAttentionMask(attention_mask, batch, positions);
  return padding.all().item() === true ? null : padding.view(batch, 1, 1, positions).expand(batch, -1, positions, positions);
}
