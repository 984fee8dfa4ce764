// Issue 24's "written differently" items: the optional arguments that R torch and PyTorch both
// take positionally work positionally too (the same call as the options object), every
// `inplace` option changes its input, a module whose constructor takes nothing refuses an
// argument (PyTorch's `nn.Tanh(3)` is a TypeError), and R's names. Values against PyTorch are
// in test/parity/; here the positional form is checked against the options form.
import { describe, expect, it } from 'vitest';
import {
  dataloader, lr_cosine_annealing_warm_restarts, nn_batch_norm3d, nn_celu, nn_conv3d, nn_conv_transpose2d, nn_cosine_embedding_loss, nn_dropout,
  nn_dropout2d, nn_dropout3d, nn_elu, nn_embedding_bag, nn_glu, nn_hardshrink, nn_hardsigmoid, nn_hardswish, nn_hardtanh, nn_hinge_embedding_loss,
  nn_identity, nn_leaky_relu, nn_linear, nn_log_sigmoid, nn_logsigmoid, nn_mish, nn_multi_margin_loss, nn_prelu, nn_relu, nn_relu6, nn_rrelu,
  nn_selu, nn_sigmoid, nn_silu, nn_softmax2d, nn_softplus, nn_softshrink, nn_softsign, nn_tanh, nn_tanhshrink, nn_threshold,
  nn_transformer_encoder, nn_transformer_encoder_layer, nn_utils_rnn_pack_padded_sequence, nn_utils_rnn_pack_sequence, nn_utils_rnn_pad_packed_sequence,
  nn_utils_rnn_pad_sequence, nn_utils_weight_norm, nnf_celu, nnf_celu_, nnf_conv_transpose1d, nnf_conv3d, nnf_cosine_embedding_loss,
  nnf_cosine_similarity, nnf_dropout, nnf_dropout2d, nnf_dropout3d, nnf_elu, nnf_elu_, nnf_embedding_bag, nnf_glu, nnf_gumbel_softmax, nnf_hardshrink,
  nnf_hardsigmoid, nnf_hardswish, nnf_hardtanh, nnf_hardtanh_, nnf_hinge_embedding_loss, nnf_interpolate, nnf_leaky_relu, nnf_mish,
  nnf_multi_margin_loss, nnf_multilabel_soft_margin_loss, nnf_relu, nnf_relu6, nnf_rrelu, nnf_selu, nnf_silu, nnf_softplus, nnf_softshrink,
  nnf_threshold, optim_adam, optim_adamax, optim_lbfgs, optim_nadam, optim_radam, optim_sgd, tensor_dataset, torch_arange, torch_manual_seed,
  torch_randn, torch_tensor, type Tensor, nn_embedding, nn_layer_norm, nn_group_norm, nn_multihead_attention, nn_max_pool2d, nn_avg_pool2d,
  nn_cross_entropy_loss,
} from '../src/index.js';

const x = torch_randn(3, 4);
const same = (a: Tensor, b: Tensor): void => expect(a.equal(b)).toBe(true);

describe('positional arguments, as R and PyTorch take them', () => {
  it('the activation functions: each positional call is its options call', () => {
    same(nnf_elu(x, 0.5), nnf_elu(x, { alpha: 0.5 }));
    same(nnf_celu(x, 2), nnf_celu(x, { alpha: 2 }));
    same(nnf_leaky_relu(x, 0.2), nnf_leaky_relu(x, { negative_slope: 0.2 }));
    same(nnf_hardtanh(x, -0.5, 0.5), nnf_hardtanh(x, { min_val: -0.5, max_val: 0.5 }));
    same(nnf_hardtanh(x, -0.5, { max_val: 0.5 }), nnf_hardtanh(x, { min_val: -0.5, max_val: 0.5 }));
    same(nnf_softplus(x, 2, 1), nnf_softplus(x, { beta: 2, threshold: 1 }));
    same(nnf_hardshrink(x, 0.3), nnf_hardshrink(x, { lambd: 0.3 }));
    same(nnf_softshrink(x, 0.3), nnf_softshrink(x, { lambd: 0.3 }));
    same(nnf_glu(x, 1), nnf_glu(x, { dim: 1 }));
    same(nnf_rrelu(x, 0.1, 0.2), nnf_rrelu(x, { lower: 0.1, upper: 0.2 }));
    same(nnf_cosine_similarity(x, x.flip(0), 0, 1e-6), nnf_cosine_similarity(x, x.flip(0), { dim: 0, eps: 1e-6 }));
    torch_manual_seed(3);
    const hard = nnf_gumbel_softmax(x, 0.5, true);
    torch_manual_seed(3);
    same(hard, nnf_gumbel_softmax(x, { tau: 0.5, hard: true }));
    same(nnf_dropout(x, 0.5, false), x);
    same(nnf_dropout2d(torch_randn(1, 2, 3, 3).abs(), 1, true), torch_randn(1, 2, 3, 3).mul(0));
  });

  it('the activation modules keep what they were given positionally', () => {
    expect(nn_elu(0.5).options).toEqual({ alpha: 0.5 });
    expect(nn_elu(0.5, true).options).toEqual({ alpha: 0.5, inplace: true });
    expect(nn_celu(2, { inplace: true }).options).toEqual({ alpha: 2, inplace: true });
    expect(nn_leaky_relu(0.2).options).toEqual({ negative_slope: 0.2 });
    expect(nn_hardtanh(-2, 2).options).toEqual({ min_val: -2, max_val: 2 });
    expect(nn_rrelu(0.1, 0.2).options).toEqual({ lower: 0.1, upper: 0.2 });
    expect(nn_softplus(2, 10).options).toEqual({ beta: 2, threshold: 10 });
    expect(nn_hardshrink(0.3).options).toEqual({ lambd: 0.3 });
    expect(nn_glu(1).options).toEqual({ dim: 1 });
    expect(nn_threshold(0.1, 20, true).options).toEqual({ inplace: true });
    expect(nn_relu(true).inplace).toBe(true);
    expect(nn_silu(true).inplace).toBe(true);
    expect(nn_dropout(0.2, true).inplace).toBe(true);
    expect(nn_dropout2d(0.2, true).inplace).toBe(true);
    const prelu = nn_prelu(3, 0.1);
    expect(prelu.weight.shape).toEqual([3]);
    expect(Array.from(prelu.weight.to_typed_array() as Float32Array)).toEqual([0.1, 0.1, 0.1].map(Math.fround));
  });

  it('layers', () => {
    const conv = nn_conv3d(1, 2, 3, 2, 1, 1, 1, false);
    expect([conv.stride, conv.padding, conv.bias]).toEqual([[2, 2, 2], [1, 1, 1], null]);
    const transpose = nn_conv_transpose2d(1, 2, 3, 2, 1, 1);
    expect([transpose.stride, transpose.padding, transpose.output_padding]).toEqual([[2, 2], [1, 1], [1, 1]]);
    const norm = nn_batch_norm3d(4, 1e-3, 0.3, false);
    expect([norm.eps, norm.momentum, norm.affine, norm.weight]).toEqual([1e-3, 0.3, false, null]);
    const bag = nn_embedding_bag(10, 3, null, 2, false, 'sum');
    expect(bag.settings.mode).toBe('sum');
    const layer = nn_transformer_encoder_layer(8, 2, 16, 0, 'gelu', 1e-6, true);
    expect([layer.linear1.out_features, layer.batch_first]).toEqual([16, true]);
    const norm_layer = nn_linear(8, 8);
    expect(nn_transformer_encoder(layer, 2, norm_layer).norm).toBe(norm_layer);
    expect(nn_multi_margin_loss(2, 0.5).options).toEqual({ p: 2, margin: 0.5 });
    expect(nn_hinge_embedding_loss(2).options).toEqual({ margin: 2 });
    expect(nn_cosine_embedding_loss(0.2).options).toEqual({ margin: 0.2 });
  });

  it('functional layers and losses', () => {
    const volumes = torch_randn(1, 2, 4, 4, 4);
    const w = torch_randn(3, 2, 3, 3, 3);
    const b = torch_randn(3);
    same(nnf_conv3d(volumes, w, b, 2, 1), nnf_conv3d(volumes, w, { bias: b, stride: 2, padding: 1 }));
    const signal = torch_randn(1, 2, 5);
    const wt = torch_randn(2, 3, 3);
    same(nnf_conv_transpose1d(signal, wt, null, 2, 1, 1), nnf_conv_transpose1d(signal, wt, { stride: 2, padding: 1, output_padding: 1 }));
    same(nnf_interpolate(signal, null, 2, 'linear', true), nnf_interpolate(signal, { scale_factor: 2, mode: 'linear', align_corners: true }));
    same(nnf_interpolate(signal, 7), nnf_interpolate(signal, { size: 7 }));
    const table = torch_randn(10, 3);
    const bags = torch_tensor([[0, 2], [4, 5]], { dtype: 'int64' });
    same(nnf_embedding_bag(bags, table, null, null, 2, false, 'max'), nnf_embedding_bag(bags, table, { mode: 'max' }));
    const target = torch_tensor([1, 0, 3], { dtype: 'int64' });
    same(nnf_multi_margin_loss(x, target, 2, 0.5), nnf_multi_margin_loss(x, target, { p: 2, margin: 0.5 }));
    const signs = torch_tensor([1, -1, 1, -1]);
    same(nnf_hinge_embedding_loss(x.index(0), signs, 2), nnf_hinge_embedding_loss(x.index(0), signs, { margin: 2 }));
    same(nnf_cosine_embedding_loss(x, x.flip(0), torch_tensor([1, -1, 1]), 0.2), nnf_cosine_embedding_loss(x, x.flip(0), torch_tensor([1, -1, 1]), { margin: 0.2 }));
    const labels = torch_tensor([[1, 0, 0, 1], [0, 1, 1, 0], [0, 0, 0, 1]]);
    const weight = torch_tensor([1, 2, 3, 4]);
    same(nnf_multilabel_soft_margin_loss(x, labels, weight), nnf_multilabel_soft_margin_loss(x, labels, { weight }));
  });

  it('sequences, weight norm, optimizers, schedules and the dataloader', () => {
    const padded = nn_utils_rnn_pad_sequence([torch_arange(0, 3), torch_arange(0, 2)], true, -1);
    same(padded, nn_utils_rnn_pad_sequence([torch_arange(0, 3), torch_arange(0, 2)], { batch_first: true, padding_value: -1 }));
    const packed = nn_utils_rnn_pack_padded_sequence(padded.unsqueeze(2), [3, 2], true, false);
    same(packed.data, nn_utils_rnn_pack_padded_sequence(padded.unsqueeze(2), [3, 2], { batch_first: true, enforce_sorted: false }).data);
    const [unpacked] = nn_utils_rnn_pad_packed_sequence(packed, true, -1, 4);
    expect(unpacked.shape).toEqual([2, 4, 1]);
    same(nn_utils_rnn_pack_sequence([torch_arange(0, 2), torch_arange(0, 3)], false).data, torch_tensor([0, 0, 1, 1, 2], { dtype: 'int64' }));
    expect(Object.keys(nn_utils_weight_norm(nn_linear(2, 3), 'weight', null).state_dict())).toEqual(['bias', 'weight_g', 'weight_v']);
    const params = (): Tensor[] => [torch_randn(2).requires_grad_()];
    for (const make of [optim_adam, optim_radam, optim_nadam, optim_adamax, optim_lbfgs, optim_sgd]) expect(make(params(), 0.25).param_groups[0]!.lr).toBe(0.25);
    expect(optim_adam(params(), 0.25, { weight_decay: 0.1 }).param_groups[0]!.weight_decay).toBe(0.1);
    const adam = optim_adam(params(), 0.25, [0.8, 0.9], 1e-6, 0.1, true).param_groups[0]!;
    expect([adam.betas, adam.eps, adam.weight_decay, adam.amsgrad]).toEqual([[0.8, 0.9], 1e-6, 0.1, true]);
    const sgd = optim_sgd(params(), 0.1, 0.9, 0.1, 0.01, false).param_groups[0]!;
    expect([sgd.momentum, sgd.dampening, sgd.weight_decay, sgd.nesterov]).toEqual([0.9, 0.1, 0.01, false]);
    expect(optim_nadam(params(), 0.1, [0.9, 0.99], 1e-8, 0, 0.01, true).param_groups[0]!.decoupled_weight_decay).toBe(true);
    expect(optim_lbfgs(params(), 1, 5, null, 1e-5, 1e-9, 10, 'strong_wolfe').param_groups[0]!.line_search_fn).toBe('strong_wolfe');
    const restarts = lr_cosine_annealing_warm_restarts(optim_sgd(params(), 0.1), 10, 2, 0.01);
    expect([restarts.T_mult, restarts.eta_min]).toEqual([2, 0.01]);
    const loader = dataloader(tensor_dataset(torch_randn(5, 2)), 2, true);
    expect([loader.batch_size, loader.shuffle]).toEqual([2, true]);
  });

  it('the layers that were there before issue 24', () => {
    expect(nn_linear(4, 3, false).bias).toBeNull();
    expect(nn_embedding(10, 3, 0).padding_idx).toBe(0);
    expect([nn_layer_norm(4, 1e-6, false).eps, nn_layer_norm(4, 1e-6, false).weight]).toEqual([1e-6, null]);
    expect([nn_group_norm(2, 4, 1e-3, false).eps, nn_group_norm(2, 4, 1e-3, false).affine]).toEqual([1e-3, false]);
    const attention = nn_multihead_attention(8, 2, 0.1, true, false, false, null, null, true);
    expect([attention.dropout, attention.batch_first]).toEqual([0.1, true]);
    const max = nn_max_pool2d(3, 2, 1);
    expect([max.stride, max.padding, max.return_indices]).toEqual([2, 1, false]);
    const avg = nn_avg_pool2d(3, 2, 1, true, false, 4);
    expect([avg.ceil_mode, avg.count_include_pad, avg.divisor_override]).toEqual([true, false, 4]);
    const weight = torch_tensor([1, 2, 3]);
    expect(nn_cross_entropy_loss(weight).options.weight).toBe(weight);
  });

  it('refuses an argument given twice, too many, and an options object before the last', () => {
    expect(() => nnf_elu(x, 0.5, { alpha: 1 } as never)).toThrow(new TypeError('Expected alpha once for nnf_elu but received it both positionally and in the options'));
    expect(() => nnf_elu(x, 0.5, true, false as never)).toThrow(TypeError);
    expect(() => nnf_elu(x, 0.5, true, false as never)).toThrow(/at most 2 positional arguments \(alpha, inplace\)/);
    expect(() => nnf_elu(x, { alpha: 1 } as never, true as never)).toThrow(/the options object as the last argument/);
    expect(() => nn_elu('big' as never)).toThrow(/Expected a number for alpha/);
    expect(() => optim_adam([torch_randn(2).requires_grad_()], 0.1, { lr: 0.2 })).toThrow(/lr once/);
    expect(() => nnf_elu(x, { alfa: 1 } as never)).toThrow(/Expected one of alpha, inplace for nnf_elu options but received "alfa"/);
  });
});

describe('every inplace option acts', () => {
  const cases: [string, (t: Tensor) => Tensor, (t: Tensor) => Tensor][] = [
    ['relu', (t) => nnf_relu(t, true), (t) => nn_relu(true)(t)], ['relu6', (t) => nnf_relu6(t, true), (t) => nn_relu6(true)(t)],
    ['selu', (t) => nnf_selu(t, true), (t) => nn_selu(true)(t)], ['silu', (t) => nnf_silu(t, true), (t) => nn_silu(true)(t)],
    ['mish', (t) => nnf_mish(t, true), (t) => nn_mish(true)(t)], ['hardswish', (t) => nnf_hardswish(t, true), (t) => nn_hardswish(true)(t)],
    ['hardsigmoid', (t) => nnf_hardsigmoid(t, true), (t) => nn_hardsigmoid(true)(t)], ['elu', (t) => nnf_elu(t, 0.5, true), (t) => nn_elu(0.5, true)(t)],
    ['celu', (t) => nnf_celu(t, 2, true), (t) => nn_celu(2, true)(t)],
    ['leaky_relu', (t) => nnf_leaky_relu(t, 0.2, true), (t) => nn_leaky_relu(0.2, true)(t)],
    ['hardtanh', (t) => nnf_hardtanh(t, -0.5, 0.5, true), (t) => nn_hardtanh(-0.5, 0.5, true)(t)],
    ['threshold', (t) => nnf_threshold(t, 0.1, 20, true), (t) => nn_threshold(0.1, 20, true)(t)],
    ['rrelu (eval)', (t) => nnf_rrelu(t, 0.1, 0.3, false, true), (t) => nn_rrelu(0.1, 0.3, true).eval()(t)],
    ['elu_', (t) => nnf_elu_(t, 0.5), (t) => nn_elu({ alpha: 0.5, inplace: true })(t)],
    ['celu_', (t) => nnf_celu_(t, 2), (t) => nn_celu({ alpha: 2, inplace: true })(t)],
    ['hardtanh_', (t) => nnf_hardtanh_(t, -0.5, 0.5), (t) => nn_hardtanh({ min_val: -0.5, max_val: 0.5, inplace: true })(t)],
  ];
  it.each(cases)('%s: the function and the module change their input to the out-of-place result and return it', (_name, fn, module) => {
    for (const apply of [fn, module]) {
      const input = torch_randn(3, 4);
      const expected = apply(input.clone().mul(1)); // the result, computed on a copy (changed in place too)
      const copy = input.clone();
      const output = apply(input);
      expect(output).toBe(input);
      expect(input.equal(copy)).toBe(false);
      same(input, expected);
    }
  });

  it('the dropouts, with p = 1 (every element or channel zeroed)', () => {
    for (const [input, drop] of [
      [torch_randn(2, 3).abs().add(1), (t: Tensor) => nnf_dropout(t, 1, true, true)],
      [torch_randn(2, 3).abs().add(1), (t: Tensor) => nn_dropout(1, true)(t)],
      [torch_randn(1, 2, 3, 3).abs().add(1), (t: Tensor) => nnf_dropout2d(t, 1, true, true)],
      [torch_randn(1, 2, 3, 3).abs().add(1), (t: Tensor) => nn_dropout2d(1, true)(t)],
      [torch_randn(1, 2, 2, 2, 2).abs().add(1), (t: Tensor) => nnf_dropout3d(t, 1, true, true)],
      [torch_randn(2, 2, 2, 2).abs().add(1), (t: Tensor) => nn_dropout3d(1, true)(t)],
    ] as [Tensor, (t: Tensor) => Tensor][]) {
      expect(drop(input)).toBe(input);
      expect(input.abs().sum().item()).toBe(0);
    }
  });
});

describe('modules whose constructor takes nothing refuse an argument, as PyTorch\'s do', () => {
  it.each([
    ['nn_tanh', nn_tanh], ['nn_sigmoid', nn_sigmoid], ['nn_softmax2d', nn_softmax2d], ['nn_log_sigmoid', nn_log_sigmoid],
    ['nn_softsign', nn_softsign], ['nn_tanhshrink', nn_tanhshrink],
  ] as [string, (...args: unknown[]) => unknown][])('%s', (name, make) => {
    expect(() => make(3)).toThrow(new TypeError(`Expected no arguments for ${name} but received 1`));
    expect(() => make()).not.toThrow();
  });

  it('nn_identity takes and ignores any, as PyTorch\'s Identity(*args, **kwargs)', () => {
    expect(nn_identity(54, { unused: 0.1 })(x)).toBe(x);
  });

  it('R\'s name nn_log_sigmoid, and nn_logsigmoid for nnf_logsigmoid\'s', () => {
    expect(nn_logsigmoid).toBe(nn_log_sigmoid);
    expect(nn_log_sigmoid()(x).sub(x.sigmoid().log()).abs().max().item()).toBeLessThan(1e-6);
  });
});
