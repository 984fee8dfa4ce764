// Parity of the activations (src/nn/functional_activations.ts, activations_pointwise.ts,
// activations.ts) with Python PyTorch: every nnf_ function and its module, values and
// gradients, and `inplace: true` computed on the input itself (a non-leaf copy of x, as in
// PyTorch an in-place op on a leaf that requires grad is refused), gradients included.
// Twins: the @case of the same name in cases_activations.py.
import {
  nn_celu, nn_elu, nn_glu, nn_hardshrink, nn_hardsigmoid, nn_hardswish, nn_hardtanh, nn_leaky_relu, nn_log_softmax, nn_logsigmoid, nn_mish,
  nn_prelu, nn_relu, nn_relu6, nn_rrelu, nn_selu, nn_silu, nn_softmax2d, nn_softmin, nn_softplus, nn_softshrink, nn_softsign, nn_tanhshrink,
  nn_threshold, nn_unflatten, nnf_celu, nnf_elu, nnf_glu, nnf_hardshrink, nnf_hardsigmoid, nnf_hardswish, nnf_hardtanh, nnf_leaky_relu,
  nnf_log_softmax, nnf_logsigmoid, nnf_mish, nnf_prelu, nnf_relu, nnf_relu6, nnf_rrelu, nnf_selu, nnf_sigmoid, nnf_silu, nnf_softmax,
  nnf_softmin, nnf_softplus, nnf_softshrink, nnf_softsign, nnf_tanh, nnf_tanhshrink, nnf_threshold, torch_randn, type nn_Module, type Tensor,
  nnf_elu_, nnf_gumbel_softmax, nnf_hardtanh_, nnf_relu_, nnf_rrelu_, nnf_selu_, nnf_threshold_, nn_log_sigmoid, nnf_celu_, torch_stack,
} from '../../src/index.js';
import { forward_backward, parity_suite, type ParityCase, type Tensors } from './harness.js';

const x = (...shape: number[]) => (): Tensors => ({ x: torch_randn(shape).mul(3) });
type Fn = (x: Tensor) => Tensor;

/** `fn(x)` and, for functions with `inplace`, `fn` applied to a copy of x in place (the copy returned). */
function pointwise(name: string, fn: Fn, inplace?: Fn): ParityCase {
  return { name: `activations.${name}`, inputs: x(4, 5), grad: ['x'], run: ({ x }) => {
    const outputs: Tensors = { y: fn(x!) };
    if (inplace !== undefined) {
      const copy = x!.mul(1);
      const result = inplace(copy);
      if (result !== copy) throw new Error(`${name} with inplace returned a new tensor`);
      outputs.inplace = copy;
    }
    return outputs;
  } };
}

const functions: ParityCase[] = [
  pointwise('relu', (t) => nnf_relu(t), (t) => nnf_relu(t, { inplace: true })),
  pointwise('relu6', (t) => nnf_relu6(t), (t) => nnf_relu6(t, { inplace: true })),
  pointwise('silu', (t) => nnf_silu(t), (t) => nnf_silu(t, { inplace: true })),
  pointwise('mish', (t) => nnf_mish(t), (t) => nnf_mish(t, { inplace: true })),
  pointwise('selu', (t) => nnf_selu(t), (t) => nnf_selu(t, { inplace: true })),
  pointwise('hardswish', (t) => nnf_hardswish(t), (t) => nnf_hardswish(t, { inplace: true })),
  pointwise('hardsigmoid', (t) => nnf_hardsigmoid(t), (t) => nnf_hardsigmoid(t, { inplace: true })),
  pointwise('elu', (t) => nnf_elu(t, { alpha: 0.7 }), (t) => nnf_elu(t, { inplace: true })),
  pointwise('celu', (t) => nnf_celu(t, { alpha: 2 }), (t) => nnf_celu(t, { alpha: 0.5, inplace: true })),
  pointwise('leaky_relu', (t) => nnf_leaky_relu(t), (t) => nnf_leaky_relu(t, { negative_slope: 0.2, inplace: true })),
  pointwise('hardtanh', (t) => nnf_hardtanh(t), (t) => nnf_hardtanh(t, { min_val: -2, max_val: 3, inplace: true })),
  pointwise('threshold', (t) => nnf_threshold(t, 0.5, -7), (t) => nnf_threshold(t, -1, 2, { inplace: true })),
  pointwise('rrelu.eval', (t) => nnf_rrelu(t), (t) => nnf_rrelu(t, { lower: 0.1, upper: 0.5, inplace: true })),
  pointwise('rrelu.train', (t) => nnf_rrelu(t, { training: true })),
  pointwise('softplus', (t) => nnf_softplus(t).add(nnf_softplus(t, { beta: 2, threshold: 3 }).mul(10))),
  pointwise('hardshrink', (t) => nnf_hardshrink(t).add(nnf_hardshrink(t, { lambd: 2 }).mul(10))),
  pointwise('softshrink', (t) => nnf_softshrink(t).add(nnf_softshrink(t, { lambd: 2 }).mul(10))),
  pointwise('relu_', (t) => nnf_relu(t), nnf_relu_),
  pointwise('elu_', (t) => nnf_elu(t, { alpha: 0.5 }), (t) => nnf_elu_(t, { alpha: 0.5 })),
  pointwise('selu_', (t) => nnf_selu(t), nnf_selu_),
  pointwise('hardtanh_', (t) => nnf_hardtanh(t, { min_val: 0 }), (t) => nnf_hardtanh_(t, { min_val: 0 })),
  pointwise('threshold_', (t) => nnf_threshold(t, 0, -1), (t) => nnf_threshold_(t, 0, -1)),
  pointwise('rrelu_', (t) => nnf_rrelu(t), (t) => nnf_rrelu_(t, { training: true })),
  pointwise('celu_', (t) => nnf_celu(t, 2), (t) => nnf_celu_(t, 2)),
  // R's and PyTorch's positional forms: nnf_elu(x, 0.5) is F.elu(x, 0.5).
  pointwise('positional', (t) => torch_stack([
    nnf_elu(t, 0.5), nnf_celu(t, 2), nnf_leaky_relu(t, 0.2), nnf_hardtanh(t, -2, 3), nnf_softplus(t, 2, 3), nnf_hardshrink(t, 2), nnf_softshrink(t, 2),
    nnf_rrelu(t, 0.1, 0.5), nnf_threshold(t, 0.5, -7, false), nnf_relu(t, false),
  ]), (t) => nnf_leaky_relu(t, 0.2, true)),
  pointwise('gumbel_softmax', (t) => nnf_gumbel_softmax(t, { tau: 0.5 }).add(nnf_gumbel_softmax(t, { hard: true, dim: 0 }).mul(10))),
  pointwise('sigmoid', nnf_sigmoid),
  pointwise('tanh', nnf_tanh),
  pointwise('logsigmoid', nnf_logsigmoid),
  pointwise('softsign', nnf_softsign),
  pointwise('tanhshrink', nnf_tanhshrink),
  { name: 'activations.glu', inputs: x(4, 6), grad: ['x'], run: ({ x }) => ({ last: nnf_glu(x!), first: nnf_glu(x!, { dim: 0 }) }) },
  { name: 'activations.softmin', inputs: x(3, 4), grad: ['x'], run: ({ x }) => ({
    last: nnf_softmin(x!, -1), named: nnf_softmin(x!, { dim: 0 }), double: nnf_softmin(x!, 1, { dtype: 'float64' }),
  }) },
  // The options form of R's named arguments gives the positional form's result.
  { name: 'activations.softmax.named', inputs: x(3, 4), grad: ['x'], run: ({ x }) => ({
    softmax: nnf_softmax(x!, { dim: 0 }), log_softmax: nnf_log_softmax(x!, { dim: 1, dtype: 'float64' }),
  }) },
  { name: 'activations.prelu', inputs: () => ({ x: torch_randn(2, 3, 4), one: torch_randn(1), each: torch_randn(3) }), grad: ['x', 'one', 'each'],
    run: ({ x, one, each }) => ({ one: nnf_prelu(x!, one!), each: nnf_prelu(x!, each!) }) },
];

const call = (name: string, make: () => nn_Module, inputs = x(2, 3, 4)): ParityCase => ({ name: `activations.module.${name}`, inputs, grad: ['x'], run: ({ x }) => {
  const module = make();
  return forward_backward(module, { y: module(x) });
} });

const modules: ParityCase[] = [
  call('relu6', () => nn_relu6()),
  call('elu', () => nn_elu({ alpha: 0.3 })),
  call('celu', () => nn_celu({ alpha: 1.5 })),
  call('selu', () => nn_selu()),
  call('leaky_relu', () => nn_leaky_relu({ negative_slope: 0.1 })),
  call('hardtanh', () => nn_hardtanh({ min_val: -0.5, max_val: 0.5 })),
  call('hardswish', () => nn_hardswish()),
  call('hardsigmoid', () => nn_hardsigmoid()),
  call('mish', () => nn_mish()),
  call('softplus', () => nn_softplus({ beta: 0.5 })),
  call('hardshrink', () => nn_hardshrink({ lambd: 1 })),
  call('softshrink', () => nn_softshrink({ lambd: 1 })),
  call('threshold', () => nn_threshold(0, -1)),
  call('glu', () => nn_glu({ dim: 1 }), x(2, 4, 3)),
  call('logsigmoid', () => nn_logsigmoid()),
  call('log_sigmoid', () => nn_log_sigmoid()),
  // Positional constructor arguments, as R and PyTorch take them.
  call('elu.positional', () => nn_elu(0.3)),
  call('celu.positional', () => nn_celu(1.5)),
  call('leaky_relu.positional', () => nn_leaky_relu(0.1)),
  call('hardtanh.positional', () => nn_hardtanh(-0.5, 0.5)),
  call('softplus.positional', () => nn_softplus(0.5, 1)),
  call('hardshrink.positional', () => nn_hardshrink(1)),
  call('glu.positional', () => nn_glu(1), x(2, 4, 3)),
  call('prelu.positional', () => nn_prelu(3, 0.1)),
  call('softsign', () => nn_softsign()),
  call('tanhshrink', () => nn_tanhshrink()),
  call('softmin', () => nn_softmin(1)),
  call('log_softmax', () => nn_log_softmax(-1)),
  call('softmax2d', () => nn_softmax2d()),
  call('unflatten', () => nn_unflatten(2, [2, -1])),
  call('prelu', () => nn_prelu()),
  call('prelu.channels', () => nn_prelu({ num_parameters: 3, init: 0.1 })),
  call('rrelu.train', () => nn_rrelu({ lower: 0.2, upper: 0.4 })),
  call('rrelu.eval', () => nn_rrelu().eval()),
  // An inplace module changes its input (here a non-leaf copy) and returns it.
  ...[['relu', () => nn_relu({ inplace: true })], ['silu', () => nn_silu({ inplace: true })], ['elu', () => nn_elu({ inplace: true })],
    ['leaky_relu', () => nn_leaky_relu({ inplace: true })], ['hardtanh', () => nn_hardtanh({ inplace: true })],
    ['relu6', () => nn_relu6(true)], ['selu', () => nn_selu(true)], ['hardswish', () => nn_hardswish(true)], ['hardsigmoid', () => nn_hardsigmoid(true)],
    ['mish', () => nn_mish(true)], ['celu', () => nn_celu(1.5, true)], ['threshold', () => nn_threshold(0.1, 20, true)],
    ['rrelu', () => nn_rrelu(0.1, 0.3, true).eval()]].map(([name, make]) => ({
    name: `activations.module.${name as string}.inplace`, inputs: x(3, 4), grad: ['x'], run: ({ x }: Tensors) => {
      const copy = x!.mul(1);
      const y = (make as () => nn_Module)()(copy);
      if (y !== copy) throw new Error(`${name as string} with inplace returned a new tensor`);
      return { y: copy };
    } })),
];

parity_suite('activations parity with PyTorch', [...functions, ...modules]);
