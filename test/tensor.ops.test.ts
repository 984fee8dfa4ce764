// Arithmetic, unary, reduction, shape, comparison and in-place operations, each compared
// with Python PyTorch's result on the same inputs (test/fixtures/core.json).
import { describe, expect, it } from 'vitest';
import {
  torch_add, torch_allclose, torch_cat, torch_div, torch_equal, torch_matmul, torch_mul, torch_stack,
  torch_ones, torch_sub, torch_tensor, torch_where, torch_zeros, type Tensor,
} from '../src/index.js';
import { FLOAT32_ULPS, core, entry, expectTensor, flat, tensorFrom, type Tolerance } from './fixtures/core.js';

const input = (key: string) => tensorFrom(entry(core.ops.inputs, key));
const result = (key: string) => entry(core.ops.results, key);

const a = input('a');
const b = input('b');
const c = input('c');
const pos = a.abs().add(0.1);
const ia = torch_tensor(new BigInt64Array([1n, 2n, 3n, 4n]), { shape: [2, 2] });
const x = torch_tensor(Float32Array.from({ length: 24 }, (_, i) => i), { shape: [2, 3, 4] });
const EXACT = undefined;

type Case = [string, () => Tensor, Tolerance?];

function check(cases: Case[]): void {
  it.each(cases)('%s', (key, make, tolerance) => expectTensor(make(), result(key), tolerance));
}

describe('matmul (BLAS: compared within a few ulp)', () => {
  check([
    ['matmul_a_m', () => a.matmul(input('m')), FLOAT32_ULPS],
    ['matmul_batch', () => torch_matmul(input('batch'), input('batch_rhs')), FLOAT32_ULPS],
    ['matmul_a_v', () => a.matmul(input('v')), FLOAT32_ULPS],
  ]);
});

describe('add, sub, mul, div with tensors, numbers, broadcasting and alpha', () => {
  // IEEE +, -, *, / are correctly rounded, so these are bit-exact on any CPU.
  check([
    ['add_a_b', () => a.add(b), EXACT],
    ['add_a_c', () => a.add(c), EXACT],
    ['add_a_2.5', () => a.add(2.5), EXACT],
    ['add_a_b_alpha', () => a.add(b, 0.5), EXACT],
    ['sub_a_b', () => a.sub(b), EXACT],
    ['sub_a_1.5', () => a.sub(1.5), EXACT],
    ['sub_a_b_alpha', () => a.sub(b, 2), EXACT],
    ['mul_a_b', () => a.mul(b), EXACT],
    ['mul_a_c', () => a.mul(c), EXACT],
    ['mul_a_3', () => a.mul(3), EXACT],
    ['div_a_b', () => a.div(b), EXACT],
    ['div_a_4', () => a.div(4), EXACT],
    ['rsub_1_a', () => torch_sub(1, a), EXACT],
    ['rdiv_2_a', () => torch_div(2, a), EXACT],
    ['rmul_2_a', () => torch_mul(2, a), EXACT],
    ['radd_1_a', () => torch_add(1, a), EXACT],
    ['add_a_b', () => torch_add(a, b), EXACT],
    ['sub_a_b_alpha', () => torch_sub(a, b, 2), EXACT],
    ['div_a_b', () => torch_div(a, b), EXACT],
  ]);

  it('integer tensors keep int64 with integer numbers and promote as PyTorch does', () => {
    expectTensor(ia.mul(2), result('int_mul_2'));
    expectTensor(ia.div(2), result('int_div_2'));
    expectTensor(ia.add(0.5), result('int_add_0.5'));
  });
});

describe('elementwise functions', () => {
  check([
    ['neg', () => a.neg(), EXACT],
    ['abs', () => a.abs(), EXACT],
    ['relu', () => a.relu(), EXACT],
    ['clamp', () => a.clamp(-0.5, 0.5), EXACT],
    ['clamp_min', () => a.clamp(0.1), EXACT],
    ['clamp_max', () => a.clamp(null, -0.1), EXACT],
    ['pow_2', () => a.pow(2), EXACT],
    ['sqrt', () => pos.sqrt(), EXACT],
    ['pow_0.5', () => pos.pow(0.5), FLOAT32_ULPS],
    ['pow_tensor', () => pos.pow(b), FLOAT32_ULPS],
    ['exp', () => a.exp(), FLOAT32_ULPS],
    ['log', () => pos.log(), FLOAT32_ULPS],
    ['sigmoid', () => a.sigmoid(), FLOAT32_ULPS],
    ['tanh', () => a.tanh(), FLOAT32_ULPS],
    ['softmax_1', () => a.softmax(1), FLOAT32_ULPS],
    ['softmax_0', () => a.softmax(0), FLOAT32_ULPS],
    ['log_softmax_1', () => a.log_softmax(1), FLOAT32_ULPS],
  ]);

  it('softmax rows sum to 1 and relu/sigmoid/tanh keep their ranges', () => {
    for (const total of flat(a.softmax(1).sum(1)) as number[]) expect(total).toBeCloseTo(1, 6);
    for (const v of flat(a.relu()) as number[]) expect(v).toBeGreaterThanOrEqual(0);
    for (const v of flat(a.sigmoid()) as number[]) expect(v > 0 && v < 1).toBe(true);
  });
});

describe('reductions, whole and along a dimension, with keepdim', () => {
  check([
    ['sum', () => a.sum(), FLOAT32_ULPS],
    ['sum_0', () => a.sum(0), FLOAT32_ULPS],
    ['sum_1_keepdim', () => a.sum(1, true), FLOAT32_ULPS],
    ['sum_01', () => a.sum([0, 1]), FLOAT32_ULPS],
    ['mean', () => a.mean(), FLOAT32_ULPS],
    ['mean_1', () => a.mean(1), FLOAT32_ULPS],
    ['mean_0_keepdim', () => a.mean(0, true), FLOAT32_ULPS],
    ['max', () => a.max(), EXACT],
    ['max_1_values', () => a.max(1)[0], EXACT],
    ['max_1_indices', () => a.max(1)[1], EXACT],
    ['min', () => a.min(), EXACT],
    ['min_0_keepdim_values', () => a.min(0, true)[0], EXACT],
    ['min_0_keepdim_indices', () => a.min(0, true)[1], EXACT],
    ['argmax', () => a.argmax(), EXACT],
    ['argmax_1', () => a.argmax(1), EXACT],
    ['argmax_0_keepdim', () => a.argmax(0, true), EXACT],
    ['argmin_1', () => a.argmin(1), EXACT],
  ]);

  it('sum of integers is exact arithmetic; a dtype option changes the result type', () => {
    expect(ia.sum().item()).toBe(10);
    expect(ia.sum().dtype).toBe('int64');
    expect(ia.sum(null, false, { dtype: 'float64' }).dtype).toBe('float64');
    expect(torch_tensor([1, 2, 3, 4]).mean().item()).toBe(2.5);
  });
});

describe('shape operations', () => {
  check([
    ['t', () => a.t(), EXACT],
    ['transpose_0_2', () => x.transpose(0, 2), EXACT],
    ['permute_2_0_1', () => x.permute(2, 0, 1), EXACT],
    ['permute_2_0_1', () => x.permute([2, 0, 1]), EXACT],
    ['reshape_4_-1', () => x.reshape(4, -1), EXACT],
    ['view_6_4', () => x.view([6, 4]), EXACT],
    ['flatten', () => x.flatten(), EXACT],
    ['flatten_1', () => x.flatten(1), EXACT],
    ['unsqueeze_1', () => x.unsqueeze(1), EXACT],
    ['squeeze', () => x.reshape(1, 2, 1, 12).squeeze(), EXACT],
    ['squeeze_2', () => x.reshape(1, 2, 1, 12).squeeze(2), EXACT],
    ['expand_3_4', () => input('col').expand(3, 4), EXACT],
    ['expand_2_-1_4', () => input('col').expand(2, -1, 4), EXACT],
    ['cat_0', () => torch_cat([a, b], 0), EXACT],
    ['cat_1', () => torch_cat([a, b], 1), EXACT],
    ['stack_0', () => torch_stack([a, b]), EXACT],
    ['stack_2', () => torch_stack([a, b], 2), EXACT],
  ]);

  it('views share storage with their base, as in PyTorch', () => {
    const base = torch_zeros(2, 3);
    base.view(6).add_(1);
    base.t().mul_(3);
    base.reshape(3, 2).index_put_([0, 0], 7);
    expect(base.to_array()).toEqual([[7, 3, 3], [3, 3, 3]]);
  });

  it('contiguous() makes a transposed tensor viewable; view() alone cannot', () => {
    const tt = torch_tensor([[1, 2, 3], [4, 5, 6]]).t();
    expect(() => tt.view(6)).toThrow(/view size is not compatible/);
    expect(tt.contiguous().view(6).to_array()).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('clone() copies storage; detach() shares it and leaves the graph', () => {
    const base = torch_ones(2, { requires_grad: true });
    const copy = base.clone();
    const detached = base.detach();
    expect(copy.requires_grad).toBe(true);
    expect(detached.requires_grad).toBe(false);
    expect(detached.grad_fn).toBeNull();
    detached.fill_(9);
    expect(base.to_array()).toEqual([9, 9]);
    copy.detach().fill_(5);
    expect(base.to_array()).toEqual([9, 9]);
  });
});

describe('comparisons, where, allclose and equal', () => {
  check([
    ['gt_a_b', () => a.gt(b), EXACT],
    ['lt_a_0', () => a.lt(0), EXACT],
    ['ge_a_b', () => a.ge(b), EXACT],
    ['le_a_0.1', () => a.le(0.1), EXACT],
    ['eq_int_2', () => ia.eq(2), EXACT],
    ['ne_int_2', () => ia.ne(2), EXACT],
    ['where_a_0', () => torch_where(a.gt(0), a, 0), EXACT],
    ['where_a_b', () => torch_where(a.gt(b), a, b), EXACT],
  ]);

  it('allclose and equal give PyTorch\'s answers', () => {
    const flags = core.ops.flags;
    expect(a.allclose(a.add(1e-6))).toBe(entry(flags, 'allclose_a_a+1e-6'));
    expect(torch_allclose(a, a.add(1e-3))).toBe(entry(flags, 'allclose_a_a+1e-3'));
    expect(a.allclose(a.add(1e-3), 0, 2e-3)).toBe(entry(flags, 'allclose_a_a+1e-3_atol'));
    expect(a.equal(a.clone())).toBe(entry(flags, 'equal_a_clone'));
    expect(torch_equal(a, b)).toBe(entry(flags, 'equal_a_b'));
  });

  it('results are bool tensors', () => {
    expect(a.eq(a).dtype).toBe('bool');
    expect(flat(a.eq(a))).toEqual(new Array(12).fill(true));
    expect(flat(a.ne(a))).toEqual(new Array(12).fill(false));
  });
});

describe('in-place operations change the tensor and return it', () => {
  const inPlace: [string, (t: Tensor) => Tensor, Tolerance?][] = [
    ['add__b', (t) => t.add_(b), EXACT],
    ['sub__b_alpha', (t) => t.sub_(b, 2), EXACT],
    ['mul__2', (t) => t.mul_(2), EXACT],
    ['div__b', (t) => t.div_(b), EXACT],
    ['fill__3.5', (t) => t.fill_(3.5), EXACT],
    ['copy__c', (t) => t.copy_(c), EXACT],
    ['pow__2', (t) => t.pow_(2), EXACT],
    ['clamp__', (t) => t.clamp_(-0.5, 0.5), EXACT],
  ];
  it.each(inPlace)('%s', (key, apply, tolerance) => {
    const target = a.clone();
    expect(apply(target)).toBe(target);
    expectTensor(target, result(key), tolerance);
  });

  it('zero_ and requires_grad_ return this', () => {
    const target = a.clone();
    expect(target.zero_()).toBe(target);
    expect(flat(target).every((v) => v === 0)).toBe(true);
    const leaf = torch_zeros(2);
    expect(leaf.requires_grad_()).toBe(leaf);
    expect(leaf.requires_grad).toBe(true);
    expect(leaf.requires_grad_(false).requires_grad).toBe(false);
  });

  it('normal_ and uniform_ return this (their streams are checked in tensor.create)', () => {
    const target = torch_zeros(1000);
    expect(target.normal_(3, 0.5)).toBe(target);
    expect(Math.abs((target.mean().item() as number) - 3)).toBeLessThan(0.1);
    expect(target.uniform_(-1, 1)).toBe(target);
    expect(target.max().item()).toBeLessThan(1);
    expect(target.min().item()).toBeGreaterThanOrEqual(-1);
  });

  it('inputs are unchanged by the out-of-place ops above', () => {
    expectTensor(a, entry(core.ops.inputs, 'a'));
    expectTensor(b, entry(core.ops.inputs, 'b'));
  });
});
