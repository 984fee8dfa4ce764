// nn_module / nn_Module: R torch's registration semantics, the tree walks, modes, devices,
// gradients, state_dict round trips and their errors, printing. Expected values come from
// arithmetic on the tensors involved, or from the structure PyTorch gives the same module.
import { describe, expect, it } from 'vitest';
import {
  is_nn_buffer, is_nn_module, is_nn_parameter, nn_buffer, nn_dropout, nn_linear, nn_Module, nn_module, nn_parameter,
  nn_relu, nn_sequential, nnf_mse_loss, torch_manual_seed, torch_matmul, torch_ones, torch_randn, torch_tensor, torch_zeros,
  type Tensor,
} from '../src/index.js';

// The seed example's LoRA module, written exactly as the issue gives it.
const lora_nn_linear = nn_module({
  initialize(linear, r = 16, alpha = 1) {
    this.linear = linear;
    for (const p of this.linear.parameters) p.requires_grad_(false);
    this.A = nn_parameter(torch_randn(linear.in_features, r));
    this.B = nn_parameter(torch_zeros(r, linear.out_features));
    this.scaling = alpha / r;
  },
  forward(x) {
    return this.linear(x).add(torch_matmul(x, torch_matmul(this.A, this.B).mul(this.scaling)));
  },
});

class Mlp extends nn_Module {
  fc1 = nn_linear(4, 8);
  act = nn_relu();
  fc2 = nn_linear(8, 2);
  override forward(x: Tensor): Tensor {
    return this.fc2(this.act(this.fc1(x)));
  }
}

describe('nn_module generators', () => {
  it('runs initialize, registers what is assigned, and makes callable instances', () => {
    const base = nn_linear(6, 3);
    const lora = lora_nn_linear(base, 2, 4);
    expect(Object.keys(lora.named_parameters())).toEqual(['A', 'B', 'linear.weight', 'linear.bias']);
    expect(lora.children).toEqual([base]);
    expect(lora.scaling).toBe(2);
    expect(lora.A.shape).toEqual([6, 2]);
    expect(base.weight.requires_grad).toBe(false);
    expect(lora.A.requires_grad).toBe(true);
    // B starts at zero, so the LoRA model computes exactly what the base layer does.
    const x = torch_randn(5, 6);
    expect(lora(x).equal(base(x))).toBe(true);
    expect(typeof lora).toBe('function');
  });

  it('forward adds x (A B) scaling to the base output', () => {
    const base = nn_linear(3, 2);
    const lora = lora_nn_linear(base, 1, 2);
    lora.B.requires_grad_(false).copy_(torch_tensor([[1, -1]])).requires_grad_(true);
    const x = torch_tensor([[1, 2, 3]]);
    const a = lora.A.to_array() as number[][];
    const dot = 1 * a[0]![0]! + 2 * a[1]![0]! + 3 * a[2]![0]!;
    const expected = (base(x).to_array() as number[][])[0]!.map((v, j) => v + dot * (j === 0 ? 1 : -1) * 2);
    const actual = (lora(x).to_array() as number[][])[0]!;
    actual.forEach((v, j) => expect(v).toBeCloseTo(expected[j]!, 5));
  });

  it('makes other definition members methods, and names the class', () => {
    const scaler = nn_module('scaler', {
      initialize(factor: number) { this.factor = factor; },
      forward(x: Tensor) { return this.apply_factor(x); },
      apply_factor(x: Tensor) { return x.mul(this.factor); },
    });
    const s = scaler(3);
    expect(s(torch_tensor([1, 2])).to_array()).toEqual([3, 6]);
    expect(s).toBeInstanceOf(scaler);
    expect(s).toBeInstanceOf(nn_Module);
    expect(scaler.classname).toBe('scaler');
    expect(String(nn_linear(2, 2))).toContain('An `nn_module` containing 6 parameters.');
  });

  it('a module without forward says so when called', () => {
    const empty = nn_module({})();
    expect(() => empty(1)).toThrow(/has no forward\(\) method/);
  });

  it('rejects a definition that is not an object or class', () => {
    expect(() => nn_module(42 as never)).toThrow(TypeError);
    expect(() => nn_module(class {} as never)).toThrow(/extends nn_Module/);
  });
});

describe('classes that extend nn_Module', () => {
  it('register class fields and are callable with forward\'s types', () => {
    const mlp = new Mlp();
    expect(Object.keys(mlp.named_parameters())).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    const y: Tensor = mlp(torch_randn(3, 4));
    expect(y.shape).toEqual([3, 2]);
    expect(mlp.forward(torch_randn(1, 4)).shape).toEqual([1, 2]);
  });

  it('a subclass field declaration does not erase what the base constructor registered', () => {
    class Base extends nn_Module {
      constructor() { super(); this.w = nn_parameter(torch_ones(2)); }
      w!: Tensor;
    }
    // What `w;` in a JavaScript subclass emits: a field definition with undefined.
    class Derived extends Base {
      override w = undefined as unknown as Tensor;
    }
    const d = new Derived();
    expect(is_nn_parameter(d.w)).toBe(true);
    expect(d.parameters).toHaveLength(1);
  });

  it('nn_module(Class) gives the generator form, with a name', () => {
    const mlp = nn_module(Mlp, 'mlp');
    const m = mlp();
    expect(m).toBeInstanceOf(Mlp);
    expect(String(m)).toContain('• fc1: <nn_linear> #40 parameters');
    expect(mlp.classname).toBe('mlp');
  });
});

describe('registration rules (R torch and PyTorch)', () => {
  it('registers parameters, buffers and modules; a plain tensor stays a plain field', () => {
    const m = nn_module({
      initialize() {
        this.p = nn_parameter(torch_ones(2));
        this.buf = nn_buffer(torch_zeros(3));
        this.temp = nn_buffer(torch_zeros(1), false);
        this.plain = torch_ones(4);
        this.child = nn_linear(1, 1);
        this.n = 5;
      },
    })();
    expect(Object.keys(m.named_parameters(false))).toEqual(['p']);
    expect(Object.keys(m.named_buffers())).toEqual(['buf', 'temp']);
    expect(Object.keys(m.named_children())).toEqual(['child']);
    expect(Object.keys(m.state_dict())).toEqual(['p', 'buf', 'child.weight', 'child.bias']);
    expect(is_nn_buffer(m.buf)).toBe(true);
    expect(is_nn_module(m.child)).toBe(true);
    expect(m.plain.shape).toEqual([4]);
  });

  it('a registered name keeps its kind: null is allowed, a value of another kind is a TypeError', () => {
    const m = nn_linear(2, 2);
    expect(() => { m.weight = torch_ones(2, 2); }).toThrow(/Expected an nn_parameter\(\) or null .*weight is a registered parameter/);
    m.bias = null;
    expect(Object.keys(m.named_parameters())).toEqual(['weight']);
    m.bias = nn_parameter(torch_zeros(2));
    expect(Object.keys(m.named_parameters())).toEqual(['weight', 'bias']);
    const seq = nn_sequential(nn_relu());
    expect(() => { (seq as unknown as Record<string, unknown>)['0'] = 3; }).toThrow(/nn_module or null/);
  });

  it('a buffer name takes a new plain tensor and stays a buffer', () => {
    const m = nn_module({ initialize() { this.register_buffer('running', torch_zeros(2)); } })();
    m.running = torch_ones(2);
    expect(m.buffers[0]!.to_array()).toEqual([1, 1]);
  });

  it('rejects names with dots and names of methods', () => {
    const m = nn_module({})();
    expect(() => m.register_parameter('a.b', torch_ones(1))).toThrow(TypeError);
    expect(() => { (m as Record<string, unknown>).forward = nn_parameter(torch_ones(1)); }).toThrow(/not a method or property/);
    expect(() => m.register_module('parameters', nn_relu())).toThrow(TypeError);
  });

  it('register_parameter(name, null) reserves the name; delete unregisters', () => {
    const m = nn_module({ initialize() { this.register_parameter('bias', null); this.w = nn_parameter(torch_ones(1)); } })();
    expect(m.bias).toBeNull();
    expect(m.parameters).toHaveLength(1);
    delete m.w;
    expect(m.parameters).toHaveLength(0);
  });

  it('nn_parameter detaches a tensor computed from others', () => {
    const leaf = torch_ones(2).requires_grad_();
    const p = nn_parameter(leaf.mul(2));
    expect(p.is_leaf).toBe(true);
    expect(p.requires_grad).toBe(true);
    expect(nn_parameter(torch_ones(1), false).requires_grad).toBe(false);
  });
});

describe('walking the module tree', () => {
  it('parameters are de-duplicated, in PyTorch\'s order', () => {
    const shared = nn_linear(2, 2);
    const m = nn_module({
      initialize() { this.a = shared; this.b = nn_linear(2, 1); this.c = shared; this.scale = nn_parameter(torch_ones(1)); },
    })();
    expect(Object.keys(m.named_parameters())).toEqual(['scale', 'a.weight', 'a.bias', 'b.weight', 'b.bias']);
    expect(m.parameters).toHaveLength(5);
    expect(Object.keys(m.named_modules())).toEqual(['', 'a', 'b']);
    expect(m.modules).toHaveLength(3);
    // state_dict keeps every name, as PyTorch's does.
    expect(Object.keys(m.state_dict())).toEqual(['scale', 'a.weight', 'a.bias', 'b.weight', 'b.bias', 'c.weight', 'c.bias']);
  });

  it('nn_sequential names its modules 0, 1, ... and indexes them', () => {
    const seq = nn_sequential(nn_linear(3, 4), nn_relu(), nn_linear(4, 1));
    expect(Object.keys(seq.named_parameters())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect((seq as unknown as Record<number, unknown>)[1]).toBe(seq.children[1]);
    expect(seq(torch_randn(2, 3)).shape).toEqual([2, 1]);
  });

  it('apply visits children first, then the module', () => {
    const mlp = new Mlp();
    const seen: nn_Module[] = [];
    mlp.apply((m) => seen.push(m));
    expect(seen).toEqual([mlp.fc1, mlp.act, mlp.fc2, mlp]);
  });
});

describe('modes, dtypes and gradients', () => {
  it('train() and eval() set every module\'s mode; dropout follows it', () => {
    const seq = nn_sequential(nn_linear(4, 4), nn_dropout(0.5));
    expect(seq.training).toBe(true);
    seq.eval();
    expect(seq.modules.every((m) => !m.training)).toBe(true);
    const x = torch_ones(3, 4);
    expect(seq.children[1]!(x).equal(x)).toBe(true);
    seq.train();
    expect(seq.modules.every((m) => m.training)).toBe(true);
  });

  it('to(dtype) casts floating parameters and buffers, keeps integer buffers and parameter flags', () => {
    const m = nn_module({
      initialize() {
        this.fc = nn_linear(2, 2);
        this.steps = nn_buffer(torch_tensor(new BigInt64Array([3n])));
        this.mean = nn_buffer(torch_zeros(2));
      },
    })();
    m.fc.weight.requires_grad_(false);
    nnf_mse_loss(m.fc(torch_ones(1, 2)), torch_zeros(1, 2)).backward();
    const before = m.fc.bias.to_array();
    m.to('float64');
    expect(m.fc.weight.dtype).toBe('float64');
    expect(m.fc.weight.requires_grad).toBe(false);
    expect(m.fc.bias.requires_grad).toBe(true);
    expect(m.fc.bias.grad.dtype).toBe('float64');
    expect(is_nn_parameter(m.fc.bias)).toBe(true);
    expect(m.fc.bias.to_array()).toEqual(before);
    expect(m.steps.dtype).toBe('int64');
    expect(m.mean.dtype).toBe('float64');
    expect(m.to('cpu')).toBe(m);
  });

  it('zero_grad drops gradients by default (set_to_none), or zeroes them', () => {
    const fc = nn_linear(2, 1);
    const step = () => nnf_mse_loss(fc(torch_ones(1, 2)), torch_ones(1, 1)).backward();
    step();
    fc.zero_grad(false);
    expect(fc.weight.grad!.to_array()).toEqual([[0, 0]]);
    fc.zero_grad();
    expect(fc.weight.grad).toBeUndefined();
  });
});

describe('state_dict and load_state_dict', () => {
  it('round-trips between two differently initialised models', () => {
    torch_manual_seed(1);
    const a = new Mlp();
    torch_manual_seed(2);
    const b = new Mlp();
    expect(a.fc1.weight.equal(b.fc1.weight)).toBe(false);
    const result = b.load_state_dict(a.state_dict());
    expect(result).toEqual({ missing_keys: [], unexpected_keys: [] });
    for (const [name, p] of Object.entries(b.named_parameters())) expect(p.equal(a.named_parameters()[name]!)).toBe(true);
    // load_state_dict copies: the models do not share memory afterwards.
    b.fc1.bias!.requires_grad_(false).fill_(7);
    expect(a.fc1.bias!.equal(b.fc1.bias!)).toBe(false);
  });

  it('state_dict tensors are detached views of the parameters', () => {
    const fc = nn_linear(2, 2);
    const sd = fc.state_dict();
    expect(sd.weight!.requires_grad).toBe(false);
    sd.weight!.fill_(3);
    expect(fc.weight.to_array()).toEqual([[3, 3], [3, 3]]);
  });

  it('a key or shape mismatch is one RangeError that lists everything and loads nothing', () => {
    const fc = nn_linear(3, 2);
    const before = fc.weight.clone();
    const bad = { weight: torch_zeros(2, 3), extra: torch_zeros(1) };
    expect(() => fc.load_state_dict(bad)).toThrow(RangeError);
    expect(() => fc.load_state_dict(bad)).toThrow(/missing keys "bias"; unexpected keys "extra"/);
    expect(fc.weight.equal(before)).toBe(true);
    const wrongShape = { weight: torch_zeros(3, 2), bias: torch_zeros(2) };
    expect(() => fc.load_state_dict(wrongShape)).toThrow(/"weight" has shape \[3, 2\], the module \[2, 3\]/);
    expect(fc.weight.equal(before)).toBe(true);
    expect(() => fc.load_state_dict({ weight: 3 } as never)).toThrow(TypeError);
  });

  it('strict: false loads what matches and reports the rest (a LoRA model from its base)', () => {
    const base = nn_linear(4, 3);
    const lora = lora_nn_linear(nn_linear(4, 3), 2);
    const { missing_keys, unexpected_keys } = lora.load_state_dict(
      Object.fromEntries(Object.entries(base.state_dict()).map(([k, v]) => [`linear.${k}`, v])), { strict: false });
    expect(missing_keys).toEqual(['A', 'B']);
    expect(unexpected_keys).toEqual([]);
    expect(lora.linear.weight.equal(base.weight)).toBe(true);
  });

  it('accepts a Map', () => {
    const a = nn_linear(1, 1);
    const b = nn_linear(1, 1);
    b.load_state_dict(new Map(Object.entries(a.state_dict())));
    expect(b.weight.equal(a.weight)).toBe(true);
  });

  it('with assign: true uses the given tensors (same storage, their dtype), keeping requires_grad (PyTorch assign=True)', () => {
    const source = nn_sequential(nn_linear(3, 2), nn_relu(), nn_linear(2, 1)).to({ dtype: 'float64' });
    const target = nn_sequential(nn_linear(3, 2, { device: 'meta' }), nn_relu(), nn_linear(2, 1, { device: 'meta' }));
    const param = (model: nn_Module, name: string): Tensor => model.named_parameters()[name]!;
    param(target, '2.weight').requires_grad_(false);
    target.load_state_dict(source.state_dict(), { assign: true });
    expect(param(target, '0.weight').device).toBe('cpu');
    expect(param(target, '0.weight').dtype).toBe('float64');
    expect(is_nn_parameter(param(target, '0.weight'))).toBe(true);
    expect(param(target, '0.weight').requires_grad).toBe(true);
    expect(param(target, '2.weight').requires_grad).toBe(false);
    // Shared, not copied: a change through the source shows in the target.
    param(source, '0.bias').detach().add_(10);
    expect(param(target, '0.bias').equal(param(source, '0.bias'))).toBe(true);
    const x = torch_randn(4, 3, { dtype: 'float64' });
    expect((target(x) as Tensor).equal(source(x) as Tensor)).toBe(true);
    // Without assign, values are copied: the copy keeps its own storage.
    const copy = nn_linear(3, 2, { dtype: 'float64' });
    copy.load_state_dict({ weight: param(source, '0.weight'), bias: param(source, '0.bias') });
    param(source, '0.bias').detach().add_(1);
    expect(copy.bias!.equal(param(source, '0.bias'))).toBe(false);
    expect(() => target.load_state_dict(source.state_dict(), { assign: 1 } as never)).toThrow(TypeError);
  });
});

describe('printing', () => {
  it('prints as R torch does', () => {
    const lora = lora_nn_linear(nn_linear(1001, 1000, { bias: false }), 1);
    const text = String(lora);
    expect(text.split('\n')[0]).toBe('An `nn_module` containing 1,003,001 parameters.');
    expect(text).toContain('• linear: <nn_linear> #1,001,000 parameters');
    expect(text).toContain('• A: Float [1:1001, 1:1]');
    expect(text).toContain('• B: Float [1:1, 1:1000]');
  });
});
