// Batch, group and RMS normalisation (src/nn/normalization.ts): registration as PyTorch
// registers (parameters, buffers, state_dict keys), running statistics over training steps,
// train vs eval, and argument checks. Expected values come from the formulas applied by hand
// to small inputs; bit-for-bit agreement with PyTorch is test/parity/layers.parity.test.ts.
import { describe, expect, it } from 'vitest';
import {
  BatchNorm, BatchNorm1d, BatchNorm2d, GroupNorm, is_nn_buffer, nn_batch_norm1d, nn_batch_norm2d, nn_group_norm, nn_rms_norm, nnf_batch_norm,
  nn_sequential, nnf_group_norm, nnf_rms_norm, RMSNorm, torch_ones, torch_randn, torch_tensor, torch_zeros, type Tensor,
} from '../src/index.js';

const values = (t: Tensor): number[] => Array.from(t.to_typed_array() as Float32Array, Number);
const column = (...xs: number[]): Tensor => torch_tensor(xs.map((x) => [x]));

function expectClose(actual: Tensor, expected: number[], digits = 5): void {
  const got = values(actual);
  expect(got).toHaveLength(expected.length);
  got.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, digits));
}

describe('nn_batch_norm1d / nn_batch_norm2d', () => {
  it('registers weight and bias, then running_mean, running_var and num_batches_tracked, as PyTorch', () => {
    const bn = nn_batch_norm1d(3);
    expect(bn).toBeInstanceOf(BatchNorm1d);
    expect(Object.keys(bn.state_dict())).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    expect(values(bn.weight!)).toEqual([1, 1, 1]);
    expect(values(bn.bias!)).toEqual([0, 0, 0]);
    expect(values(bn.running_mean!)).toEqual([0, 0, 0]);
    expect(values(bn.running_var!)).toEqual([1, 1, 1]);
    expect(bn.num_batches_tracked!.dtype).toBe('int64');
    expect(bn.num_batches_tracked!.shape).toEqual([]);
    expect(is_nn_buffer(bn.running_mean)).toBe(true);
    expect([bn.num_features, bn.eps, bn.momentum, bn.affine, bn.track_running_stats]).toEqual([3, 1e-5, 0.1, true, true]);
  });

  it('without affine or tracking has no parameters or buffers (null under their names)', () => {
    const bn = nn_batch_norm2d(4, { affine: false, track_running_stats: false });
    expect(bn).toBeInstanceOf(BatchNorm2d);
    expect(bn.parameters).toHaveLength(0);
    expect(bn.buffers).toHaveLength(0);
    expect([bn.weight, bn.bias, bn.running_mean, bn.running_var, bn.num_batches_tracked]).toEqual([null, null, null, null, null]);
  });

  it('normalises with the batch statistics in training and moves the running ones by momentum', () => {
    const bn = nn_batch_norm1d(1);
    // mean 2, biased variance 2/3 (normalising), unbiased variance 1 (running)
    const y = bn(column(1, 2, 3));
    const scale = 1 / Math.sqrt(2 / 3 + 1e-5);
    expectClose(y, [-scale, 0, scale]);
    expectClose(bn.running_mean!, [0.1 * 2]);
    expectClose(bn.running_var!, [0.9 * 1 + 0.1 * 1]);
    expect(Number(bn.num_batches_tracked!.item())).toBe(1);
    bn(column(4, 6, 8)); // mean 6, unbiased variance 4
    expectClose(bn.running_mean!, [0.9 * 0.2 + 0.1 * 6]);
    expectClose(bn.running_var!, [0.9 * 1 + 0.1 * 4]);
    expect(Number(bn.num_batches_tracked!.item())).toBe(2);
  });

  it('momentum null keeps the cumulative average of the batch statistics', () => {
    const bn = nn_batch_norm1d(1, { momentum: null });
    bn(column(1, 2, 3));
    expectClose(bn.running_mean!, [2]);
    bn(column(4, 6, 8));
    expectClose(bn.running_mean!, [(2 + 6) / 2]);
    expectClose(bn.running_var!, [(1 + 4) / 2]);
    bn(column(0, 0, 3)); // mean 1, unbiased variance 3
    expectClose(bn.running_mean!, [(2 + 6 + 1) / 3]);
    expectClose(bn.running_var!, [(1 + 4 + 3) / 3]);
  });

  it('uses the running statistics in eval mode, and leaves them alone', () => {
    const bn = nn_batch_norm1d(2).eval();
    const x = torch_tensor([[1, -2], [3, 4]]);
    expectClose(bn(x), [1, -2, 3, 4].map((v) => v / Math.sqrt(1 + 1e-5)));
    expectClose(bn.running_mean!, [0, 0]);
    expect(Number(bn.num_batches_tracked!.item())).toBe(0);
    // One row is fine in eval mode (no batch statistics needed).
    expect(bn(torch_tensor([[1, 2]])).shape).toEqual([1, 2]);
  });

  it('without running statistics normalises with the batch statistics in eval mode too', () => {
    const bn = nn_batch_norm1d(1, { track_running_stats: false });
    const training = values(bn(column(1, 2, 3)));
    bn.eval();
    expect(values(bn(column(1, 2, 3)))).toEqual(training);
  });

  it('normalises N x C x L and N x C x H x W per channel', () => {
    const x = torch_randn(4, 3, 5, 6).mul(3).add(7);
    const y = nn_batch_norm2d(3)(x);
    expectClose(y.mean([0, 2, 3]), [0, 0, 0], 4);
    expectClose(y.pow(2).mean([0, 2, 3]), [1, 1, 1], 3);
    expect(nn_batch_norm1d(3)(torch_randn(4, 3, 5)).shape).toEqual([4, 3, 5]);
  });

  it('reset_running_stats and load_state_dict work on the buffers', () => {
    const bn = nn_batch_norm1d(2);
    bn(torch_randn(5, 2));
    const other = nn_batch_norm1d(2);
    other.load_state_dict(bn.state_dict());
    expect(values(other.running_mean!)).toEqual(values(bn.running_mean!));
    expect(Number(other.num_batches_tracked!.item())).toBe(1);
    bn.reset_running_stats();
    expect(values(bn.running_mean!)).toEqual([0, 0]);
    expect(Number(bn.num_batches_tracked!.item())).toBe(0);
  });

  it('loads a state_dict without num_batches_tracked (older PyTorch), keeping its count, as PyTorch', () => {
    const bn = nn_batch_norm2d(2);
    bn(torch_randn(3, 2, 2, 2));
    const { num_batches_tracked: _, ...old } = nn_batch_norm2d(2).state_dict();
    const result = bn.load_state_dict(old);
    expect(result.missing_keys).toEqual([]);
    expect(Number(bn.num_batches_tracked!.item())).toBe(1);
    expect(values(bn.running_mean!)).toEqual([0, 0]);
    // Only that key: a missing running_mean is still refused.
    const { running_mean: __, ...partial } = old;
    expect(() => bn.load_state_dict(partial)).toThrow(/missing keys "running_mean"/);
    // Inside a container too.
    const model = nn_sequential(nn_batch_norm1d(2));
    const { '0.num_batches_tracked': ___, ...nested } = model.state_dict();
    expect(model.load_state_dict(nested).missing_keys).toEqual([]);
  });

  it('refuses bad arguments and inputs, counting no refused batch', () => {
    expect(() => nn_batch_norm1d(-1)).toThrow(RangeError);
    expect(() => nn_batch_norm1d(3, { momentum: 'a' as never })).toThrow(/Expected a number for momentum/);
    expect(() => nn_batch_norm1d(3, { affine: 1 as never })).toThrow(TypeError);
    expect(() => nn_batch_norm1d(3, { mommentum: 0.1 } as never)).toThrow(/Expected one of eps, momentum, affine, track_running_stats, dtype, device for nn_batch_norm1d options but received "mommentum"/);
    expect(() => nn_batch_norm2d(3)(torch_randn(2, 3, 4))).toThrow('Expected a 4-d tensor for input but received a 3-d tensor of shape [2, 3, 4]');
    expect(() => nn_batch_norm1d(3)(torch_randn(2, 3, 4, 5))).toThrow('Expected a 2-d or 3-d tensor for input');
    expect(() => nn_batch_norm1d(3)('x' as never)).toThrow(TypeError);
    expect(() => nn_batch_norm1d(3)(torch_randn(4, 2))).toThrow('Expected an input of 3 channels (num_features) in dimension 1 for input but received a tensor of shape [4, 2]');
    expect(nn_batch_norm1d(3, { affine: false, track_running_stats: false })(torch_randn(4, 2)).shape).toEqual([4, 2]);
    expect(() => new (BatchNorm as never as new (...args: unknown[]) => unknown)(4, 2, {})).toThrow(/Expected 1, 2 or 3 \(use nn_batch_norm1d, nn_batch_norm2d or nn_batch_norm3d\) for dims/);
    const bn = nn_batch_norm1d(3);
    expect(() => bn(torch_randn(1, 3))).toThrow(/Expected more than 1 value per channel when training/);
    expect(Number(bn.num_batches_tracked!.item())).toBe(0);
  });
});

describe('nnf_batch_norm', () => {
  it('updates the running statistics in place in training and uses them otherwise', () => {
    const mean = torch_zeros(1);
    const variance = torch_ones(1);
    const y = nnf_batch_norm(column(1, 2, 3), mean, variance, { training: true, momentum: 0.5, weight: torch_tensor([2]), bias: torch_tensor([1]) });
    const scale = 2 / Math.sqrt(2 / 3 + 1e-5);
    expectClose(y, [1 - scale, 1, 1 + scale]);
    expectClose(mean, [1]);
    expectClose(variance, [1]);
    expectClose(nnf_batch_norm(column(3), mean, variance, { eps: 0 }), [2]);
  });

  it('needs running statistics outside training, and rejects unknown options', () => {
    expect(() => nnf_batch_norm(column(1, 2), null, null)).toThrow(RangeError);
    expect(nnf_batch_norm(column(1, 3), null, null, { training: true }).shape).toEqual([2, 1]);
    expect(() => nnf_batch_norm(column(1, 2), null, null, { train: true } as never)).toThrow(TypeError);
    expect(() => nnf_batch_norm(torch_tensor([1, 2]), null, null, { training: true })).toThrow('Expected an N x C x ... tensor (at least 2-d) for input but received a 1-d tensor of shape [2]');
  });
});

describe('nn_group_norm / nnf_group_norm', () => {
  it('normalises each group of channels of each sample', () => {
    const norm = nn_group_norm(2, 4);
    expect(norm).toBeInstanceOf(GroupNorm);
    expect(Object.keys(norm.named_parameters())).toEqual(['weight', 'bias']);
    // Sample 0: group 0 is [1, 2, 3, 4] (mean 2.5, variance 1.25), group 1 is [5, 5, 7, 7] (mean 6, variance 1).
    const x = torch_tensor([[[1, 2], [3, 4], [5, 5], [7, 7]]]);
    const a = 1 / Math.sqrt(1.25 + 1e-5);
    const b = 1 / Math.sqrt(1 + 1e-5);
    expectClose(norm(x), [-1.5 * a, -0.5 * a, 0.5 * a, 1.5 * a, -b, -b, b, b]);
    expectClose(nnf_group_norm(x, 2, { weight: torch_tensor([1, 1, 2, 2]), bias: torch_tensor([0, 0, 0, 1]), eps: 0 }), [-1.5, -0.5, 0.5, 1.5, -2, -2, 3, 3].map((v, i) => (i < 4 ? v / Math.sqrt(1.25) : v)));
  });

  it('refuses a group count that does not divide the channels', () => {
    expect(() => nn_group_norm(3, 4)).toThrow(/Expected a multiple of num_groups \(3\) for num_channels but received 4/);
    expect(() => nn_group_norm(0, 4)).toThrow(RangeError);
    expect(() => nnf_group_norm(torch_randn(2, 6, 3), 4)).toThrow(/Expected a divisor of the input's 6 channels for num_groups/);
    expect(() => nnf_group_norm(torch_randn(1, 2), 2)).toThrow(/more than 1 value per channel/);
    expect(() => nn_group_norm(2, 4, { affine: false, bias: true } as never)).toThrow(TypeError);
    expect(() => nn_group_norm(2, 4)(torch_randn(2, 6, 3))).toThrow(/Expected an input of 4 channels \(num_channels\)/);
    expect(nn_group_norm(2, 4, { affine: false }).parameters).toHaveLength(0);
  });
});

describe('nn_rms_norm / nnf_rms_norm', () => {
  it('divides by the root mean square over the last dimensions, eps defaulting to the dtype\'s', () => {
    const norm = nn_rms_norm(2);
    expect(norm).toBeInstanceOf(RMSNorm);
    expect(norm.eps).toBeNull();
    expect(values(norm.weight!)).toEqual([1, 1]);
    const rms = Math.sqrt((9 + 16) / 2 + 2 ** -23);
    expectClose(norm(torch_tensor([[3, 4], [0, 0]])), [3 / rms, 4 / rms, 0, 0]);
    // float64: eps is torch.finfo('float64').eps, 2^-52
    const double = nnf_rms_norm(torch_tensor([[3, 4]], { dtype: 'float64' }), [2], { weight: torch_tensor([2, -1], { dtype: 'float64' }) });
    expectClose(double, [2 * 3 / Math.sqrt(12.5 + 2 ** -52), -4 / Math.sqrt(12.5 + 2 ** -52)], 12);
  });

  it('normalises over every dimension of normalized_shape', () => {
    const x = torch_tensor([[[1, 2], [3, 4]]]);
    const rms = Math.sqrt((1 + 4 + 9 + 16) / 4 + 0.5);
    expectClose(nn_rms_norm([2, 2], { eps: 0.5, elementwise_affine: false })(x), [1, 2, 3, 4].map((v) => v / rms));
  });

  it('refuses inputs that do not end in normalized_shape, integer inputs and bad options', () => {
    expect(() => nn_rms_norm(3)(torch_randn(2, 4))).toThrow('Expected an input whose last dimensions are [3] for input but received a tensor of shape [2, 4]');
    expect(() => nnf_rms_norm(torch_tensor([[1, 2]], { dtype: 'int64' }), [2])).toThrow(RangeError);
    expect(() => nn_rms_norm([2, -1])).toThrow(RangeError);
    expect(() => nn_rms_norm(2, { eps: 'small' as never })).toThrow(TypeError);
    expect(() => nn_rms_norm(2, { affine: false } as never)).toThrow(TypeError);
    expect(nn_rms_norm(2, { elementwise_affine: false }).weight).toBeNull();
  });
});
