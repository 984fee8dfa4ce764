// Autograd's graph (src/ops/autograd_node.ts: grad_fn and next_functions) and the context of
// autograd_function (src/ops/autograd.ts: save_for_backward by name and of constants,
// mark_dirty, mark_non_differentiable). Node names and graph shapes are PyTorch 2.13's, as
// Python prints them for the same expressions; gradients are checked against the analytic
// derivative.
import { describe, expect, it } from 'vitest';
import { AutogradNode, autograd_function, torch_randn, torch_sort, torch_tensor, torch_zeros, TorchError, type Tensor } from '../src/index.js';

const names = (node: AutogradNode | null): (string | null)[] => node!.next_functions.map((next) => next?.name ?? null);

describe('grad_fn and next_functions', () => {
  it('walks the graph as PyTorch\'s: y = x * w + b, w not requiring grad', () => {
    const x = torch_randn(3, { requires_grad: true });
    const w = torch_randn(3);
    const b = torch_randn(3, { requires_grad: true });
    const y = x.mul(w).add(b);
    expect(y.grad_fn).toBeInstanceOf(AutogradNode);
    expect(y.grad_fn?.name).toBe('AddBackward0');
    expect(String(y.grad_fn)).toBe('AddBackward0');
    expect(names(y.grad_fn)).toEqual(['MulBackward0', 'torch::autograd::AccumulateGrad']);
    expect(names(y.grad_fn!.next_functions[0]!)).toEqual(['torch::autograd::AccumulateGrad', null]);
    expect(y.grad_fn!.next_functions_input_nr).toEqual([0, 0]);
    expect(x.grad_fn).toBeNull();
  });

  it('says which output of the next node an input was', () => {
    const x = torch_randn(4, { requires_grad: true }).exp();
    const parts = x.unbind(0);
    const node = parts[2]!.add(1).grad_fn!;
    expect(node.next_functions[0]?.name).toBe('UnbindBackward0');
    expect(node.next_functions_input_nr).toEqual([2]);
  });
});

describe('the context of autograd_function', () => {
  it('saves named values and constants, as R\'s save_for_backward(x = x, k = 2)', () => {
    const power = autograd_function({
      forward(ctx, x: Tensor, k: number) {
        ctx.save_for_backward({ x, k });
        return x.pow(k);
      },
      backward(ctx, grad) {
        const { x, k } = ctx.saved_variables;
        return [grad.mul(x.pow(k - 1)).mul(k), null];
      },
    });
    const x = torch_tensor(new Float64Array([0.5, -1.5, 2]), { requires_grad: true });
    power(x, 3).sum().backward();
    expect(Array.from(x.grad!.to_typed_array() as Float64Array)).toEqual([0.75, 6.75, 12]);
  });

  it('saves positionally, tensors and constants alike, and refuses mixing the two forms', () => {
    let saved: unknown;
    const scale = autograd_function({
      forward(ctx, x: Tensor) { ctx.save_for_backward(x, 2); ctx.save_for_backward('twice'); return x.mul(2); },
      backward(ctx, grad) { saved = ctx.saved_variables; return [grad.mul(ctx.saved_variables[1])]; },
    });
    const x = torch_randn(2, { requires_grad: true });
    scale(x).sum().backward();
    expect((saved as unknown[]).slice(1)).toEqual([2, 'twice']);
    expect(Array.from(x.grad!.to_typed_array() as Float32Array)).toEqual([2, 2]);
    const mixed = autograd_function({
      forward(ctx, x: Tensor) { ctx.save_for_backward(x); ctx.save_for_backward({ x }); return x; },
      backward(_ctx, grad) { return [grad]; },
    });
    expect(() => mixed(x)).toThrow('Expected save_for_backward to save by name or by position every time, but received both');
  });

  // PyTorch's example of mark_dirty: forward adds k to x in place and returns it.
  const addInPlace = autograd_function({
    forward(ctx, x: Tensor, k: number) { x.add_(k); ctx.mark_dirty(x); return x; },
    backward(_ctx, grad) { return [grad.mul(1), null]; },
  });

  it('mark_dirty: the input itself is returned, its history now the function\'s', () => {
    const leaf = torch_randn(3, { requires_grad: true });
    const a = leaf.clone();
    const before = Array.from(a.to_typed_array() as Float32Array);
    const out = addInPlace(a, 2);
    expect(out).toBe(a);
    expect(a.grad_fn?.name).toBe('JsFunctionBackward');
    expect(a.grad_fn?.next_functions[0]?.name).toBe('CloneBackward0');
    (a.to_typed_array() as Float32Array).forEach((value, i) => expect(value).toBeCloseTo(before[i]! + 2, 5));
    a.mul(3).sum().backward();
    expect(Array.from(leaf.grad!.to_typed_array() as Float32Array)).toEqual([3, 3, 3]);
  });

  it('mark_dirty: a value saved before the change is stale, and a leaf that requires grad is refused, as in PyTorch', () => {
    const leaf = torch_randn(3, { requires_grad: true });
    const a = leaf.clone();
    const b = a.mul(a);        // saves a
    addInPlace(a, 1);
    expect(() => b.sum().backward()).toThrow(/modified by an inplace operation/);
    expect(() => addInPlace(leaf, 1)).toThrow(TorchError);
    expect(() => addInPlace(leaf, 1)).toThrow('a leaf Variable that requires grad has been used in an in-place operation.');
    const notAnInput = autograd_function({
      forward(ctx, x: Tensor) { const y = x.mul(2); ctx.mark_dirty(y); return y; },
      backward(_ctx, grad) { return [grad]; },
    });
    expect(() => notAnInput(torch_randn(2, { requires_grad: true }))).toThrow('Expected an input of forward for mark_dirty argument 0 but received another tensor');
    const notReturned = autograd_function({
      forward(ctx, x: Tensor) { x.add_(1); ctx.mark_dirty(x); return x.mul(2); },
      backward(_ctx, grad) { return [grad]; },
    });
    expect(() => notReturned(torch_randn(2, { requires_grad: true }).clone())).toThrow('Expected forward to return every tensor given to mark_dirty, but one was not returned');
  });

  it('mark_non_differentiable: sort\'s indices do not require grad, backward gets zeros for them', () => {
    let indexGradient: Tensor | undefined;
    const sort = autograd_function({
      forward(ctx, x: Tensor) {
        const [values, indices] = torch_sort(x);
        ctx.mark_non_differentiable(indices);
        ctx.save_for_backward({ indices, size: x.size(0) });
        return [values, indices];
      },
      backward(ctx, grad, gradIndices) {
        indexGradient = gradIndices;
        const { indices } = ctx.saved_variables;
        return [torch_zeros([ctx.saved_variables.size], { dtype: grad.dtype }).scatter(0, indices, grad)];
      },
    });
    const x = torch_tensor(new Float64Array([3, 1, 2]), { requires_grad: true });
    const [values, indices] = sort(x);
    expect(values!.requires_grad).toBe(true);
    expect(indices!.requires_grad).toBe(false);
    expect(indices!.grad_fn).toBeNull();
    // d/dx of sum(sorted · [1, 2, 3]): the weight of each element's rank
    values!.mul(torch_tensor(new Float64Array([1, 2, 3]))).sum().backward();
    expect(Array.from(x.grad!.to_typed_array() as Float64Array)).toEqual([3, 1, 2]);
    expect(Array.from(indexGradient!.to_typed_array() as BigInt64Array, Number)).toEqual([0, 0, 0]);
    const stranger = autograd_function({
      forward(ctx, x: Tensor) { ctx.mark_non_differentiable(x.sign()); return x.mul(1); },
      backward(_ctx, grad) { return [grad]; },
    });
    expect(() => stranger(torch_randn(2, { requires_grad: true }))).toThrow('Expected forward to return every tensor given to mark_non_differentiable, but one was not returned');
  });
});
