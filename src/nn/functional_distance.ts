// Similarities between vectors, as R torch's `nnf_cosine_similarity`: libtorch's operator
// through the dispatcher.
import { atenOp } from '../ops/aten.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { checkFinite, checkInteger, optionKeys } from '../core/validate.js';
import { positionalOptions, type Positional } from './options.js';

export interface CosineSimilarityOptions {
  /** The dimension of the vectors (1; 0-based, R's default 2 is this 1). */
  dim?: number;
  /** The smallest norm divided by (1e-8). */
  eps?: number;
}
const COSINE_SIMILARITY_KEYS = optionKeys<CosineSimilarityOptions>({ dim: true, eps: true });
const COSINE_SIMILARITY = atenOp('cosine_similarity');

/**
 * The cosine of the angle between `x1` and `x2` along `dim` (shapes broadcast), each norm
 * clamped to at least `eps`.
 *
 * @example nnf_cosine_similarity(a, b, -1); nnf_cosine_similarity(a, b, { dim: -1, eps: 1e-6 })
 */
export function nnf_cosine_similarity(x1: Tensor, x2: Tensor, ...args: Positional<[dim: number, eps: number], CosineSimilarityOptions>): Tensor {
  const { dim = 1, eps = 1e-8 } = positionalOptions<CosineSimilarityOptions>(args, ['dim', 'eps'], COSINE_SIMILARITY_KEYS, 'nnf_cosine_similarity');
  return COSINE_SIMILARITY.call(checkTensor(x1, 'x1'), checkTensor(x2, 'x2'), checkInteger(dim, 'dim'), checkFinite(eps, 'eps'));
}
