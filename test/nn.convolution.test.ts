// The argument checks of the 3-d and transposed convolutions, channel dropout, lp pooling,
// local response norm, nnf_interpolate, embedding bags and nn_init_eye_ (src/nn/convolution.ts,
// dropout.ts, pooling_power.ts, interpolate.ts, embedding_bag.ts, init.ts); values against PyTorch are in test/parity/convolution.parity.test.ts and
// pooling_power.parity.test.ts.
import { describe, expect, it } from 'vitest';
import {
  nn_conv3d, nn_conv_transpose2d, nn_embedding_bag, nn_lp_pool2d, nnf_embedding_bag, nnf_interpolate, nnf_local_response_norm, nnf_lp_pool1d, nn_dropout2d, nn_init_eye_, nnf_conv_transpose1d, nnf_cosine_similarity, nnf_dropout2d, nnf_dropout3d,
  nn_transformer_encoder_layer, nnf_lp_pool2d, nnf_multilabel_soft_margin_loss, nnf_softmin, nnf_softsign, nnf_tanhshrink, torch_memory_stats,
  torch_ones, torch_randn, torch_zeros,
} from '../src/index.js';

describe('convolutions and channel dropout', () => {
  it('shapes transposed convolutions as PyTorch: (in - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1', () => {
    const up = nn_conv_transpose2d(2, 3, 3, { stride: 2, padding: 1, output_padding: 1 });
    expect(up.weight.shape).toEqual([2, 3, 3, 3]);
    expect(up(torch_randn(1, 2, 7, 7)).shape).toEqual([1, 3, 14, 14]);
    expect(up(torch_randn(1, 2, 7, 7), [13, 14]).shape).toEqual([1, 3, 13, 14]);
    expect(nn_conv3d(1, 2, 3)(torch_randn(1, 1, 5, 5, 5)).shape).toEqual([1, 2, 3, 3, 3]);
  });

  it('refuses bad arguments by name', () => {
    const up = nn_conv_transpose2d(2, 3, 3, { stride: 2 });
    expect(() => up(torch_randn(1, 2, 4, 4), [20, 9])).toThrow(/Expected a size in \[9, 10\] for this input for output_size\[0\]/);
    expect(() => up(torch_randn(2, 4, 4, 4, 4))).toThrow(/3-d or 4-d tensor/);
    expect(() => nn_conv_transpose2d(2, 3, 3, { padding_mode: 'reflect' as never })).toThrow(/padding_mode/);
    expect(() => nn_conv_transpose2d(3, 3, 3, { groups: 2 })).toThrow(/in_channels/);
    expect(() => nnf_conv_transpose1d(torch_randn(1, 2, 3), torch_randn(2, 1, 2), { padding: 'same' as never })).toThrow(/padding/);
    expect(() => nn_conv3d(1, 1, [3, 3])).toThrow(/kernel_size/);
    expect(() => nnf_dropout2d(torch_ones(2, 3))).toThrow(/3-d or 4-d tensor/);
    expect(() => nnf_dropout3d(torch_ones(2, 3, 4), { p: 2 })).toThrow(RangeError);
    expect(() => nn_dropout2d(0.5, { implace: true } as never)).toThrow(/Expected one of inplace/);
    expect(() => nn_init_eye_(torch_zeros(2, 2, 2))).toThrow(/Expected a 2-d tensor/);
    expect(() => nnf_cosine_similarity(torch_ones(2), torch_ones(2), { dim: 0.5 })).toThrow(/dim/);
    expect(() => nnf_lp_pool1d(torch_ones(1, 2, 4), 0, 2)).toThrow(/non-zero norm_type/);
    expect(() => nnf_lp_pool1d(torch_ones(1, 2, 4), 2, 2, { padding: 1 } as never)).toThrow(/Expected one of stride, ceil_mode/);
    expect(() => nn_lp_pool2d(2, [2, 2, 2])).toThrow(/kernel_size/);
    expect(() => nnf_local_response_norm(torch_ones(2, 3), 2)).toThrow(/3 or more dimensions/);
    expect(() => nnf_local_response_norm(torch_ones(2, 3, 4), 0)).toThrow(/size/);
    const image = torch_ones(1, 1, 4, 4);
    expect(() => nnf_interpolate(image)).toThrow(/exactly one of size and scale_factor/);
    expect(() => nnf_interpolate(image, { size: 2, scale_factor: 2 })).toThrow(/exactly one of size and scale_factor/);
    expect(() => nnf_interpolate(image, { size: 8, mode: 'cubic' as never })).toThrow(/for mode/);
    expect(() => nnf_interpolate(image, { size: 8, align_corners: true })).toThrow(/no align_corners with mode "nearest"/);
    expect(() => nnf_interpolate(image, { size: 8, mode: 'linear' })).toThrow(/a 3-d tensor for mode "linear"/);
    expect(() => nnf_interpolate(image, { size: [8, 8, 8] })).toThrow(/2 values/);
    expect(() => nnf_interpolate(image, { size: 8, antialias: true })).toThrow(/antialias/);
    expect(() => nnf_interpolate(torch_ones(4, 4), { size: 8 })).toThrow(/3-d, 4-d or 5-d tensor/);
    expect(nnf_interpolate(image, { scale_factor: 2, mode: 'bilinear' }).shape).toEqual([1, 1, 8, 8]);
    const table = torch_randn(4, 2);
    const bags = torch_zeros([2, 2], { dtype: 'int64' });
    expect(() => nnf_embedding_bag(bags, table, { offsets: bags })).toThrow(/no offsets with a 2-d input/);
    expect(() => nnf_embedding_bag(bags.reshape(-1), table)).toThrow(/offsets \(a 1-d tensor\) with a 1-d input/);
    expect(() => nnf_embedding_bag(bags, table, { mode: 'median' as never })).toThrow(/"sum", "mean" or "max" for mode/);
    expect(() => nnf_embedding_bag(bags, table, { mode: 'max', sparse: true })).toThrow(/no sparse with mode "max"/);
    expect(() => nnf_embedding_bag(bags, table, { per_sample_weights: torch_ones(2, 2) })).toThrow(/per_sample_weights but with mode "sum"/);
    expect(() => nnf_embedding_bag(bags, table, { per_sample_weights: torch_ones(3), mode: 'sum' })).toThrow(/the input's shape/);
    expect(() => nn_embedding_bag(4, 2, { padding_idx: 4 })).toThrow(/padding_idx/);
  });
});

describe('composed functions leave no tensor behind', () => {
  it('returns one new tensor each, every intermediate disposed', () => {
    const x = torch_randn(2, 4, 3, 3);
    const layer = nn_transformer_encoder_layer(4, 2, { dim_feedforward: 8 });
    const sequence = torch_randn(3, 2, 4);
    const indices = torch_zeros([2, 3], { dtype: 'int64' });
    const table = torch_randn(5, 3);
    const calls = [
      () => nnf_softsign(x), () => nnf_tanhshrink(x), () => nnf_softmin(x, 1, { dtype: 'float64' }), () => nnf_multilabel_soft_margin_loss(x, x),
      () => nnf_local_response_norm(x, 3), () => nnf_lp_pool2d(x, 2, 2), () => nnf_lp_pool2d(x, Infinity, 2), () => nnf_dropout3d(x), () => layer(sequence), () => nnf_embedding_bag(indices, table),
    ];
    for (const call of calls) {
      const before = torch_memory_stats().tensors;
      const result = call();
      expect(torch_memory_stats().tensors).toBe(before + 1);
      result.dispose();
    }
  });
});
