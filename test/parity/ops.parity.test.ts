// Parity of the ops declared through the dispatcher (src/ops/selection.ts, src/ops/math.ts)
// with Python PyTorch: values, and gradients through backward() where the op has them. Each
// case's Python twin is the @case of the same name in cases_ops.py.
import {
  linalg_vector_norm, Tensor, torch_addmm, torch_all, torch_any, torch_arange, torch_argsort, torch_bernoulli, torch_bmm, torch_chunk, torch_cumprod, torch_cumsum,
  torch_dot, torch_einsum, torch_empty, torch_floor_divide, torch_flip, torch_full_like, torch_gather, torch_index_select, torch_lerp,
  torch_linspace, torch_logspace, torch_logsumexp, torch_manual_seed, torch_masked_fill, torch_masked_select, torch_mm, torch_multinomial,
  torch_mv, torch_narrow, torch_nonzero, torch_ones_like, torch_outer, torch_pow, torch_prod, torch_rand, torch_randn, torch_randn_like,
  torch_remainder, torch_repeat, torch_repeat_interleave, torch_roll, torch_scalar_tensor, torch_scatter, torch_scatter_add, torch_sort,
  torch_split, torch_std, torch_take, torch_tensor, torch_topk, torch_tril, torch_triu, torch_unbind, torch_unflatten, torch_unique,
  torch_var, torch_zeros, torch_zeros_like,
} from '../../src/index.js';
import { parity_suite, type ParityCase } from './harness.js';

const randn = (...shape: number[]): Tensor => torch_randn(shape);
const positive = (...shape: number[]): Tensor => torch_rand(shape).add(0.5);
const long = (values: number[]): Tensor => torch_tensor(values, { dtype: 'int64' });

const selection: ParityCase[] = [
  { name: 'select.index_gather', inputs: () => ({ x: randn(4, 5) }), grad: ['x'], run: ({ x }) => ({
    index_select: torch_index_select(x!, 1, long([4, 0, 4])), gather: torch_gather(x!, 1, long([0, 3, 1, 2, 4, 0, 1, 1]).reshape(4, 2)),
    take: torch_take(x!, long([0, 19, 7])), narrow: torch_narrow(x!, 1, 1, 3), masked_select: torch_masked_select(x!, x!.gt(0.3)),
  }) },
  { name: 'select.scatter', inputs: () => ({ x: randn(3, 5), src: randn(3, 2) }), grad: ['x', 'src'], run: ({ x, src }) => {
    const index = long([4, 0, 1, 1, 3, 2]).reshape(3, 2);
    const inPlace = x!.mul(1);
    inPlace.scatter_(1, index, 2.5);
    const added = x!.mul(1);
    added.scatter_add_(1, long([0, 0, 1, 1, 2, 2]).reshape(3, 2), src!);
    return {
      scatter: torch_scatter(x!, 1, index, src!), scatter_value: torch_scatter(x!, 1, index, -1), scatter_add: torch_scatter_add(x!, 1, index, src!),
      scatter_: inPlace, scatter_add_: added,
    };
  } },
  { name: 'select.masked_fill', inputs: () => ({ x: randn(4, 4), v: randn() }), grad: ['x', 'v'], run: ({ x, v }) => {
    const mask = torch_triu(torch_ones_like(x!), 1).gt(0);
    const inPlace = x!.mul(1);
    inPlace.masked_fill_(mask, Number.NEGATIVE_INFINITY);
    return { scalar: torch_masked_fill(x!, mask, 0.5), tensor: torch_masked_fill(x!, mask, v!), in_place_softmax: inPlace.softmax(-1) };
  } },
  { name: 'select.split', inputs: () => ({ x: randn(5, 6) }), grad: ['x'], run: ({ x }) => {
    const out: Record<string, Tensor> = {};
    torch_chunk(x!, 3, 1).forEach((t, i) => { out[`chunk${i}`] = t.mul(i + 1); });
    torch_split(x!, 2).forEach((t, i) => { out[`split${i}`] = t.mul(i + 1); });
    torch_split(x!, [1, 5], 1).forEach((t, i) => { out[`sizes${i}`] = t.mul(i + 1); });
    torch_unbind(x!, 0).forEach((t, i) => { out[`unbind${i}`] = t.mul(i + 1); });
    return out;
  } },
  { name: 'select.shift_triangle', inputs: () => ({ x: randn(4, 5) }), grad: ['x'], run: ({ x }) => {
    const lower = x!.mul(1);
    lower.tril_(-1);
    return {
      flip: torch_flip(x!, [0, 1]), roll: torch_roll(x!, 2, 1), roll_flat: torch_roll(x!, -3), roll_two: torch_roll(x!, [1, -2], [0, 1]),
      tril: torch_tril(x!), triu: torch_triu(x!, 1), tril_: lower,
    };
  } },
  { name: 'select.sort_topk', inputs: () => ({ x: randn(4, 6) }), grad: ['x'], run: ({ x }) => {
    const [top, topIndex] = torch_topk(x!, 3);
    const [low, lowIndex] = torch_topk(x!, 2, { dim: 0, largest: false });
    const [sorted, order] = torch_sort(x!, { descending: true });
    const [stable, stableOrder] = torch_sort(torch_tensor([2, 1, 2, 1, 0, 2]), { stable: true });
    return {
      top, topIndex, low, lowIndex, sorted, order, stable, stableOrder,
      argsort: torch_argsort(x!, { dim: 0 }), argsort_desc: torch_argsort(x!, { descending: true }),
    };
  } },
  { name: 'select.unique_nonzero', inputs: () => ({ x: torch_tensor([[3, 1, 0], [1, 0, 7]]) }), run: ({ x }) => {
    const [values, inverse, counts] = torch_unique(x!, { return_inverse: true, return_counts: true }) as Tensor[];
    const [rows, cols] = torch_nonzero(x!, { as_tuple: true });
    return { unique: torch_unique(x!) as Tensor, values: values!, inverse: inverse!, counts: counts!, nonzero: torch_nonzero(x!), rows: rows!, cols: cols! };
  } },
];

const math: ParityCase[] = [
  { name: 'math.pointwise', inputs: () => ({ x: torch_rand(3, 4).mul(1.6).sub(0.8), p: positive(3, 4), y: randn(3, 4) }), grad: ['x', 'p', 'y'], run: ({ x, p, y }) => ({
    trunc: x!.mul(3).trunc(), log2: p!.log2(), log10: p!.log10(), log1p: p!.log1p(), expm1: x!.expm1(), tan: x!.tan(), asin: x!.asin(),
    acos: x!.acos(), atan: y!.atan(), sinh: y!.sinh(), cosh: y!.cosh(), rsqrt: p!.rsqrt(), erf: y!.erf(), atan2: y!.atan2(x!),
    lerp: torch_lerp(x!, y!, 0.25), lerp_tensor: torch_lerp(x!, y!, p!.sub(0.5)),
  }) },
  { name: 'math.pow_scalar_base', inputs: () => ({ x: randn(3, 4) }), grad: ['x'], run: ({ x }) => ({
    two: torch_pow(2, x!), half: torch_pow(0.5, x!), e: torch_pow(Math.E, x!),
  }) },
  { name: 'math.integer_division', inputs: () => ({ i: torch_arange(-7, 8).reshape(3, 5), j: long([3, -2, 4, -5, 1]) }), run: ({ i, j }) => ({
    floor_divide: torch_floor_divide(i!, j!), floor_divide_scalar: torch_floor_divide(i!, 4), floor_divide_neg: torch_floor_divide(i!, -3),
    floor_divide_float: torch_floor_divide(i!.float(), 2.5), remainder: torch_remainder(i!, j!),
  }) },
  { name: 'math.reductions', inputs: () => ({ x: randn(4, 5), p: positive(3, 4) }), grad: ['x', 'p'], run: ({ x, p }) => ({
    prod: torch_prod(p!), prod_dim: torch_prod(p!, 1), prod_keep: torch_prod(p!, 0, true), prod_f64: torch_prod(p!, 1, false, { dtype: 'float64' }),
    cumsum: torch_cumsum(x!, 1), cumsum_f64: torch_cumsum(x!, 0, { dtype: 'float64' }), cumprod: torch_cumprod(p!, 1),
    var: torch_var(x!), var_dim: torch_var(x!, 1), var_biased: torch_var(x!, 0, { unbiased: false, keepdim: true }),
    var_correction: torch_var(x!, [0, 1], { correction: 2 }), std: torch_std(x!), std_dim: torch_std(x!, -1, { keepdim: true }),
    logsumexp: torch_logsumexp(x!, 1), logsumexp_keep: torch_logsumexp(x!, [0, 1], true),
  }) },
  { name: 'math.vector_norm', inputs: () => ({ x: randn(3, 4) }), grad: ['x'], run: ({ x }) => ({
    l2: linalg_vector_norm(x!), l1_dim: linalg_vector_norm(x!, { ord: 1, dim: -1 }), inf: linalg_vector_norm(x!, { ord: Infinity, dim: 0, keepdim: true }),
    l3_f64: linalg_vector_norm(x!, { ord: 3, dim: [0, 1], dtype: 'float64' }),
  }) },
  { name: 'math.logic', inputs: () => ({ x: torch_tensor([[0, 1, 2], [0, 0, 3]]) }), run: ({ x }) => ({
    all: torch_all(x!), all_dim: torch_all(x!, 1), any: torch_any(x!), any_dim: torch_any(x!, 0, true),
    xor: x!.logical_xor(x!.flip([1])), xor_scalar: x!.logical_xor(0), and_scalar: x!.logical_and(true), or_scalar: x!.logical_or(0),
  }) },
  { name: 'math.products', inputs: () => ({ a: randn(3, 4), b: randn(4, 5), c: randn(3, 5), v: randn(4), w: randn(4), q: randn(2, 3, 4), k: randn(2, 4, 2) }),
    grad: ['a', 'b', 'c', 'v', 'w', 'q', 'k'], run: ({ a, b, c, v, w, q, k }) => ({
      mm: torch_mm(a!, b!), mv: torch_mv(a!, v!), dot: torch_dot(v!, w!), outer: torch_outer(v!, w!), bmm: torch_bmm(q!, k!),
      addmm: torch_addmm(c!, a!, b!), addmm_scaled: torch_addmm(c!, a!, b!, { beta: 0.5, alpha: 2 }),
      einsum: torch_einsum('bij,bjk->bik', [q!, k!]), einsum_trace: torch_einsum('ij,ij->', [a!, a!]),
    }) },
  { name: 'math.shape', inputs: () => ({ x: randn(2, 6) }), grad: ['x'], run: ({ x }) => ({
    repeat: torch_repeat(x!, [2, 1, 3]), interleave: torch_repeat_interleave(x!, 2, 0), interleave_flat: torch_repeat_interleave(x!, 3),
    interleave_tensor: torch_repeat_interleave(x!, long([1, 3]), 0), unflatten: torch_unflatten(x!, 1, [3, -1]),
    expand_as: x!.index(null, 0).expand_as(torch_zeros(3, 6)), type_as: torch_arange(3).type_as(x!),
  }) },
  { name: 'math.creation', run: () => ({
    linspace: torch_linspace(-1, 1, 7), linspace_f64: torch_linspace(0, 10, 4, { dtype: 'float64' }), logspace: torch_logspace(-3, 1, 5),
    logspace_base2: torch_logspace(0, 4, 5, 2), scalar: torch_scalar_tensor(2.5), scalar_int: torch_scalar_tensor(7, { dtype: 'int64' }),
    zeros_like: torch_zeros_like(torch_empty(2, 3)), full_like: torch_full_like(torch_empty(2, 2), 4, { dtype: 'float64' }),
  }) },
  { name: 'math.sampling', run: () => {
    torch_manual_seed(11);
    const probs = torch_tensor([[0.1, 0.2, 0.7], [0.5, 0.5, 0]]);
    return {
      multinomial: torch_multinomial(probs, 2), multinomial_replacement: torch_multinomial(probs, 5, { replacement: true }),
      bernoulli: torch_bernoulli(torch_rand(4, 4)), bernoulli_p: torch_bernoulli(torch_zeros(6), 0.3), randn_like: torch_randn_like(torch_empty(3, 2)),
    };
  } },
];

parity_suite('ops parity with PyTorch', [...selection, ...math]);
