// Parity of autograd_function's context (src/ops/autograd.ts) with torch.autograd.Function:
// the same functions written with save_for_backward of named values and constants,
// mark_dirty and mark_non_differentiable give the same outputs and gradients as their
// Python twins (the @case of the same name in cases_autograd_function.py).
import { autograd_function, torch_randn, torch_sort, torch_zeros, type Tensor } from '../../src/index.js';
import { parity_suite, type ParityCase } from './harness.js';

// x * scale, saved by name with the constant.
const scaled = autograd_function({
  forward(ctx, x: Tensor, scale: number) {
    ctx.save_for_backward({ x, scale });
    return x.mul(scale).sin();
  },
  backward(ctx, grad) {
    const { x, scale } = ctx.saved_variables;
    return [grad.mul(x.mul(scale).cos()).mul(scale), null];
  },
});

// x.add_(k) returned as itself (mark_dirty); backward passes the gradient through.
const addInPlace = autograd_function({
  forward(ctx, x: Tensor, k: number) {
    x.add_(k);
    ctx.mark_dirty(x);
    return x;
  },
  backward(_ctx, grad) { return [grad, null]; },
});

// sort with its indices non-differentiable; backward scatters the values' gradient back.
const sort = autograd_function({
  forward(ctx, x: Tensor) {
    const [values, indices] = torch_sort(x, { dim: -1 });
    ctx.mark_non_differentiable(indices);
    ctx.save_for_backward(indices, x.shape);
    return [values, indices];
  },
  backward(ctx, grad) {
    const [indices, shape] = ctx.saved_variables;
    return [torch_zeros(shape, { dtype: grad.dtype }).scatter(-1, indices, grad)];
  },
});

const cases: ParityCase[] = [
  { name: 'autograd_function.saved_by_name', inputs: () => ({ x: torch_randn(3, 4) }), grad: ['x'], run: ({ x }) => ({ y: scaled(x!, 1.5) }) },
  { name: 'autograd_function.mark_dirty', inputs: () => ({ x: torch_randn(5) }), grad: ['x'], run: ({ x }) => {
    const a = x!.mul(2);
    const b = addInPlace(a, 3);
    return { y: b.mul(b) };
  } },
  { name: 'autograd_function.mark_non_differentiable', inputs: () => ({ x: torch_randn(3, 5) }), grad: ['x'], run: ({ x }) => {
    const [values, indices] = sort(x!);
    return { values: values!.exp(), indices: indices! };
  } },
];

parity_suite('autograd_function\'s context: parity with torch.autograd.Function', cases);
