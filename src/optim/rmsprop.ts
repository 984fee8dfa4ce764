// RMSprop (`optim_rmsprop`): its table of options and state.
import type { Tensor } from '../ops/tensor.js';
import { flag, learningRate, nonNegative, path, type OptimizerKind, type OptionsOf, type Settings, optimizerOptions } from './kind.js';
import { type Positional } from '../nn/options.js';
import { Optimizer, type ParamGroupInput } from './optimizer.js';

const RMSPROP_FIELDS = {
  /** Learning rate (0.01). */
  lr: learningRate(1e-2),
  /** Smoothing constant of the running average of the squared gradient (0.99). */
  alpha: nonNegative(0.99),
  /** Added to the denominator for stability (1e-8). */
  eps: nonNegative(1e-8),
  /** L2 penalty (0). */
  weight_decay: nonNegative(0),
  /** Momentum factor (0). */
  momentum: nonNegative(0),
  /** Normalise by an estimate of the gradient's variance instead of its second moment (false). */
  centered: flag(),
  /** Maximize the objective instead of minimizing it (false). */
  maximize: flag(),
  /** Run PyTorch's multi-tensor path (`foreach=True`, false); see `AdamOptions.foreach`. */
  foreach: path(),
};

/** Options of `optim_rmsprop`. */
export type RMSpropOptions = OptionsOf<typeof RMSPROP_FIELDS>;

const RMSPROP: OptimizerKind<typeof RMSPROP_FIELDS> = {
  name: 'rmsprop',
  fields: RMSPROP_FIELDS,
  state: {
    tensors: ['square_avg', 'momentum_buffer', 'grad_avg'],
    needed: (options: Settings) => [
      'square_avg', ...((options.momentum as number) > 0 ? ['momentum_buffer' as const] : []), ...(options.centered === true ? ['grad_avg' as const] : []),
    ],
    step: true,
  },
};

/**
 * RMSprop (Hinton), as `torch.optim.RMSprop`: divides the gradient by a running root mean
 * square, optionally centered and with momentum.
 *
 * @example const opt = optim_rmsprop(model.parameters, { lr: 0.01, momentum: 0.9 });
 */
export function optim_rmsprop(params: Tensor[] | ParamGroupInput<RMSpropOptions>[], ...args: Positional<[lr: number, alpha: number, eps: number, weight_decay: number, momentum: number, centered: boolean], RMSpropOptions>): Optimizer<RMSpropOptions> {
  return new Optimizer<RMSpropOptions>(RMSPROP, params, optimizerOptions<RMSpropOptions>(RMSPROP_FIELDS, args, ['lr', 'alpha', 'eps', 'weight_decay', 'momentum', 'centered'], 'optim_rmsprop'));
}
