// Views and copies that change shape or autograd history, not values (see entry.ts); view and
// expand are methods only, as in R torch.
import type { OpEntry } from './entry.js';

export default [
  { name: 't', schema: 't(Tensor(a) self) -> Tensor(a)', doc: 'Transpose of a matrix (≤ 2 dimensions).', example: { method: 'w.t()' } },
  { name: 'transpose', schema: 'transpose.int(Tensor(a) self, int dim0, int dim1) -> Tensor(a)', doc: 'Swaps two dimensions.', example: { method: 'x.transpose(0, 1)' } },
  { name: 'unsqueeze', schema: 'unsqueeze(Tensor(a) self, int dim) -> Tensor(a)', doc: 'Inserts a size-1 dimension at `dim`.', example: { method: 'x.unsqueeze(0)' } },
  { name: 'contiguous', schema: 'contiguous(Tensor(a) self, *, MemoryFormat memory_format=0) -> Tensor(a)', variants: 'method', doc: 'A contiguous tensor with the same values (itself if already contiguous).' },
  { name: 'clone', schema: 'clone(Tensor self, *, MemoryFormat? memory_format=None) -> Tensor', doc: 'A copy that autograd tracks back to `self`.' },
  { name: 'detach', schema: 'detach(Tensor(a) self) -> Tensor(a)', doc: 'The same storage, cut out of the autograd graph.', example: { method: 'loss.detach().item()' } },
  // Hand-written in src/ops/shape.ts (sizes as separate numbers or one array, R's named forms).
  { name: 'permute', impl: 'shape', doc: 'Reorders the dimensions.', example: { method: 'x.permute(2, 0, 1)' } },
  { name: 'reshape', impl: 'shape', doc: 'The same values in a new shape (a view when possible); -1 infers one size.', example: { method: 'x.reshape(-1, 4)' } },
  { name: 'view', impl: 'shape', doc: 'A view with a new shape (a TorchError if the memory layout does not allow it).', example: { method: 'x.view(2, -1)' } },
  { name: 'expand', impl: 'shape', doc: 'Broadcasts size-1 dimensions to `shape` without copying; -1 keeps a size.', example: { method: 'b.expand(4, -1)' } },
  { name: 'flatten', impl: 'shape', doc: 'Flattens dimensions `start_dim`..`end_dim` into one.', example: { method: 'images.flatten(1)' } },
  { name: 'squeeze', impl: 'shape', doc: 'Removes size-1 dimensions (only `dim` when given).', example: { method: 'x.squeeze(0)' } },
] satisfies OpEntry[];
