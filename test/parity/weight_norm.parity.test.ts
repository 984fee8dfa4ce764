// Parity of nn_utils_weight_norm and nn_utils_remove_weight_norm (src/nn/weight_norm.ts) with
// Python PyTorch's torch.nn.utils.weight_norm: the same weight_g and weight_v, outputs and
// gradients over two forwards (the weight recomputed before each), and the weight left by
// remove_weight_norm. Twins: the @case of the same name in cases_weight_norm.py.
import {
  nn_conv1d, nn_linear, nn_utils_remove_weight_norm, nn_utils_weight_norm, torch_randn, type nn_Module, type Tensor,
} from '../../src/index.js';
import { forward_backward, parity_suite, type ParityCase, type Tensors } from './harness.js';

const randn = (...shape: number[]): Tensor => torch_randn(shape);

function normed(name: string, make: () => nn_Module, inputs: () => Tensors): ParityCase {
  return { name: `weight_norm.${name}`, inputs, grad: ['a', 'b'], run: ({ a, b }) => {
    const module = make();
    // A change to weight_v after weight_norm must reach the next forward's weight.
    (module as any).weight_v.detach().mul_(1.5);
    const first = module(a);
    const outputs = forward_backward(module, { first, second: module(b) });
    nn_utils_remove_weight_norm(module);
    return { ...outputs, removed: (module as any).weight.detach() };
  } };
}

parity_suite('weight norm parity with PyTorch', [
  normed('linear', () => nn_utils_weight_norm(nn_linear(4, 3)), () => ({ a: randn(2, 4), b: randn(5, 4) })),
  normed('linear.dim1', () => nn_utils_weight_norm(nn_linear(4, 3), { dim: 1 }), () => ({ a: randn(2, 4), b: randn(5, 4) })),
  normed('linear.whole', () => nn_utils_weight_norm(nn_linear(4, 3, { bias: false }), { dim: null }), () => ({ a: randn(2, 4), b: randn(5, 4) })),
  normed('conv1d', () => nn_utils_weight_norm(nn_conv1d(2, 3, 2)), () => ({ a: randn(1, 2, 5), b: randn(2, 2, 4) })),
]);
