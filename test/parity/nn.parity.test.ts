// Parity of every layer in src/nn/layers.ts (and the nn_init_* initialisers) with Python
// PyTorch: made under the same seed, each layer has the same weights, and its forward and
// backward give the same outputs and gradients. Twins: the @case of the same name in cases_nn.py.
import {
  nn_conv1d, nn_conv2d, nn_dropout, nn_embedding, nn_gelu, nn_init_constant_, nn_init_kaiming_normal_,
  nn_init_kaiming_uniform_, nn_init_normal_, nn_init_uniform_, nn_init_xavier_normal_, nn_init_xavier_uniform_,
  nn_layer_norm, nn_linear, nn_Module, nn_module_dict, nn_module_list, nn_multihead_attention, nn_relu, nn_sequential, nnf_layer_norm,
  nnf_relu, torch_empty, torch_randn, torch_tensor, with_no_grad, type MultiheadAttentionForwardOptions, type Tensor,
} from '../../src/index.js';
import { forward_backward, parity_suite, type ParityCase, type Tensors } from './harness.js';

const randn = (...shape: number[]): Tensor => torch_randn(shape);

type Forward = (module: any, inputs: Tensors) => Tensors;
const call: Forward = (module, { x }) => ({ y: module(x) });

/** A case whose layer is made inside run, so after torch_manual_seed(0) as its Python twin's is. */
function layer(name: string, make: () => nn_Module, inputs: () => Tensors, options: { forward?: Forward; grad?: string[] } = {}): ParityCase {
  const { forward = call, grad = ['x'] } = options;
  return { name: `layer.${name}`, inputs, grad, run: (given) => {
    const module = make();
    return forward_backward(module, forward(module, given));
  } };
}

const x = (...shape: number[]) => (): Tensors => ({ x: randn(...shape) });
const indices = (): Tensors => ({ x: torch_tensor([[0, 3, 9, 3], [1, 0, 0, 7]], { dtype: 'int64' }) });

// ---- linear, embedding, convolutions

const dense: ParityCase[] = [
  layer('linear', () => nn_linear(5, 3), x(4, 5)),
  layer('linear.no_bias', () => nn_linear(5, 3, { bias: false }), x(4, 5)),
  layer('linear.batched', () => nn_linear(6, 4), x(2, 3, 6)),
  layer('linear.large', () => nn_linear(101, 100), x(64, 101)),
  // Zero-size layers: kaiming of an empty weight draws nothing, the bias is U(0, 0).
  layer('linear.zero_in', () => nn_linear(0, 4), x(3, 0)),
  layer('linear.zero_out', () => nn_linear(4, 0), x(3, 4)),
  // Built as PyTorch builds it (its forward refuses 0 output channels, in libtorch, for both).
  layer('conv1d.zero_out', () => nn_conv1d(3, 0, 3), () => ({}), { forward: () => ({}), grad: [] }),
  layer('embedding', () => nn_embedding(10, 4), indices, { grad: [] }),
  layer('embedding.padding_idx', () => nn_embedding(10, 4, { padding_idx: 0 }), indices, { grad: [] }),
  layer('embedding.negative_padding_idx', () => nn_embedding(10, 4, { padding_idx: -1 }), () => ({ x: torch_tensor([9, 1, 9, 2], { dtype: 'int64' }) }), { grad: [] }),
  layer('embedding.scale_grad_by_freq', () => nn_embedding(10, 4, { scale_grad_by_freq: true }), indices, { grad: [] }),
  layer('embedding.sparse', () => nn_embedding(10, 4, { sparse: true }), indices, { grad: [] }),
  // max_norm rescales the looked-up rows of the weight in place before the lookup.
  layer('embedding.max_norm', () => nn_embedding(10, 4, { max_norm: 1 }), indices, { grad: [] }),
  layer('embedding.max_norm.norm_type', () => nn_embedding(10, 4, { max_norm: 1.5, norm_type: 1, padding_idx: 3, scale_grad_by_freq: true }), indices, { grad: [] }),
  layer('conv1d', () => nn_conv1d(3, 4, 3), x(2, 3, 9)),
  layer('conv1d.options', () => nn_conv1d(4, 6, 3, { stride: 2, padding: 2, dilation: 2, groups: 2 }), x(2, 4, 11)),
  layer('conv1d.same', () => nn_conv1d(2, 3, 4, { padding: 'same', bias: false }), x(1, 2, 7)),
  layer('conv1d.valid', () => nn_conv1d(2, 3, 5, { padding: 'valid' }), x(3, 2, 8)),
  layer('conv2d', () => nn_conv2d(2, 4, 3), x(2, 2, 6, 6)),
  layer('conv2d.options', () => nn_conv2d(4, 4, [3, 2], { stride: [2, 1], padding: [1, 0], dilation: [1, 2], groups: 4, bias: false }), x(2, 4, 7, 8)),
  layer('conv2d.same', () => nn_conv2d(3, 2, 3, { padding: 'same', dilation: 2 }), x(1, 3, 6, 5)),
  layer('conv2d.large', () => nn_conv2d(8, 16, 3, { padding: 1 }), x(4, 8, 16, 16)),
];

// ---- normalisation, dropout, activations, containers

class Stack extends nn_Module {
  layers = nn_module_list([nn_linear(4, 8), nn_linear(8, 8)]);
  constructor() {
    super();
    this.layers.append(nn_linear(8, 2));
  }

  override forward(input: Tensor): Tensor {
    let output = input;
    for (const linear of this.layers) output = nnf_relu(linear(output));
    return output;
  }
}

class Heads extends nn_Module {
  heads = nn_module_dict({ encoder: nn_linear(4, 8), decoder: nn_linear(8, 3) });
  override forward(input: Tensor): Tensor {
    return this.heads.decoder(nnf_relu(this.heads.get('encoder')(input)));
  }
}

const elementwise: ParityCase[] = [
  layer('layer_norm', () => nn_layer_norm(6), x(3, 4, 6)),
  layer('layer_norm.shape', () => nn_layer_norm([4, 6], { eps: 1e-3 }), x(3, 4, 6)),
  layer('layer_norm.no_affine', () => nn_layer_norm(5, { elementwise_affine: false }), x(4, 5)),
  layer('layer_norm.no_bias', () => nn_layer_norm([2, 3], { bias: false }), x(4, 2, 3)),
  { name: 'functional.layer_norm.weight_only', inputs: () => ({ x: randn(4, 6), weight: randn(6) }), grad: ['x', 'weight'],
    run: ({ x, weight }) => ({ y: nnf_layer_norm(x!, [6], { weight }) }) },
  // Masks come from libtorch's generator: the same seed drops the same elements.
  layer('dropout.train', () => nn_dropout(0.3), x(8, 16)),
  layer('dropout.train_small', () => nn_dropout(), x(3, 5)),
  layer('dropout.eval', () => nn_dropout(0.3).eval(), x(8, 16)),
  layer('relu', () => nn_relu(), x(4, 7)),
  layer('gelu', () => nn_gelu(), x(4, 7)),
  layer('gelu.tanh', () => nn_gelu({ approximate: 'tanh' }), x(4, 7)),
  layer('sequential', () => nn_sequential(nn_linear(4, 16), nn_relu(), nn_dropout(0.2), nn_linear(16, 8), nn_gelu(), nn_layer_norm(8), nn_linear(8, 2)), x(5, 4)),
  // Parameter names ("layers.0.weight", "heads.decoder.bias") are compared too.
  layer('module_list', () => new Stack(), x(5, 4)),
  layer('module_dict', () => new Heads(), x(5, 4)),
];

// ---- multi-head attention

const causal = (length: number): Tensor => torch_tensor(Array.from({ length }, (_, i) => Array.from({ length }, (_, j) => j > i)));
const attention = (options: MultiheadAttentionForwardOptions = {}, self = true): Forward => (module, { q, k, v, ...masks }): Tensors => {
  const given: MultiheadAttentionForwardOptions = { ...options, ...masks };
  const [y, weights]: [Tensor, Tensor | null] = self ? module(q, q, q, given) : module(q, k, v ?? k, given);
  return weights === null ? { y } : { y, weights };
};
function inference(name: string, batch_first: boolean, tolerance?: ParityCase['tolerance']): ParityCase {
  return { name: `layer.${name}`, inputs: () => ({ q: randn(2, 5, 8) }), tolerance, run: ({ q }) => with_no_grad(() => {
    const [y, weights] = nn_multihead_attention(8, 2, { batch_first }).eval()(q!, q!, q!);
    return { y, weights: weights! };
  }) };
}
// sequence 5, batch 2, features 8 (batch second unless batch_first)
const sequence = (): Tensors => ({ q: randn(5, 2, 8) });
const cross = (): Tensors => ({ q: randn(4, 2, 8), k: randn(6, 2, 8) });
const mha = (name: string, make: () => nn_Module, inputs: () => Tensors, forward: Forward, grad = ['q']): ParityCase =>
  layer(`multihead_attention.${name}`, make, inputs, { forward, grad });

const attentions: ParityCase[] = [
  mha('self', () => nn_multihead_attention(8, 2), sequence, attention()),
  mha('batch_first', () => nn_multihead_attention(8, 4, { batch_first: true }), () => ({ q: randn(2, 5, 8) }), attention()),
  mha('cross', () => nn_multihead_attention(8, 2), cross, attention({}, false), ['q', 'k']),
  mha('batch_first.cross', () => nn_multihead_attention(8, 2, { batch_first: true }), () => ({ q: randn(2, 4, 8), k: randn(2, 6, 8) }), attention({}, false), ['q', 'k']),
  mha('unbatched.cross', () => nn_multihead_attention(8, 4), () => ({ q: randn(3, 8), k: randn(7, 8) }), attention({}, false), ['q', 'k']),
  mha('key_value', () => nn_multihead_attention(8, 2, { bias: false }), () => ({ ...cross(), v: randn(6, 2, 8) }), attention({}, false), ['q', 'k', 'v']),
  mha('causal_mask', () => nn_multihead_attention(8, 2), () => ({ ...sequence(), attn_mask: causal(5) }), attention()),
  mha('float_mask', () => nn_multihead_attention(8, 2), () => ({ ...sequence(), attn_mask: randn(5, 5) }), attention()),
  mha('key_padding_mask', () => nn_multihead_attention(8, 2), () => ({ ...cross(), key_padding_mask: torch_tensor([[false, false, false, false, true, true], [false, false, false, false, false, true]]) }), attention({}, false), ['q', 'k']),
  mha('both_masks', () => nn_multihead_attention(8, 2), () => ({ ...sequence(), attn_mask: causal(5), key_padding_mask: torch_tensor([[false, false, false, true, true], [false, false, false, false, false]]) }), attention()),
  mha('per_head_weights', () => nn_multihead_attention(8, 2), sequence, attention({ average_attn_weights: false })),
  mha('no_weights', () => nn_multihead_attention(8, 2), sequence, attention({ need_weights: false })),
  // Without weights PyTorch 2 attends through scaled_dot_product_attention (1.13 through bmm).
  mha('no_weights.float_mask', () => nn_multihead_attention(8, 2), () => ({ ...sequence(), attn_mask: randn(5, 5) }), attention({ need_weights: false })),
  mha('no_weights.masks', () => nn_multihead_attention(8, 2), () => ({ ...sequence(), attn_mask: causal(5), key_padding_mask: torch_tensor([[false, false, false, true, true], [false, false, false, false, false]]) }), attention({ need_weights: false })),
  mha('no_weights.dropout.train', () => nn_multihead_attention(8, 2, { dropout: 0.25 }), sequence, attention({ need_weights: false })),
  mha('unbatched', () => nn_multihead_attention(8, 2), () => ({ q: randn(5, 8) }), attention()),
  mha('large', () => nn_multihead_attention(64, 4), () => ({ q: randn(24, 3, 64), attn_mask: causal(24) }), attention()),
  mha('dropout.train', () => nn_multihead_attention(8, 2, { dropout: 0.25 }), sequence, attention()),
  mha('dropout.eval', () => nn_multihead_attention(8, 2, { dropout: 0.25 }).eval(), sequence, attention()),
  // kdim/vdim: separate q/k/v projection weights, drawn in PyTorch's order.
  mha('kdim_vdim', () => nn_multihead_attention(8, 2, { kdim: 4, vdim: 6 }), () => ({ q: randn(4, 2, 8), k: randn(6, 2, 4), v: randn(6, 2, 6) }), attention({}, false), ['q', 'k', 'v']),
  mha('kdim.no_bias', () => nn_multihead_attention(8, 4, { kdim: 5, bias: false }), () => ({ q: randn(4, 2, 8), k: randn(6, 2, 5), v: randn(6, 2, 8) }), attention({}, false), ['q', 'k', 'v']),
  mha('kdim_vdim.batch_first', () => nn_multihead_attention(8, 2, { kdim: 3, vdim: 3, batch_first: true }), () => ({ q: randn(2, 4, 8), k: randn(2, 6, 3) }), attention({}, false), ['q', 'k']),
  mha('kdim_vdim.unbatched', () => nn_multihead_attention(8, 2, { kdim: 3, vdim: 5 }), () => ({ q: randn(4, 8), k: randn(6, 3), v: randn(6, 5) }), attention({}, false), ['q', 'k', 'v']),
  // is_causal is a hint: the mask given is the mask used (its Python twin passes the mask alone:
  // PyTorch 1.13 has no is_causal).
  mha('is_causal', () => nn_multihead_attention(8, 2), () => ({ ...sequence(), attn_mask: causal(5) }), attention({ is_causal: true })),
  // PyTorch 2 lets scaled_dot_product_attention apply its own causal mask here.
  mha('is_causal.no_weights', () => nn_multihead_attention(8, 2), () => ({ ...sequence(), attn_mask: causal(5) }), attention({ is_causal: true, need_weights: false })),
  mha('add_bias_kv', () => nn_multihead_attention(8, 2, { add_bias_kv: true }), sequence, attention()),
  mha('add_bias_kv.masks', () => nn_multihead_attention(8, 2, { add_bias_kv: true }), () => ({ ...sequence(), attn_mask: causal(5), key_padding_mask: torch_tensor([[false, false, false, true, true], [false, false, false, false, false]]) }), attention()),
  mha('add_zero_attn', () => nn_multihead_attention(8, 2, { add_zero_attn: true }), () => ({ ...sequence(), attn_mask: randn(5, 5) }), attention()),
  mha('add_bias_kv.add_zero_attn.kdim', () => nn_multihead_attention(8, 2, { add_bias_kv: true, add_zero_attn: true, kdim: 6, vdim: 6 }), () => ({ q: randn(4, 2, 8), k: randn(6, 2, 6), key_padding_mask: torch_tensor([[false, false, false, false, true, true], [false, false, false, false, false, true]]) }), attention({}, false), ['q', 'k']),
  mha('add_bias_kv.unbatched', () => nn_multihead_attention(8, 2, { add_bias_kv: true, add_zero_attn: true }), () => ({ q: randn(5, 8) }), attention()),
  inference('multihead_attention.inference', false),
  inference('multihead_attention.inference.fast_path', true, {
    rtol: 1e-5, atol: 1e-6,
    why: 'PyTorch computes batch_first self-attention in eval mode without gradients (no attn_mask, even num_heads, no dropout) '
      + 'with its fused kernel, torch._native_multi_head_attention; nn_multihead_attention always takes the general path, and '
      + 'whether the two round alike depends on the CPU (they differ in the last bits on some, agree on others)',
  }),
];

// ---- nn_init_*: the same draws as torch.nn.init under the same seed

const init = (name: string, fill: (t: Tensor) => void, ...shape: number[]): ParityCase =>
  ({ name: `init.${name}`, run: () => { const t = torch_empty(shape); fill(t); return { t }; } });
const initialisers: ParityCase[] = [
  init('kaiming_uniform', (t) => nn_init_kaiming_uniform_(t), 30, 20),
  init('kaiming_uniform.fan_out', (t) => nn_init_kaiming_uniform_(t, { a: 0.1, mode: 'fan_out', nonlinearity: 'leaky_relu' }), 6, 4, 3),
  init('kaiming_normal', (t) => nn_init_kaiming_normal_(t), 30, 20),
  init('kaiming_normal.relu', (t) => nn_init_kaiming_normal_(t, { mode: 'fan_out', nonlinearity: 'relu' }), 8, 3, 3, 3),
  init('xavier_uniform', (t) => nn_init_xavier_uniform_(t, 2), 12, 7),
  init('xavier_normal', (t) => nn_init_xavier_normal_(t, 0.5), 12, 7),
  init('uniform', (t) => nn_init_uniform_(t, -3, 2), 40),
  init('normal', (t) => nn_init_normal_(t, 1, 0.1), 40),
  init('constant', (t) => nn_init_constant_(t, 0.3), 5),
  // Zero-element tensors: kaiming returns them untouched; xavier needs fan_in + fan_out > 0 only.
  init('kaiming_uniform.empty', (t) => nn_init_kaiming_uniform_(t), 0, 4),
  init('kaiming_normal.empty_1d', (t) => nn_init_kaiming_normal_(t), 0),
  init('xavier_uniform.empty', (t) => nn_init_xavier_uniform_(t), 0, 4),
  init('normal.empty', (t) => nn_init_normal_(t), 3, 0),
];

parity_suite('nn layer parity with PyTorch', [...dense, ...elementwise, ...attentions, ...initialisers]);
