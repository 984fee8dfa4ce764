// A tensor's own factories: R torch's `x$new_full(size, fill_value)`, whose result takes
// `x`'s dtype and device unless the options say otherwise, as PyTorch's `Tensor.new_full`.
import { type DeviceLike } from '../core/device.js';
import { dtypeCode, type DTypeLike } from '../core/dtype.js';
import { checkBoolean, checkDevice, checkOptions, checkScalar, optionKeys, shapeFrom } from '../core/validate.js';
import { atenOp } from './aten.js';
import { checkTensor, type Tensor } from './tensor.js';

/** What `new_full` takes besides the size and the value. */
export interface NewFullOptions {
  dtype?: DTypeLike;
  device?: DeviceLike;
  requires_grad?: boolean;
}

const NEW_FULL = atenOp('new_full');
const NEW_FULL_KEYS = optionKeys<NewFullOptions>({ dtype: true, device: true, requires_grad: true });

/**
 * A tensor of `size` filled with `fill_value`, with `self`'s dtype and device unless
 * `options` say otherwise (the method `x.new_full(size, fill_value, options)`).
 *
 * @example x.new_full([2, 2], 7); x.new_full([3], 0, { dtype: 'int64' })
 */
export function torch_new_full(self: Tensor, size: number | number[], fill_value: number | boolean, options?: NewFullOptions): Tensor {
  checkTensor(self, 'self');
  const shape = shapeFrom([size], 'size');
  checkScalar(fill_value, 'fill_value');
  const { dtype, device, requires_grad = false } = checkOptions(options, NEW_FULL_KEYS, 'new_full');
  const result = NEW_FULL.call(self, shape, fill_value, dtype === undefined ? null : dtypeCode(dtype), null,
    device === undefined ? null : checkDevice(device), null);
  return checkBoolean(requires_grad, 'requires_grad') ? result.requires_grad_() : result;
}
