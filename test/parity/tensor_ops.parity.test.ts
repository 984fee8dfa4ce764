// Parity of issue 24's tensor ops (src/ops/table/matrix.ts, statistics.ts; creation and the
// number-first forms) with Python PyTorch: values, and gradients where PyTorch has them. Each
// case's Python twin is the @case of the same name in cases_tensor_ops.py.
import {
  Tensor, torch_bincount, torch_cdist, torch_diag, torch_diff, torch_empty_like, torch_empty_strided, torch_floor_divide, torch_kron, torch_manual_seed,
  torch_median, torch_meshgrid, torch_narrow_copy, torch_ones_like, torch_pow, torch_quantile, torch_rand, torch_rand_like, torch_randint_like,
  torch_randn, torch_remainder, torch_scalar_tensor, torch_searchsorted, torch_sort, torch_tensor, torch_trace, torch_arange,
} from '../../src/index.js';
import { parity_suite, type ParityCase } from './harness.js';

const randn = (...shape: number[]): Tensor => torch_randn(shape);
const long = (values: number[]): Tensor => torch_tensor(values, { dtype: 'int64' });

const cases: ParityCase[] = [
  { name: 'tensor_ops.matrix', needs: { torch: '2.0', why: 'narrow_copy has no derivative there' }, inputs: () => ({ a: randn(3, 3), v: randn(3), b: randn(2, 2), x1: randn(4, 3), x2: randn(5, 3) }), grad: ['a', 'v', 'b', 'x1', 'x2'],
    run: ({ a, v, b, x1, x2 }) => ({
      diag_vector: torch_diag(v!), diag_above: torch_diag(v!, 1), diag_matrix: torch_diag(a!), diag_below: a!.diag(-1),
      trace: torch_trace(a!), trace_method: a!.trace(), kron: torch_kron(a!, b!), narrow_copy: torch_narrow_copy(a!, 1, 1, 2),
      cdist: torch_cdist(x1!, x2!), cdist_p1: torch_cdist(x1!, x2!, 1), cdist_mm: torch_cdist(x1!, x2!, { compute_mode: 'use_mm_for_euclid_dist' }),
      cdist_no_mm: torch_cdist(x1!, x2!, 2, 'donot_use_mm_for_euclid_dist'),
    }) },
  { name: 'tensor_ops.statistics', inputs: () => ({ x: randn(4, 6), odd: randn(5) }), grad: ['x', 'odd'], run: ({ x, odd }) => {
    const [median_values, median_indices] = torch_median(x!, 1);
    const [median_kept, median_kept_indices] = x!.median({ dim: 0, keepdim: true });
    return {
      median: torch_median(x!), median_method: odd!.median(), median_values, median_indices, median_kept, median_kept_indices,
      quantile: torch_quantile(x!, 0.3), quantile_dim: torch_quantile(x!, 0.75, 1), quantile_many: torch_quantile(x!, [0.1, 0.5, 0.9], 0, true),
      quantile_lower: torch_quantile(x!, 0.3, null, false, { interpolation: 'lower' }), quantile_higher: x!.quantile(0.3, { dim: 1, interpolation: 'higher' }),
      quantile_midpoint: torch_quantile(x!, 0.3, { interpolation: 'midpoint' }), quantile_nearest: torch_quantile(x!, 0.3, { dim: 0, interpolation: 'nearest' }),
      diff: torch_diff(x!), diff_two: x!.diff(2, 0), diff_pend: torch_diff(x!, { n: 1, dim: 1, prepend: x!.narrow(1, 0, 1), append: x!.narrow(1, 4, 2) }),
    };
  } },
  { name: 'tensor_ops.counting', inputs: () => ({ seq: torch_sort(randn(2, 6))[0], row: torch_sort(randn(6))[0], values: randn(2, 3), w: torch_rand(7) }), run: ({ seq, row, values, w }) => {
    const labels = long([1, 3, 3, 0, 5, 1, 3]);
    return {
      bincount: torch_bincount(labels), bincount_weights: labels.bincount(w!), bincount_min: torch_bincount(labels, null, 9),
      searchsorted: torch_searchsorted(seq!, values!), searchsorted_right: torch_searchsorted(seq!, values!, { right: true }),
      searchsorted_int32: torch_searchsorted(seq!, values!, { out_int32: true }), searchsorted_side: torch_searchsorted(seq!, { self: values!, side: 'right' }),
      searchsorted_scalar: torch_searchsorted(row!, 0.1),
    };
  } },
  { name: 'tensor_ops.creation', inputs: () => ({ x: randn(2, 3), i: long([4, -7, 2]) }), run: ({ x, i }) => {
    const [rows, cols] = torch_meshgrid([torch_arange(3), torch_arange(4)]);
    const [xs, ys] = torch_meshgrid([torch_arange(3), torch_arange(4)], { indexing: 'xy' });
    const strided = torch_empty_strided([2, 3], [1, 2]).copy_(x!);
    const copy = torch_tensor(x!);
    x!.add_(1); // the copy has its own storage
    const scalar = torch_scalar_tensor(i!.index('1:2'));
    torch_manual_seed(5);
    return {
      rows: rows!, cols: cols!, xs: xs!, ys: ys!, strided, strided_contiguous: torch_tensor(strided.is_contiguous()), copy,
      copy_f64: torch_tensor(x!, { dtype: 'float64' }), scalar_of_tensor: scalar,
      randint_like: torch_randint_like(x!, 10), randint_like_low: torch_randint_like(x!, -5, 5), randint_like_i64: torch_randint_like(x!, 3, 9, { dtype: 'int64' }),
      rand_like: torch_rand_like(x!), empty_like_shape: torch_tensor(torch_empty_like(i!).shape, { dtype: 'int64' }), ones_like: torch_ones_like(i!, { dtype: 'float64' }),
      new_full: x!.new_full([2, 2], 7), new_full_i64: x!.new_full([3], -1, { dtype: 'int64' }), new_full_of_int: i!.new_full([2], 5),
      t_: x!.mul(1).t_(), t_vector: i!.mul(1).t_(),
    };
  } },
  { name: 'tensor_ops.number_first', inputs: () => ({ x: randn(2, 3), i: long([3, -2, 4, -1, 6]) }), grad: ['x'], run: ({ x, i }) => ({
    pow: torch_pow(2, x!), remainder: torch_remainder(5, i!), remainder_float: torch_remainder(7.5, x!.detach()), // no gradient in PyTorch
    floor_divide: torch_floor_divide(7, i!), floor_divide_float: torch_floor_divide(7.5, i!), floor_divide_tensor: torch_floor_divide(7, x!.detach()), // no gradient in PyTorch
    // 0.1 is rounded once, to the tensor's dtype, as Python's float is.
    remainder_f64: torch_remainder(0.1, x!.detach().double()), floor_divide_f64: torch_floor_divide(0.1, x!.detach().double().mul(0.01)),
    remainder_f32: torch_remainder(0.1, x!.detach().mul(0.01)), remainder_minus_one: torch_remainder(-7, long([-1, 3])),
  }) },
];

parity_suite('tensor ops parity with PyTorch', cases);
