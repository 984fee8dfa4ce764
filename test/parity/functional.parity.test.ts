// Parity of every loss and functional in src/nn/functional.ts with Python PyTorch's
// torch.nn.functional: values and gradients, each loss with each reduction.
// Twins: the @case of the same name in cases_functional.py.
import {
  nnf_binary_cross_entropy_with_logits, nnf_conv1d, nnf_conv2d, nnf_cross_entropy, nnf_dropout, nnf_embedding,
  nnf_gelu, nnf_l1_loss, nnf_layer_norm, nnf_linear, nnf_log_softmax, nnf_mse_loss, nnf_relu, nnf_softmax,
  torch_rand, torch_randint, torch_randn, torch_tensor, torch_zeros, type Reduction, type Tensor,
} from '../../src/index.js';
import { parity_suite, type ParityCase, type Tensors } from './harness.js';

const randn = (...shape: number[]): Tensor => torch_randn(shape);
const classes = (high: number, ...shape: number[]): Tensor => torch_randint(0, high, shape);

// ---- losses, each with each reduction

const REDUCTIONS: Reduction[] = ['none', 'mean', 'sum'];
type Loss = (inputs: Tensors, reduction: Reduction) => Tensor;
const loss = (name: string, inputs: () => Tensors, grad: string[], compute: Loss): ParityCase[] =>
  REDUCTIONS.map((reduction) => ({ name: `nnf.${name}.${reduction}`, inputs, grad, run: (t) => ({ loss: compute(t, reduction) }) }));

const regression = (): Tensors => ({ input: randn(4, 5), target: randn(4, 5) });
const logits = (): Tensors => ({ input: randn(6, 5), target: classes(5, 6) });
const binary = (): Tensors => ({ input: randn(6, 3).mul(2), target: torch_rand(6, 3) });

const losses: ParityCase[] = [
  ...loss('mse_loss', regression, ['input', 'target'], ({ input, target }, reduction) => nnf_mse_loss(input!, target!, { reduction })),
  ...loss('mse_loss.broadcast', () => ({ input: randn(4, 1), target: randn(4, 5) }), ['input', 'target'],
    ({ input, target }, reduction) => nnf_mse_loss(input!, target!, { reduction })),
  ...loss('l1_loss', regression, ['input', 'target'], ({ input, target }, reduction) => nnf_l1_loss(input!, target!, { reduction })),
  ...loss('l1_loss.broadcast', () => ({ input: randn(3, 4), target: randn(2, 1, 4) }), ['input', 'target'],
    ({ input, target }, reduction) => nnf_l1_loss(input!, target!, { reduction })),
  ...loss('cross_entropy', logits, ['input'], ({ input, target }, reduction) => nnf_cross_entropy(input!, target!, { reduction })),
  ...loss('cross_entropy.weight', () => ({ ...logits(), weight: torch_rand(5).add(0.5) }), ['input'],
    ({ input, target, weight }, reduction) => nnf_cross_entropy(input!, target!, { weight, reduction })),
  ...loss('cross_entropy.ignore_index', () => ({ input: randn(6, 4), target: torch_tensor([0, 2, 1, 2, 3, 0], { dtype: 'int64' }) }), ['input'],
    ({ input, target }, reduction) => nnf_cross_entropy(input!, target!, { ignore_index: 2, reduction })),
  ...loss('cross_entropy.label_smoothing', () => ({ ...logits(), weight: torch_rand(5).add(0.5) }), ['input'],
    ({ input, target, weight }, reduction) => nnf_cross_entropy(input!, target!, { weight, label_smoothing: 0.1, reduction })),
  ...loss('cross_entropy.probabilities', () => ({ input: randn(6, 5), target: randn(6, 5).softmax(1) }), ['input', 'target'],
    ({ input, target }, reduction) => nnf_cross_entropy(input!, target!, { label_smoothing: 0.2, reduction })),
  ...loss('cross_entropy.spatial', () => ({ input: randn(2, 4, 3, 5), target: classes(4, 2, 3, 5) }), ['input'],
    ({ input, target }, reduction) => nnf_cross_entropy(input!, target!, { reduction })),
  ...loss('binary_cross_entropy_with_logits', binary, ['input', 'target'],
    ({ input, target }, reduction) => nnf_binary_cross_entropy_with_logits(input!, target!, { reduction })),
  ...loss('binary_cross_entropy_with_logits.weights', () => ({ ...binary(), weight: torch_rand(6, 1), pos_weight: torch_rand(3).mul(3) }),
    ['input', 'target'],
    ({ input, target, weight, pos_weight }, reduction) => nnf_binary_cross_entropy_with_logits(input!, target!, { weight, pos_weight, reduction })),
];

// ---- activations and dropout

const x = (...shape: number[]) => (): Tensors => ({ x: randn(...shape).mul(3) });
const activations: ParityCase[] = [
  { name: 'nnf.relu', inputs: x(4, 6), grad: ['x'], run: ({ x }) => ({ y: nnf_relu(x!) }) },
  { name: 'nnf.gelu', inputs: x(4, 6), grad: ['x'], run: ({ x }) => ({ y: nnf_gelu(x!), tanh: nnf_gelu(x!, { approximate: 'tanh' }) }) },
  { name: 'nnf.softmax', inputs: x(3, 4, 5), grad: ['x'], run: ({ x }) => ({
    last: nnf_softmax(x!, -1), first: nnf_softmax(x!, 0), double: nnf_softmax(x!, 1, { dtype: 'float64' }),
  }) },
  { name: 'nnf.log_softmax', inputs: x(3, 4, 5), grad: ['x'], run: ({ x }) => ({
    last: nnf_log_softmax(x!, -1), first: nnf_log_softmax(x!, 0), double: nnf_log_softmax(x!, 1, { dtype: 'float64' }),
  }) },
  // One draw after another from the generator: each mask must match PyTorch's.
  { name: 'nnf.dropout', inputs: x(10, 20), grad: ['x'], run: ({ x }) => ({
    default: nnf_dropout(x!), small: nnf_dropout(x!.index('0:2', '0:3'), { p: 0.2 }), eval: nnf_dropout(x!, { p: 0.4, training: false }),
    none: nnf_dropout(x!, { p: 0 }), all: nnf_dropout(x!, { p: 1 }), after: nnf_dropout(x!, { p: 0.7 }),
  }) },
];

// ---- the layers' computations

const layers: ParityCase[] = [
  { name: 'nnf.linear', inputs: () => ({ x: randn(2, 3, 5), w: randn(4, 5), b: randn(4) }), grad: ['x', 'w', 'b'], run: ({ x, w, b }) => ({
    bias: nnf_linear(x!, w!, b!), no_bias: nnf_linear(x!.index(0), w!), vector: nnf_linear(x!.index(0, 0), w!, b!),
  }) },
  { name: 'nnf.embedding', inputs: () => ({ i: classes(7, 3, 4), w: randn(7, 3) }), grad: ['w'], run: ({ i, w }) => ({
    plain: nnf_embedding(i!, w!), padding: nnf_embedding(i!, w!, { padding_idx: 2 }), negative_padding: nnf_embedding(i!, w!, { padding_idx: -1 }),
    by_freq: nnf_embedding(i!, w!, { scale_grad_by_freq: true }),
  }) },
  // A sparse gradient cannot cross as a file: backward here, and compare it densified.
  { name: 'nnf.embedding.sparse', inputs: () => ({ i: classes(7, 3, 4), w: randn(7, 3) }), run: ({ i, w }) => {
    w!.requires_grad_();
    const y = nnf_embedding(i!, w!, { sparse: true, padding_idx: 0 });
    y.backward(torch_randn(y.shape));
    return { y: y.detach(), grad: torch_zeros(w!.shape).add(w!.grad!) };
  } },
  { name: 'nnf.conv1d', inputs: () => ({ x: randn(2, 4, 10), w: randn(6, 2, 3), b: randn(6) }), grad: ['x', 'w', 'b'], run: ({ x, w, b }) => ({
    plain: nnf_conv1d(x!, w!, { bias: b!, groups: 2 }), strided: nnf_conv1d(x!, w!, { stride: 3, padding: 1, dilation: 2, groups: 2 }),
    same: nnf_conv1d(x!, w!, { bias: b!, padding: 'same', groups: 2 }), valid: nnf_conv1d(x!, w!, { padding: 'valid', groups: 2 }),
  }) },
  { name: 'nnf.conv2d', inputs: () => ({ x: randn(2, 3, 7, 6), w: randn(4, 3, 3, 2), b: randn(4) }), grad: ['x', 'w', 'b'], run: ({ x, w, b }) => ({
    plain: nnf_conv2d(x!, w!, { bias: b! }), strided: nnf_conv2d(x!, w!, { stride: [2, 1], padding: [1, 2], dilation: [1, 2] }),
    same: nnf_conv2d(x!, w!, { bias: b!, padding: 'same' }), valid: nnf_conv2d(x!, w!, { padding: 'valid' }),
  }) },
  { name: 'nnf.layer_norm', inputs: () => ({ x: randn(3, 4, 5).mul(2).add(1), w: randn(5), b: randn(5), w2: randn(4, 5) }), grad: ['x', 'w', 'b', 'w2'],
    run: ({ x, w, b, w2 }) => ({
      affine: nnf_layer_norm(x!, [5], { weight: w!, bias: b! }), plain: nnf_layer_norm(x!, [5]), eps: nnf_layer_norm(x!, [4, 5], { weight: w2!, eps: 0.1 }),
    }) },
];

parity_suite('nnf_* parity with PyTorch', [...losses, ...activations, ...layers]);
