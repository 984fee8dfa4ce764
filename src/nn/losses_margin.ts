// The margin and embedding losses, as R torch and PyTorch have them, each as an `nnf_*`
// function and a module: `multilabel_margin`, `multilabel_soft_margin`, `multi_margin`,
// `soft_margin`, `hinge_embedding` and `cosine_embedding`. Each is libtorch's operator, except
// multilabel_soft_margin, which torch.nn.functional composes (and so does this, op for op).
import { torch_scope } from '../core/scope.js';
import { atenOp } from '../ops/aten.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { checkFinite, checkOptions, failRange, optionKeys } from '../core/validate.js';
import { positionalOptions, type Positional } from './options.js';
import { type LossOptions, type Reduction } from './functional.js';
import { nnf_logsigmoid } from './functional_activations.js';
import { optionalTensor, reductionCode } from './checks.js';
import { Loss, lossModule } from './loss_module.js';
import { nn_module } from './generator.js';

const REDUCTION_KEYS = optionKeys<LossOptions>({ reduction: true });
const MULTILABEL_MARGIN_LOSS = atenOp('multilabel_margin_loss');
const SOFT_MARGIN_LOSS = atenOp('soft_margin_loss');
const MULTI_MARGIN_LOSS = atenOp('multi_margin_loss');
const HINGE_EMBEDDING_LOSS = atenOp('hinge_embedding_loss');
const COSINE_EMBEDDING_LOSS = atenOp('cosine_embedding_loss');

/**
 * Multi-class multi-label hinge loss of scores `input` (C or N x C) against `target` (int64,
 * of the same shape): each row lists its classes (0-based), ended by the first -1.
 *
 * @example nnf_multilabel_margin_loss(scores, torch_tensor([[3, 0, -1, 1]], { dtype: 'int64' }))
 */
export function nnf_multilabel_margin_loss(input: Tensor, target: Tensor, options?: LossOptions): Tensor {
  const { reduction } = checkOptions(options, REDUCTION_KEYS, 'nnf_multilabel_margin_loss');
  return MULTILABEL_MARGIN_LOSS.call(checkTensor(input, 'input'), checkTensor(target, 'target'), reductionCode(reduction));
}

/** The logistic loss `log(1 + exp(-target * input))`, targets 1 or -1. @example nnf_soft_margin_loss(scores, signs) */
export function nnf_soft_margin_loss(input: Tensor, target: Tensor, options?: LossOptions): Tensor {
  const { reduction } = checkOptions(options, REDUCTION_KEYS, 'nnf_soft_margin_loss');
  return SOFT_MARGIN_LOSS.call(checkTensor(input, 'input'), checkTensor(target, 'target'), reductionCode(reduction));
}

export interface MultilabelSoftMarginLossOptions extends LossOptions {
  /** A weight per class. */
  weight?: Tensor | null;
}
const MULTILABEL_SOFT_MARGIN_KEYS = optionKeys<MultilabelSoftMarginLossOptions>({ weight: true, reduction: true });

/**
 * Multi-label one-versus-all logistic loss of scores `input` (N x C) against 0/1 `target`,
 * averaged over the classes, as torch.nn.functional computes it.
 *
 * @example nnf_multilabel_soft_margin_loss(scores, labels)
 */
export function nnf_multilabel_soft_margin_loss(input: Tensor, target: Tensor, ...args: Positional<[weight: Tensor | null], MultilabelSoftMarginLossOptions>): Tensor {
  const where = 'nnf_multilabel_soft_margin_loss';
  const { weight, reduction = 'mean' } = positionalOptions<MultilabelSoftMarginLossOptions>(args, ['weight'], MULTILABEL_SOFT_MARGIN_KEYS, where);
  checkTensor(input, 'input');
  checkTensor(target, 'target');
  const weights = optionalTensor(weight, 'weight');
  reductionCode(reduction);
  if (input.dim() === 0) failRange('a tensor of at least 1 dimension', 'input', 'a 0-d tensor');
  return torch_scope(() => {
    const positive = target.mul(nnf_logsigmoid(input));
    const negative = target.neg().add(1).mul(nnf_logsigmoid(input.neg()));
    let loss = positive.add(negative).neg();
    if (weights !== null) loss = loss.mul(weights);
    const classDim = input.dim() - 1;
    const perSample = loss.sum({ dim: classDim }).div(input.size(classDim));
    return reduce(perSample, reduction);
  });
}

function reduce(loss: Tensor, reduction: Reduction): Tensor {
  return reduction === 'none' ? loss : reduction === 'mean' ? loss.mean() : loss.sum();
}

export interface MultiMarginLossOptions extends LossOptions {
  /** 1 or 2: the hinge, or its square (1). */
  p?: number;
  /** The margin (1). */
  margin?: number;
  /** A weight per class. */
  weight?: Tensor | null;
}
const MULTI_MARGIN_KEYS = optionKeys<MultiMarginLossOptions>({ p: true, margin: true, weight: true, reduction: true });

/**
 * Multi-class hinge loss of scores `input` (C or N x C) at the class indices `target`
 * (int64, 0-based): the mean over the other classes of `max(0, margin - x[y] + x[i])^p`.
 *
 * @example nnf_multi_margin_loss(scores, labels, { margin: 0.5 })
 */
export function nnf_multi_margin_loss(input: Tensor, target: Tensor, ...args: Positional<[p: number, margin: number, weight: Tensor | null], MultiMarginLossOptions>): Tensor {
  const { p = 1, margin = 1, weight, reduction } = positionalOptions<MultiMarginLossOptions>(args, ['p', 'margin', 'weight'], MULTI_MARGIN_KEYS, 'nnf_multi_margin_loss');
  if (p !== 1 && p !== 2) failRange('1 or 2', 'p', p);
  const weights = optionalTensor(weight, 'weight');
  if (weights !== null && weights.dim() !== 1) failRange('a 1-d weight', 'weight', `a ${weights.dim()}-d tensor`);
  return MULTI_MARGIN_LOSS.call(checkTensor(input, 'input'), checkTensor(target, 'target'), p, checkFinite(margin, 'margin'), weights, reductionCode(reduction));
}

export interface MarginOptions extends LossOptions {
  /** The margin (1 for hinge_embedding, 0 for cosine_embedding). */
  margin?: number;
}
const MARGIN_KEYS = optionKeys<MarginOptions>({ margin: true, reduction: true });

/**
 * `x` where the target is 1, `max(0, margin - x)` where it is -1: a loss over distances `input`.
 *
 * @example nnf_hinge_embedding_loss(distances, same_or_not, { margin: 2 })
 */
export function nnf_hinge_embedding_loss(input: Tensor, target: Tensor, ...args: Positional<[margin: number], MarginOptions>): Tensor {
  const { margin = 1, reduction } = positionalOptions<MarginOptions>(args, ['margin'], MARGIN_KEYS, 'nnf_hinge_embedding_loss');
  return HINGE_EMBEDDING_LOSS.call(checkTensor(input, 'input'), checkTensor(target, 'target'), checkFinite(margin, 'margin'), reductionCode(reduction));
}

/**
 * `1 - cos(input1, input2)` where the target is 1, `max(0, cos - margin)` where it is -1,
 * over rows of `input1` and `input2` (N x D, or D).
 *
 * @example nnf_cosine_embedding_loss(a, b, torch_tensor([1, -1]), { margin: 0.2 })
 */
export function nnf_cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, ...args: Positional<[margin: number], MarginOptions>): Tensor {
  const { margin = 0, reduction } = positionalOptions<MarginOptions>(args, ['margin'], MARGIN_KEYS, 'nnf_cosine_embedding_loss');
  return COSINE_EMBEDDING_LOSS.call(checkTensor(input1, 'input1'), checkTensor(input2, 'input2'), checkTensor(target, 'target'),
    checkFinite(margin, 'margin'), reductionCode(reduction));
}

/** `nnf_multilabel_margin_loss` as a module. @example nn_multilabel_margin_loss() */
export const nn_multilabel_margin_loss = lossModule(nnf_multilabel_margin_loss, REDUCTION_KEYS, 'nn_multilabel_margin_loss');
/** `nnf_soft_margin_loss` as a module. @example nn_soft_margin_loss({ reduction: 'sum' }) */
export const nn_soft_margin_loss = lossModule(nnf_soft_margin_loss, REDUCTION_KEYS, 'nn_soft_margin_loss');
/** `nnf_multilabel_soft_margin_loss` as a module. @example nn_multilabel_soft_margin_loss({ weight }) */
export const nn_multilabel_soft_margin_loss = lossModule<MultilabelSoftMarginLossOptions, [weight: Tensor | null]>(
  nnf_multilabel_soft_margin_loss, MULTILABEL_SOFT_MARGIN_KEYS, 'nn_multilabel_soft_margin_loss', ['weight']);
/** `nnf_multi_margin_loss` as a module. @example nn_multi_margin_loss({ p: 2, margin: 0.5 }) */
export const nn_multi_margin_loss = lossModule<MultiMarginLossOptions, [p: number, margin: number, weight: Tensor | null]>(
  nnf_multi_margin_loss, MULTI_MARGIN_KEYS, 'nn_multi_margin_loss', ['p', 'margin', 'weight']);
/** `nnf_hinge_embedding_loss` as a module. @example nn_hinge_embedding_loss({ margin: 2 }) */
export const nn_hinge_embedding_loss = lossModule<MarginOptions, [margin: number]>(nnf_hinge_embedding_loss, MARGIN_KEYS, 'nn_hinge_embedding_loss', ['margin']);

/** The class behind `nn_cosine_embedding_loss`: a loss of two inputs and a target. */
export class CosineEmbeddingLoss extends Loss<MarginOptions> {
  constructor(...args: Positional<[margin: number], MarginOptions>) {
    super(positionalOptions<MarginOptions>(args, ['margin'], MARGIN_KEYS, 'nn_cosine_embedding_loss'), MARGIN_KEYS, 'nn_cosine_embedding_loss');
  }

  override forward(input1: Tensor, input2: Tensor, target?: Tensor): Tensor {
    if (target === undefined) failRange('a target (forward takes input1, input2, target)', 'target', target);
    return nnf_cosine_embedding_loss(input1, input2, target, this.options);
  }
}
/** `nnf_cosine_embedding_loss` as a module: `loss(input1, input2, target)`. @example nn_cosine_embedding_loss({ margin: 0.2 }) */
export const nn_cosine_embedding_loss = nn_module(CosineEmbeddingLoss, 'nn_cosine_embedding_loss');
export type nn_cosine_embedding_loss = CosineEmbeddingLoss;
