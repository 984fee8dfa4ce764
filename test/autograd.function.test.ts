// Autograd written in TypeScript: autograd_function (R torch's, torch.autograd.Function),
// register_hook, autograd_backward and with_detect_anomaly. Gradients are checked against the
// analytic derivative, against libtorch's own autograd of the same computation, and by finite
// differences; errors thrown by a user's backward reach the caller of backward().
import { describe, expect, it } from 'vitest';
import {
  TorchError, autograd_backward, autograd_function, torch_memory_stats, torch_randn, torch_scope, torch_tensor, with_detect_anomaly, type Tensor,
} from '../src/index.js';

const cube = autograd_function({
  forward(ctx, x: Tensor) { ctx.save_for_backward(x); return x.pow(3); },
  backward(ctx, grad) { const [x] = ctx.saved_variables; return [grad.mul(x!.pow(2)).mul(3)]; },
});

// f(x, w, scale) = (x * w * scale, x + w): two outputs, a number argument.
const pair = autograd_function({
  forward(ctx, x: Tensor, w: Tensor, scale: number) {
    ctx.save_for_backward(x, w);
    ctx.scale = scale;
    ctx.needs = ctx.needs_input_grad;
    return [x.mul(w).mul(scale), x.add(w)];
  },
  backward(ctx, gradProduct, gradSum) {
    const [x, w] = ctx.saved_variables;
    const scale = ctx.scale as number;
    return [gradProduct.mul(w!).mul(scale).add(gradSum), gradProduct.mul(x!).mul(scale).add(gradSum), null];
  },
});

describe('autograd_function', () => {
  it('its gradient is the analytic one and libtorch\'s for the same computation', () => {
    const x = torch_randn(5, { requires_grad: true });
    const y = cube(x);
    expect(y.grad_fn?.name).toBe('JsFunctionBackward');
    y.sum().backward();
    const reference = x.detach().requires_grad_();
    reference.pow(3).sum().backward();
    expect(x.grad!.allclose(reference.grad!, 1e-6, 1e-7)).toBe(true);
    expect(x.grad!.allclose(x.detach().pow(2).mul(3), 1e-6, 1e-7)).toBe(true);
  });

  it('two inputs, a number argument, two outputs, an output not used: gradients by finite differences', () => {
    const x = torch_tensor(new Float64Array([0.3, -1.2, 2.0]), { requires_grad: true });
    const w = torch_tensor(new Float64Array([1.5, 0.5, -0.7]), { requires_grad: true });
    const loss = (a: Tensor, b: Tensor): Tensor => { const [p] = pair(a, b, 2.5); return p!.sin().sum(); };
    loss(x, w).backward();
    const h = 1e-6;
    for (let i = 0; i < 3; i++) {
      const step = torch_tensor(new Float64Array(3).map((_, j) => (j === i ? h : 0)));
      const numeric = ((loss(x.detach().add(step), w.detach()).item() as number) - (loss(x.detach().sub(step), w.detach()).item() as number)) / (2 * h);
      expect((x.grad!.to_array() as number[])[i]).toBeCloseTo(numeric, 6);
    }
  });

  it('tells backward which arguments need a gradient', () => {
    let seen: unknown;
    const probe = autograd_function({
      forward(ctx, a: Tensor, b: Tensor, n: number) { seen = ctx.needs_input_grad; return a.add(b).mul(n); },
      backward(_ctx, grad) { return [grad, null, null]; },
    });
    probe(torch_randn(2, { requires_grad: true }), torch_randn(2), 3).sum().backward();
    expect(seen).toEqual([true, false, false]);
  });

  it('without inputs that need a gradient it is a plain computation', () => {
    const y = cube(torch_tensor([2]));
    expect(y.requires_grad).toBe(false);
    expect(y.item()).toBe(8);
  });

  it('an error thrown by backward reaches the caller of backward(), and the process goes on', () => {
    const broken = autograd_function({
      forward(_ctx, x: Tensor) { return x.mul(2); },
      backward() { throw new RangeError('the user\'s own error'); },
    });
    const x = torch_randn(2, { requires_grad: true });
    expect(() => broken(x).sum().backward()).toThrow('the user\'s own error');
    cube(x).sum().backward();
    expect(x.grad!.shape).toEqual([2]);
  });

  it('backward must return one gradient per forward argument, of the input\'s shape', () => {
    const x = torch_randn(3, { requires_grad: true });
    const tooFew = autograd_function({ forward(_c, a: Tensor, _n: number) { return a.mul(2); }, backward(_c, g) { return [g]; } });
    expect(() => tooFew(x, 1).sum().backward()).toThrow('Expected backward to return 2 gradient(s), one per forward argument (null for none), but received 1');
    const wrongShape = autograd_function({ forward(_c, a: Tensor) { return a.mul(2); }, backward(_c, g) { return [g.sum()]; } });
    expect(() => wrongShape(x).sum().backward()).toThrow('Expected backward\'s gradient 0 to have its input\'s shape [3] but received shape []');
  });

  it('refuses a definition without backward', () => {
    expect(() => autograd_function({ forward: (_c: unknown, x: Tensor) => x } as never)).toThrow('Expected a function for backward but received undefined');
  });

  it('leaves no tensor behind once its graph is gone', () => {
    const before = torch_memory_stats().tensors;
    torch_scope(() => {
      for (let i = 0; i < 20; i++) {
        const x = torch_randn(4, { requires_grad: true });
        cube(x).sum().backward();
      }
    });
    expect(torch_memory_stats().tensors).toBe(before);
  });
});

describe('register_hook', () => {
  it('a hook can replace the gradient, and remove() stops it', () => {
    const w = torch_randn(3, { requires_grad: true });
    const handle = w.register_hook((grad) => grad.mul(10));
    w.mul(2).sum().backward();
    expect(w.grad!.to_array()).toEqual([20, 20, 20]);
    handle.remove();
    w.grad = null;
    w.mul(2).sum().backward();
    expect(w.grad!.to_array()).toEqual([2, 2, 2]);
  });

  it('a hook that returns nothing only observes', () => {
    const w = torch_randn(2, { requires_grad: true });
    const seen: number[][] = [];
    w.register_hook((grad) => { seen.push(grad.to_array() as number[]); });
    w.mul(3).sum().backward();
    expect(seen).toEqual([[3, 3]]);
    expect(w.grad!.to_array()).toEqual([3, 3]);
  });

  it('needs a tensor that requires grad', () => {
    expect(() => torch_randn(2).register_hook((g) => g)).toThrow('Expected a tensor that requires grad for tensor');
  });
});

describe('autograd_backward and with_detect_anomaly', () => {
  it('backward from several tensors adds their gradients', () => {
    const a = torch_randn(2, { requires_grad: true });
    autograd_backward([a.sum(), a.mul(3)], [null, torch_tensor([1, 2])]);
    expect(a.grad!.to_array()).toEqual([1 + 3, 1 + 6]);
  });

  it('anomaly detection names the operation whose backward made NaN', () => {
    const x = torch_tensor([-1], { requires_grad: true });
    expect(() => with_detect_anomaly(() => x.sqrt().sum().backward())).toThrow(TorchError);
    expect(() => with_detect_anomaly(() => x.sqrt().sum().backward())).toThrow(/SqrtBackward0.*returned nan values/);
  });
});
