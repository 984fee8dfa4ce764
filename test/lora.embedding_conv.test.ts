// LoRA beyond linear layers, as the post suggests and PEFT lays them out: nn_embedding
// (A r x num_embeddings at zeros, B embedding_dim x r) and nn_conv2d (A a convolution like
// the base, B a 1x1 one). Numbers worked by hand, gradients against finite differences.
import { describe, expect, it } from 'vitest';
import {
  lora_nn_conv2d, lora_nn_embedding, nn_conv2d, nn_embedding, nnf_conv2d, torch_manual_seed, torch_randn, torch_tensor,
  with_no_grad, type LoraLayer, type Tensor,
} from '../src/index.js';

const f64 = { dtype: 'float64' as const };

function set(target: Tensor, values: number[][]): void {
  with_no_grad(() => target.copy_(torch_tensor(values, { dtype: target.dtype })));
}

/** Central differences of `loss` for every element of `param`, against its autograd gradient. */
function expectFiniteDifferences(param: Tensor, loss: () => Tensor): void {
  param.grad = null;
  loss().backward();
  const analytic = Array.from(param.grad!.to_typed_array() as Float64Array);
  const flat = param.view(-1);
  const h = 1e-6;
  analytic.forEach((value, i) => {
    const at = (delta: number): number => with_no_grad(() => {
      const old = flat.index(i).item() as number;
      flat.index_put_([i], old + delta);
      const result = loss().item() as number;
      flat.index_put_([i], old);
      return result;
    });
    expect(value).toBeCloseTo((at(h) - at(-h)) / (2 * h), 6);
  });
}

describe('lora_nn_embedding', () => {
  it("lays A and B out as PEFT's lora_embedding_A / _B, A at zeros and B N(0, 1)", () => {
    torch_manual_seed(1);
    const base = nn_embedding(200, 100);
    const lora = lora_nn_embedding(base, { r: 4 });
    const A = lora.lora_embedding_A.get('default');
    const B = lora.lora_embedding_B.get('default');
    expect([A.shape, B.shape]).toEqual([[4, 200], [100, 4]]);
    expect(A.abs().sum().item()).toBe(0);
    expect(Math.sqrt(B.square().mean().item() as number)).toBeCloseTo(1, 1);
    expect(Object.keys(lora.named_parameters()).sort()).toEqual(['base_layer.weight', 'lora_embedding_A.default', 'lora_embedding_B.default']);
    expect(base.weight.requires_grad).toBe(false);
  });

  it('adds embedding(x, Aᵀ) Bᵀ · alpha / r (worked by hand)', () => {
    const base = nn_embedding(3, 2, { dtype: 'float64' });
    const lora = lora_nn_embedding(base, { r: 1, alpha: 1 });
    set(base.weight, [[1, 1], [2, 2], [3, 3]]);
    set(lora.lora_embedding_A.get('default'), [[1, 0, -1]]);
    set(lora.lora_embedding_B.get('default'), [[2], [1]]);
    // token 0 picks A's column 0 = 1, times Bᵀ = [2, 1]; token 2 picks -1.
    const tokens = torch_tensor([0, 2], { dtype: 'int64' });
    expect(lora(tokens).to_array()).toEqual([[3, 2], [1, 2]]);
    expect(lora.delta_weight().to_array()).toEqual([[2, 1], [0, 0], [-2, -1]]);
  });

  it('gives A and B the gradients of finite differences, none to the padding row', () => {
    torch_manual_seed(2);
    const lora = lora_nn_embedding(nn_embedding(6, 4, { padding_idx: 1, dtype: 'float64' }), { r: 2, alpha: 3 });
    const A = lora.lora_embedding_A.get('default');
    const B = lora.lora_embedding_B.get('default');
    with_no_grad(() => A.normal_());
    const tokens = torch_tensor([[0, 1, 3], [5, 1, 0]], { dtype: 'int64' });
    const weights = torch_randn([2, 3, 4], f64);
    const loss = (): Tensor => lora(tokens).mul(weights).sum();
    expectFiniteDifferences(B, loss);
    A.grad = null;
    loss().backward();
    expect(A.grad!.index(':', 1).abs().sum().item()).toBe(0); // padding_idx 1: no gradient, as nn_embedding
    expect(A.grad!.index(':', 0).abs().sum().item() as number).toBeGreaterThan(0);
  });

  it("passes the base layer's max_norm to the adapter's lookup, as PEFT does: looked-up columns of A are renormalised too", () => {
    const base = nn_embedding(3, 2, { max_norm: 1, dtype: 'float64' });
    const lora = lora_nn_embedding(base, { r: 2, alpha: 2 });
    set(base.weight, [[3, 4], [0, 0.5], [6, 8]]);
    set(lora.lora_embedding_A.get('default'), [[3, 0.1, 3], [4, 0.2, 4]]);
    set(lora.lora_embedding_B.get('default'), [[1, 0], [0, 1]]);
    const y = lora(torch_tensor([0, 1], { dtype: 'int64' }));
    const scale = 1 / (5 + 1e-7); // max_norm / (norm + 1e-7), libtorch's embedding_renorm_
    // base row 0 and A's column 0 (norm 5) are scaled; row/column 1 (norms 0.5, ~0.22) and the unused 2 are not.
    expect(base.weight.to_array()).toEqual([[3 * scale, 4 * scale], [0, 0.5], [6, 8]]);
    expect(lora.lora_embedding_A.get('default').to_array()).toEqual([[3 * scale, 0.1, 3], [4 * scale, 0.2, 4]]);
    const expected = [[6 * scale, 8 * scale], [0 + 0.1, 0.5 + 0.2]]; // base row + Aᵀ row · Bᵀ (identity) · alpha / r (1)
    (y.to_array() as number[][]).forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i]![j]!, 12)));
  });

  it('refuses r above min(num_embeddings, embedding_dim)', () => {
    expect(() => lora_nn_embedding(nn_embedding(10, 3), { r: 4 })).toThrow(/Expected a rank of at most 3 \(min\(in, out\)\) for r but received 4/);
  });
});

describe('lora_nn_conv2d', () => {
  it('makes A with the base kernel, stride, padding and dilation, and B 1x1', () => {
    const base = nn_conv2d(3, 8, [3, 5], { stride: 2, padding: [1, 2], dilation: [1, 2] });
    const lora = lora_nn_conv2d(base, { r: 2 });
    const A = lora.lora_A.get('default');
    const B = lora.lora_B.get('default');
    expect([A.weight.shape, B.weight.shape]).toEqual([[2, 3, 3, 5], [8, 2, 1, 1]]);
    expect([A.stride, A.padding, A.dilation, A.bias]).toEqual([[2, 2], [1, 2], [1, 2], null]);
    expect([B.stride, B.padding, B.bias]).toEqual([[1, 1], [0, 0], null]);
    const x = torch_randn(2, 3, 11, 13);
    expect(lora(x).shape).toEqual(base(x).shape);
  });

  it('adds B(A(x)) · alpha / r: for a 1x1 kernel, a matrix product over channels (worked by hand)', () => {
    const base = nn_conv2d(2, 2, 1, { bias: false, dtype: 'float64' });
    const lora = lora_nn_conv2d(base, { r: 1, alpha: 2 });
    with_no_grad(() => {
      base.weight.zero_();
      lora.lora_A.get('default').weight.copy_(torch_tensor([1, 1], f64).view(1, 2, 1, 1));
      lora.lora_B.get('default').weight.copy_(torch_tensor([1, -1], f64).view(2, 1, 1, 1));
    });
    // One pixel with channels [3, 4]: A sums them (7), B gives [7, -7], alpha / r = 2.
    const x = torch_tensor([3, 4], f64).view(1, 2, 1, 1);
    expect(lora(x).view(-1).to_array()).toEqual([14, -14]);
    expect(lora.delta_weight().view(-1).to_array()).toEqual([2, 2, -2, -2]);
  });

  it("ΔW is the base-shaped kernel whose convolution equals the adapter's", () => {
    torch_manual_seed(3);
    const base = nn_conv2d(3, 4, 3, { padding: 1, dtype: 'float64' });
    const lora = lora_nn_conv2d(base, { r: 2, alpha: 1 });
    with_no_grad(() => lora.lora_B.get('default').weight.normal_());
    const x = torch_randn([2, 3, 6, 6], f64);
    const term = lora(x).sub(base(x));
    expect(nnf_conv2d(x, lora.delta_weight(), { padding: 1 }).allclose(term, 1e-10, 1e-12)).toBe(true);
  });

  it('gives A and B the gradients of finite differences', () => {
    torch_manual_seed(4);
    const lora = lora_nn_conv2d(nn_conv2d(2, 3, 3, { stride: 2, padding: 1, dtype: 'float64' }), { r: 2, alpha: 3 });
    with_no_grad(() => lora.lora_B.get('default').weight.normal_());
    const x = torch_randn([2, 2, 5, 5], f64);
    const weights = torch_randn([2, 3, 3, 3], f64);
    const loss = (): Tensor => lora(x).mul(weights).sum();
    expectFiniteDifferences(lora.lora_A.get('default').weight, loss);
    expectFiniteDifferences(lora.lora_B.get('default').weight, loss);
  });

  it('refuses grouped convolutions and r above min(out, in·kh·kw)', () => {
    expect(() => lora_nn_conv2d(nn_conv2d(4, 4, 3, { groups: 2 }))).toThrow(/Expected a convolution with groups = 1 for conv.groups but received 2/);
    expect(() => lora_nn_conv2d(nn_conv2d(1, 8, 1), { r: 2 })).toThrow(/Expected a rank of at most 1 \(min\(in, out\)\) for r but received 2/);
    const base = nn_conv2d(4, 4, 3, { groups: 2 });
    expect(base.weight.requires_grad).toBe(true);
  });
});

describe('several kinds, one interface', () => {
  it('each layer lists, activates and deletes adapters the same way', () => {
    const layers: LoraLayer[] = [lora_nn_embedding(nn_embedding(5, 4), { r: 1 }), lora_nn_conv2d(nn_conv2d(2, 2, 1), { r: 1 })];
    for (const layer of layers) {
      layer.add_adapter('second', { r: 1 });
      expect(layer.adapters).toEqual(['default', 'second']);
      layer.set_adapter('second');
      expect(Object.values(layer.adapter_state('default')).every((t) => !t.requires_grad)).toBe(true);
      layer.delete_adapter('second');
      expect(layer.active_adapter).toBe('default');
    }
  });
});
