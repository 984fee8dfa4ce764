// Channel dropout, as R torch and PyTorch have it: `nnf_dropout2d`, `nnf_dropout3d` and their
// modules zero whole channels (feature maps) at once, through libtorch's feature_dropout.
import { atenOp } from '../ops/aten.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { checkBoolean, optionKeys } from '../core/validate.js';
import { type DropoutOptions } from './functional.js';
import { nn_Module } from './module.js';
import { nn_module } from './generator.js';
import { checkProbability, checkRank, positionalOptions, type Positional } from './options.js';

/** `nnf_dropout`'s options and `inplace`, which changes the input itself and returns it. */
export interface ChannelDropoutOptions extends DropoutOptions {
  inplace?: boolean;
}
const CHANNEL_DROPOUT_KEYS = optionKeys<ChannelDropoutOptions>({ p: true, training: true, inplace: true });
const FEATURE_DROPOUT = atenOp('feature_dropout');
const FEATURE_DROPOUT_ = atenOp('feature_dropout_');

function featureDropout(input: Tensor, p: number, training: boolean, inplace: boolean): Tensor {
  if (!inplace) return FEATURE_DROPOUT.call(input, p, training);
  FEATURE_DROPOUT_.callInPlace(input, p, training);
  return input;
}

/**
 * Zeroes each channel of N x C x H x W input (or N x C x L, as PyTorch treats 3-d input)
 * with probability `p` while `training` (true), scaling the rest by 1 / (1 - p).
 *
 * @example nnf_dropout2d(features, 0.2, model.training); nnf_dropout2d(features, { p: 0.2, training: model.training })
 */
export function nnf_dropout2d(input: Tensor, ...args: Positional<[p: number, training: boolean, inplace: boolean], ChannelDropoutOptions>): Tensor {
  const { p = 0.5, training = true, inplace = false } = positionalOptions<ChannelDropoutOptions>(args, ['p', 'training', 'inplace'], CHANNEL_DROPOUT_KEYS, 'nnf_dropout2d');
  checkRank(input, [3, 4]);
  return featureDropout(input, checkProbability(p, 'p'), checkBoolean(training, 'training'), checkBoolean(inplace, 'inplace'));
}

/**
 * Zeroes each channel of N x C x D x H x W (or unbatched C x D x H x W) input with
 * probability `p` while `training`, scaling the rest by 1 / (1 - p).
 *
 * @example nnf_dropout3d(volumes, { p: 0.1 })
 */
export function nnf_dropout3d(input: Tensor, ...args: Positional<[p: number, training: boolean, inplace: boolean], ChannelDropoutOptions>): Tensor {
  const { p = 0.5, training = true, inplace = false } = positionalOptions<ChannelDropoutOptions>(args, ['p', 'training', 'inplace'], CHANNEL_DROPOUT_KEYS, 'nnf_dropout3d');
  checkRank(input, [4, 5]);
  const probability = checkProbability(p, 'p');
  const train = checkBoolean(training, 'training');
  const inPlace = checkBoolean(inplace, 'inplace');
  if (input.dim() === 5) return featureDropout(input, probability, train, inPlace);
  // Unbatched: one batch of one, as PyTorch does; in place, through a view of the input.
  if (inPlace) {
    const view = input.unsqueeze(0);
    featureDropout(view, probability, train, true);
    view.dispose();
    return input;
  }
  const batched = input.unsqueeze(0);
  const result = featureDropout(batched, probability, train, false);
  batched.dispose();
  const squeezed = result.squeeze(0);
  result.dispose();
  return squeezed;
}

const CHANNEL_DROPOUT_LAYER_KEYS = optionKeys<{ inplace?: boolean }>({ inplace: true });

/** What `nn_dropout2d` and `nn_dropout3d` share. */
abstract class ChannelDropout extends nn_Module {
  readonly p: number;
  readonly inplace: boolean;
  protected constructor(p: number, args: readonly unknown[], where: string) {
    super();
    this.p = checkProbability(p, 'p');
    const { inplace = false } = positionalOptions<{ inplace?: boolean }>(args, ['inplace'], CHANNEL_DROPOUT_LAYER_KEYS, where);
    this.inplace = checkBoolean(inplace, 'inplace');
  }
}

/** The class behind `nn_dropout2d`. */
export class Dropout2d extends ChannelDropout {
  constructor(p = 0.5, ...args: Positional<[inplace: boolean], { inplace?: boolean }>) { super(p, args, 'nn_dropout2d'); }
  override forward(input: Tensor): Tensor { return nnf_dropout2d(checkTensor(input, 'input'), { p: this.p, training: this.training, inplace: this.inplace }); }
}
/** Channel dropout of images in training mode; nothing after `eval()`. @example nn_dropout2d(0.2) */
export const nn_dropout2d = nn_module(Dropout2d, 'nn_dropout2d');
export type nn_dropout2d = Dropout2d;

/** The class behind `nn_dropout3d`. */
export class Dropout3d extends ChannelDropout {
  constructor(p = 0.5, ...args: Positional<[inplace: boolean], { inplace?: boolean }>) { super(p, args, 'nn_dropout3d'); }
  override forward(input: Tensor): Tensor { return nnf_dropout3d(checkTensor(input, 'input'), { p: this.p, training: this.training, inplace: this.inplace }); }
}
/** Channel dropout of volumes in training mode; nothing after `eval()`. @example nn_dropout3d(0.2) */
export const nn_dropout3d = nn_module(Dropout3d, 'nn_dropout3d');
export type nn_dropout3d = Dropout3d;
