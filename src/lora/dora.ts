// DoRA's weight norm (PEFT's DoraLinearLayer.get_weight_norm), shared by the layer kinds that
// implement DoRA: the magnitudes start at these norms, the forward divides by them (detached),
// and a merge rescales the weight by magnitude / norm.
import { with_no_grad } from '../ops/autograd.js';
import { linalg_vector_norm } from '../ops/linalg.js';
import type { Tensor } from '../ops/tensor.js';

/**
 * @internal ‖W + scaling · L‖ over each row, W and L laid out as rows x columns (out x in for
 * a linear map, embedding_dim x num_embeddings for an embedding), without autograd.
 */
export function doraNorm(weight: Tensor, loraWeight: Tensor, scaling: number): Tensor {
  return with_no_grad(() => {
    const scaled = loraWeight.mul(scaling);
    const adapted = weight.add(scaled);
    const norm = linalg_vector_norm(adapted, { dim: 1 });
    for (const t of [scaled, adapted]) t.dispose();
    return norm;
  });
}

/** @internal B·A (no autograd): the low-rank update before scaling, for the norm. */
export function loraProduct(A: Tensor, B: Tensor): Tensor {
  return with_no_grad(() => B.matmul(A));
}
