// Autograd: gradients checked against calculus or against central finite differences in
// float64 (which use only forward ops), never against themselves. Node names (grad_fn)
// come from Python PyTorch via test/fixtures/core.json.
import { describe, expect, it } from 'vitest';
import {
  TorchError, autograd_grad, torch_cat, torch_is_grad_enabled, torch_manual_seed, torch_ones, torch_randn,
  torch_tensor, torch_zeros, with_enable_grad, with_no_grad, type Tensor,
} from '../src/index.js';
import { core, entry, expectClose, flat } from './fixtures/core.js';

const values = (t: Tensor) => flat(t) as number[];

function float64(data: number[], shape: number[], requires_grad = false): Tensor {
  return torch_tensor(Float64Array.from(data), { shape, requires_grad });
}

function randomFloat64(seed: number, ...shape: number[]): number[] {
  torch_manual_seed(seed);
  return values(torch_randn(shape, { dtype: 'float64' }));
}

/**
 * Central differences (f(x + h) - f(x - h)) / 2h for every element of every input, in
 * float64. `f` maps input tensors to a scalar tensor using forward ops only.
 */
function finiteDifferences(f: (inputs: Tensor[]) => Tensor, inputs: number[][], shapes: number[][], h = 1e-6): number[][] {
  const evaluate = (point: number[][]) => with_no_grad(() => f(point.map((data, i) => float64(data, shapes[i]!))).item() as number);
  return inputs.map((data, i) => data.map((_, j) => {
    const plus = inputs.map((d) => d.slice());
    const minus = inputs.map((d) => d.slice());
    plus[i]![j]! += h;
    minus[i]![j]! -= h;
    return (evaluate(plus) - evaluate(minus)) / (2 * h);
  }));
}

/** Backward through `f` at `inputs`, compared with finite differences. */
function expectGradientsMatchFiniteDifferences(f: (inputs: Tensor[]) => Tensor, inputs: number[][], shapes: number[][]): void {
  const leaves = inputs.map((data, i) => float64(data, shapes[i]!, true));
  f(leaves).backward();
  const numeric = finiteDifferences(f, inputs, shapes);
  leaves.forEach((leaf, i) => {
    expect(leaf.grad).toBeDefined();
    expect(leaf.grad!.shape).toEqual(shapes[i]);
    expectClose(values(leaf.grad!), numeric[i]!, { rtol: 1e-6, atol: 1e-8 });
  });
}

describe('backward() against calculus', () => {
  it('d/dx sum(x^2) = 2x', () => {
    const data = randomFloat64(1, 5);
    const x = float64(data, [5], true);
    x.pow(2).sum().backward();
    expect(values(x.grad!)).toEqual(data.map((v) => 2 * v));
  });

  it('d/dA sum(A B) = 1 B^T and d/dB sum(A B) = A^T 1', () => {
    const [n, k, p] = [3, 4, 2];
    const A = randomFloat64(2, n, k);
    const B = randomFloat64(3, k, p);
    const a = float64(A, [n, k], true);
    const b = float64(B, [k, p], true);
    a.matmul(b).sum().backward();
    const rowSumsOfB = Array.from({ length: k }, (_, r) => B.slice(r * p, r * p + p).reduce((s, v) => s + v, 0));
    const columnSumsOfA = Array.from({ length: k }, (_, col) => Array.from({ length: n }, (_, i) => A[i * k + col]!).reduce((s, v) => s + v, 0));
    expectClose(values(a.grad!), Array.from({ length: n * k }, (_, idx) => rowSumsOfB[idx % k]!), { rtol: 1e-12, atol: 1e-12 });
    expectClose(values(b.grad!), Array.from({ length: k * p }, (_, idx) => columnSumsOfA[Math.floor(idx / p)]!), { rtol: 1e-12, atol: 1e-12 });
  });

  it('a non-scalar output takes the upstream gradient: d(3x)/dx . g = 3g', () => {
    const x = float64([1, 2, 3], [3], true);
    const g = float64([0.5, -1, 2], [3]);
    x.mul(3).backward(g);
    expect(values(x.grad!)).toEqual([1.5, -3, 6]);
  });

  it('gradients accumulate over backward() calls until reset', () => {
    const data = [0.5, -1.5];
    const x = float64(data, [2], true);
    x.mul(x).sum().backward();
    x.mul(x).sum().backward();
    expect(values(x.grad!)).toEqual(data.map((v) => 4 * v));
    x.grad!.zero_(); // each read of .grad is a handle to the same gradient
    expect(values(x.grad!)).toEqual([0, 0]);
    x.grad = null;
    expect(x.grad).toBeUndefined();
  });

  it('detach() blocks the gradient: d/dx (stop(x) * x) = stop(x)', () => {
    const x = float64([2, -3], [2], true);
    x.detach().mul(x).sum().backward();
    expect(values(x.grad!)).toEqual([2, -3]);
  });
});

describe('backward() against central finite differences (float64)', () => {
  it('mean(tanh(x W + b)^2) + sum(sigmoid(x))', () => {
    const f = ([x, w, b]: Tensor[]) => x!.matmul(w!).add(b!).tanh().pow(2).mean().add(x!.sigmoid().sum());
    expectGradientsMatchFiniteDifferences(f, [randomFloat64(4, 3, 4), randomFloat64(5, 4, 2), randomFloat64(6, 2)], [[3, 4], [4, 2], [2]]);
  });

  it('cross-entropy through log_softmax and indexing', () => {
    const f = ([logits]: Tensor[]) => logits!.log_softmax(1).index([0, 1, 2], [2, 0, 1]).mean().neg();
    expectGradientsMatchFiniteDifferences(f, [randomFloat64(7, 3, 3)], [[3, 3]]);
  });

  it('exp, log, sqrt, div, sub, softmax, clamp, relu', () => {
    const f = ([x, y]: Tensor[]) => {
      const positive = x!.exp().add(1);
      return positive.log().mul(positive.sqrt()).div(y!.pow(2).add(1)).sub(y!.clamp(-0.5, 0.5)).softmax(0)
        .mul(y!.relu().add(1)).sum();
    };
    expectGradientsMatchFiniteDifferences(f, [randomFloat64(8, 6), randomFloat64(9, 6)], [[6], [6]]);
  });

  it('shape ops: transpose, reshape, permute, expand, cat, unsqueeze, max along a dim', () => {
    const f = ([x, y]: Tensor[]) => {
      const joined = torch_cat([x!.t(), y!.reshape(3, 2)], 0); // [6, 2]
      return joined.permute(1, 0).unsqueeze(0).expand(2, -1, -1).max(2)[0].pow(3).sum();
    };
    expectGradientsMatchFiniteDifferences(f, [randomFloat64(10, 2, 3), randomFloat64(11, 6)], [[2, 3], [6]]);
  });
});

describe('grad_fn, is_leaf, requires_grad, retain_grad', () => {
  const x = () => torch_randn(3, 4, { requires_grad: true });
  const names: [string, (t: Tensor) => Tensor][] = [
    ['mul_scalar', (t) => t.mul(2)],
    ['add_scalar', (t) => t.add(2)],
    ['mul_tensor', (t) => t.mul(t)],
    ['add', (t) => t.add(t)],
    ['matmul_2d', (t) => t.matmul(torch_randn(4, 2))],
    ['matmul_mv', (t) => t.matmul(torch_randn(4))],
    ['sum', (t) => t.sum()],
    ['sum_1', (t) => t.sum(1)],
    ['mean', (t) => t.mean()],
    ['pow_2', (t) => t.pow(2)],
    ['tanh', (t) => t.tanh()],
    ['t', (t) => t.t()],
    ['reshape', (t) => t.reshape(12)],
    ['index_0', (t) => t.index(0)],
    ['index_slice', (t) => t.index(':', '0:2')],
    ['clone', (t) => t.clone()],
    ['softmax', (t) => t.softmax(1)],
    ['exp', (t) => t.exp()],
  ];
  it.each(names)('grad_fn of %s is PyTorch\'s node name', (key, op) => {
    expect(op(x()).grad_fn?.name).toBe(entry(core.autograd.grad_fn, key));
  });

  it('leaves are made by the user; results of tracked ops are not', () => {
    const leaf = x();
    const y = leaf.mul(2);
    expect(leaf.is_leaf).toBe(true);
    expect(leaf.grad_fn).toBeNull();
    expect(y.is_leaf).toBe(false);
    expect(y.requires_grad).toBe(true);
    expect(y.detach().is_leaf).toBe(true);
    // An op on tensors that need no grad makes a leaf, as in PyTorch.
    expect(torch_ones(2).mul(2).is_leaf).toBe(true);
    expect(torch_ones(2).mul(2).requires_grad).toBe(false);
  });

  it('the requires_grad setter and requires_grad_() switch recording on and off', () => {
    const t = torch_zeros(2);
    t.requires_grad = true;
    expect(t.requires_grad).toBe(true);
    expect(t.mul(t).grad_fn?.name).toBe(entry(core.autograd.grad_fn, 'mul_tensor'));
    t.requires_grad_(false);
    expect(t.mul(t).grad_fn).toBeNull();
  });

  it('retain_grad() keeps a non-leaf\'s gradient; without it there is none', () => {
    const leaf = float64([1, 2], [2], true);
    const kept = leaf.mul(3).retain_grad();
    const dropped = leaf.mul(3);
    kept.pow(2).sum().add(dropped.sum()).backward();
    expect(values(kept.grad!)).toEqual([6, 12]); // d(k^2)/dk = 2k, k = 3x
    expect(dropped.grad).toBeUndefined();
  });

  it('retain_graph allows a second backward through the same graph; without it libtorch refuses', () => {
    const leaf = float64([1, 2], [2], true);
    const y = leaf.mul(leaf).sum();
    y.backward(null, { retain_graph: true });
    y.backward();
    expect(values(leaf.grad!)).toEqual([4, 8]);
    expect(() => y.backward()).toThrow(TorchError);
    expect(() => y.backward()).toThrow(/backward through the graph a second time/);
  });
});

describe('with_no_grad and grad mode', () => {
  it('nothing is recorded inside; the mode comes back after', () => {
    const w = torch_ones(2, { requires_grad: true });
    expect(torch_is_grad_enabled()).toBe(true);
    const y = with_no_grad(() => {
      expect(torch_is_grad_enabled()).toBe(false);
      return w.mul(2);
    });
    expect(y.requires_grad).toBe(false);
    expect(y.grad_fn).toBeNull();
    expect(torch_is_grad_enabled()).toBe(true);
  });

  it('restores the mode when fn throws, and rethrows the same error', () => {
    const error = new Error('from inside');
    expect(() => with_no_grad(() => { throw error; })).toThrow(error);
    expect(torch_is_grad_enabled()).toBe(true);
    // A libtorch error inside too.
    expect(() => with_no_grad(() => torch_ones(2).matmul(torch_ones(3)))).toThrow(TorchError);
    expect(torch_is_grad_enabled()).toBe(true);
  });

  it('nests with with_enable_grad, restoring each level', () => {
    const w = torch_ones(2, { requires_grad: true });
    with_no_grad(() => {
      const inner = with_enable_grad(() => w.mul(w));
      expect(inner.grad_fn?.name).toBe(entry(core.autograd.grad_fn, 'mul_tensor'));
      expect(torch_is_grad_enabled()).toBe(false);
      expect(() => with_enable_grad(() => { throw new RangeError('inner'); })).toThrow(RangeError);
      expect(torch_is_grad_enabled()).toBe(false);
    });
    expect(torch_is_grad_enabled()).toBe(true);
  });

  it('an SGD step updates a leaf in place inside with_no_grad; outside libtorch refuses', () => {
    const w = float64([1, 2], [2], true);
    w.pow(2).sum().backward(); // grad = 2w = [2, 4]
    with_no_grad(() => w.sub_(w.grad!, 0.25));
    expect(values(w)).toEqual([0.5, 1]);
    expect(w.is_leaf).toBe(true);
    expect(() => w.sub_(w.grad!, 0.25)).toThrow(/leaf Variable that requires grad/);
  });

  it('refuses a non-function', () => {
    expect(() => with_no_grad(42 as unknown as () => void)).toThrow('Expected a function for fn but received 42');
  });
});

describe('autograd_grad', () => {
  it('returns gradients without touching .grad', () => {
    const data = [0.5, -2];
    const x = float64(data, [2], true);
    const [dx] = autograd_grad(x.pow(3).sum(), [x]);
    expect(values(dx!)).toEqual(data.map((v) => 3 * v * v));
    expect(x.grad).toBeUndefined();
  });

  it('create_graph gives a differentiable gradient: d2/dx2 x^3 = 6x', () => {
    const data = [0.5, -2];
    const x = float64(data, [2], true);
    const [dx] = autograd_grad(x.pow(3).sum(), x, { create_graph: true });
    expect(dx!.requires_grad).toBe(true);
    const [ddx] = autograd_grad(dx!.sum(), [x]);
    expect(values(ddx!)).toEqual(data.map((v) => 6 * v));
  });

  it('grad_outputs weights a non-scalar output', () => {
    const x = float64([1, 2], [2], true);
    const [dx] = autograd_grad([x.mul(5)], [x], { grad_outputs: [float64([1, -1], [2])] });
    expect(values(dx!)).toEqual([5, -5]);
  });

  it('an unused input is undefined with allow_unused, a TorchError without', () => {
    const x = float64([1, 2], [2], true);
    const unused = float64([3], [1], true);
    const [dx, du] = autograd_grad(x.sum(), [x, unused], { allow_unused: true, retain_graph: true });
    expect(values(dx!)).toEqual([1, 1]);
    expect(du).toBeUndefined();
    expect(() => autograd_grad(x.sum(), [x, unused])).toThrow(TorchError);
  });
});
