// Linear algebra, as R torch's `linalg_*` functions (PyTorch's torch.linalg): one entry per op
// (see entry.ts). Tuples come back as arrays in R's order; linalg_lstsq's as an object with
// R's names. The ones whose `ord` is a number or a string, or whose arguments R renames, are
// written by hand in src/ops/linalg.ts.
import type { OpEntry } from './entry.js';

export default [
  {
    name: 'linalg_inv', function: 'linalg_inv', variants: 'function', schema: 'linalg_inv(Tensor A) -> Tensor',
    doc: 'The inverse of a square matrix (or of each in a batch); a singular matrix is a TorchError.', example: { function: 'linalg_inv(A)' },
  },
  {
    name: 'linalg_solve', function: 'linalg_solve', variants: 'function', schema: 'linalg_solve(Tensor A, Tensor B, *, bool left=True) -> Tensor',
    doc: '`X` with `A X = B` (or `X A = B` with `left: false`), for square invertible `A`.', example: { function: 'linalg_solve(A, b)' },
  },
  {
    name: 'linalg_svd', function: 'linalg_svd', variants: 'function',
    schema: 'linalg_svd(Tensor A, bool full_matrices=True, *, str? driver=None) -> (Tensor U, Tensor S, Tensor Vh)',
    doc: 'The singular value decomposition `[U, S, Vh]`, `A = U diag(S) Vh`, S descending; reduced with `full_matrices: false`.',
    example: { function: 'const [U, S, Vh] = linalg_svd(A, false)' },
  },
  {
    name: 'linalg_qr', function: 'linalg_qr', variants: 'function', schema: 'linalg_qr(Tensor A, str mode="reduced") -> (Tensor Q, Tensor R)',
    doc: 'The QR decomposition `[Q, R]`; `mode` is "reduced", "complete" or "r" (Q empty).', example: { function: "const [Q, R] = linalg_qr(A, 'complete')" },
  },
  {
    name: 'linalg_cholesky', function: 'linalg_cholesky', variants: 'function', schema: 'linalg_cholesky(Tensor self, *, bool upper=False) -> Tensor',
    doc: 'The lower triangular `L` with `A = L L^T` (`upper: true`: the upper `U = L^T`) of a positive-definite matrix.', example: { function: 'linalg_cholesky(A)' },
  },
  {
    name: 'linalg_eigh', function: 'linalg_eigh', variants: 'function', schema: 'linalg_eigh(Tensor self, str UPLO="L") -> (Tensor eigenvalues, Tensor eigenvectors)',
    doc: 'Eigenvalues (ascending) and eigenvectors (columns) `[eigenvalues, eigenvectors]` of a symmetric matrix, from its lower (`UPLO` "L") or upper ("U") triangle.',
    example: { function: 'const [values, vectors] = linalg_eigh(A)' },
  },
  {
    name: 'linalg_det', function: 'linalg_det', variants: 'function', schema: 'linalg_det(Tensor A) -> Tensor',
    doc: 'The determinant of a square matrix (or of each in a batch).', example: { function: 'linalg_det(A)' },
  },
  {
    name: 'linalg_slogdet', function: 'linalg_slogdet', variants: 'function', schema: 'linalg_slogdet(Tensor A) -> (Tensor sign, Tensor logabsdet)',
    doc: 'The determinant as `[sign, logabsdet]` (`det = sign * exp(logabsdet)`; a singular matrix gives `[0, -Infinity]`).',
    example: { function: 'const [sign, logabsdet] = linalg_slogdet(A)' },
  },
  { name: 'linalg_norm', function: 'linalg_norm', variants: 'function', impl: 'linalg', doc: 'A vector norm (`dim` a number) or a matrix norm (`dim` two numbers; `ord` may be "fro" or "nuc").' },
  { name: 'linalg_vector_norm', function: 'linalg_vector_norm', variants: 'function', impl: 'linalg', doc: 'The vector norm of order `ord` of all elements, or along `dim`.' },
  { name: 'linalg_matrix_norm', function: 'linalg_matrix_norm', variants: 'function', impl: 'linalg', doc: 'The matrix norm of order `ord` ("fro", "nuc", or a number) over the two dims `dim`.' },
  { name: 'linalg_pinv', function: 'linalg_pinv', variants: 'function', impl: 'linalg', doc: 'The Moore-Penrose pseudoinverse, singular values under `atol` or `rtol` times the largest taken as zero.' },
  { name: 'linalg_lstsq', function: 'linalg_lstsq', variants: 'function', impl: 'linalg', doc: 'The least-squares solution of `A X = B`: `{ solution, residuals, rank, singular_values }`, as R names them.' },
] satisfies OpEntry[];
