// Gradient clipping and the p-norm, with numbers from arithmetic (3-4-5 triangles); the
// bit-exact comparison with PyTorch is in test/parity/clip.parity.test.ts.
import { describe, expect, it } from 'vitest';
import {
  is_nn_parameter, nn_linear, nn_utils_clip_grad_norm_, nn_utils_clip_grad_value_, nn_utils_remove_weight_norm, nn_utils_weight_norm, torch_norm,
  torch_tensor, torch_zeros, type Tensor,
} from '../src/index.js';

const values = (t: Tensor | undefined): number[] => Array.from(t!.to_typed_array(), Number);

function param(grad: number[]): Tensor {
  const p = torch_zeros(grad.length).requires_grad_();
  p.grad = torch_tensor(grad);
  return p;
}

describe('torch_norm', () => {
  it('gives p-norms over everything or along dims', () => {
    const x = torch_tensor([[3, -4], [0, 0]]);
    expect(x.norm().item()).toBe(5);
    expect(torch_norm(x, 1).item()).toBe(7);
    expect(x.norm(Infinity).item()).toBe(4);
    expect(values(x.norm(2, 1))).toEqual([5, 0]);
    expect(x.norm(2, 0, true).shape).toEqual([1, 2]);
    expect(() => x.norm('fro' as never)).toThrow(TypeError);
  });
});

describe('nn_utils_clip_grad_norm_', () => {
  it('scales all gradients together to max_norm and returns the norm before', () => {
    const a = param([3, 0]);
    const b = param([0, 4]);
    const total = nn_utils_clip_grad_norm_([a, b, torch_zeros(1).requires_grad_()], 1);
    expect(total.item()).toBe(5);
    expect(values(a.grad)[0]).toBeCloseTo(0.6, 6);
    expect(values(b.grad)[1]).toBeCloseTo(0.8, 6);
  });

  it('leaves gradients under max_norm alone and takes other norms', () => {
    const a = param([3, -4]);
    expect(nn_utils_clip_grad_norm_(a, 10).item()).toBe(5);
    expect(values(a.grad)).toEqual([3, -4]);
    expect(nn_utils_clip_grad_norm_(a, 10, { norm_type: 1 }).item()).toBe(7);
    const inf = nn_utils_clip_grad_norm_([param([1, -2]), param([-6])], 3, { norm_type: Infinity });
    expect(inf.item()).toBe(6);
  });

  it('takes norm_type positionally, as R and PyTorch do', () => {
    expect(nn_utils_clip_grad_norm_(param([3, -4]), 10, 1).item()).toBe(7);
    const a = param([1, -2]);
    expect(nn_utils_clip_grad_norm_([a, param([-6])], 3, Infinity).item()).toBe(6);
    expect(values(a.grad)).toEqual([expect.closeTo(0.5, 5), expect.closeTo(-1, 5)]);
    expect(() => nn_utils_clip_grad_norm_(param([Number.NaN]), 1, 2, { error_if_nonfinite: true })).toThrow(/finite total norm of order 2/);
    expect(() => nn_utils_clip_grad_norm_(param([1]), 1, 2, { norm_type: 1 } as never)).toThrow(/Expected one of error_if_nonfinite/);
    expect(() => nn_utils_clip_grad_norm_(param([1]), 1, {}, {} as never)).toThrow(/no options after an options object/);
  });

  it('returns 0 when no parameter has a gradient', () => {
    expect(nn_utils_clip_grad_norm_([torch_zeros(2).requires_grad_()], 1).item()).toBe(0);
  });

  it('refuses a non-finite norm on request, and bad arguments', () => {
    expect(() => nn_utils_clip_grad_norm_(param([Number.NaN]), 1, { error_if_nonfinite: true })).toThrow(/finite total norm of order 2/);
    expect(() => nn_utils_clip_grad_norm_(param([1]), '1' as never)).toThrow(/max_norm/);
    expect(() => nn_utils_clip_grad_norm_(param([1]), 1, { normtype: 2 } as never)).toThrow(/Expected one of norm_type, error_if_nonfinite/);
    expect(() => nn_utils_clip_grad_norm_([3] as never, 1)).toThrow(/parameters\[0\]/);
  });
});

describe('nn_utils_clip_grad_value_', () => {
  it('clamps each gradient element', () => {
    const a = param([3, -4, 0.5]);
    nn_utils_clip_grad_value_([a, torch_zeros(1).requires_grad_()], 1);
    expect(values(a.grad)).toEqual([1, -1, 0.5]);
    expect(() => nn_utils_clip_grad_value_(a, Number.NaN)).toThrow(TypeError);
  });
});

describe('nn_utils_weight_norm', () => {
  it('keeps PyTorch\'s names and order, and undoes itself', () => {
    const layer = nn_utils_weight_norm(nn_linear(3, 2));
    expect(Object.keys(layer.state_dict())).toEqual(['bias', 'weight_g', 'weight_v']);
    expect((layer as unknown as { weight_g: Tensor }).weight_g.shape).toEqual([2, 1]);
    expect(is_nn_parameter(layer.weight)).toBe(false);
    nn_utils_remove_weight_norm(layer);
    expect(Object.keys(layer.state_dict())).toEqual(['bias', 'weight']);
    expect(is_nn_parameter(layer.weight)).toBe(true);
  });

  it('refuses what PyTorch refuses, by name', () => {
    const layer = nn_utils_weight_norm(nn_linear(3, 2));
    expect(() => nn_utils_weight_norm(layer)).toThrow(/weight has one already/);
    expect(() => nn_utils_weight_norm(nn_linear(3, 2), { name: 'scale' })).toThrow(/the name of a parameter of the module/);
    expect(() => nn_utils_remove_weight_norm(nn_linear(3, 2))).toThrow(/a module with weight norm on weight/);
    expect(() => nn_utils_weight_norm(nn_linear(3, 2), { dim: 0.5 })).toThrow(/dim/);
  });
});
