// Module hooks (register_forward_pre_hook, register_forward_hook) with PyTorch's semantics,
// and clone() (R torch's module$clone(deep = TRUE)). Expected values are arithmetic on
// the tensors involved; the parity suite runs a hooked module against PyTorch too.
import { describe, expect, it } from 'vitest';
import {
  is_nn_buffer, is_nn_parameter, Linear, nn_batch_norm1d, nn_linear, nn_lstm, nn_Module, nn_module, nn_parameter, nn_relu, nn_sequential,
  RemovableHandle, torch_ones, torch_randn, torch_tensor, with_no_grad, type Tensor,
} from '../src/index.js';

const values = (t: Tensor): number[] => Array.from(t.to_typed_array() as Float32Array, Number);

class Doubler extends nn_Module {
  override forward(x: Tensor, scale = 1): Tensor {
    return x.mul(2 * scale);
  }
}

describe('forward pre-hooks', () => {
  it('see the module and its arguments; an array replaces the arguments, another value the one argument', () => {
    const module = new Doubler();
    const seen: unknown[][] = [];
    module.register_forward_pre_hook((m, args) => { seen.push([m, ...args]); });
    const x = torch_tensor([1, 2]);
    expect(values(module(x, 3))).toEqual([6, 12]);
    expect(seen).toEqual([[module, x, 3]]);
    const handle = module.register_forward_pre_hook((_m, [input]) => [(input as Tensor).add(1), 10]);
    expect(values(module(x))).toEqual([40, 60]);
    handle.remove();
    module.register_forward_pre_hook((_m, [input]) => (input as Tensor).neg());
    expect(values(module(x, 3))).toEqual([-2, -4]); // a single value is the one argument: scale back to 1
  });

  it('run in registration order, each seeing the arguments the previous one gave', () => {
    const module = new Doubler();
    module.register_forward_pre_hook((_m, [input]) => [(input as Tensor).add(1)]);
    module.register_forward_pre_hook((_m, [input]) => [(input as Tensor).mul(10)]);
    expect(values(module(torch_tensor([1])))).toEqual([40]);
  });
});

describe('forward hooks', () => {
  it('see the arguments and the output; a returned value replaces the output, undefined keeps it', () => {
    const linear = nn_linear(2, 3);
    const outputs: Tensor[] = [];
    linear.register_forward_hook((_m, _args, output) => { outputs.push(output); });
    const y = linear(torch_randn(4, 2));
    expect(outputs).toEqual([y]);
    linear.register_forward_hook((_m, [input], output) => output.sum().add((input as Tensor).sum()));
    const x = torch_ones(4, 2);
    const replaced = linear(x);
    expect(replaced.shape).toEqual([]);
    expect(replaced.item()).toBeCloseTo((linear.forward(x).sum().item() as number) + 8, 4);
  });

  it('see the arguments a pre-hook replaced, and run after all pre-hooks', () => {
    const module = new Doubler();
    const order: string[] = [];
    module.register_forward_hook((_m, [input], output) => {
      order.push('forward');
      return (output as Tensor).add(input as Tensor);
    });
    module.register_forward_pre_hook(() => { order.push('pre'); return torch_tensor([5]); });
    expect(values(module(torch_tensor([1])))).toEqual([15]);
    expect(order).toEqual(['pre', 'forward']);
  });

  it('run when a container calls the module, not when forward() is called directly', () => {
    const relu = nn_relu();
    let calls = 0;
    relu.register_forward_hook(() => { calls += 1; });
    const model = nn_sequential(nn_linear(2, 2), relu);
    model(torch_randn(3, 2));
    expect(calls).toBe(1);
    relu.forward(torch_randn(3));
    expect(calls).toBe(1);
  });

  it('work on nn_module() generators too', () => {
    const Scale = nn_module({ initialize(k: number) { this.k = k; }, forward(x: Tensor) { return x.mul(this.k); } });
    const scale = Scale(3);
    scale.register_forward_hook((m, _args, output) => output.add(m.k));
    expect(values(scale(torch_tensor([1, 2])))).toEqual([6, 9]);
  });
});

describe('hook handles', () => {
  it('remove() unregisters, twice is harmless, and removing one leaves the others', () => {
    const module = new Doubler();
    const a = module.register_forward_hook((_m, _args, output) => (output as Tensor).add(1));
    const b = module.register_forward_hook((_m, _args, output) => (output as Tensor).mul(10));
    expect(a).toBeInstanceOf(RemovableHandle);
    expect(a.id).not.toBe(b.id);
    expect(values(module(torch_tensor([1])))).toEqual([30]);
    a.remove();
    a.remove();
    expect(values(module(torch_tensor([1])))).toEqual([20]);
    b[Symbol.dispose]();
    expect(values(module(torch_tensor([1])))).toEqual([2]);
  });

  it('a hook that removes itself during a call still lets this call\'s other hooks run', () => {
    const module = new Doubler();
    const calls: string[] = [];
    const handle: RemovableHandle = module.register_forward_hook(() => { calls.push('once'); handle.remove(); });
    module.register_forward_hook(() => { calls.push('always'); });
    module(torch_tensor([1]));
    module(torch_tensor([1]));
    expect(calls).toEqual(['once', 'always', 'always']);
  });

  it('refuses a hook that is not a function', () => {
    expect(() => new Doubler().register_forward_hook('log' as never)).toThrow(/Expected a function for hook but received "log"/);
    expect(() => new Doubler().register_forward_pre_hook(null as never)).toThrow(TypeError);
  });
});

class Tied extends nn_Module {
  encoder = nn_linear(3, 4, { bias: false });
  decoder = nn_linear(4, 3, { bias: false });
  norm = nn_batch_norm1d(4);
  note = { steps: [1, 2] };
  constructor() {
    super();
    this.shared = this.encoder.weight;
  }

  declare shared: Tensor;

  override forward(x: Tensor): Tensor {
    return this.decoder(this.norm(this.encoder(x)));
  }
}

describe('clone()', () => {
  it('deep: new parameters and buffers with the same values, independent of the original', () => {
    const original = nn_sequential(nn_linear(3, 4), nn_batch_norm1d(4));
    const copy = original.clone(true);
    expect(copy).not.toBe(original);
    expect(Object.keys(copy.state_dict())).toEqual(Object.keys(original.state_dict()));
    const copied: Record<string, Tensor> = copy.state_dict(); // indexed by computed names
    for (const [name, tensor] of Object.entries(original.state_dict())) {
      const other = copied[name]!;
      expect(other.equal(tensor)).toBe(true);
      expect(copy.named_parameters()[name] ?? copy.named_buffers()[name]).not.toBe(original.named_parameters()[name] ?? original.named_buffers()[name]);
    }
    const linear = copy.children[0] as Linear;
    expect(linear).toBeInstanceOf(Linear);
    expect(linear).not.toBe(original.children[0]);
    expect(is_nn_parameter(linear.weight)).toBe(true);
    expect(is_nn_buffer((copy.children[1] as ReturnType<typeof nn_batch_norm1d>).running_mean)).toBe(true);
    with_no_grad(() => linear.weight.fill_(0));
    expect(values((original.children[0] as Linear).weight).every((v) => v !== 0)).toBe(true);
    copy(torch_randn(5, 3)); // trains the copy's batch norm only
    expect(Number((original.children[1] as ReturnType<typeof nn_batch_norm1d>).num_batches_tracked!.item())).toBe(0);
  });

  it('keeps requires_grad (not grad), training mode, plain values and weights shared within the module', () => {
    const original = new Tied();
    original.decoder.weight.requires_grad_(false);
    original(torch_randn(5, 3)).sum().backward();
    original.eval();
    const copy = original.clone(true);
    expect(copy).toBeInstanceOf(Tied);
    expect(copy.training).toBe(false);
    expect(copy.norm.training).toBe(false);
    expect(copy.decoder.weight.requires_grad).toBe(false);
    expect(copy.encoder.weight.requires_grad).toBe(true);
    expect(copy.encoder.weight.grad).toBeUndefined();
    expect(copy.shared).toBe(copy.encoder.weight);
    expect(copy.note).toEqual({ steps: [1, 2] });
    expect(copy.note).not.toBe(original.note);
    expect(copy.parameters).toHaveLength(original.parameters.length);
    const x = torch_randn(2, 3);
    expect(copy(x).equal(original(x))).toBe(true);
  });

  it('copies hooks (removing the original\'s handle leaves the copy\'s)', () => {
    const original = new Doubler();
    const handle = original.register_forward_hook((_m, _args, output) => (output as Tensor).add(1));
    const copy = original.clone();
    handle.remove();
    expect(values(copy(torch_tensor([1])))).toEqual([3]);
    expect(values(original(torch_tensor([1])))).toEqual([2]);
  });

  it('shallow (R\'s default, deep = FALSE): a new module holding the same parameters', () => {
    const original = nn_linear(2, 2);
    expect(original.clone().weight).toBe(original.weight);
    const copy = original.clone(false);
    expect(copy).not.toBe(original);
    expect(copy.weight).toBe(original.weight);
    copy.bias = nn_parameter(torch_ones(2));
    expect(original.bias).not.toBe(copy.bias);
  });

  it('works on recurrent layers and generator modules, and checks its argument', () => {
    const lstm = nn_lstm(2, 3);
    const x = torch_randn(4, 1, 2);
    expect(lstm.clone(true)(x)[0].equal(lstm(x)[0])).toBe(true);
    const Scale = nn_module({ initialize(k: number) { this.k = k; }, forward(v: Tensor) { return v.mul(this.k); }, twice() { return this.k * 2; } });
    const scale = Scale(4).clone();
    expect(scale.twice()).toBe(8);
    expect(() => lstm.clone('yes' as never)).toThrow(TypeError);
  });
});
