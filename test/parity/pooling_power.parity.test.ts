// Parity of power-average pooling and local response normalisation (src/nn/pooling_power.ts)
// with Python PyTorch's F.lp_pool1d/2d, F.local_response_norm and their modules: values and
// gradients. Twins: the @case of the same name in cases_pooling_power.py.
import {
  nn_local_response_norm, nn_lp_pool1d, nn_lp_pool2d, nnf_local_response_norm, nnf_lp_pool1d, nnf_lp_pool2d, torch_randn, type Tensor,
} from '../../src/index.js';
import { parity_suite, type ParityCase, type Tensors } from './harness.js';

const randn = (...shape: number[]): Tensor => torch_randn(shape);
const x = (...shape: number[]) => (): Tensors => ({ x: randn(...shape) });

// Older PyTorch raises to an infinite norm_type as to any other; 2.x takes the max of |x| (the twins use it).
const LP_POOL: ParityCase['needs'] = { torch: '2.4', why: 'its lp_pool has no case for an infinite norm_type (x.pow(inf), not the max of |x|)' };

const cases: ParityCase[] = [
  { name: 'pooling_power.lp_pool1d', needs: LP_POOL, inputs: x(2, 3, 7), grad: ['x'], run: ({ x }) => ({
    two: nnf_lp_pool1d(x!, 2, 3), strided: nnf_lp_pool1d(x!, 3, 2, { stride: 1 }), ceil: nnf_lp_pool1d(x!, 1.5, 3, { stride: 2, ceil_mode: true }),
    inf: nnf_lp_pool1d(x!, Infinity, 2), minus_inf: nnf_lp_pool1d(x!, -Infinity, 3, { stride: 2 }), module: nn_lp_pool1d(2, 2)(x!),
  }) },
  { name: 'pooling_power.lp_pool2d', needs: LP_POOL, inputs: x(2, 2, 5, 6), grad: ['x'], run: ({ x }) => ({
    two: nnf_lp_pool2d(x!, 2, 2), rect: nnf_lp_pool2d(x!, 4, [2, 3], { stride: [1, 2] }), unbatched: nnf_lp_pool2d(x!.index(0), 2, 3, { ceil_mode: true }),
    inf: nnf_lp_pool2d(x!, Infinity, 2), module: nn_lp_pool2d(1, [3, 2], { stride: 1 })(x!),
  }) },
  { name: 'pooling_power.local_response_norm', inputs: () => ({ a: randn(2, 6, 5), b: randn(2, 5, 3, 4), c: randn(1, 4, 2, 2, 3) }), grad: ['a', 'b', 'c'],
    run: ({ a, b, c }) => ({
      three: nnf_local_response_norm(a!, 3), four: nnf_local_response_norm(b!, 2, { alpha: 0.1, beta: 0.5, k: 2 }), five: nnf_local_response_norm(c!, 4),
      module: nn_local_response_norm(5, { alpha: 0.01 })(b!),
    }) },
  // R's and PyTorch's positional forms.
  { name: 'pooling_power.positional', inputs: () => ({ a: randn(2, 3, 7), b: randn(2, 5, 3, 4) }), grad: ['a', 'b'], run: ({ a, b }) => ({
    lp1: nnf_lp_pool1d(a!, 1.5, 3, 2, true), lp1_module: nn_lp_pool1d(3, 2, 1)(a!), lp2_module: nn_lp_pool2d(2, [2, 2], 1, true)(b!),
    lrn: nnf_local_response_norm(b!, 2, 0.1, 0.5, 2), lrn_module: nn_local_response_norm(3, 0.01, 0.6, 1.5)(b!),
  }) },
];

parity_suite('lp pooling and local response norm parity with PyTorch', cases);
