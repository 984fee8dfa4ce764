// Views and copies that change shape or autograd history, not values (see entry.ts).
import type { OpEntry } from './entry.js';

export default [
  { name: 't', schema: 't(Tensor(a) self) -> Tensor(a)', doc: 'Transpose of a matrix (≤ 2 dimensions).', example: { method: 'w.t()' } },
  { name: 'transpose', schema: 'transpose.int(Tensor(a) self, int dim0, int dim1) -> Tensor(a)', doc: 'Swaps two dimensions.', example: { method: 'x.transpose(0, 1)' } },
  { name: 'unsqueeze', schema: 'unsqueeze(Tensor(a) self, int dim) -> Tensor(a)', doc: 'Inserts a size-1 dimension at `dim`.', example: { method: 'x.unsqueeze(0)' } },
  { name: 'contiguous', schema: 'contiguous(Tensor(a) self, *, MemoryFormat memory_format=0) -> Tensor(a)', variants: 'method', doc: 'A contiguous tensor with the same values (itself if already contiguous).' },
  { name: 'clone', schema: 'clone(Tensor self, *, MemoryFormat? memory_format=None) -> Tensor', doc: 'A copy that autograd tracks back to `self`.' },
  { name: 'detach', schema: 'detach(Tensor(a) self) -> Tensor(a)', doc: 'The same storage, cut out of the autograd graph.', example: { method: 'loss.detach().item()' } },
] satisfies OpEntry[];
