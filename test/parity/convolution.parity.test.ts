// Parity of the 3-d and transposed convolutions (src/nn/convolution.ts), batch norm 3d,
// channel dropout (src/nn/dropout.ts), nnf_cosine_similarity and nn_init_eye_ with Python
// PyTorch: modules made under the same seed have the same parameters, and the same outputs,
// gradients and buffers. Twins: the @case of the same name in cases_convolution.py.
import {
  nn_batch_norm3d, nn_conv3d, nn_dropout, nnf_dropout, nn_conv_transpose1d, nn_conv_transpose2d, nn_conv_transpose3d, nn_dropout2d, nn_dropout3d, nn_init_eye_,
  nnf_conv_transpose1d, nnf_conv_transpose2d, nnf_conv_transpose3d, nnf_cosine_similarity, nnf_dropout2d, nnf_dropout3d, torch_empty,
  torch_randn, nnf_conv3d, type nn_Module, type Tensor,
} from '../../src/index.js';
import { forward_backward, parity_suite, type ParityCase, type Tensors } from './harness.js';

const randn = (...shape: number[]): Tensor => torch_randn(shape);
const x = (...shape: number[]) => (): Tensors => ({ x: randn(...shape) });

function layer(name: string, make: () => nn_Module, inputs: () => Tensors, forward = (m: any, t: Tensors): Tensors => ({ y: m(t.x) })): ParityCase {
  return { name: `convolution.${name}`, inputs, grad: Object.keys(inputs()).filter((k) => k !== 'target'), run: (given) => {
    const module = make();
    return forward_backward(module, forward(module, given), { buffers: true });
  } };
}

const modules: ParityCase[] = [
  layer('conv3d', () => nn_conv3d(2, 4, 3, { padding: 1 }), x(2, 2, 4, 5, 3)),
  layer('conv3d.options', () => nn_conv3d(4, 6, [2, 3, 1], { stride: [2, 1, 1], dilation: [1, 2, 1], groups: 2, bias: false }), x(1, 4, 5, 6, 3)),
  layer('conv3d.same', () => nn_conv3d(2, 3, 3, { padding: 'same' }), x(1, 2, 4, 4, 4)),
  layer('conv_transpose1d', () => nn_conv_transpose1d(4, 6, 3, { stride: 2, padding: 1, output_padding: 1, groups: 2 }), x(2, 4, 7)),
  layer('conv_transpose1d.unbatched', () => nn_conv_transpose1d(3, 2, 4, { dilation: 2, bias: false }), x(3, 5)),
  layer('conv_transpose2d', () => nn_conv_transpose2d(3, 2, 3, { stride: 2, padding: 1, output_padding: 1 }), x(2, 3, 4, 5)),
  layer('conv_transpose2d.output_size', () => nn_conv_transpose2d(2, 4, [3, 2], { stride: [3, 2] }), x(1, 2, 3, 4), (m, t) => ({ y: m(t.x, [10, 9]) })),
  layer('conv_transpose3d', () => nn_conv_transpose3d(2, 2, 2, { stride: 2 }), x(1, 2, 2, 3, 2)),
  layer('batch_norm3d', () => nn_batch_norm3d(3), () => ({ a: randn(2, 3, 2, 3, 2), b: randn(2, 3, 2, 3, 2) }),
    (m, { a, b }) => ({ first: m(a), eval: (m.eval(), m(b)) })),
  layer('dropout2d', () => nn_dropout2d(0.4), x(2, 6, 3, 3)),
  layer('dropout3d', () => nn_dropout3d(), x(2, 5, 2, 2, 2)),
  layer('dropout3d.eval', () => nn_dropout3d().eval(), x(2, 5, 2, 2, 2)),
  // R's and PyTorch's positional arguments.
  layer('conv3d.positional', () => nn_conv3d(2, 4, 3, 2, 1, 1, 1, false), x(1, 2, 4, 5, 3)),
  layer('conv_transpose2d.positional', () => nn_conv_transpose2d(3, 2, 3, 2, 1, 1), x(2, 3, 4, 5)),
  layer('batch_norm3d.positional', () => nn_batch_norm3d(3, 1e-3, 0.5), () => ({ a: randn(2, 3, 2, 3, 2), b: randn(2, 3, 2, 3, 2) }),
    (m, { a, b }) => ({ first: m(a), eval: (m.eval(), m(b)) })),
];

const functions: ParityCase[] = [
  { name: 'convolution.nnf_positional', grad: ['x', 'w', 'b', 'x2', 'w2'],
    inputs: () => ({ x: randn(1, 2, 4, 4, 4), w: randn(3, 2, 3, 3, 3), b: randn(3), x2: randn(1, 2, 3, 4), w2: randn(2, 3, 2, 2) }),
    run: ({ x, w, b, x2, w2 }) => ({
      conv3d: nnf_conv3d(x!, w!, b!, 2, 1), conv3d_dilated: nnf_conv3d(x!, w!, null, 1, 1, 2),
      conv_transpose2d: nnf_conv_transpose2d(x2!, w2!, null, 2, 1, 1), cosine: nnf_cosine_similarity(x2!, x2!.flip(3), 3, 1e-6),
    }) },
  { name: 'convolution.nnf_conv_transpose', grad: ['x1', 'w1', 'b', 'x2', 'w2', 'x3', 'w3'],
    inputs: () => ({ x1: randn(2, 4, 5), w1: randn(4, 3, 3), b: randn(6), x2: randn(1, 2, 3, 4), w2: randn(2, 3, 2, 2), x3: randn(1, 2, 2, 2, 3), w3: randn(2, 1, 2, 2, 2) }),
    run: ({ x1, w1, b, x2, w2, x3, w3 }) => ({
      one: nnf_conv_transpose1d(x1!, w1!, { bias: b, stride: 2, output_padding: 1, groups: 2, dilation: 1 }),
      two: nnf_conv_transpose2d(x2!, w2!, { stride: [1, 2], padding: [1, 0], dilation: 2 }),
      three: nnf_conv_transpose3d(x3!, w3!, { stride: 2, padding: 1, output_padding: 1 }),
    }) },
  { name: 'convolution.nnf_dropout', inputs: () => ({ x: randn(3, 4, 5, 2), v: randn(4, 2, 2, 3), l: randn(3, 4, 5) }), grad: ['x', 'v', 'l'], run: ({ x, v, l }) => {
    const copy = x!.mul(1);
    const volume = v!.mul(1);
    const plain = l!.mul(1);
    const other = x!.mul(1);
    return {
      d2: nnf_dropout2d(x!), d2_small: nnf_dropout2d(l!, { p: 0.3 }), d2_eval: nnf_dropout2d(x!, { training: false }),
      d2_inplace: nnf_dropout2d(copy, { p: 0.25, inplace: true }), d3: nnf_dropout3d(v!, { p: 0.6 }), d3_inplace: nnf_dropout3d(volume, { inplace: true }),
      d1_inplace: nnf_dropout(plain, { p: 0.3, inplace: true }), module_inplace: nn_dropout(0.4, { inplace: true })(other),
    };
  } },
  { name: 'convolution.cosine_similarity', inputs: () => ({ a: randn(4, 5), b: randn(4, 5), c: randn(1, 5) }), grad: ['a', 'b', 'c'],
    run: ({ a, b, c }) => ({ rows: nnf_cosine_similarity(a!, b!), columns: nnf_cosine_similarity(a!, b!, { dim: 0, eps: 0.5 }), broadcast: nnf_cosine_similarity(a!, c!, { dim: -1 }) }) },
  { name: 'convolution.init_eye', run: () => ({ wide: nn_init_eye_(torch_empty(3, 5)), tall: nn_init_eye_(torch_empty(4, 2)) }) },
];

parity_suite('convolution, channel dropout and batch norm 3d parity with PyTorch', [...modules, ...functions]);
