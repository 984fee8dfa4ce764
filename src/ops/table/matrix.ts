// Diagonals, traces, Kronecker products, distances, grids, strided and sliced copies: one
// entry per op (see entry.ts).
import type { OpEntry } from './entry.js';

export default [
  {
    name: 'diag', schema: 'diag(Tensor self, int diagonal=0) -> Tensor',
    doc: 'A vector made the `diagonal`-th diagonal of a square matrix, or a matrix\'s `diagonal`-th diagonal as a vector (0 the main; > 0 above).',
    example: { function: 'torch_diag(torch_tensor([1, 2, 3]))', method: 'A.diag()' },
  },
  { name: 'trace', schema: 'trace(Tensor self) -> Tensor', doc: 'The sum of a matrix\'s main diagonal.', example: { function: 'torch_trace(A)', method: 'A.trace()' } },
  { name: 'kron', schema: 'kron(Tensor self, Tensor other) -> Tensor', doc: 'The Kronecker product: every element of `self` times the whole of `other`.', example: { function: 'torch_kron(a, b)' } },
  {
    name: 'narrow_copy', schema: 'narrow_copy(Tensor self, int dim, SymInt start, SymInt length) -> Tensor',
    doc: '`length` elements of `dim` from `start` (0-based), as a copy: `narrow` without the view.', example: { function: 'torch_narrow_copy(x, 0, 1, 2)' },
  },
  { name: 'cdist', impl: 'linalg', variants: 'function', doc: 'The `p`-norm distance between each row of `x1` and each row of `x2`.' },
  { name: 'meshgrid', impl: 'creation', variants: 'function', doc: 'Coordinate grids from 1-d tensors ("ij" indexing by default, as R torch and PyTorch).' },
  { name: 'empty_strided', impl: 'creation', variants: 'function', doc: 'Uninitialised memory of a shape laid out with given strides.' },
  { name: 'randint_like', impl: 'math', variants: 'function', doc: 'Integers drawn from [low, high) in another tensor\'s shape, dtype and device.' },
] satisfies OpEntry[];
