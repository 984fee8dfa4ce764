// lora_nn_linear: layout, freezing, the forward formula (numbers worked by hand), gradients
// of A and B against central finite differences, initialisation, rslora, dropout, and
// refusals that leave the base layer as it was.
import { describe, expect, it } from 'vitest';
import {
  lora_nn_linear, nn_linear, nnf_mse_loss, optim_adam, torch_manual_seed, torch_randn, torch_tensor, with_no_grad, type Tensor,
} from '../src/index.js';

const f64 = { dtype: 'float64' as const };

function set(target: Tensor, values: number[][] | number[]): void {
  with_no_grad(() => target.copy_(torch_tensor(values, { dtype: target.dtype })));
}

describe('lora_nn_linear layout', () => {
  it('makes A [r, in] and B [out, r] on the base dtype, named as PEFT names them', () => {
    const base = nn_linear(7, 5, { dtype: 'float64' });
    const lora = lora_nn_linear(base, { r: 3 });
    const A = lora.lora_A.get('default').weight;
    const B = lora.lora_B.get('default').weight;
    expect(A.shape).toEqual([3, 7]);
    expect(B.shape).toEqual([5, 3]);
    expect([A.dtype, B.dtype]).toEqual(['float64', 'float64']);
    expect(A.device).toBe(base.weight.device);
    expect(Object.keys(lora.named_parameters()).sort()).toEqual(['base_layer.bias', 'base_layer.weight', 'lora_A.default.weight', 'lora_B.default.weight']);
    expect(lora.base_layer).toBe(base);
    expect(lora.active_adapter).toBe('default');
    expect(lora.scaling).toEqual({ default: 8 / 3 });
  });

  it('takes another adapter name', () => {
    const lora = lora_nn_linear(nn_linear(4, 4), { r: 2, adapter: 'task' });
    expect(lora.adapters).toEqual(['task']);
    expect(Object.keys(lora.named_parameters())).toContain('lora_A.task.weight');
  });

  it('is a module generator: instanceof, classname and name work on it as on nn_module generators', () => {
    const lora = lora_nn_linear(nn_linear(4, 4), { r: 2 });
    expect(lora).toBeInstanceOf(lora_nn_linear);
    expect(nn_linear(4, 4)).not.toBeInstanceOf(lora_nn_linear);
    expect([lora_nn_linear.name, lora_nn_linear.classname]).toEqual(['lora_nn_linear', 'lora_nn_linear']);
  });

  it("keeps each adapter's settings defaulted and frozen", () => {
    const lora = lora_nn_linear(nn_linear(4, 4), { r: 2, dropout: 0.25 });
    lora.add_adapter('other', { alpha: 3, use_rslora: true, init: 'gaussian', r: 1 });
    expect(lora.settings).toEqual({
      default: { r: 2, alpha: 8, dropout: 0.25, init: 'kaiming', use_rslora: false, use_dora: false, lora_bias: false, bias: 'none' },
      other: { r: 1, alpha: 3, dropout: 0, init: 'gaussian', use_rslora: true, use_dora: false, lora_bias: false, bias: 'none' },
    });
    expect(Object.isFrozen(lora.settings.default)).toBe(true);
    expect(() => { (lora.settings.default as { r: number }).r = 3; }).toThrow(TypeError);
    expect(lora.r.default).toBe(2);
  });
});

describe('lora_nn_linear freezing', () => {
  it('leaves base grads undefined and an optimizer step leaves the base bit-identical', () => {
    torch_manual_seed(1);
    const base = nn_linear(6, 4);
    const lora = lora_nn_linear(base, { r: 2, init: 'randn' });
    expect(base.weight.requires_grad).toBe(false);
    expect(base.bias!.requires_grad).toBe(false);
    const weightBefore = base.weight.clone();
    const biasBefore = base.bias!.clone();
    const BBefore = lora.lora_B.get('default').weight.clone();
    const opt = optim_adam(lora.parameters, { lr: 0.1 }); // every parameter, frozen ones included
    for (let step = 0; step < 3; step++) {
      opt.zero_grad();
      nnf_mse_loss(lora(torch_randn(8, 6)), torch_randn(8, 4)).backward();
      expect(base.weight.grad).toBeUndefined();
      expect(base.bias!.grad).toBeUndefined();
      opt.step();
    }
    expect(base.weight.equal(weightBefore)).toBe(true);
    expect(base.bias!.equal(biasBefore)).toBe(true);
    expect(lora.lora_B.get('default').weight.equal(BBefore)).toBe(false);
  });
});

describe('lora_nn_linear forward', () => {
  it('is x Wᵀ + b + (x Aᵀ) Bᵀ · alpha / r (worked by hand)', () => {
    const base = nn_linear(2, 2, { dtype: 'float64' });
    const lora = lora_nn_linear(base, { r: 1, alpha: 2 });
    set(base.weight, [[1, 2], [3, 4]]);
    set(base.bias!, [0.5, -0.5]);
    set(lora.lora_A.get('default').weight, [[1, -1]]);
    set(lora.lora_B.get('default').weight, [[2], [3]]);
    // Row [1, 1]: base [3.5, 6.5], A-projection 0. Row [2, 0]: base [2.5, 5.5], A-projection 2,
    // times B = [4, 6], times alpha / r = 2 gives [8, 12].
    const y = lora(torch_tensor([[1, 1], [2, 0]], f64));
    expect(y.to_array()).toEqual([[3.5, 6.5], [10.5, 17.5]]);
  });

  it('equals the base layer exactly while B is zero (a new adapter changes nothing)', () => {
    torch_manual_seed(2);
    const base = nn_linear(5, 3);
    const x = torch_randn(4, 5);
    const before = base(x);
    expect(lora_nn_linear(base, { r: 2 })(x).equal(before)).toBe(true);
  });

  it('gives A and B the gradients of central finite differences', () => {
    torch_manual_seed(3);
    const base = nn_linear(4, 3, { dtype: 'float64' });
    const lora = lora_nn_linear(base, { r: 2, alpha: 3, init: 'randn' });
    const A = lora.lora_A.get('default').weight;
    const B = lora.lora_B.get('default').weight;
    with_no_grad(() => B.normal_()); // a zero B would give A a zero gradient
    const x = torch_randn([5, 4], f64);
    const target = torch_randn([5, 3], f64);
    const loss = (): Tensor => nnf_mse_loss(lora(x), target);
    loss().backward();
    const h = 1e-6;
    for (const [param, grad] of [[A, A.grad!], [B, B.grad!]] as const) {
      const analytic = grad.to_array() as number[][];
      const [rows, cols] = param.shape as [number, number];
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          const at = (delta: number): number => with_no_grad(() => {
            param.index_put_([i, j], (param.index(i, j).item() as number) + delta);
            const value = loss().item() as number;
            param.index_put_([i, j], (param.index(i, j).item() as number) - delta);
            return value;
          });
          const numeric = (at(h) - at(-h)) / (2 * h);
          expect(analytic[i]![j]!).toBeCloseTo(numeric, 7);
        }
      }
    }
  });
});

describe('lora_nn_linear initialisation', () => {
  it('"kaiming" (PEFT default): A uniform within ±1/√in, B zeros', () => {
    torch_manual_seed(4);
    const lora = lora_nn_linear(nn_linear(400, 300), { r: 16 });
    const A = lora.lora_A.get('default').weight;
    // kaiming_uniform with a = √5: bound = √(2 / (1 + 5)) · √(3 / fan_in) = 1 / √fan_in.
    const bound = 1 / Math.sqrt(400);
    expect(A.abs().max().item() as number).toBeLessThanOrEqual(bound);
    expect(A.abs().max().item() as number).toBeGreaterThan(0.95 * bound);
    expect(lora.lora_B.get('default').weight.abs().sum().item()).toBe(0);
  });

  it('"gaussian": A has standard deviation 1 / r; "randn": 1', () => {
    torch_manual_seed(5);
    const std = (t: Tensor): number => Math.sqrt(t.square().mean().item() as number);
    const gaussian = lora_nn_linear(nn_linear(20000, 8), { r: 4, init: 'gaussian' });
    expect(std(gaussian.lora_A.get('default').weight)).toBeCloseTo(0.25, 2);
    const randn = lora_nn_linear(nn_linear(20000, 8), { r: 4, init: 'randn' });
    expect(std(randn.lora_A.get('default').weight)).toBeCloseTo(1, 1);
    expect(randn.lora_B.get('default').weight.abs().sum().item()).toBe(0);
  });

  it('scales by alpha / r, or alpha / √r with use_rslora', () => {
    expect(lora_nn_linear(nn_linear(16, 16), { r: 4, alpha: 8 }).scaling.default).toBe(2);
    expect(lora_nn_linear(nn_linear(16, 16), { r: 4, alpha: 8, use_rslora: true }).scaling.default).toBe(4);
  });
});

describe('lora_nn_linear dropout', () => {
  it('drops the adapter input in training mode only', () => {
    torch_manual_seed(6);
    const lora = lora_nn_linear(nn_linear(50, 50), { r: 4, dropout: 0.5, init: 'randn' });
    with_no_grad(() => lora.lora_B.get('default').weight.normal_());
    const x = torch_randn(10, 50);
    expect(lora(x).equal(lora(x))).toBe(false); // two dropout masks
    lora.eval();
    expect(lora(x).equal(lora(x))).toBe(true);
  });
});

describe('lora_nn_linear refusals', () => {
  const cases: [string, Record<string, unknown>, ErrorConstructor, RegExp][] = [
    ['r = 0', { r: 0 }, RangeError, /Expected a positive integer for r but received 0/],
    ['r < 0', { r: -2 }, RangeError, /Expected a positive integer for r but received -2/],
    ['fractional r', { r: 1.5 }, TypeError, /Expected an integer for r but received 1.5/],
    ['r > min(in, out)', { r: 5 }, RangeError, /Expected a rank of at most 4 \(min\(in, out\)\) for r but received 5/],
    ['infinite alpha', { r: 2, alpha: Infinity }, RangeError, /Expected a finite number for alpha but received Infinity/],
    ['NaN alpha', { r: 2, alpha: NaN }, TypeError, /Expected a number for alpha but received NaN/],
    ['dropout 1', { r: 2, dropout: 1 }, RangeError, /Expected a probability in \[0, 1\) for dropout but received 1/],
    ['negative dropout', { r: 2, dropout: -0.1 }, RangeError, /for dropout but received -0.1/],
    ['string dropout', { r: 2, dropout: '0.1' }, TypeError, /Expected a number for dropout but received "0.1"/],
    ['unknown init', { r: 2, init: 'xavier' }, TypeError, /Expected "kaiming", "gaussian", "randn" or "none" for init but received "xavier"/],
    ["an option under both its names", { r: 2, alpha: 16, lora_alpha: 16 }, TypeError, /Expected one of alpha and lora_alpha \(PEFT's name for it\) for options but received both/],
    ['bad adapter name', { adapter: 'a.b' }, TypeError, /Expected an adapter name .* for name but received "a.b"/],
    ['a module property as adapter name', { adapter: 'train' }, TypeError, /for name but received "train"/],
  ];
  for (const [title, options, type, message] of cases) {
    it(`${title}: ${type.name}, base unchanged`, () => {
      const base = nn_linear(4, 6);
      const weight = base.weight.clone();
      expect(() => lora_nn_linear(base, options as never)).toThrow(type);
      expect(() => lora_nn_linear(base, options as never)).toThrow(message);
      expect(base.weight.requires_grad).toBe(true);
      expect(base.weight.equal(weight)).toBe(true);
    });
  }

  it('wants an nn_linear, and a layer without LoRA', () => {
    expect(() => lora_nn_linear({} as never)).toThrow(/Expected an nn_linear for linear but received an instance of Object/);
    const lora = lora_nn_linear(nn_linear(3, 3), { r: 1 });
    expect(() => lora_nn_linear(lora as never)).toThrow(/already has LoRA: call add_adapter\(\)/);
  });
});
