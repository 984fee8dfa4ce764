// Parity of the normalisation, pooling and recurrent layers (src/nn/{normalization,pooling,
// recurrent}.ts) and of module hooks with Python PyTorch: made under the same seed, each
// layer has the same parameters, and its outputs, gradients and buffers (running statistics)
// are the same, in training and in eval mode. Twins: the @case of the same name in cases_layers.py.
import {
  nn_adaptive_avg_pool1d, nn_adaptive_avg_pool2d, nn_adaptive_max_pool1d, nn_adaptive_max_pool2d, nn_avg_pool1d, nn_avg_pool2d,
  nn_batch_norm1d, nn_batch_norm2d, nn_group_norm, nn_gru, nn_linear, nn_lstm, nn_max_pool1d, nn_max_pool2d, nn_Module, nn_rms_norm,
  nnf_adaptive_max_pool2d, nnf_avg_pool2d, nnf_batch_norm, nnf_group_norm, nnf_max_pool2d, nnf_rms_norm, torch_ones, torch_randn,
  type Tensor,
} from '../../src/index.js';
import { forward_backward, parity_suite, type ParityCase, type Tensors } from './harness.js';

const randn = (...shape: number[]): Tensor => torch_randn(shape);
const x = (...shape: number[]) => (): Tensors => ({ x: randn(...shape) });

type Forward = (module: any, inputs: Tensors) => Tensors;
const call: Forward = (module, { x }) => ({ y: module(x) });

/** A case whose module is made inside run, after torch_manual_seed(0), as its Python twin's is. */
function steps(name: string, make: () => nn_Module, inputs: () => Tensors, forward: Forward, grad = ['x']): ParityCase {
  return { name: `layers.${name}`, inputs, grad, run: (given) => {
    const module = make();
    return forward_backward(module, forward(module, given), { buffers: true });
  } };
}

/** `steps` with one forward call on `x`, unless stated. */
function layer(name: string, make: () => nn_Module, inputs: () => Tensors, options: { forward?: Forward; grad?: string[] } = {}): ParityCase {
  return steps(name, make, inputs, options.forward ?? call, options.grad);
}

// Two training steps on different batches, then eval on a third: the running statistics
// after each step decide the eval output.
const trainTwiceThenEval: Forward = (module, { a, b, c }) => {
  const first = module(a);
  const second = module(b);
  module.eval();
  return { first, second, eval: module(c) };
};
const batches = (...shape: number[]) => (): Tensors => ({ a: randn(...shape), b: randn(...shape), c: randn(...shape) });

// ---- normalisation

const normalization: ParityCase[] = [
  steps('batch_norm1d.train', () => nn_batch_norm1d(3), x(4, 3), call),
  steps('batch_norm1d.train.3d', () => nn_batch_norm1d(3), x(4, 3, 5), call),
  steps('batch_norm1d.steps', () => nn_batch_norm1d(3), batches(6, 3), trainTwiceThenEval, ['a', 'b', 'c']),
  steps('batch_norm1d.cumulative', () => nn_batch_norm1d(3, { momentum: null, eps: 1e-3 }), batches(5, 3, 2), trainTwiceThenEval, ['a', 'b', 'c']),
  steps('batch_norm1d.no_affine', () => nn_batch_norm1d(4, { affine: false, momentum: 0.3 }), batches(3, 4), trainTwiceThenEval, ['a', 'b', 'c']),
  // Without running statistics, eval mode normalises with the batch's, as in training.
  steps('batch_norm1d.untracked', () => nn_batch_norm1d(4, { track_running_stats: false }), batches(3, 4), trainTwiceThenEval, ['a', 'b', 'c']),
  steps('batch_norm2d.steps', () => nn_batch_norm2d(3), batches(2, 3, 4, 5), trainTwiceThenEval, ['a', 'b', 'c']),
  steps('batch_norm2d.eval', () => nn_batch_norm2d(2).eval(), x(2, 2, 3, 3), call),
  { name: 'layers.functional.batch_norm.train', grad: ['x', 'weight', 'bias'],
    inputs: () => ({ x: randn(5, 3, 4), weight: randn(3), bias: randn(3), mean: randn(3), variance: torch_ones(3) }),
    run: ({ x, weight, bias, mean, variance }) => ({ y: nnf_batch_norm(x!, mean!, variance!, { weight, bias, training: true, momentum: 0.2, eps: 1e-4 }), mean: mean!, variance: variance! }) },
  { name: 'layers.functional.batch_norm.eval', grad: ['x', 'weight'],
    inputs: () => ({ x: randn(5, 3), weight: randn(3), mean: randn(3), variance: torch_ones(3).add(randn(3).abs()) }),
    run: ({ x, weight, mean, variance }) => ({ y: nnf_batch_norm(x!, mean!, variance!, { weight }) }) },
  steps('group_norm', () => nn_group_norm(2, 4), x(3, 4, 5), call),
  steps('group_norm.2d', () => nn_group_norm(3, 6, { eps: 1e-3 }), x(2, 6, 3, 4), call),
  steps('group_norm.no_affine', () => nn_group_norm(1, 3, { affine: false }), x(2, 3, 4), call),
  { name: 'layers.functional.group_norm', grad: ['x', 'weight', 'bias'], inputs: () => ({ x: randn(2, 4, 6), weight: randn(4), bias: randn(4) }),
    run: ({ x, weight, bias }) => ({ y: nnf_group_norm(x!, 2, { weight, bias }) }) },
  steps('rms_norm', () => nn_rms_norm(6), x(3, 4, 6), call),
  steps('rms_norm.shape', () => nn_rms_norm([4, 6], { eps: 1e-3 }), x(3, 4, 6), call),
  steps('rms_norm.no_affine', () => nn_rms_norm(5, { elementwise_affine: false }), x(4, 5), call),
  steps('rms_norm.float64', () => nn_rms_norm(5, { dtype: 'float64' }), () => ({ x: randn(4, 5).double() }), call),
  { name: 'layers.functional.rms_norm', grad: ['x', 'weight'], inputs: () => ({ x: randn(4, 6), weight: randn(6) }),
    run: ({ x, weight }) => ({ y: nnf_rms_norm(x!, [6], { weight, eps: 1e-5 }) }) },
];

// ---- pooling

const indices = (module: any, { x }: Tensors): Tensors => {
  const [y, index] = module(x);
  return { y, index };
};

const pooling: ParityCase[] = [
  layer('max_pool1d', () => nn_max_pool1d(2), x(2, 3, 9)),
  layer('max_pool1d.options', () => nn_max_pool1d(3, { stride: 2, padding: 1, dilation: 2, ceil_mode: true }), x(2, 3, 10)),
  layer('max_pool1d.indices', () => nn_max_pool1d(3, { stride: 1, return_indices: true }), x(2, 3, 7), { forward: indices }),
  layer('max_pool1d.unbatched', () => nn_max_pool1d(2), x(3, 8)),
  // Without gradients, PyTorch's max_pool takes another kernel.
  layer('max_pool1d.no_grad', () => nn_max_pool1d(2, { stride: 1 }), x(2, 3, 9), { grad: [] }),
  layer('max_pool2d', () => nn_max_pool2d(2), x(2, 3, 6, 6)),
  layer('max_pool2d.options', () => nn_max_pool2d([3, 2], { stride: [2, 1], padding: [1, 0], dilation: [1, 2], ceil_mode: true }), x(2, 2, 7, 8)),
  layer('max_pool2d.indices', () => nn_max_pool2d(2, { return_indices: true }), x(1, 2, 5, 5), { forward: indices }),
  layer('max_pool2d.no_grad', () => nn_max_pool2d(3, { stride: 2, padding: 1 }), x(2, 3, 8, 8), { grad: [] }),
  { name: 'layers.functional.max_pool2d.indices', inputs: x(2, 2, 6, 5), grad: ['x'], run: ({ x }) => {
    const [y, index] = nnf_max_pool2d(x!, 2, { stride: 1, return_indices: true });
    return { y, index };
  } },
  layer('avg_pool1d', () => nn_avg_pool1d(3), x(2, 3, 9)),
  layer('avg_pool1d.options', () => nn_avg_pool1d(3, { stride: 2, padding: 1, ceil_mode: true, count_include_pad: false }), x(2, 3, 10)),
  layer('avg_pool2d', () => nn_avg_pool2d(2), x(2, 3, 6, 6)),
  layer('avg_pool2d.options', () => nn_avg_pool2d([3, 2], { stride: [1, 2], padding: [1, 1], ceil_mode: true, count_include_pad: false }), x(2, 2, 5, 7)),
  layer('avg_pool2d.divisor_override', () => nn_avg_pool2d(3, { stride: 1, padding: 1, divisor_override: 4 }), x(1, 2, 5, 5)),
  { name: 'layers.functional.avg_pool2d.unbatched', inputs: x(3, 6, 6), grad: ['x'], run: ({ x }) => ({ y: nnf_avg_pool2d(x!, 2, { stride: 2 }) }) },
  layer('adaptive_avg_pool1d', () => nn_adaptive_avg_pool1d(4), x(2, 3, 10)),
  layer('adaptive_avg_pool2d', () => nn_adaptive_avg_pool2d([3, 2]), x(2, 3, 7, 5)),
  layer('adaptive_avg_pool2d.none', () => nn_adaptive_avg_pool2d([null, 3]), x(2, 3, 4, 7)),
  layer('adaptive_avg_pool2d.global', () => nn_adaptive_avg_pool2d(1), x(3, 6, 5)),
  layer('adaptive_max_pool1d', () => nn_adaptive_max_pool1d(3), x(2, 3, 10)),
  layer('adaptive_max_pool1d.indices', () => nn_adaptive_max_pool1d(4, { return_indices: true }), x(2, 3, 9), { forward: indices }),
  layer('adaptive_max_pool2d', () => nn_adaptive_max_pool2d([2, 3]), x(2, 3, 7, 8)),
  layer('adaptive_max_pool2d.indices', () => nn_adaptive_max_pool2d(3, { return_indices: true }), x(1, 2, 7, 7), { forward: indices }),
  { name: 'layers.functional.adaptive_max_pool2d.none', inputs: x(2, 3, 5, 6), grad: ['x'], run: ({ x }) => ({ y: nnf_adaptive_max_pool2d(x!, [2, null]) }) },
];

// ---- recurrent

const lstm: Forward = (module, { x, h, c }) => {
  const [y, [h_n, c_n]] = module(x, h === undefined ? undefined : [h, c]);
  return { y, h_n, c_n };
};
const gru: Forward = (module, { x, h }) => {
  const [y, h_n] = module(x, h);
  return { y, h_n };
};
// sequence 5, batch 3, features 4 (batch first when batch_first)
const sequence = x(5, 3, 4);

const recurrent: ParityCase[] = [
  steps('lstm', () => nn_lstm(4, 6), sequence, lstm),
  steps('lstm.layers.bidirectional', () => nn_lstm(4, 5, { num_layers: 2, bidirectional: true }), sequence, lstm),
  steps('lstm.batch_first.no_bias', () => nn_lstm(4, 3, { batch_first: true, bias: false }), x(3, 5, 4), lstm),
  steps('lstm.hx', () => nn_lstm(4, 5, { num_layers: 2 }), () => ({ x: randn(5, 3, 4), h: randn(2, 3, 5), c: randn(2, 3, 5) }), lstm, ['x', 'h', 'c']),
  steps('lstm.unbatched', () => nn_lstm(4, 5, { bidirectional: true }), () => ({ x: randn(6, 4), h: randn(2, 5), c: randn(2, 5) }), lstm, ['x', 'h', 'c']),
  // Dropout between layers draws its masks from the generator, after the parameters' draws.
  steps('lstm.dropout.train', () => nn_lstm(4, 5, { num_layers: 3, dropout: 0.4 }), sequence, lstm),
  // proj_size: weight_hr_l{k} after the biases, h of proj_size features, c of hidden_size.
  steps('lstm.proj_size', () => nn_lstm(4, 6, { num_layers: 2, bidirectional: true, proj_size: 3 }), sequence, lstm),
  steps('lstm.proj_size.hx', () => nn_lstm(4, 5, { proj_size: 2, bias: false, batch_first: true }), () => ({ x: randn(3, 5, 4), h: randn(1, 3, 2), c: randn(1, 3, 5) }), lstm, ['x', 'h', 'c']),
  steps('lstm.dropout.eval', () => nn_lstm(4, 5, { num_layers: 3, dropout: 0.4 }).eval(), sequence, lstm),
  steps('gru', () => nn_gru(4, 6), sequence, gru),
  steps('gru.layers.bidirectional', () => nn_gru(4, 5, { num_layers: 2, bidirectional: true, batch_first: true }), x(3, 5, 4), gru),
  steps('gru.no_bias.hx', () => nn_gru(4, 3, { bias: false }), () => ({ x: randn(5, 3, 4), h: randn(1, 3, 3) }), gru, ['x', 'h']),
  steps('gru.unbatched', () => nn_gru(4, 5, { num_layers: 2, batch_first: true }), () => ({ x: randn(6, 4), h: randn(2, 5) }), gru, ['x', 'h']),
  steps('gru.dropout.train', () => nn_gru(4, 5, { num_layers: 2, dropout: 0.5, bidirectional: true }), sequence, gru),
];

// ---- hooks: a pre-hook that replaces the input, a forward hook that replaces the output

class Hooked extends nn_Module {
  fc = nn_linear(4, 3);
  constructor() {
    super();
    this.fc.register_forward_pre_hook((_module, [input]) => (input as Tensor).mul(2));
    this.fc.register_forward_hook((_module, _args, output: Tensor) => output.tanh());
    this.fc.register_forward_hook((_module, [input], output: Tensor) => output.add((input as Tensor).sum(-1, true)));
  }

  override forward(input: Tensor): Tensor {
    return this.fc(input);
  }
}

const hooks: ParityCase[] = [steps('hooks', () => new Hooked(), x(5, 4), call)];

parity_suite('normalisation, pooling and recurrent layer parity with PyTorch', [...normalization, ...pooling, ...recurrent, ...hooks]);
