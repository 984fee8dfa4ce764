// Parity of the linear algebra functions (src/ops/table/linalg.ts, src/ops/linalg.ts) with
// Python PyTorch's torch.linalg: values, and gradients through backward(). Each case's Python
// twin is the @case of the same name in cases_linalg.py.
import {
  linalg_cholesky, linalg_det, linalg_eigh, linalg_inv, linalg_lstsq, linalg_matrix_norm, linalg_norm, linalg_pinv, linalg_qr, linalg_slogdet,
  linalg_solve, linalg_svd, linalg_vector_norm, Tensor, torch_eye, torch_randn,
} from '../../src/index.js';
import { parity_suite, type ParityCase } from './harness.js';

const randn = (...shape: number[]): Tensor => torch_randn(shape);
// A symmetric positive-definite matrix from any square one.
const spd = (s: Tensor): Tensor => s.matmul(s.t()).add(torch_eye(s.shape[0]!).mul(4));

const cases: ParityCase[] = [
  { name: 'linalg.inverse_solve_det', inputs: () => ({ a: randn(4, 4), b: randn(4, 2), v: randn(4), batch: randn(2, 3, 3) }), grad: ['a', 'b', 'v', 'batch'],
    run: ({ a, b, v, batch }) => {
      const [sign, logabsdet] = linalg_slogdet(a!);
      const [batch_sign, batch_logabsdet] = linalg_slogdet(batch!);
      return {
        inv: linalg_inv(a!), inv_batch: linalg_inv(batch!), solve: linalg_solve(a!, b!), solve_vector: linalg_solve(a!, { B: v! }),
        solve_right: linalg_solve(a!, b!.t(), { left: false }), det: linalg_det(a!), det_batch: linalg_det(batch!), sign, logabsdet, batch_sign, batch_logabsdet,
      };
    } },
  { name: 'linalg.decompositions', inputs: () => ({ a: randn(5, 3), s: randn(4, 4) }), grad: ['a', 's'], run: ({ a, s }) => {
    const [U, S, Vh] = linalg_svd(a!, false);
    const [U_full, S_full, Vh_full] = linalg_svd(a!);
    const [Q, R] = linalg_qr(a!);
    // Complete Q of a tall matrix, and mode "r", have no gradient in PyTorch.
    const [Q_complete, R_complete] = linalg_qr(a!.detach(), 'complete');
    const [Q_none, R_only] = linalg_qr(a!.detach(), { mode: 'r' });
    const [eigenvalues, eigenvectors] = linalg_eigh(s!.add(s!.t()));
    const [eigenvalues_upper, eigenvectors_upper] = linalg_eigh(s!.add(s!.t()), 'U');
    return {
      U, S, Vh, U_full, S_full, Vh_full, Q, R, Q_complete, R_complete, Q_none, R_only,
      cholesky: linalg_cholesky(spd(s!)), cholesky_upper: linalg_cholesky(spd(s!), { upper: true }),
      eigenvalues, eigenvectors, eigenvalues_upper, eigenvectors_upper,
    };
  } },
  { name: 'linalg.norms', inputs: () => ({ x: randn(3, 4), batch: randn(2, 3, 3) }), grad: ['x', 'batch'], run: ({ x, batch }) => ({
    norm: linalg_norm(x!), norm_fro: linalg_norm(x!, 'fro'), norm_nuc: linalg_norm(x!, 'nuc'), norm_dim: linalg_norm(x!, 1, -1),
    norm_inf: linalg_norm(x!, Infinity), norm_keep: linalg_norm(x!, { ord: 3, dim: 0, keepdim: true, dtype: 'float64' }),
    vector: linalg_vector_norm(x!, 3.5), vector_dims: linalg_vector_norm(x!, 1, [0, 1], true), vector_zero: linalg_vector_norm(x!, 0, 1),
    vector_named: linalg_vector_norm(x!, { ord: -Infinity, dim: 0 }),
    matrix: linalg_matrix_norm(batch!), matrix_nuc: linalg_matrix_norm(batch!, 'nuc'), matrix_neg1: linalg_matrix_norm(batch!, -1),
    matrix_two: linalg_matrix_norm(batch!, { ord: 2, dim: [0, 2] }), matrix_keep: linalg_matrix_norm(batch!, Infinity, undefined, true),
  }) },
  { name: 'linalg.pinv_lstsq', inputs: () => ({ a: randn(5, 3), b: randn(5, 2), s: randn(3, 3) }), grad: ['a', 'b', 's'], run: ({ a, b, s }) => {
    const gelsd = linalg_lstsq(a!, b!, { driver: 'gelsd' });
    const rcond = linalg_lstsq(a!, b!, 0.5, { driver: 'gelss' });
    return {
      pinv: linalg_pinv(a!), pinv_rtol: linalg_pinv(a!, 0.6), pinv_atol: linalg_pinv(a!, { atol: 1 }), pinv_r_default: linalg_pinv(a!, { atol: 0, rtol: 0 }), pinv_hermitian: linalg_pinv(s!.add(s!.t()), { hermitian: true }),
      gelsd_solution: gelsd.solution, gelsd_residuals: gelsd.residuals, gelsd_rank: gelsd.rank, gelsd_singular_values: gelsd.singular_values,
      rcond_solution: rcond.solution, rcond_rank: rcond.rank,
    };
  } },
  // gelsy, the default driver on the CPU, is MKL's xGELSY: its rounding depends on where the
  // buffers lie in memory (PyTorch alone gives other bits for the same matrix at another offset).
  { name: 'linalg.lstsq_gelsy', inputs: () => ({ a: randn(5, 3), b: randn(5, 2) }), grad: ['a', 'b'],
    tolerance: { rtol: 1e-5, atol: 1e-6, why: "MKL's gelsy rounds by the buffers' alignment" }, run: ({ a, b }) => ({ ...linalg_lstsq(a!, b!) }) },
];

parity_suite('linalg parity with PyTorch', cases);
