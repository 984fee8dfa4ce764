// Parity of the positional forms of functions that existed before issue 24 (nnf_cross_entropy(x, y,
// weight), nnf_max_pool2d(x, 3, 2, 1), nnf_pad(x, pad, mode, value), nn_init_kaiming_uniform_(w,
// a), ...) with the same calls in Python PyTorch, where R torch and PyTorch both take those
// arguments positionally. Twins: the @case of the same name in cases_positional.py.
import {
  nn_init_kaiming_uniform_, nnf_avg_pool1d, nnf_avg_pool2d, nnf_batch_norm, nnf_binary_cross_entropy, nnf_binary_cross_entropy_with_logits,
  nnf_cross_entropy, nnf_embedding, nnf_group_norm, nnf_layer_norm, nnf_max_pool1d, nnf_max_pool2d, nnf_nll_loss, nnf_normalize, nnf_pad,
  torch_empty, torch_manual_seed, torch_rand, torch_randint, torch_randn, type Tensor,
} from '../../src/index.js';
import { parity_suite, type ParityCase } from './harness.js';

const randn = (...shape: number[]): Tensor => torch_randn(shape);

const cases: ParityCase[] = [
  { name: 'positional.losses', grad: ['x', 'p'],
    inputs: () => ({ x: randn(4, 5), y: torch_randint(0, 5, [4]), w: torch_rand(5), p: torch_rand(4, 5), t: torch_rand(4, 5) }),
    run: ({ x, y, w, p, t }) => ({
      cross_entropy: nnf_cross_entropy(x!, y!, w!), nll: nnf_nll_loss(x!.log_softmax(1), y!, w!),
      bce: nnf_binary_cross_entropy(p!.mul(0.9).add(0.05), t!, w!), bce_logits: nnf_binary_cross_entropy_with_logits(x!, t!, w!),
    }) },
  { name: 'positional.layers', grad: ['x', 'w', 'b', 'v'],
    inputs: () => ({ x: randn(2, 4, 6), w: randn(4), b: randn(4), v: randn(6), i: torch_randint(0, 5, [3, 2]), table: randn(5, 3) }),
    run: ({ x, w, b, v, i, table }) => ({
      layer_norm: nnf_layer_norm(x!, [6], v!, null, 1e-3), group_norm: nnf_group_norm(x!, 2, w!, b!, 1e-3),
      batch_norm: nnf_batch_norm(x!, null, null, w!, b!, true, 0.2, 1e-3), embedding: nnf_embedding(i!, table!, 0),
      pad: nnf_pad(x!, [1, 2], 'constant', 0.5), normalize: nnf_normalize(x!, 1, 2, 1e-6),
    }) },
  { name: 'positional.pooling', grad: ['x', 's'], inputs: () => ({ x: randn(2, 3, 7, 6), s: randn(2, 3, 9) }), run: ({ x, s }) => ({
    max2d: nnf_max_pool2d(x!, 3, 2, 1), max2d_dilated: nnf_max_pool2d(x!, 2, 1, 0, 2, true), max1d: nnf_max_pool1d(s!, 3, 2, 1),
    avg2d: nnf_avg_pool2d(x!, 3, 2, 1, true, false), avg2d_divisor: nnf_avg_pool2d(x!, 2, null, 0, false, true, 3), avg1d: nnf_avg_pool1d(s!, 4, 2, 1),
  }) },
  { name: 'positional.init', run: () => {
    torch_manual_seed(4);
    return { kaiming: nn_init_kaiming_uniform_(torch_empty(4, 5), Math.sqrt(5)), fan_out: nn_init_kaiming_uniform_(torch_empty(4, 5), 0, 'fan_out', 'relu') };
  } },
];

parity_suite('positional arguments parity with PyTorch', cases);
