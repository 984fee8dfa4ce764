// Adam and AdamW (`optim_adam`, `optim_adamw`): their table of options and state.
import type { Tensor } from '../ops/tensor.js';
import { betas, flag, learningRate, nonNegative, onePath, path, type OptimizerKind, type OptionsOf, type Settings, optimizerOptions } from './kind.js';
import { type Positional } from '../nn/options.js';
import { Optimizer, type ParamGroupInput } from './optimizer.js';

const ADAM_FIELDS = {
  /** Learning rate (0.001). */
  lr: learningRate(1e-3),
  /** Decay rates of the running means of the gradient and its square ([0.9, 0.999]). */
  betas: betas([0.9, 0.999]),
  /** Added to the denominator for stability (1e-8). */
  eps: nonNegative(1e-8),
  /** L2 penalty (Adam, 0) or decoupled weight decay (AdamW, 0.01). */
  weight_decay: nonNegative(0),
  /** Use the maximum of past squared-gradient averages (false). */
  amsgrad: flag(),
  /** Maximize the objective instead of minimizing it (false). */
  maximize: flag(),
  /**
   * Run PyTorch's multi-tensor path (`foreach=True`): aten's `_foreach_*` ops over all of a
   * group's parameters at once (false). The same numbers as the default path on the CPU.
   */
  foreach: path(),
  /**
   * Run PyTorch's fused kernel (`fused=True`), one pass per parameter (false): Python's
   * `fused=True` result bit for bit, which differs from the default path's in the last bits.
   * On libtorch before 2.4 (no fused CPU kernels) torchlora's own one-pass loop, with the
   * default path's result. See README, "Fused and foreach optimizers".
   */
  fused: path(),
};

/** Options of `optim_adam` and `optim_adamw`. */
export type AdamOptions = OptionsOf<typeof ADAM_FIELDS>;

const ADAM_STATE = ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'] as const;
const adamState = {
  tensors: ADAM_STATE,
  needed: (options: Settings) => (options.amsgrad === true ? ADAM_STATE : ADAM_STATE.slice(0, 2)),
  step: true,
};

// PyTorch 2.x's Adam and AdamW groups also say which weight decay they apply (AdamW's is
// decoupled): it changes the update, so it loads only where it names the loading optimizer's.
const ADAM: OptimizerKind<typeof ADAM_FIELDS> = {
  name: 'adam', fields: ADAM_FIELDS, together: onePath, state: adamState,
  fixed: { decoupled_weight_decay: { value: false, why: 'optim_adam adds its weight decay to the gradient' } },
};

const ADAMW: OptimizerKind<typeof ADAM_FIELDS> = {
  name: 'adamw', fields: { ...ADAM_FIELDS, weight_decay: nonNegative(1e-2) }, together: onePath, state: adamState,
  fixed: { decoupled_weight_decay: { value: true, why: 'optim_adamw decouples its weight decay' } },
};

/**
 * Adam (Kingma & Ba), as `torch.optim.Adam`. `params` is an array of tensors (such as
 * `model.parameters`) or of parameter groups with their own options. `foreach: true` and
 * `fused: true` take PyTorch's other two paths (`optim_adam(model.parameters, { fused: true })`).
 *
 * @example
 * const opt = optim_adam(model.parameters, { lr: 0.1 });
 * for (let epoch = 1; epoch <= 100; epoch++) {
 *   opt.zero_grad();
 *   const loss = nnf_mse_loss(model(x), y);
 *   loss.backward();
 *   opt.step();
 * }
 */
export function optim_adam(params: Tensor[] | ParamGroupInput<AdamOptions>[], ...args: Positional<[lr: number, betas: [number, number], eps: number, weight_decay: number, amsgrad: boolean], AdamOptions>): Optimizer<AdamOptions> {
  return new Optimizer<AdamOptions>(ADAM, params, optimizerOptions<AdamOptions>(ADAM_FIELDS, args, ['lr', 'betas', 'eps', 'weight_decay', 'amsgrad'], 'optim_adam'));
}

/**
 * AdamW: Adam with decoupled weight decay (default 0.01), as `torch.optim.AdamW`.
 *
 * @example const opt = optim_adamw(model.parameters, { lr: 3e-4, weight_decay: 0.1 });
 */
export function optim_adamw(params: Tensor[] | ParamGroupInput<AdamOptions>[], ...args: Positional<[lr: number, betas: [number, number], eps: number, weight_decay: number, amsgrad: boolean], AdamOptions>): Optimizer<AdamOptions> {
  return new Optimizer<AdamOptions>(ADAMW, params, optimizerOptions<AdamOptions>(ADAM_FIELDS, args, ['lr', 'betas', 'eps', 'weight_decay', 'amsgrad'], 'optim_adamw'));
}
