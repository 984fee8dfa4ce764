// R torch's `nnf_*` functions: losses, activations and the layers' forward computations, each
// one libtorch operator called through the dispatcher. Options that R passes by name are an options
// object here: R's `nnf_mse_loss(x, y, reduction = "sum")` is `nnf_mse_loss(x, y, { reduction: 'sum' })`.
import { type DTypeLike } from '../core/dtype.js';
import { atenOp } from '../ops/aten.js';
import { torch_expand_as } from '../ops/generated/functions.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import {
  checkBoolean, checkDims, checkFinite, checkInteger, checkNonNegativeInteger, checkNumber, checkOptions, checkPositiveInteger, checkShape, fail, failRange, optionKeys,
} from '../core/validate.js';
import { checkProbability, positionalOptions, type Positional } from './options.js';
import { broadcastPair, castFor, checkMaxNorm, embeddingRenorm_, optionalTensor, reductionCode, sizes, softmaxArguments } from './checks.js';

/** How a loss combines its elementwise values: their mean, their sum, or none (one per element). */
export type Reduction = 'mean' | 'sum' | 'none';

/** `{ reduction }`, the options of the losses that take no others. */
export interface LossOptions {
  reduction?: Reduction;
}

const LOSS_KEYS = optionKeys<LossOptions>({ reduction: true });

// ---- losses ----

const MSE_LOSS = atenOp('mse_loss');
const L1_LOSS = atenOp('l1_loss');
const CROSS_ENTROPY_LOSS = atenOp('cross_entropy_loss');
const BINARY_CROSS_ENTROPY_WITH_LOGITS = atenOp('binary_cross_entropy_with_logits');
/**
 * Mean squared error, `(input - target)²` reduced. Shapes broadcast as in PyTorch.
 *
 * @example
 * const loss = nnf_mse_loss(model(X.index(idx)), y.index(idx));
 */
export function nnf_mse_loss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const { reduction } = checkOptions(options, LOSS_KEYS, 'nnf_mse_loss');
  const [a, b] = broadcastPair(input, target);
  return MSE_LOSS.call(a.h, b.h, reductionCode(reduction));
}

/** Mean absolute error, `|input - target|` reduced. @example nnf_l1_loss(pred, y, { reduction: 'sum' }) */
export function nnf_l1_loss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const { reduction } = checkOptions(options, LOSS_KEYS, 'nnf_l1_loss');
  const [a, b] = broadcastPair(input, target);
  return L1_LOSS.call(a.h, b.h, reductionCode(reduction));
}

export interface CrossEntropyOptions {
  /** A weight per class. */
  weight?: Tensor | null;
  /** Targets equal to this class index are skipped (class-index targets only). */
  ignore_index?: number;
  reduction?: Reduction;
  /** Mixes the target with the uniform distribution by this amount, in [0, 1]. */
  label_smoothing?: number;
}

const CROSS_ENTROPY_KEYS = optionKeys<CrossEntropyOptions>({ weight: true, ignore_index: true, reduction: true, label_smoothing: true });

/**
 * Cross entropy of unnormalised logits `input` (N x C, or N x C x ...) against class indices
 * (int64, 0-based as in PyTorch; R torch counts classes from 1) or class probabilities.
 *
 * @example
 * nnf_cross_entropy(logits, torch_tensor([0, 2], { dtype: 'int64' }))
 */
export function nnf_cross_entropy(input: Tensor, target: Tensor, ...args: Positional<[weight: Tensor | null], CrossEntropyOptions>): Tensor {
  const { weight, ignore_index = -100, reduction, label_smoothing = 0 } = positionalOptions<CrossEntropyOptions>(args, ['weight'], CROSS_ENTROPY_KEYS, 'nnf_cross_entropy');
  return CROSS_ENTROPY_LOSS.call(checkTensor(input, 'input').h, checkTensor(target, 'target').h, optionalTensor(weight, 'weight'),
    reductionCode(reduction), checkInteger(ignore_index, 'ignore_index'), checkProbability(label_smoothing, 'label_smoothing'));
}

export interface BinaryCrossEntropyWithLogitsOptions {
  /** A weight per element (broadcast). */
  weight?: Tensor | null;
  reduction?: Reduction;
  /** A weight for the positive examples, per class. */
  pos_weight?: Tensor | null;
}

const BINARY_CROSS_ENTROPY_KEYS = optionKeys<BinaryCrossEntropyWithLogitsOptions>({ weight: true, reduction: true, pos_weight: true });

/**
 * Binary cross entropy of logits (sigmoid and log-loss in one stable step), targets in [0, 1].
 *
 * @example
 * nnf_binary_cross_entropy_with_logits(logits, labels, { pos_weight: torch_tensor([3]) })
 */
export function nnf_binary_cross_entropy_with_logits(input: Tensor, target: Tensor, ...args: Positional<[weight: Tensor | null], BinaryCrossEntropyWithLogitsOptions>): Tensor {
  const where = 'nnf_binary_cross_entropy_with_logits';
  const { weight, reduction, pos_weight } = positionalOptions<BinaryCrossEntropyWithLogitsOptions>(args, ['weight'], BINARY_CROSS_ENTROPY_KEYS, where);
  return BINARY_CROSS_ENTROPY_WITH_LOGITS.call(checkTensor(input, 'input').h, checkTensor(target, 'target').h,
    optionalTensor(weight, 'weight'), optionalTensor(pos_weight, 'pos_weight'), reductionCode(reduction));
}

// ---- activations ----

export interface GeluOptions {
  /** "none" (exact, the default) or "tanh". */
  approximate?: 'none' | 'tanh';
}

const GELU_KEYS = optionKeys<GeluOptions>({ approximate: true });
const GELU = atenOp('gelu');

/**
 * Gaussian error linear unit, exact (`"none"`, the default) or with the tanh approximation.
 *
 * @example nnf_gelu(x); nnf_gelu(x, { approximate: 'tanh' })
 */
export function nnf_gelu(input: Tensor, options: GeluOptions = {}): Tensor {
  const { approximate = 'none' } = checkOptions(options, GELU_KEYS, 'nnf_gelu');
  if (approximate !== 'none' && approximate !== 'tanh') fail('"none" or "tanh"', 'approximate', approximate);
  return GELU.call(checkTensor(input, 'input').h, approximate);
}

/** What `nnf_softmax`, `nnf_log_softmax` and `nnf_softmin` accept: the dtype to compute in. */
export interface SoftmaxOptions {
  dtype?: DTypeLike;
}

/**
 * Softmax along `dim`, computed in `dtype` when given. `dim` may be given with the options,
 * as R's named argument: `nnf_softmax(x, { dim: 1 })`.
 *
 * @example nnf_softmax(logits, -1)
 */
export function nnf_softmax(input: Tensor, dim: number | (SoftmaxOptions & { dim: number }), options?: SoftmaxOptions): Tensor {
  const [axis, dtype] = softmaxArguments(dim, options, 'nnf_softmax');
  return castFor(checkTensor(input, 'input'), dtype, (x) => x.softmax(axis));
}

/**
 * Log-softmax along `dim`, computed stably (and in `dtype` when given); `nnf_log_softmax(x, 1)`
 * and `nnf_log_softmax(x, { dim: 1 })` alike.
 *
 * @example nnf_log_softmax(logits, 1)
 */
export function nnf_log_softmax(input: Tensor, dim: number | (SoftmaxOptions & { dim: number }), options?: SoftmaxOptions): Tensor {
  const [axis, dtype] = softmaxArguments(dim, options, 'nnf_log_softmax');
  return castFor(checkTensor(input, 'input'), dtype, (x) => x.log_softmax(axis));
}

export interface DropoutOptions {
  /** The probability of zeroing an element (0.5). */
  p?: number;
  /** Only drop when true (true). */
  training?: boolean;
  /** Change the input itself and return it (false). */
  inplace?: boolean;
}

const DROPOUT_KEYS = optionKeys<DropoutOptions>({ p: true, training: true, inplace: true });
const DROPOUT = atenOp('dropout');
const DROPOUT_ = atenOp('dropout_');

/**
 * Zeroes each element with probability `p` and scales the rest by `1 / (1 - p)` when
 * `training` is true (the default, as in PyTorch); returns the input unchanged otherwise.
 * Draws from libtorch's generator as PyTorch does; `inplace: true` changes `input` itself.
 *
 * @example nnf_dropout(x, 0.1, model.training); nnf_dropout(x, { p: 0.1, training: model.training })
 */
export function nnf_dropout(input: Tensor, ...given: Positional<[p: number, training: boolean, inplace: boolean], DropoutOptions>): Tensor {
  const { p = 0.5, training = true, inplace = false } = positionalOptions<DropoutOptions>(given, ['p', 'training', 'inplace'], DROPOUT_KEYS, 'nnf_dropout');
  const args = [checkTensor(input, 'input').h, checkProbability(p, 'p'), checkBoolean(training, 'training')] as const;
  if (!checkBoolean(inplace, 'inplace')) return DROPOUT.call(...args);
  DROPOUT_.callInPlace(...args);
  return input;
}

// ---- layers' computations ----

const LINEAR = atenOp('linear');
/** `input @ weight.t() + bias`, as `nn_linear` computes. @example nnf_linear(x, w, b) */
export function nnf_linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return LINEAR.call(checkTensor(input, 'input').h, checkTensor(weight, 'weight').h, optionalTensor(bias, 'bias'));
}

export interface EmbeddingOptions {
  /** Rows at this index get no gradient (they stay as initialised). */
  padding_idx?: number | null;
  /**
   * Before the lookup, each row of `weight` that `input` picks and whose `norm_type`-norm
   * exceeds `max_norm` is rescaled to norm `max_norm`, in place and without gradient.
   */
  max_norm?: number | null;
  /** The p of the norm compared with `max_norm` (2). */
  norm_type?: number;
  /** Scales gradients by the inverse frequency of each index in the batch. */
  scale_grad_by_freq?: boolean;
  /** Sparse gradients for `weight`. */
  sparse?: boolean;
}

const EMBEDDING_KEYS = optionKeys<EmbeddingOptions>({ padding_idx: true, max_norm: true, norm_type: true, scale_grad_by_freq: true, sparse: true });
const EMBEDDING = atenOp('embedding');

/**
 * Rows of `weight` picked by the integer tensor `input` (0-based indices). With `max_norm`,
 * the picked rows of `weight` are first renormalised in place, as torch.nn.functional.embedding does.
 *
 * @example
 * nnf_embedding(torch_tensor([[0, 2]], { dtype: 'int64' }), table)
 * nnf_embedding(tokens, table, { max_norm: 1 }) // rows 0 and 2 of table now have norm <= 1
 */
export function nnf_embedding(input: Tensor, weight: Tensor, ...args: Positional<[
  padding_idx: number | null, max_norm: number | null, norm_type: number, scale_grad_by_freq: boolean, sparse: boolean,
], EmbeddingOptions>): Tensor {
  const names = ['padding_idx', 'max_norm', 'norm_type', 'scale_grad_by_freq', 'sparse'] as const;
  const { padding_idx = null, max_norm = null, norm_type = 2, scale_grad_by_freq = false, sparse = false } = positionalOptions<EmbeddingOptions>(args, names, EMBEDDING_KEYS, 'nnf_embedding');
  checkTensor(weight, 'weight');
  checkTensor(input, 'input');
  const rows = weight.size(0);
  let padding = -1;
  if (padding_idx !== null) {
    checkInteger(padding_idx, 'padding_idx');
    if (padding_idx < -rows || padding_idx >= rows) failRange(`an index in [${-rows}, ${rows - 1}]`, 'padding_idx', padding_idx);
    padding = padding_idx < 0 ? padding_idx + rows : padding_idx;
  }
  checkBoolean(scale_grad_by_freq, 'scale_grad_by_freq');
  checkBoolean(sparse, 'sparse');
  if (max_norm !== null) embeddingRenorm_(weight, input, checkMaxNorm(max_norm), checkNumber(norm_type, 'norm_type'));
  else checkNumber(norm_type, 'norm_type');
  return EMBEDDING.call(weight.h, input.h, padding, scale_grad_by_freq, sparse);
}


/** A size per spatial dimension, or one size for all of them. */
export type SizeOption = number | number[];

export interface ConvolutionOptions {
  bias?: Tensor | null;
  stride?: SizeOption;
  /** Zero padding per side, or `"same"` / `"valid"`. */
  padding?: SizeOption | 'same' | 'valid';
  dilation?: SizeOption;
  groups?: number;
}

const CONVOLUTION_KEYS = optionKeys<ConvolutionOptions>({ bias: true, stride: true, padding: true, dilation: true, groups: true });
// By the number of spatial dimensions: padding as sizes, or "same" / "valid" (the .padding overloads).
const CONVOLUTIONS = {
  1: { sizes: atenOp('conv1d'), named: atenOp('conv1d', 'padding') },
  2: { sizes: atenOp('conv2d'), named: atenOp('conv2d', 'padding') },
  3: { sizes: atenOp('conv3d'), named: atenOp('conv3d', 'padding') },
};

/** `nnf_conv*d`'s optional arguments, positionally in R's and PyTorch's order or as options. */
export type ConvolutionArguments = Positional<[
  bias: Tensor | null, stride: SizeOption, padding: SizeOption | 'same' | 'valid', dilation: SizeOption, groups: number,
], ConvolutionOptions>;

function convolution(dims: 1 | 2 | 3, input: Tensor, weight: Tensor, args: readonly unknown[]): Tensor {
  const options = positionalOptions<ConvolutionOptions>(args, ['bias', 'stride', 'padding', 'dilation', 'groups'], CONVOLUTION_KEYS, `nnf_conv${dims}d`);
  const { bias, stride = 1, padding = 0, dilation = 1, groups = 1 } = options;
  checkTensor(input, 'input');
  checkTensor(weight, 'weight');
  const named = padding === 'same' || padding === 'valid';
  const paddingValue = named ? padding : sizes(padding, dims, 'padding', checkNonNegativeInteger);
  return CONVOLUTIONS[dims][named ? 'named' : 'sizes'].call(input.h, weight.h, optionalTensor(bias, 'bias'), sizes(stride, dims, 'stride'), paddingValue,
    sizes(dilation, dims, 'dilation'), checkPositiveInteger(groups, 'groups'));
}

/**
 * 1-d convolution (cross-correlation, as in PyTorch) of `input` (N x C_in x L) with
 * `weight` (C_out x C_in/groups x K).
 *
 * @example nnf_conv1d(x, w, { padding: 1 })
 */
export function nnf_conv1d(input: Tensor, weight: Tensor, ...args: ConvolutionArguments): Tensor {
  return convolution(1, input, weight, args);
}

/**
 * 2-d convolution of `input` (N x C_in x H x W) with `weight` (C_out x C_in/groups x kH x kW).
 *
 * @example nnf_conv2d(images, w, { bias: b, stride: 2, padding: 1 })
 */
export function nnf_conv2d(input: Tensor, weight: Tensor, ...args: ConvolutionArguments): Tensor {
  return convolution(2, input, weight, args);
}

/** 3-d convolution of `input` (N x C_in x D x H x W) with `weight` (C_out x C_in/groups x kD x kH x kW). @example nnf_conv3d(volumes, w, { padding: 1 }) */
export function nnf_conv3d(input: Tensor, weight: Tensor, ...args: ConvolutionArguments): Tensor {
  return convolution(3, input, weight, args);
}

export interface LayerNormFunctionOptions {
  /** Scale, of shape `normalized_shape` (none). */
  weight?: Tensor | null;
  /** Shift, of shape `normalized_shape` (none); may be given without `weight`, or omitted with it. */
  bias?: Tensor | null;
  /** Added to the variance for stability (1e-5). */
  eps?: number;
}

const LAYER_NORM_KEYS = optionKeys<LayerNormFunctionOptions>({ weight: true, bias: true, eps: true });
const LAYER_NORM = atenOp('layer_norm');

/**
 * Normalises the last dimensions (`normalized_shape`) to mean 0 and variance 1, then scales
 * by `weight` and shifts by `bias` when given.
 *
 * @example
 * nnf_layer_norm(x, [512], { weight: g, bias: b })
 * nnf_layer_norm(x, [512], { weight: g }) // scale only, as nn_layer_norm(512, { bias: false })
 */
export function nnf_layer_norm(input: Tensor, normalized_shape: number[], ...args: Positional<[weight: Tensor | null, bias: Tensor | null, eps: number], LayerNormFunctionOptions>): Tensor {
  const { weight, bias, eps = 1e-5 } = positionalOptions<LayerNormFunctionOptions>(args, ['weight', 'bias', 'eps'], LAYER_NORM_KEYS, 'nnf_layer_norm');
  return LAYER_NORM.call(checkTensor(input, 'input').h, checkShape(normalized_shape, 'normalized_shape'), optionalTensor(weight, 'weight'),
    optionalTensor(bias, 'bias'), checkFinite(eps, 'eps'));
}

// ---- tensor shaping for models ----

const ONE_HOT = atenOp('one_hot');
/** int64 class indices as one-hot rows of `num_classes` (by default one more than the largest index). @example nnf_one_hot(labels, 10) */
export function nnf_one_hot(tensor: Tensor, num_classes = -1): Tensor {
  const classes = checkInteger(num_classes, 'num_classes');
  if (classes < -1) failRange('a number of classes, or -1 to infer it', 'num_classes', num_classes);
  return ONE_HOT.call(checkTensor(tensor, 'tensor'), classes);
}

export interface PadOptions {
  /** "constant" (the default), "reflect", "replicate" or "circular". */
  mode?: 'constant' | 'reflect' | 'replicate' | 'circular';
  /** The fill of "constant" padding (0 by default). */
  value?: number;
}
const PAD_KEYS = optionKeys<PadOptions>({ mode: true, value: true });
const PAD = atenOp('pad');
const PAD_MODES = ['constant', 'reflect', 'replicate', 'circular'];

/**
 * Pads the last dimensions: `pad` lists (before, after) pairs starting from the last dimension,
 * as PyTorch's `F.pad`. @example nnf_pad(x, [1, 1]); nnf_pad(images, [1, 1, 2, 2], { mode: 'reflect' })
 */
export function nnf_pad(input: Tensor, pad: number[], ...args: Positional<[mode: NonNullable<PadOptions['mode']>, value: number], PadOptions>): Tensor {
  const { mode = 'constant', value } = positionalOptions<PadOptions>(args, ['mode', 'value'], PAD_KEYS, 'nnf_pad');
  const sizes = checkDims(pad, 'pad');
  if (sizes.length % 2 !== 0) failRange('an even number of sizes (before and after for each dimension)', 'pad', pad);
  if (!PAD_MODES.includes(mode)) fail(`one of ${PAD_MODES.map((m) => `"${m}"`).join(', ')}`, 'mode', mode);
  if (value !== undefined && mode !== 'constant') fail('no value with a mode other than "constant"', 'value', value);
  return PAD.call(checkTensor(input, 'input'), sizes, mode, value === undefined ? null : checkNumber(value, 'value'));
}

export interface NormalizeOptions {
  /** The exponent of the norm (2 by default). */
  p?: number;
  /** The dimension normalised (1 by default). */
  dim?: number;
  /** The smallest norm divided by, to avoid division by zero. */
  eps?: number;
}
const NORMALIZE_KEYS = optionKeys<NormalizeOptions>({ p: true, dim: true, eps: true });
const VECTOR_NORM = atenOp('linalg_vector_norm');
const CLAMP_MIN = atenOp('clamp_min');

/** `input / max(‖input‖_p, eps)` along `dim`, as PyTorch's `F.normalize`. @example nnf_normalize(embeddings, { dim: -1 }) */
export function nnf_normalize(input: Tensor, ...args: Positional<[p: number, dim: number, eps: number], NormalizeOptions>): Tensor {
  const { p = 2, dim = 1, eps = 1e-12 } = positionalOptions<NormalizeOptions>(args, ['p', 'dim', 'eps'], NORMALIZE_KEYS, 'nnf_normalize');
  checkTensor(input, 'input');
  const norm = VECTOR_NORM.call<Tensor>(input, checkNumber(p, 'p'), [checkInteger(dim, 'dim')], true, null);
  const denominator = CLAMP_MIN.call<Tensor>(norm, checkFinite(eps, 'eps'));
  const result = input.div(torch_expand_as(denominator, input));
  norm.dispose();
  denominator.dispose();
  return result;
}
