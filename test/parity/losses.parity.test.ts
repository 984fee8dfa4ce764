// Parity with Python PyTorch of the losses of src/nn/losses.ts (each reduction, gradients
// included), the activations of src/nn/activations.ts, nnf_one_hot / nnf_pad / nnf_normalize
// and nnf_scaled_dot_product_attention. Python twins: cases_losses.py.
import {
  Tensor, nn_bce_loss, nn_cross_entropy_loss, nn_flatten, nn_huber_loss, nn_identity, nn_kl_div_loss, nn_sigmoid, nn_silu, nn_smooth_l1_loss,
  nn_softmax, nn_tanh, nnf_binary_cross_entropy, nnf_huber_loss, nnf_kl_div, nnf_nll_loss, nnf_normalize, nnf_one_hot, nnf_pad,
  nnf_scaled_dot_product_attention, nnf_silu, nnf_smooth_l1_loss, torch_rand, torch_randn, torch_tensor,
} from '../../src/index.js';
import { parity_suite, type ParityCase, type Tensors } from './harness.js';

const randn = (...shape: number[]): Tensor => torch_randn(shape);
const long = (values: number[]): Tensor => torch_tensor(values, { dtype: 'int64' });
const REDUCTIONS = ['mean', 'sum', 'none'] as const;

function eachReduction(loss: (reduction: typeof REDUCTIONS[number]) => Tensor): Tensors {
  return Object.fromEntries(REDUCTIONS.map((reduction) => [reduction, loss(reduction)]));
}

const losses: ParityCase[] = [
  { name: 'loss.nll', inputs: () => ({ x: randn(5, 4), w: torch_rand(4) }), grad: ['x'], run: ({ x, w }) => {
    const logp = x!.log_softmax(1);
    const target = long([0, 3, 1, 1, 2]);
    return {
      ...eachReduction((reduction) => nnf_nll_loss(logp, target, { reduction })),
      weighted: nnf_nll_loss(logp, target, { weight: w! }), ignored: nnf_nll_loss(logp, target, { ignore_index: 1 }),
      spatial: nnf_nll_loss(randn(2, 3, 4).log_softmax(1), long([0, 1, 2, 2, 1, 0, 0, 0]).reshape(2, 4)),
    };
  } },
  { name: 'loss.bce', inputs: () => ({ p: torch_rand(3, 4).mul(0.9).add(0.05), y: torch_rand(3, 4), w: torch_rand(4) }), grad: ['p'], run: ({ p, y, w }) => ({
    ...eachReduction((reduction) => nnf_binary_cross_entropy(p!, y!, { reduction })),
    weighted: nnf_binary_cross_entropy(p!, y!, { weight: w! }), module: nn_bce_loss({ reduction: 'sum' })(p!, y!),
  }) },
  { name: 'loss.kl_div', inputs: () => ({ x: randn(3, 5), t: randn(3, 5) }), grad: ['x'], run: ({ x, t }) => {
    const input = x!.log_softmax(1);
    const target = t!.softmax(1);
    return {
      ...eachReduction((reduction) => nnf_kl_div(input, target, { reduction })), batchmean: nnf_kl_div(input, target, { reduction: 'batchmean' }),
      log_target: nnf_kl_div(input, t!.log_softmax(1), { reduction: 'sum', log_target: true }),
      module: nn_kl_div_loss({ reduction: 'batchmean' })(input, target),
    };
  } },
  { name: 'loss.smooth_l1_huber', inputs: () => ({ x: randn(4, 3).mul(2), y: randn(4, 3), b: randn(3) }), grad: ['x'], run: ({ x, y, b }) => ({
    ...eachReduction((reduction) => nnf_smooth_l1_loss(x!, y!, { reduction })), beta: nnf_smooth_l1_loss(x!, y!, { beta: 0.4 }),
    beta0: nnf_smooth_l1_loss(x!, y!, { beta: 0 }), broadcast: nnf_smooth_l1_loss(x!, b!), huber: nnf_huber_loss(x!, y!),
    huber_delta: nnf_huber_loss(x!, y!, { delta: 0.7, reduction: 'sum' }), huber_none: nnf_huber_loss(x!, y!, { reduction: 'none' }),
    smooth_module: nn_smooth_l1_loss({ beta: 2 })(x!, y!), huber_module: nn_huber_loss({ delta: 2 })(x!, y!),
  }) },
  { name: 'loss.cross_entropy_module', inputs: () => ({ x: randn(6, 4) }), grad: ['x'], run: ({ x }) => ({
    loss: nn_cross_entropy_loss({ label_smoothing: 0.1 })(x!, long([0, 1, 2, 3, 2, 1])),
  }) },
];

const layers: ParityCase[] = [
  { name: 'activation.modules', inputs: () => ({ x: randn(2, 3, 4) }), grad: ['x'], run: ({ x }) => ({
    silu: nnf_silu(x!), silu_module: nn_silu()(x!), tanh: nn_tanh()(x!), sigmoid: nn_sigmoid()(x!), softmax: nn_softmax(1)(x!),
    identity: nn_identity()(x!).mul(2), flatten: nn_flatten()(x!),
  }) },
  { name: 'functional.one_hot_pad_normalize', inputs: () => ({ x: randn(2, 3, 4) }), grad: ['x'], run: ({ x }) => ({
    one_hot: nnf_one_hot(long([0, 2, 1, 4])), one_hot_classes: nnf_one_hot(long([0, 2, 1, 1]).reshape(2, 2), 5),
    pad: nnf_pad(x!, [1, 2]), pad_value: nnf_pad(x!, [1, 1, 2, 0], { value: -1.5 }), reflect: nnf_pad(x!, [2, 1], { mode: 'reflect' }),
    replicate: nnf_pad(x!, [1, 2], { mode: 'replicate' }), circular: nnf_pad(x!, [1, 1], { mode: 'circular' }),
    normalize: nnf_normalize(x!), normalize_last: nnf_normalize(x!, { dim: -1, p: 1 }),
  }) },
  { name: 'functional.scaled_dot_product_attention', inputs: () => ({ q: randn(2, 3, 5, 4), k: randn(2, 3, 6, 4), v: randn(2, 3, 6, 8), m: randn(5, 6) }),
    grad: ['q', 'k', 'v'], run: ({ q, k, v, m }) => ({
      plain: nnf_scaled_dot_product_attention(q!, k!, v!),
      causal: nnf_scaled_dot_product_attention(q!, k!, v!, { is_causal: true }),
      bool_mask: nnf_scaled_dot_product_attention(q!, k!, v!, { attn_mask: m!.gt(-0.5) }),
      float_mask: nnf_scaled_dot_product_attention(q!, k!, v!, { attn_mask: m! }),
      scaled: nnf_scaled_dot_product_attention(q!, k!, v!, { scale: 0.3 }),
      dropout: nnf_scaled_dot_product_attention(q!, k!, v!, { dropout_p: 0.25 }),
    }) },
];

parity_suite('losses and functional parity with PyTorch', [...losses, ...layers]);
