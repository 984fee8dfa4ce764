// R torch's `nn_utils_clip_grad_*`: gradient clipping with PyTorch's arithmetic (1.13's and 2.13's alike)
// (torch/nn/utils/clip_grad.py), operation for operation, so clipped gradients are bit-identical.
import { with_no_grad } from '../ops/autograd.js';
import { torch_tensor } from '../ops/creation.js';
import { torch_stack } from '../ops/functions.js';
import { Tensor, checkTensor } from '../ops/tensor.js';
import { checkBoolean, checkFinite, checkNumber, checkOptions, fail, optionKeys } from '../core/validate.js';

/** Options of `nn_utils_clip_grad_norm_`. */
export interface ClipGradNormOptions {
  /** The p of the p-norm; `Infinity` for the largest absolute value (2). */
  norm_type?: number;
  /** Throw when the total norm is NaN or infinite instead of scaling by it (false). */
  error_if_nonfinite?: boolean;
}

function checkParameters(value: unknown): Tensor[] {
  if (value instanceof Tensor) return [value];
  if (!Array.isArray(value)) fail('a Tensor or an array of Tensors', 'parameters', value);
  return value.map((param, i) => checkTensor(param, `parameters[${i}]`));
}

const CLIP_GRAD_NORM_KEYS = optionKeys<ClipGradNormOptions>({ norm_type: true, error_if_nonfinite: true });

/**
 * Scales the gradients of `parameters` in place so that their norm, taken over all of them
 * together, is at most `max_norm`; returns that total norm (before clipping) as a 0-dim
 * tensor. Parameters without a gradient are skipped. `norm_type` may be given positionally,
 * as in R and PyTorch, or in the options.
 *
 * @example
 * loss.backward();
 * nn_utils_clip_grad_norm_(model.parameters, 1.0);
 * nn_utils_clip_grad_norm_(model.parameters, 1.0, Infinity); // R's norm_type = Inf
 * opt.step();
 */
export function nn_utils_clip_grad_norm_(parameters: Tensor | Tensor[], max_norm: number, norm_type?: number | ClipGradNormOptions,
  options?: Omit<ClipGradNormOptions, 'norm_type'>): Tensor {
  const params = checkParameters(parameters);
  checkNumber(max_norm, 'max_norm');
  const given = typeof norm_type === 'number'
    ? { ...checkOptions(options, optionKeys<Omit<ClipGradNormOptions, 'norm_type'>>({ error_if_nonfinite: true }), 'nn_utils_clip_grad_norm_'), norm_type }
    : options === undefined ? norm_type : fail('no options after an options object', 'nn_utils_clip_grad_norm_ options', options);
  const { norm_type: normType = 2, error_if_nonfinite = false } = checkOptions(given, CLIP_GRAD_NORM_KEYS, 'nn_utils_clip_grad_norm_');
  return clipGradNorm(params, max_norm, checkNumber(normType, 'norm_type'), checkBoolean(error_if_nonfinite, 'error_if_nonfinite'));
}

function clipGradNorm(params: Tensor[], max_norm: number, norm_type: number, error_if_nonfinite: boolean): Tensor {
  const grads = params.map((param) => param.grad).filter((grad): grad is Tensor => grad !== undefined);
  if (grads.length === 0) return torch_tensor(0);
  return with_no_grad(() => {
    let total: Tensor;
    if (norm_type === Infinity) {
      const norms = grads.map((grad) => grad.abs().max());
      total = norms.length === 1 ? norms[0]! : torch_stack(norms).max();
    } else {
      total = torch_stack(grads.map((grad) => grad.norm(norm_type))).norm(norm_type);
    }
    if (error_if_nonfinite && !Number.isFinite(Number(total.item()))) {
      throw new RangeError(`Expected a finite total norm of order ${norm_type} for the gradients of parameters but received ${Number(total.item())} `
        + '(pass error_if_nonfinite: false to scale the gradients by it anyway)');
    }
    // max_norm / (total + 1e-6) as Python evaluates it: Tensor.__rtruediv__ is reciprocal() * max_norm.
    const coefficient = total.add(1e-6).reciprocal().mul(max_norm).clamp(null, 1);
    for (const grad of grads) grad.mul_(coefficient);
    return total;
  });
}

/**
 * Clamps every gradient of `parameters` to [-clip_value, clip_value], in place.
 *
 * @example nn_utils_clip_grad_value_(model.parameters, 0.5)
 */
export function nn_utils_clip_grad_value_(parameters: Tensor | Tensor[], clip_value: number): void {
  const params = checkParameters(parameters);
  checkFinite(clip_value, 'clip_value');
  with_no_grad(() => {
    for (const param of params) param.grad?.clamp_(-clip_value, clip_value);
  });
}
