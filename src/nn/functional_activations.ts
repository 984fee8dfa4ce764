// R torch's activation functions, `nnf_elu` to `nnf_threshold`, each one libtorch operator
// called through the dispatcher (or PyTorch's own composition of them, for softsign,
// tanhshrink and softmin). R's `inplace = TRUE` is `{ inplace: true }`: the input itself is
// changed (libtorch's `relu_`, `elu_`, ...) and returned, as torch.nn.functional does.
// `nnf_relu`, `nnf_gelu`, `nnf_silu`, `nnf_softmax` and `nnf_log_softmax` are in functional.ts
// and activations.ts.
import { torch_scope } from '../core/scope.js';
import { atenOp } from '../ops/aten.js';
import { torch_empty, torch_zeros } from '../ops/creation.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { checkBoolean, checkFinite, checkInteger, checkNumber, failRange, optionKeys } from '../core/validate.js';
import { castFor, softmaxArguments } from './checks.js';
import { positionalOptions, type Positional } from './options.js';
import { type SoftmaxOptions } from './functional.js';

/** `{ inplace }`: change the input itself and return it (false). */
export interface InplaceOptions {
  inplace?: boolean;
}
const INPLACE_KEYS = optionKeys<InplaceOptions>({ inplace: true });

// The operator `name`, or `name_` on the input itself when inplace is true.
function pointwise(name: string): (input: Tensor, inplace: unknown, ...args: unknown[]) => Tensor {
  const op = atenOp(name);
  const inPlace = atenOp(`${name}_`);
  return (input, inplace, ...args) => {
    checkTensor(input, 'input');
    if (!checkBoolean(inplace, 'inplace')) return op.call(input, ...args);
    inPlace.callInPlace(input, ...args);
    return input;
  };
}

const RELU = pointwise('relu');
const RELU6 = pointwise('relu6');
const ELU = pointwise('elu');
const SELU = pointwise('selu');
const CELU = pointwise('celu');
const LEAKY_RELU = pointwise('leaky_relu');
const HARDTANH = pointwise('hardtanh');
const HARDSWISH = pointwise('hardswish');
const HARDSIGMOID = pointwise('hardsigmoid');
const SILU = pointwise('silu');
const MISH = pointwise('mish');
const THRESHOLD = pointwise('threshold');
const RRELU = pointwise('rrelu');

/** `max(input, 0)`. @example nnf_relu(x); nnf_relu(x, true); nnf_relu(x, { inplace: true }) */
export function nnf_relu(input: Tensor, ...args: Positional<[inplace: boolean], InplaceOptions>): Tensor {
  const { inplace = false } = positionalOptions<InplaceOptions>(args, ['inplace'], INPLACE_KEYS, 'nnf_relu');
  return RELU(input, inplace);
}

/** `min(max(input, 0), 6)`. @example nnf_relu6(x) */
export function nnf_relu6(input: Tensor, ...args: Positional<[inplace: boolean], InplaceOptions>): Tensor {
  const { inplace = false } = positionalOptions<InplaceOptions>(args, ['inplace'], INPLACE_KEYS, 'nnf_relu6');
  return RELU6(input, inplace);
}

/** `x * sigmoid(x)` (also called swish). @example nnf_silu(x) */
export function nnf_silu(input: Tensor, ...args: Positional<[inplace: boolean], InplaceOptions>): Tensor {
  const { inplace = false } = positionalOptions<InplaceOptions>(args, ['inplace'], INPLACE_KEYS, 'nnf_silu');
  return SILU(input, inplace);
}

/** `x * tanh(softplus(x))`. @example nnf_mish(x) */
export function nnf_mish(input: Tensor, ...args: Positional<[inplace: boolean], InplaceOptions>): Tensor {
  const { inplace = false } = positionalOptions<InplaceOptions>(args, ['inplace'], INPLACE_KEYS, 'nnf_mish');
  return MISH(input, inplace);
}

/** Scaled exponential linear unit, with PyTorch's constants. @example nnf_selu(x) */
export function nnf_selu(input: Tensor, ...args: Positional<[inplace: boolean], InplaceOptions>): Tensor {
  const { inplace = false } = positionalOptions<InplaceOptions>(args, ['inplace'], INPLACE_KEYS, 'nnf_selu');
  return SELU(input, inplace);
}

/** `x * relu6(x + 3) / 6`. @example nnf_hardswish(x) */
export function nnf_hardswish(input: Tensor, ...args: Positional<[inplace: boolean], InplaceOptions>): Tensor {
  const { inplace = false } = positionalOptions<InplaceOptions>(args, ['inplace'], INPLACE_KEYS, 'nnf_hardswish');
  return HARDSWISH(input, inplace);
}

/** `relu6(x + 3) / 6`. @example nnf_hardsigmoid(x) */
export function nnf_hardsigmoid(input: Tensor, ...args: Positional<[inplace: boolean], InplaceOptions>): Tensor {
  const { inplace = false } = positionalOptions<InplaceOptions>(args, ['inplace'], INPLACE_KEYS, 'nnf_hardsigmoid');
  return HARDSIGMOID(input, inplace);
}

export interface EluOptions extends InplaceOptions {
  /** The value approached for large negative inputs, negated (1). */
  alpha?: number;
}
const ELU_KEYS = optionKeys<EluOptions>({ alpha: true, inplace: true });

/** `x` for x > 0, else `alpha * (exp(x) - 1)`. @example nnf_elu(x, 0.5); nnf_elu(x, { alpha: 0.5, inplace: true }) */
export function nnf_elu(input: Tensor, ...args: Positional<[alpha: number, inplace: boolean], EluOptions>): Tensor {
  const { alpha = 1, inplace = false } = positionalOptions<EluOptions>(args, ['alpha', 'inplace'], ELU_KEYS, 'nnf_elu');
  return ELU(input, inplace, checkFinite(alpha, 'alpha'));
}

/** `max(0, x) + min(0, alpha * (exp(x / alpha) - 1))`. @example nnf_celu(x, { alpha: 2 }) */
export function nnf_celu(input: Tensor, ...args: Positional<[alpha: number, inplace: boolean], EluOptions>): Tensor {
  const { alpha = 1, inplace = false } = positionalOptions<EluOptions>(args, ['alpha', 'inplace'], ELU_KEYS, 'nnf_celu');
  if (checkFinite(alpha, 'alpha') === 0) failRange('a non-zero alpha', 'alpha', alpha);
  return CELU(input, inplace, alpha);
}

export interface LeakyReluOptions extends InplaceOptions {
  /** The slope for negative inputs (0.01). */
  negative_slope?: number;
}
const LEAKY_RELU_KEYS = optionKeys<LeakyReluOptions>({ negative_slope: true, inplace: true });

/** `x` for x > 0, else `negative_slope * x`. @example nnf_leaky_relu(x, 0.2); nnf_leaky_relu(x, { negative_slope: 0.2 }) */
export function nnf_leaky_relu(input: Tensor, ...args: Positional<[negative_slope: number, inplace: boolean], LeakyReluOptions>): Tensor {
  const { negative_slope = 0.01, inplace = false } = positionalOptions<LeakyReluOptions>(args, ['negative_slope', 'inplace'], LEAKY_RELU_KEYS, 'nnf_leaky_relu');
  return LEAKY_RELU(input, inplace, checkFinite(negative_slope, 'negative_slope'));
}

export interface HardtanhOptions extends InplaceOptions {
  /** The lower end of the linear region (-1). */
  min_val?: number;
  /** The upper end of the linear region (1). */
  max_val?: number;
}
const HARDTANH_KEYS = optionKeys<HardtanhOptions>({ min_val: true, max_val: true, inplace: true });

/** `input` clamped to [min_val, max_val]. @example nnf_hardtanh(x, -2, 2); nnf_hardtanh(x, { min_val: -2, max_val: 2 }) */
export function nnf_hardtanh(input: Tensor, ...args: Positional<[min_val: number, max_val: number, inplace: boolean], HardtanhOptions>): Tensor {
  const { min_val = -1, max_val = 1, inplace = false } = positionalOptions<HardtanhOptions>(args, ['min_val', 'max_val', 'inplace'], HARDTANH_KEYS, 'nnf_hardtanh');
  checkNumber(min_val, 'min_val');
  if (checkNumber(max_val, 'max_val') < min_val) failRange(`a max_val of at least min_val (${min_val})`, 'max_val', max_val);
  return HARDTANH(input, inplace, min_val, max_val);
}

/**
 * `value` where `input <= threshold`, else `input`.
 *
 * @example nnf_threshold(x, 0.1, 20)
 */
export function nnf_threshold(input: Tensor, threshold: number, value: number, ...args: Positional<[inplace: boolean], InplaceOptions>): Tensor {
  const { inplace = false } = positionalOptions<InplaceOptions>(args, ['inplace'], INPLACE_KEYS, 'nnf_threshold');
  return THRESHOLD(input, inplace, checkNumber(threshold, 'threshold'), checkNumber(value, 'value'));
}

export interface RreluOptions extends InplaceOptions {
  /** The lower bound of the random negative slope (1/8). */
  lower?: number;
  /** The upper bound of the random negative slope (1/3). */
  upper?: number;
  /** Draw the slopes (true), or use their mean, `(lower + upper) / 2` (false, the default as in R and PyTorch). */
  training?: boolean;
}
const RRELU_KEYS = optionKeys<RreluOptions>({ lower: true, upper: true, training: true, inplace: true });

/**
 * Randomized leaky ReLU: in training, each negative element is scaled by a slope drawn from
 * U(lower, upper) (libtorch's generator); otherwise by `(lower + upper) / 2`.
 *
 * @example nnf_rrelu(x, { training: true })
 */
export function nnf_rrelu(input: Tensor, ...args: Positional<[lower: number, upper: number, training: boolean, inplace: boolean], RreluOptions>): Tensor {
  const { lower = 1 / 8, upper = 1 / 3, training = false, inplace = false } = positionalOptions<RreluOptions>(args, ['lower', 'upper', 'training', 'inplace'], RRELU_KEYS, 'nnf_rrelu');
  checkFinite(lower, 'lower');
  if (checkFinite(upper, 'upper') < lower) failRange(`an upper bound of at least lower (${lower})`, 'upper', upper);
  return RRELU(input, inplace, lower, upper, checkBoolean(training, 'training'), null);
}

const PRELU = atenOp('prelu');
/** `x` for x > 0, else `weight * x`, with a learned slope per channel (dim 1) or one for all. @example nnf_prelu(x, torch_tensor([0.25])) */
export function nnf_prelu(input: Tensor, weight: Tensor): Tensor {
  return PRELU.call(checkTensor(input, 'input'), checkTensor(weight, 'weight'));
}

export interface SoftplusOptions {
  /** `log(1 + exp(beta * x)) / beta` (1). */
  beta?: number;
  /** Above `beta * x > threshold` the result is `x` (20). */
  threshold?: number;
}
const SOFTPLUS_KEYS = optionKeys<SoftplusOptions>({ beta: true, threshold: true });
const SOFTPLUS = atenOp('softplus');

/** A smooth ReLU, `log(1 + exp(beta * x)) / beta`. @example nnf_softplus(x, 2); nnf_softplus(x, { beta: 2 }) */
export function nnf_softplus(input: Tensor, ...args: Positional<[beta: number, threshold: number], SoftplusOptions>): Tensor {
  const { beta = 1, threshold = 20 } = positionalOptions<SoftplusOptions>(args, ['beta', 'threshold'], SOFTPLUS_KEYS, 'nnf_softplus');
  return SOFTPLUS.call(checkTensor(input, 'input'), checkNumber(beta, 'beta'), checkNumber(threshold, 'threshold'));
}

export interface ShrinkOptions {
  /** The half-width of the zeroed band (0.5). */
  lambd?: number;
}
const SHRINK_KEYS = optionKeys<ShrinkOptions>({ lambd: true });
const HARDSHRINK = atenOp('hardshrink');
const SOFTSHRINK = atenOp('softshrink');

/** `x` where |x| > lambd, else 0. @example nnf_hardshrink(x, { lambd: 0.3 }) */
export function nnf_hardshrink(input: Tensor, ...args: Positional<[lambd: number], ShrinkOptions>): Tensor {
  const { lambd = 0.5 } = positionalOptions<ShrinkOptions>(args, ['lambd'], SHRINK_KEYS, 'nnf_hardshrink');
  return HARDSHRINK.call(checkTensor(input, 'input'), checkNumber(lambd, 'lambd'));
}

/** `x - lambd` above lambd, `x + lambd` below -lambd, else 0. @example nnf_softshrink(x) */
export function nnf_softshrink(input: Tensor, ...args: Positional<[lambd: number], ShrinkOptions>): Tensor {
  const { lambd = 0.5 } = positionalOptions<ShrinkOptions>(args, ['lambd'], SHRINK_KEYS, 'nnf_softshrink');
  if (checkNumber(lambd, 'lambd') < 0) failRange('a non-negative lambd', 'lambd', lambd);
  return SOFTSHRINK.call(checkTensor(input, 'input'), lambd);
}

const SIGMOID = atenOp('sigmoid');
const TANH = atenOp('tanh');
const LOG_SIGMOID = atenOp('log_sigmoid');
/** The logistic sigmoid, `1 / (1 + exp(-x))`. @example nnf_sigmoid(logits) */
export function nnf_sigmoid(input: Tensor): Tensor {
  return SIGMOID.call(checkTensor(input, 'input'));
}
/** Hyperbolic tangent. @example nnf_tanh(x) */
export function nnf_tanh(input: Tensor): Tensor {
  return TANH.call(checkTensor(input, 'input'));
}
/** `log(sigmoid(x))`, computed stably. @example nnf_logsigmoid(x) */
export function nnf_logsigmoid(input: Tensor): Tensor {
  return LOG_SIGMOID.call(checkTensor(input, 'input'));
}

/** `x / (1 + |x|)`, as torch.nn.functional composes it. @example nnf_softsign(x) */
export function nnf_softsign(input: Tensor): Tensor {
  const magnitude = checkTensor(input, 'input').abs();
  const denominator = magnitude.add(1);
  magnitude.dispose();
  const result = input.div(denominator);
  denominator.dispose();
  return result;
}

/** `x - tanh(x)`. @example nnf_tanhshrink(x) */
export function nnf_tanhshrink(input: Tensor): Tensor {
  const tanh = nnf_tanh(input);
  const result = input.sub(tanh);
  tanh.dispose();
  return result;
}

const GLU = atenOp('glu');
const GLU_KEYS = optionKeys<{ dim?: number }>({ dim: true });
/** The gated linear unit: the first half of `dim` times the sigmoid of the second. @example nnf_glu(x, 1); nnf_glu(x, { dim: 1 }) */
export function nnf_glu(input: Tensor, ...args: Positional<[dim: number], { dim?: number }>): Tensor {
  const { dim = -1 } = positionalOptions<{ dim?: number }>(args, ['dim'], GLU_KEYS, 'nnf_glu');
  checkTensor(input, 'input');
  if (input.dim() === 0) failRange('a tensor of at least 1 dimension', 'input', 'a 0-d tensor');
  return GLU.call(input, checkInteger(dim, 'dim'));
}

/**
 * Softmax of `-input` along `dim` (computed in `dtype` when given). `dim` may be given with
 * the options, as R's named argument: `nnf_softmin(x, { dim: 1 })`.
 *
 * @example nnf_softmin(distances, -1)
 */
export function nnf_softmin(input: Tensor, dim: number | (SoftmaxOptions & { dim: number }), options?: SoftmaxOptions): Tensor {
  const [axis, dtype] = softmaxArguments(dim, options, 'nnf_softmin');
  return castFor(checkTensor(input, 'input'), dtype, (x) => {
    const negated = x.neg();
    const result = negated.softmax(axis);
    negated.dispose();
    return result;
  });
}

// ---- R torch's in-place names: `nnf_relu_(x)` is `nnf_relu(x, { inplace: true })` ----

/** `nnf_relu` on `input` itself; returns it. @example nnf_relu_(x) */
export function nnf_relu_(input: Tensor): Tensor { return nnf_relu(input, { inplace: true }); }
/** `nnf_elu` on `input` itself; returns it. @example nnf_elu_(x, 0.5); nnf_elu_(x, { alpha: 0.5 }) */
export function nnf_elu_(input: Tensor, ...args: Positional<[alpha: number], Omit<EluOptions, 'inplace'>>): Tensor {
  return nnf_elu(input, { ...positionalOptions<EluOptions>(args, ['alpha'], ALPHA_KEYS, 'nnf_elu_'), inplace: true });
}
/** `nnf_celu` on `input` itself; returns it. @example nnf_celu_(x, 2) */
export function nnf_celu_(input: Tensor, ...args: Positional<[alpha: number], Omit<EluOptions, 'inplace'>>): Tensor {
  return nnf_celu(input, { ...positionalOptions<EluOptions>(args, ['alpha'], ALPHA_KEYS, 'nnf_celu_'), inplace: true });
}
/** `nnf_selu` on `input` itself; returns it. @example nnf_selu_(x) */
export function nnf_selu_(input: Tensor): Tensor { return nnf_selu(input, { inplace: true }); }
/** `nnf_hardtanh` on `input` itself; returns it. @example nnf_hardtanh_(x, 0, 6); nnf_hardtanh_(x, { min_val: 0 }) */
export function nnf_hardtanh_(input: Tensor, ...args: Positional<[min_val: number, max_val: number], Omit<HardtanhOptions, 'inplace'>>): Tensor {
  const keys = optionKeys<Omit<HardtanhOptions, 'inplace'>>({ min_val: true, max_val: true });
  return nnf_hardtanh(input, { ...positionalOptions<HardtanhOptions>(args, ['min_val', 'max_val'], keys, 'nnf_hardtanh_'), inplace: true });
}
/** `nnf_threshold` on `input` itself; returns it. @example nnf_threshold_(x, 0, -1) */
export function nnf_threshold_(input: Tensor, threshold: number, value: number): Tensor { return nnf_threshold(input, threshold, value, { inplace: true }); }
/** `nnf_rrelu` on `input` itself; returns it. @example nnf_rrelu_(x, { training: true }) */
export function nnf_rrelu_(input: Tensor, ...args: Positional<[lower: number, upper: number, training: boolean], Omit<RreluOptions, 'inplace'>>): Tensor {
  const keys = optionKeys<Omit<RreluOptions, 'inplace'>>({ lower: true, upper: true, training: true });
  return nnf_rrelu(input, { ...positionalOptions<RreluOptions>(args, ['lower', 'upper', 'training'], keys, 'nnf_rrelu_'), inplace: true });
}
const ALPHA_KEYS = optionKeys<Omit<EluOptions, 'inplace'>>({ alpha: true });

export interface GumbelSoftmaxOptions {
  /** The temperature (1). */
  tau?: number;
  /** Return one-hot samples whose gradient is the soft sample's (straight-through) (false). */
  hard?: boolean;
  /** The dimension of the categories (-1). */
  dim?: number;
}
const GUMBEL_KEYS = optionKeys<GumbelSoftmaxOptions>({ tau: true, hard: true, dim: true });
const EXPONENTIAL_ = atenOp('exponential_');
const SCATTER_ = atenOp('scatter_', 'value');

/**
 * A sample of the Gumbel-softmax distribution of unnormalised log-probabilities `logits`
 * (noise from libtorch's generator, drawn as torch.nn.functional draws it); with `hard`, a
 * one-hot sample whose gradient is the soft sample's.
 *
 * @example nnf_gumbel_softmax(logits, { tau: 0.5, hard: true })
 */
export function nnf_gumbel_softmax(logits: Tensor, ...args: Positional<[tau: number, hard: boolean], GumbelSoftmaxOptions>): Tensor {
  const { tau = 1, hard = false, dim = -1 } = positionalOptions<GumbelSoftmaxOptions>(args, ['tau', 'hard'], GUMBEL_KEYS, 'nnf_gumbel_softmax');
  checkTensor(logits, 'logits');
  const temperature = checkFinite(tau, 'tau');
  const axis = checkInteger(dim, 'dim');
  const straight = checkBoolean(hard, 'hard');
  return torch_scope(() => {
    const noise = torch_empty(logits.shape, { dtype: logits.dtype, device: logits.device });
    EXPONENTIAL_.callInPlace(noise, 1, null);
    const soft = logits.add(noise.log().neg()).div(temperature).softmax(axis);
    if (!straight) return soft;
    const [, index] = soft.max({ dim: axis, keepdim: true }) as unknown as [Tensor, Tensor];
    const oneHot = torch_zeros(logits.shape, { dtype: logits.dtype, device: logits.device });
    SCATTER_.callInPlace(oneHot, axis, index, 1);
    return oneHot.sub(soft.detach()).add(soft);
  });
}
