// Adagrad (`optim_adagrad`): its table of options and state.
import type { Tensor } from '../ops/tensor.js';
import { flag, learningRate, nonNegative, onePath, path, type OptimizerKind, type OptionsOf, optimizerOptions } from './kind.js';
import { type Positional } from '../nn/options.js';
import { Optimizer, type ParamGroupInput } from './optimizer.js';

const ADAGRAD_FIELDS = {
  /** Learning rate (0.01). */
  lr: learningRate(1e-2),
  /** Learning-rate decay: step t uses lr / (1 + (t - 1) * lr_decay) (0). */
  lr_decay: nonNegative(0),
  /** L2 penalty (0). */
  weight_decay: nonNegative(0),
  /** Starting value of the sum of squared gradients (0). */
  initial_accumulator_value: nonNegative(0),
  /** Added to the denominator for stability (1e-10). */
  eps: nonNegative(1e-10),
  /** Maximize the objective instead of minimizing it (false). */
  maximize: flag(),
  /**
   * Run PyTorch's multi-tensor path (`foreach=True`, false); see `AdamOptions.foreach`. On
   * libtorch 1.13 it scales the step in float32, as Python's does there.
   */
  foreach: path(),
  /**
   * Run PyTorch's fused kernel (`fused=True`, false); see `AdamOptions.fused`. It refuses
   * sparse gradients, as Python's does. On libtorch before 2.4 the default path.
   */
  fused: path(),
};

/** Options of `optim_adagrad`. */
export type AdagradOptions = OptionsOf<typeof ADAGRAD_FIELDS>;

const ADAGRAD: OptimizerKind<typeof ADAGRAD_FIELDS> = {
  name: 'adagrad',
  fields: ADAGRAD_FIELDS,
  together: onePath,
  state: { tensors: ['sum'], needed: () => ['sum'], step: true },
};

/**
 * Adagrad (Duchi et al.), as `torch.optim.Adagrad`: per-element learning rates scaled by the
 * root of the sum of past squared gradients. Its state (step 0, the sum at
 * `initial_accumulator_value`) exists from construction, as in PyTorch. `foreach: true` and
 * `fused: true` take PyTorch's other two paths.
 *
 * @example const opt = optim_adagrad(model.parameters, { lr: 0.1, lr_decay: 1e-4 });
 */
export function optim_adagrad(params: Tensor[] | ParamGroupInput<AdagradOptions>[], ...args: Positional<[lr: number, lr_decay: number, weight_decay: number, initial_accumulator_value: number, eps: number], AdagradOptions>): Optimizer<AdagradOptions> {
  return new Optimizer<AdagradOptions>(ADAGRAD, params, optimizerOptions<AdagradOptions>(ADAGRAD_FIELDS, args, ['lr', 'lr_decay', 'weight_decay', 'initial_accumulator_value', 'eps'], 'optim_adagrad'));
}
