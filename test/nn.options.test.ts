// Options objects in nn and optim: every layer constructor, layer forward, nnf_*, nn_init_*,
// to(), load_state_dict(), optimizer, scheduler, dataloader and clip_grad_norm_ goes through
// validate's checkOptions, so a misspelt key is a TypeError naming it and the accepted ones
// (never silently ignored), and anything but a plain object (null, an array, a number) is the
// library's TypeError, not an engine message.
import { describe, expect, it } from 'vitest';
import {
  nn_conv1d, nn_conv2d, nn_embedding, nn_gelu, nn_init_kaiming_normal_, nn_init_kaiming_uniform_, nn_layer_norm, nn_linear,
  nn_module_dict, nn_module_list, nn_multihead_attention, nnf_binary_cross_entropy_with_logits, nnf_conv1d, nnf_conv2d,
  nnf_cross_entropy, nnf_dropout, nnf_embedding, nnf_gelu, nnf_l1_loss, nnf_layer_norm, nnf_log_softmax, nnf_mse_loss,
  nnf_softmax, optim_adam, optim_adamw, optim_sgd, torch_empty, torch_ones, torch_randn, torch_tensor, torch_zeros,
  optim_rmsprop, optim_adagrad, nn_utils_clip_grad_norm_, dataloader, tensor_dataset, lr_multistep, lr_exponential, lr_lambda,
  lr_multiplicative, lr_cosine_annealing, lr_linear, lr_one_cycle, lr_reduce_on_plateau,
  nn_conv_transpose2d, nn_transformer_encoder_layer, nnf_elu, nnf_embedding_bag, nnf_interpolate, nnf_multi_margin_loss, nnf_lp_pool1d,
} from '../src/index.js';

const x = torch_randn(2, 3);
const classes = torch_tensor([0, 2], { dtype: 'int64' });
const images = torch_randn(1, 2, 5, 5);
const signal = torch_randn(1, 2, 5);
const mha = nn_multihead_attention(4, 2);
const q = torch_randn(3, 1, 4);

function sgd() { return optim_sgd([torch_ones(2).requires_grad_()], { lr: 0.1, momentum: 0.9 }); }

// [name in messages, accepted keys in order, call with the given options]
const FUNCTIONS: [string, string, (options: any) => unknown][] = [
  ['nn_linear', 'bias, dtype, device', (o) => nn_linear(4, 4, o)],
  ['nn_embedding', 'padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse, dtype, device', (o) => nn_embedding(5, 3, o)],
  ['nn_conv1d', 'stride, padding, dilation, groups, bias, padding_mode, dtype, device', (o) => nn_conv1d(2, 2, 3, o)],
  ['nn_conv2d', 'stride, padding, dilation, groups, bias, padding_mode, dtype, device', (o) => nn_conv2d(2, 2, 3, o)],
  ['nn_layer_norm', 'eps, elementwise_affine, bias, dtype, device', (o) => nn_layer_norm(4, o)],
  ['nn_gelu', 'approximate', (o) => nn_gelu(o)],
  ['nn_multihead_attention', 'dropout, bias, add_bias_kv, add_zero_attn, kdim, vdim, batch_first, dtype, device', (o) => nn_multihead_attention(4, 2, o)],
  ['nn_multihead_attention forward', 'key_padding_mask, need_weights, attn_mask, average_attn_weights, avg_weights, is_causal', (o) => mha(q, q, q, o)],
  ['nnf_mse_loss', 'reduction', (o) => nnf_mse_loss(x, x, o)],
  ['nnf_l1_loss', 'reduction', (o) => nnf_l1_loss(x, x, o)],
  ['nnf_cross_entropy', 'weight, ignore_index, reduction, label_smoothing', (o) => nnf_cross_entropy(x, classes, o)],
  ['nnf_binary_cross_entropy_with_logits', 'weight, reduction, pos_weight', (o) => nnf_binary_cross_entropy_with_logits(x, x.sigmoid(), o)],
  ['nnf_gelu', 'approximate', (o) => nnf_gelu(x, o)],
  ['nnf_softmax', 'dtype', (o) => nnf_softmax(x, 1, o)],
  ['nnf_log_softmax', 'dtype', (o) => nnf_log_softmax(x, 1, o)],
  ['nnf_dropout', 'p, training, inplace', (o) => nnf_dropout(x, o)],
  ['nnf_embedding', 'padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse', (o) => nnf_embedding(classes, torch_randn(3, 2), o)],
  ['nnf_conv1d', 'bias, stride, padding, dilation, groups', (o) => nnf_conv1d(signal, torch_randn(2, 2, 3), o)],
  ['nnf_conv2d', 'bias, stride, padding, dilation, groups', (o) => nnf_conv2d(images, torch_randn(2, 2, 3, 3), o)],
  ['nnf_layer_norm', 'weight, bias, eps', (o) => nnf_layer_norm(x, [3], o)],
  ['nn_init_kaiming_uniform_', 'a, mode, nonlinearity, generator', (o) => nn_init_kaiming_uniform_(torch_empty(3, 3), o)],
  ['nn_init_kaiming_normal_', 'a, mode, nonlinearity, generator', (o) => nn_init_kaiming_normal_(torch_empty(3, 3), o)],
  ['load_state_dict', 'strict, assign', (o) => nn_linear(2, 2).load_state_dict(nn_linear(2, 2).state_dict(), o)],
  ['optim_adam', 'lr, betas, eps, weight_decay, amsgrad, maximize, foreach, fused', (o) => optim_adam([torch_ones(2).requires_grad_()], o)],
  ['optim_adamw', 'lr, betas, eps, weight_decay, amsgrad, maximize, foreach, fused', (o) => optim_adamw([torch_ones(2).requires_grad_()], o)],
  ['optim_sgd', 'lr, momentum, dampening, weight_decay, nesterov, maximize, foreach, fused', (o) => optim_sgd([torch_ones(2).requires_grad_()], { lr: 0.1, ...o })],
  ['optim_rmsprop', 'lr, alpha, eps, weight_decay, momentum, centered, maximize, foreach', (o) => optim_rmsprop([torch_ones(2).requires_grad_()], o)],
  ['optim_adagrad', 'lr, lr_decay, weight_decay, initial_accumulator_value, eps, maximize, foreach, fused', (o) => optim_adagrad([torch_ones(2).requires_grad_()], o)],
  // norm_type may come positionally (a number third), so the options object is checked fourth too.
  ['nn_utils_clip_grad_norm_', 'error_if_nonfinite', (o) => nn_utils_clip_grad_norm_([torch_ones(2).requires_grad_()], 1, 2, o)],
  ['nnf_elu', 'alpha, inplace', (o) => nnf_elu(x, o)],
  ['nnf_multi_margin_loss', 'p, margin, weight, reduction', (o) => nnf_multi_margin_loss(x, classes, o)],
  ['nnf_interpolate', 'size, scale_factor, mode, align_corners, recompute_scale_factor, antialias', (o) => nnf_interpolate(signal, o)],
  ['nnf_embedding_bag', 'offsets, max_norm, norm_type, scale_grad_by_freq, mode, sparse, per_sample_weights, include_last_offset, padding_idx',
    (o) => nnf_embedding_bag(classes.reshape([1, 2]), x, o)],
  ['nnf_lp_pool1d', 'stride, ceil_mode', (o) => nnf_lp_pool1d(signal, 2, 2, o)],
  ['nn_conv_transpose2d', 'stride, padding, output_padding, groups, bias, dilation, padding_mode, dtype, device', (o) => nn_conv_transpose2d(2, 2, 3, o)],
  ['nn_transformer_encoder_layer', 'dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first, bias, dtype, device',
    (o) => nn_transformer_encoder_layer(4, 2, o)],
  ['dataloader', 'batch_size, shuffle, drop_last, sampler, collate_fn, generator', (o) => dataloader(tensor_dataset(torch_ones(3)), o)],
  ['lr_multistep', 'gamma, last_epoch', (o) => lr_multistep(sgd(), [2], o)],
  ['lr_exponential', 'last_epoch', (o) => lr_exponential(sgd(), 0.9, o)],
  ['lr_lambda', 'last_epoch', (o) => lr_lambda(sgd(), () => 1, o)],
  ['lr_multiplicative', 'last_epoch', (o) => lr_multiplicative(sgd(), () => 1, o)],
  ['lr_cosine_annealing', 'eta_min, last_epoch', (o) => lr_cosine_annealing(sgd(), 10, o)],
  ['lr_linear', 'start_factor, end_factor, total_iters, last_epoch', (o) => lr_linear(sgd(), o)],
  ['lr_one_cycle', 'total_steps, epochs, steps_per_epoch, pct_start, anneal_strategy, cycle_momentum, base_momentum, max_momentum, '
    + 'div_factor, final_div_factor, three_phase, last_epoch', (o) => lr_one_cycle(sgd(), 0.1, o)],
  ['lr_reduce_on_plateau', 'mode, factor, patience, threshold, threshold_mode, cooldown, min_lr, eps', (o) => lr_reduce_on_plateau(sgd(), o)],
];

describe('an unknown option key is a TypeError naming it and the accepted ones', () => {
  it.each(FUNCTIONS)('%s', (name, accepted, call) => {
    expect(() => call({ misspelt: 1 })).toThrow(new TypeError(`Expected one of ${accepted} for ${name} options but received "misspelt"`));
  });

  it('the two cases of the issue', () => {
    expect(() => nn_linear(4, 4, { biass: false } as never)).toThrow(/Expected one of bias, dtype, device for nn_linear options but received "biass"/);
    expect(() => nnf_cross_entropy(x, classes, { label_smothing: 0.1 } as never)).toThrow(/for nnf_cross_entropy options but received "label_smothing"/);
  });

  it('module.to() names its target', () => {
    expect(() => nn_linear(2, 2).to({ devise: 'cpu' } as never)).toThrow(new TypeError('Expected one of device, dtype for to target but received "devise"'));
  });
});

// These take their first optional arguments positionally too, as R and PyTorch do (test/nn.positional.test.ts):
// a number or null there is an argument, not a misplaced options object.
const POSITIONAL = new Set([
  'nn_conv1d', 'nn_conv2d', 'nn_gelu', 'nnf_dropout', 'nnf_conv1d', 'nnf_conv2d', 'nnf_elu', 'nnf_multi_margin_loss', 'nnf_interpolate',
  'nnf_embedding_bag', 'nn_conv_transpose2d', 'nn_transformer_encoder_layer', 'dataloader', 'nnf_lp_pool1d', 'nn_linear', 'nn_embedding',
  'nn_layer_norm', 'nn_multihead_attention', 'nnf_cross_entropy', 'nnf_binary_cross_entropy_with_logits', 'nnf_embedding', 'nnf_layer_norm',
  'nn_init_kaiming_uniform_', 'nn_init_kaiming_normal_',
]);

describe('anything but an options object is the library\'s TypeError', () => {
  it.each(FUNCTIONS.filter(([name]) => !name.startsWith('optim_') && !POSITIONAL.has(name)))('%s', (name, _accepted, call) => {
    expect(() => call(null)).toThrow(new TypeError(`Expected an options object for ${name} options but received null`));
    expect(() => call([])).toThrow(new TypeError(`Expected an options object for ${name} options but received an array of length 0`));
    expect(() => call(3)).toThrow(new TypeError(`Expected an options object for ${name} options but received 3`));
    // A class's instance: its own keys are its internals, never named as misspelt options.
    expect(() => call(new Map())).toThrow(new TypeError(`Expected an options object for ${name} options but received an instance of Map`));
  });

  it('optimizers', () => {
    // The first arguments may come positionally (lr, then R's and PyTorch's order): a value there is checked as that option.
    expect(() => optim_adam([torch_ones(2).requires_grad_()], null as never)).toThrow(TypeError);
    expect(() => optim_sgd([torch_ones(2).requires_grad_()], 'fast' as never)).toThrow(/for lr but received "fast"/);
    expect(() => optim_sgd([torch_ones(2).requires_grad_()], 0.1, 0.9, 0, 0, false, true as never)).toThrow(/at most 5 positional arguments/);
  });

  it('module.to(null) and the containers\' arguments', () => {
    expect(() => nn_linear(2, 2).to(null as never)).toThrow(/Expected a device, a dtype or \{ device, dtype \} for target but received null/);
    expect(() => nn_module_list(null as never)).toThrow(/Expected an iterable of nn_modules for modules but received null/);
    expect(() => nn_module_dict(3 as never)).toThrow(/Expected an object, a Map or \[key, module\] pairs for modules but received 3/);
  });

  it('undefined is no options', () => {
    expect(nn_linear(2, 2, undefined).bias).not.toBeNull();
    expect(nnf_mse_loss(torch_zeros(2), torch_ones(2), undefined).item()).toBe(1);
  });
});
