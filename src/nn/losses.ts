// More losses (`nnf_nll_loss`, `nnf_binary_cross_entropy`, `nnf_kl_div`, `nnf_smooth_l1_loss`,
// `nnf_huber_loss`, over libtorch's operators) and the module form of every loss, as R torch
// and PyTorch have them: `nn_mse_loss()` is a module whose forward is `nnf_mse_loss` with the
// options given at construction.
import { atenOp } from '../ops/aten.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { checkBoolean, checkFinite, checkInteger, checkOptions, failRange, optionKeys } from '../core/validate.js';
import { positionalOptions, type Positional } from './options.js';
import {
  nnf_binary_cross_entropy_with_logits, nnf_cross_entropy, nnf_l1_loss, nnf_mse_loss,
  type BinaryCrossEntropyWithLogitsOptions, type CrossEntropyOptions, type LossOptions, type Reduction,
} from './functional.js';
import { broadcastPair, optionalTensor, reductionCode } from './checks.js';
import { lossModule } from './loss_module.js';

export { Loss } from './loss_module.js';

const NLL_LOSS = atenOp('nll_loss_nd');
const BINARY_CROSS_ENTROPY = atenOp('binary_cross_entropy');
const KL_DIV = atenOp('kl_div');
const SMOOTH_L1_LOSS = atenOp('smooth_l1_loss');
const HUBER_LOSS = atenOp('huber_loss');

export interface NllLossOptions {
  /** A weight per class. */
  weight?: Tensor | null;
  /** Targets equal to this class index are skipped. */
  ignore_index?: number;
  reduction?: Reduction;
}
const NLL_KEYS = optionKeys<NllLossOptions>({ weight: true, ignore_index: true, reduction: true });

/**
 * Negative log likelihood of log-probabilities `input` (N x C, or N x C x ...) at the class
 * indices `target` (int64, 0-based). @example nnf_nll_loss(logits.log_softmax(1), labels)
 */
export function nnf_nll_loss(input: Tensor, target: Tensor, ...args: Positional<[weight: Tensor | null], NllLossOptions>): Tensor {
  const { weight, ignore_index = -100, reduction } = positionalOptions<NllLossOptions>(args, ['weight'], NLL_KEYS, 'nnf_nll_loss');
  return NLL_LOSS.call(checkTensor(input, 'input'), checkTensor(target, 'target'), optionalTensor(weight, 'weight'),
    reductionCode(reduction), checkInteger(ignore_index, 'ignore_index'));
}

export interface BinaryCrossEntropyOptions {
  /** A weight per element, broadcast to the target's shape. */
  weight?: Tensor | null;
  reduction?: Reduction;
}
const BCE_KEYS = optionKeys<BinaryCrossEntropyOptions>({ weight: true, reduction: true });

/**
 * Binary cross entropy of probabilities `input` (in [0, 1]) against `target` of the same
 * shape. @example nnf_binary_cross_entropy(torch_sigmoid(logits), labels)
 */
export function nnf_binary_cross_entropy(input: Tensor, target: Tensor, ...args: Positional<[weight: Tensor | null], BinaryCrossEntropyOptions>): Tensor {
  const { weight, reduction } = positionalOptions<BinaryCrossEntropyOptions>(args, ['weight'], BCE_KEYS, 'nnf_binary_cross_entropy');
  checkTensor(input, 'input');
  checkTensor(target, 'target');
  // torch.nn.functional checks the sizes and expands the weight to them before the kernel.
  if (input.shape.join() !== target.shape.join()) {
    failRange(`a target of the input's shape [${input.shape.join(', ')}]`, 'target', `shape [${target.shape.join(', ')}]`);
  }
  const weights = optionalTensor(weight, 'weight');
  return BINARY_CROSS_ENTROPY.call(input, target, weights === null ? null : weights.expand(target.shape), reductionCode(reduction));
}

export interface KlDivOptions {
  /** "mean" averages over every element; "batchmean", the mathematically right mean, over the batch. */
  reduction?: Reduction | 'batchmean';
  /** `target` holds log-probabilities too. */
  log_target?: boolean;
}
const KL_KEYS = optionKeys<KlDivOptions>({ reduction: true, log_target: true });

/**
 * The Kullback-Leibler divergence of `target` from `input` (log-probabilities).
 * @example nnf_kl_div(student.log_softmax(-1), teacher.softmax(-1), { reduction: 'batchmean' })
 */
export function nnf_kl_div(input: Tensor, target: Tensor, options?: KlDivOptions): Tensor {
  const { reduction = 'mean', log_target = false } = checkOptions(options, KL_KEYS, 'nnf_kl_div');
  checkTensor(input, 'input');
  checkTensor(target, 'target');
  const logTarget = checkBoolean(log_target, 'log_target');
  if (reduction !== 'batchmean') return KL_DIV.call(input, target, reductionCode(reduction), logTarget);
  const total = KL_DIV.call<Tensor>(input, target, reductionCode('sum'), logTarget);
  if (input.dim() === 0) return total;
  const result = total.div(input.size(0));
  total.dispose();
  return result;
}

export interface SmoothL1LossOptions extends LossOptions {
  /** Where the loss turns from quadratic to linear (0 gives the L1 loss). */
  beta?: number;
}
const SMOOTH_L1_KEYS = optionKeys<SmoothL1LossOptions>({ reduction: true, beta: true });

/** `0.5 x² / beta` for |x| < beta, else `|x| - 0.5 beta`, of x = input - target. @example nnf_smooth_l1_loss(pred, y, { beta: 0.5 }) */
export function nnf_smooth_l1_loss(input: Tensor, target: Tensor, options?: SmoothL1LossOptions): Tensor {
  const { reduction, beta = 1 } = checkOptions(options, SMOOTH_L1_KEYS, 'nnf_smooth_l1_loss');
  if (checkFinite(beta, 'beta') < 0) failRange('a non-negative beta', 'beta', beta);
  if (beta === 0) return nnf_l1_loss(input, target, { reduction });
  return SMOOTH_L1_LOSS.call(...broadcastPair(input, target), reductionCode(reduction), beta);
}

export interface HuberLossOptions extends LossOptions {
  /** Where the loss turns from quadratic to linear. */
  delta?: number;
}
const HUBER_KEYS = optionKeys<HuberLossOptions>({ reduction: true, delta: true });

/** `0.5 x²` for |x| < delta, else `delta (|x| - 0.5 delta)`, of x = input - target. @example nnf_huber_loss(pred, y, { delta: 2 }) */
export function nnf_huber_loss(input: Tensor, target: Tensor, options?: HuberLossOptions): Tensor {
  const { reduction, delta = 1 } = checkOptions(options, HUBER_KEYS, 'nnf_huber_loss');
  if (!(checkFinite(delta, 'delta') > 0)) failRange('a positive delta', 'delta', delta);
  return HUBER_LOSS.call(...broadcastPair(input, target), reductionCode(reduction), delta);
}

// ---- module forms: the options are checked once, at construction ----

const REDUCTION_KEYS = optionKeys<LossOptions>({ reduction: true });

/** `nnf_mse_loss` as a module. @example const criterion = nn_mse_loss(); criterion(pred, y) */
export const nn_mse_loss = lossModule(nnf_mse_loss, REDUCTION_KEYS, 'nn_mse_loss');
/** `nnf_l1_loss` as a module. @example nn_l1_loss({ reduction: 'sum' }) */
export const nn_l1_loss = lossModule(nnf_l1_loss, REDUCTION_KEYS, 'nn_l1_loss');
/** `nnf_cross_entropy` as a module. @example nn_cross_entropy_loss({ label_smoothing: 0.1 }) */
export const nn_cross_entropy_loss = lossModule<CrossEntropyOptions, [weight: Tensor | null]>(nnf_cross_entropy,
  optionKeys<CrossEntropyOptions>({ weight: true, ignore_index: true, reduction: true, label_smoothing: true }), 'nn_cross_entropy_loss', ['weight']);
/** `nnf_nll_loss` as a module. @example nn_nll_loss({ ignore_index: 0 }) */
export const nn_nll_loss = lossModule<NllLossOptions, [weight: Tensor | null]>(nnf_nll_loss, NLL_KEYS, 'nn_nll_loss', ['weight']);
/** `nnf_binary_cross_entropy` as a module. @example nn_bce_loss() */
export const nn_bce_loss = lossModule<BinaryCrossEntropyOptions, [weight: Tensor | null]>(nnf_binary_cross_entropy, BCE_KEYS, 'nn_bce_loss', ['weight']);
/** `nnf_binary_cross_entropy_with_logits` as a module. @example nn_bce_with_logits_loss({ pos_weight }) */
export const nn_bce_with_logits_loss = lossModule<BinaryCrossEntropyWithLogitsOptions, [weight: Tensor | null]>(nnf_binary_cross_entropy_with_logits,
  optionKeys<BinaryCrossEntropyWithLogitsOptions>({ weight: true, reduction: true, pos_weight: true }), 'nn_bce_with_logits_loss', ['weight']);
/** `nnf_kl_div` as a module. @example nn_kl_div_loss({ reduction: 'batchmean' }) */
export const nn_kl_div_loss = lossModule(nnf_kl_div, KL_KEYS, 'nn_kl_div_loss');
/** `nnf_smooth_l1_loss` as a module. @example nn_smooth_l1_loss({ beta: 0.5 }) */
export const nn_smooth_l1_loss = lossModule(nnf_smooth_l1_loss, SMOOTH_L1_KEYS, 'nn_smooth_l1_loss');
/** `nnf_huber_loss` as a module. @example nn_huber_loss({ delta: 2 }) */
export const nn_huber_loss = lossModule(nnf_huber_loss, HUBER_KEYS, 'nn_huber_loss');
