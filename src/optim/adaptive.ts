// RAdam, NAdam and Adamax (`optim_radam`, `optim_nadam`, `optim_adamax`): Python torch.optim's
// `_single_tensor_radam`, `_single_tensor_nadam` and `_single_tensor_adamax`, aten op for aten
// op (tensor_optimizer.ts). Python's float arithmetic is JavaScript's, but for powers, which go
// through the C library as CPython's `**` does; `x * lr` is aten's mul with a scalar and
// `c / x` is Python's reciprocal-then-multiply, as in torch/_tensor.py.
import { native } from '../core/native.js';
import { atenOp } from '../ops/aten.js';
import { torch_ones } from '../ops/creation.js';
import { torch_zeros_like } from '../ops/math.js';
import type { Tensor } from '../ops/tensor.js';
import { betas, flag, learningRate, nonNegative, type OptionsOf, type Settings, optimizerOptions } from './kind.js';
import { type Positional } from '../nn/options.js';
import type { ParamGroupInput } from './optimizer.js';
import { TensorOptimizer, singleTensorOnly, type TensorKind, type TensorParamState } from './tensor_optimizer.js';

const NEG = atenOp('neg');
const ADD = atenOp('add', 'Tensor');
const ADD_ = atenOp('add_', 'Tensor');
const ADD_SCALAR_ = atenOp('add_', 'Scalar');
const MUL = atenOp('mul', 'Tensor');
const MUL_SCALAR = atenOp('mul', 'Scalar');
const MUL_SCALAR_ = atenOp('mul_', 'Scalar');
const DIV_SCALAR = atenOp('div', 'Scalar');
const LERP_ = atenOp('lerp_', 'Scalar');
const ADDCMUL_ = atenOp('addcmul_');
const ADDCDIV_ = atenOp('addcdiv_');
const SQRT = atenOp('sqrt');
const ABS = atenOp('abs');
const RECIPROCAL = atenOp('reciprocal');
const MAXIMUM_OUT = atenOp('maximum', 'out');

const pow = (x: number, y: number): number => native.libmPow(x, y);

// Options all three share, PyTorch's defaults but lr.
const common = (kind: string, lr: number) => ({
  /** Learning rate. */
  lr: learningRate(lr),
  /** Decay rates of the running averages ([0.9, 0.999]). */
  betas: betas([0.9, 0.999]),
  /** Added to the denominator for stability (1e-8). */
  eps: nonNegative(1e-8),
  /** L2 penalty (0). */
  weight_decay: nonNegative(0),
  /** Maximize the objective instead of minimizing it (false). */
  maximize: flag(),
  /** PyTorch's multi-tensor path: not implemented, false only. */
  foreach: singleTensorOnly(kind),
  /** PyTorch's CUDA-graph-safe step: not implemented, false only. */
  capturable: singleTensorOnly(kind),
  /** Autograd through the step: not implemented, false only. */
  differentiable: singleTensorOnly(kind),
});

// The gradient the update sees: negated to maximize, with the L2 penalty added unless decoupled.
function gradientOf(param: Tensor, grad: Tensor, options: Settings, decoupled: boolean): Tensor {
  let result = options.maximize === true ? NEG.call(grad) : grad;
  const weight_decay = options.weight_decay as number;
  if (weight_decay !== 0) {
    if (decoupled) MUL_SCALAR_.call(param, 1 - (options.lr as number) * weight_decay);
    else result = ADD.call(result, param, weight_decay);
  }
  return result;
}

// exp_avg.lerp_(grad, 1 - beta1); exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
function moments(state: TensorParamState, grad: Tensor, [beta1, beta2]: [number, number]): void {
  LERP_.call(state.exp_avg, grad, 1 - beta1);
  ADDCMUL_.call(MUL_SCALAR_.call(state.exp_avg_sq, beta2), grad, grad, 1 - beta2);
}

const zeros = (param: Tensor): Tensor => torch_zeros_like(param);

const RADAM_FIELDS = {
  ...common('radam', 1e-3),
  /** AdamW's decoupled weight decay instead of the L2 penalty (false). */
  decoupled_weight_decay: flag(),
};

/** Options of `optim_radam`. */
export type RAdamOptions = OptionsOf<typeof RADAM_FIELDS>;

const RADAM: TensorKind = {
  name: 'radam', fields: RADAM_FIELDS,
  state: { tensors: { exp_avg: 'param', exp_avg_sq: 'param' }, step: true },
  init: (param) => ({ step: 0, exp_avg: zeros(param), exp_avg_sq: zeros(param) }),
  update: (param, raw, state, options) => {
    const step = (state.step as number) + 1;
    state.step = step;
    const [beta1, beta2] = options.betas as [number, number];
    const lr = options.lr as number;
    const grad = gradientOf(param, raw, options, options.decoupled_weight_decay === true);
    moments(state, grad, [beta1, beta2]);
    const bias_correction1 = 1 - pow(beta1, step);
    const bias_correction2 = 1 - pow(beta2, step);
    const corrected = DIV_SCALAR.call(state.exp_avg, bias_correction1);
    const rho_inf = 2 / (1 - beta2) - 1;
    const rho_t = rho_inf - 2 * step * pow(beta2, step) / bias_correction2;
    if (rho_t > 5) {
      const adaptive = MUL_SCALAR.call(RECIPROCAL.call(ADD_SCALAR_.call(SQRT.call(state.exp_avg_sq), options.eps)), pow(bias_correction2, 0.5));
      const rect = pow((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t), 0.5);
      ADD_.call(param, MUL_SCALAR.call(MUL.call(MUL_SCALAR.call(corrected, lr), adaptive), rect), -1.0);
    } else {
      ADD_.call(param, MUL_SCALAR.call(corrected, lr), -1.0);
    }
  },
};

/**
 * RAdam (Liu et al., rectified Adam), as `torch.optim.RAdam` (PyTorch's names and defaults;
 * R torch has none): Adam whose adaptive step is switched on once the variance of its
 * estimate is tractable. `decoupled_weight_decay: true` decays the weights as AdamW does.
 *
 * @example
 * const opt = optim_radam(model.parameters, { lr: 1e-3, weight_decay: 0.01, decoupled_weight_decay: true });
 * opt.zero_grad(); nnf_mse_loss(model(x), y).backward(); opt.step();
 */
export function optim_radam(params: Tensor[] | ParamGroupInput<RAdamOptions>[], ...args: Positional<[lr: number, betas: [number, number], eps: number, weight_decay: number, decoupled_weight_decay: boolean], RAdamOptions>): TensorOptimizer<RAdamOptions> {
  return new TensorOptimizer<RAdamOptions>(RADAM, params, optimizerOptions<RAdamOptions>(RADAM_FIELDS, args, ['lr', 'betas', 'eps', 'weight_decay', 'decoupled_weight_decay'], 'optim_radam'));
}

const NADAM_FIELDS = {
  ...common('nadam', 2e-3),
  /** Momentum decay psi of the momentum schedule (0.004). */
  momentum_decay: nonNegative(4e-3),
  /** AdamW's decoupled weight decay instead of the L2 penalty (false). */
  decoupled_weight_decay: flag(),
};

/** Options of `optim_nadam`. */
export type NAdamOptions = OptionsOf<typeof NADAM_FIELDS>;

const NADAM: TensorKind = {
  name: 'nadam', fields: NADAM_FIELDS,
  state: { tensors: { mu_product: 'scalar', exp_avg: 'param', exp_avg_sq: 'param' }, step: true },
  init: (param) => ({ step: 0, mu_product: torch_ones([], { dtype: 'float32', device: param.device }), exp_avg: zeros(param), exp_avg_sq: zeros(param) }),
  update: (param, raw, state, options) => {
    const step = (state.step as number) + 1;
    state.step = step;
    const [beta1, beta2] = options.betas as [number, number];
    const lr = options.lr as number;
    const momentum_decay = options.momentum_decay as number;
    const bias_correction2 = 1 - pow(beta2, step);
    const grad = gradientOf(param, raw, options, options.decoupled_weight_decay === true);
    const mu = beta1 * (1.0 - 0.5 * pow(0.96, step * momentum_decay));
    const mu_next = beta1 * (1.0 - 0.5 * pow(0.96, (step + 1) * momentum_decay));
    const mu_product = state.mu_product as Tensor;
    MUL_SCALAR_.call(mu_product, mu);
    moments(state, grad, [beta1, beta2]);
    const denom = SQRT.call(DIV_SCALAR.call(state.exp_avg_sq, bias_correction2));
    const product = mu_product.item() as number;
    const mu_product_next = product * mu_next;
    ADD_SCALAR_.call(denom, options.eps);
    ADDCDIV_.call(param, grad, denom, -lr * (1.0 - mu) / (1.0 - product));
    ADDCDIV_.call(param, state.exp_avg, denom, (-lr * mu_next) / (1.0 - mu_product_next));
  },
};

/**
 * NAdam (Dozat, Adam with Nesterov momentum), as `torch.optim.NAdam` (PyTorch's names and
 * defaults; R torch has none), with its momentum schedule (`momentum_decay`) and, with
 * `decoupled_weight_decay: true`, NAdamW.
 *
 * @example const opt = optim_nadam(model.parameters, { lr: 2e-3, momentum_decay: 4e-3 });
 */
export function optim_nadam(params: Tensor[] | ParamGroupInput<NAdamOptions>[], ...args: Positional<[lr: number, betas: [number, number], eps: number, weight_decay: number, momentum_decay: number, decoupled_weight_decay: boolean], NAdamOptions>): TensorOptimizer<NAdamOptions> {
  return new TensorOptimizer<NAdamOptions>(NADAM, params, optimizerOptions<NAdamOptions>(NADAM_FIELDS, args, ['lr', 'betas', 'eps', 'weight_decay', 'momentum_decay', 'decoupled_weight_decay'], 'optim_nadam'));
}

const ADAMAX_FIELDS = common('adamax', 2e-3);

/** Options of `optim_adamax`. */
export type AdamaxOptions = OptionsOf<typeof ADAMAX_FIELDS>;

const ADAMAX: TensorKind = {
  name: 'adamax', fields: ADAMAX_FIELDS,
  state: { tensors: { exp_avg: 'param', exp_inf: 'param' }, step: true },
  init: (param) => ({ step: 0, exp_avg: zeros(param), exp_inf: zeros(param) }),
  update: (param, raw, state, options) => {
    const step = (state.step as number) + 1;
    state.step = step;
    const [beta1, beta2] = options.betas as [number, number];
    const grad = gradientOf(param, raw, options, false);
    const exp_inf = state.exp_inf as Tensor;
    LERP_.call(state.exp_avg, grad, 1 - beta1);
    MAXIMUM_OUT.call(MUL_SCALAR_.call(exp_inf, beta2), ADD_SCALAR_.call(ABS.call(grad), options.eps), exp_inf);
    const clr = (options.lr as number) / (1 - pow(beta1, step));
    ADDCDIV_.call(param, state.exp_avg, exp_inf, -clr);
  },
};

/**
 * Adamax (Kingma & Ba, Adam under the infinity norm), as `torch.optim.Adamax` (PyTorch's
 * names and defaults; R torch has none).
 *
 * @example const opt = optim_adamax(model.parameters, { lr: 2e-3 });
 */
export function optim_adamax(params: Tensor[] | ParamGroupInput<AdamaxOptions>[], ...args: Positional<[lr: number, betas: [number, number], eps: number, weight_decay: number], AdamaxOptions>): TensorOptimizer<AdamaxOptions> {
  return new TensorOptimizer<AdamaxOptions>(ADAMAX, params, optimizerOptions<AdamaxOptions>(ADAMAX_FIELDS, args, ['lr', 'betas', 'eps', 'weight_decay'], 'optim_adamax'));
}
