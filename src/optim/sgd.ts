// SGD (`optim_sgd`): its table of options and state.
import type { Tensor } from '../ops/tensor.js';
import { failRange } from '../core/validate.js';
import { finite, flag, learningRate, nonNegative, onePath, path, type OptimizerKind, type OptionsOf, type Settings, optimizerOptions } from './kind.js';
import { type Positional } from '../nn/options.js';
import { Optimizer, type ParamGroupInput } from './optimizer.js';

const SGD_FIELDS = {
  /** Learning rate (required, as in R torch). */
  lr: learningRate(),
  /** Momentum factor (0). */
  momentum: nonNegative(0),
  /** Dampening of the momentum (0). */
  dampening: finite(0),
  /** L2 penalty (0). */
  weight_decay: nonNegative(0),
  /** Nesterov momentum (false); needs momentum > 0 and dampening 0. */
  nesterov: flag(),
  /** Maximize the objective instead of minimizing it (false). */
  maximize: flag(),
  /** Run PyTorch's multi-tensor path (`foreach=True`, false); see `AdamOptions.foreach`. */
  foreach: path(),
  /** Run PyTorch's fused kernel (`fused=True`, false); see `AdamOptions.fused`. */
  fused: path(),
};

/** Options of `optim_sgd`. */
export type SGDOptions = OptionsOf<typeof SGD_FIELDS>;

const SGD: OptimizerKind<typeof SGD_FIELDS> = {
  name: 'sgd',
  fields: SGD_FIELDS,
  together: (options: Settings) => {
    if (options.nesterov === true && (options.momentum as number) <= 0) failRange('momentum > 0 with nesterov', 'momentum', options.momentum);
    if (options.nesterov === true && options.dampening !== 0) failRange('dampening 0 with nesterov', 'dampening', options.dampening);
    onePath(options);
  },
  // PyTorch keeps SGD's momentum buffer only with momentum, and no step count.
  state: { tensors: ['momentum_buffer'], needed: () => [], step: false },
};

/**
 * Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay,
 * as `torch.optim.SGD`. `lr` is required.
 *
 * @example const opt = optim_sgd(model.parameters, { lr: 0.01, momentum: 0.9 });
 */
export function optim_sgd(params: Tensor[] | ParamGroupInput<SGDOptions>[], ...args: Positional<[lr: number, momentum: number, dampening: number, weight_decay: number, nesterov: boolean], SGDOptions>): Optimizer<SGDOptions> {
  return new Optimizer<SGDOptions>(SGD, params, optimizerOptions<SGDOptions>(SGD_FIELDS, args, ['lr', 'momentum', 'dampening', 'weight_decay', 'nesterov'], 'optim_sgd'));
}
