// Views and copies in a new shape. Sizes go as separate numbers or one array, as in PyTorch
// (`x.reshape(2, -1)`, `x.reshape([2, -1])`); dims are 0-based.
import { operator } from '../core/dispatch.js';
import { checkDims, checkInteger, namedArguments, optionKeys } from '../core/validate.js';
import { checkTensor, opResult, optionalDim, type Tensor } from './tensor.js';

const PERMUTE = operator('permute');
const RESHAPE = operator('reshape');
const VIEW = operator('view');
const EXPAND = operator('expand');
const FLATTEN = operator('flatten', 'using_ints');
const SQUEEZE = { all: operator('squeeze'), dim: operator('squeeze', 'dim') };
const FLATTEN_KEYS = optionKeys<{ start_dim?: number; end_dim?: number }>({ start_dim: true, end_dim: true });
const SQUEEZE_KEYS = optionKeys<{ dim?: number }>({ dim: true });

function dimsFrom(args: unknown[], name: string): number[] {
  return checkDims(args.length === 1 && Array.isArray(args[0]) ? args[0] : args, name);
}

/** Reorders the dimensions. @example torch_permute(x, [2, 0, 1]); x.permute(2, 0, 1) */
export function torch_permute(self: Tensor, ...dims: number[] | [number[]]): Tensor {
  return opResult(PERMUTE, checkTensor(self, 'self').h, dimsFrom(dims, 'dims'));
}

/** The same values in a new shape (a view when possible); -1 infers one size. @example torch_reshape(x, [2, -1]); x.reshape(-1, 4) */
export function torch_reshape(self: Tensor, ...shape: number[] | [number[]]): Tensor {
  return opResult(RESHAPE, checkTensor(self, 'self').h, dimsFrom(shape, 'shape'));
}

/** A view with a new shape (a TorchError if the memory layout does not allow it). @example x.view(2, -1) */
export function torch_view(self: Tensor, ...shape: number[] | [number[]]): Tensor {
  return opResult(VIEW, checkTensor(self, 'self').h, dimsFrom(shape, 'shape'));
}

/** Broadcasts size-1 dimensions to `shape` without copying; -1 keeps a size. @example b.expand(4, -1) */
export function torch_expand(self: Tensor, ...shape: number[] | [number[]]): Tensor {
  return opResult(EXPAND, checkTensor(self, 'self').h, dimsFrom(shape, 'shape'));
}

/** Flattens dimensions `start_dim`..`end_dim` into one. @example torch_flatten(images, 1) */
export function torch_flatten(self: Tensor, start_dim: number | { start_dim?: number; end_dim?: number } = 0, end_dim = -1): Tensor {
  checkTensor(self, 'self');
  const named = namedArguments(start_dim, FLATTEN_KEYS, 'flatten');
  if (named !== null) ({ start_dim = 0, end_dim = -1 } = named);
  return opResult(FLATTEN, self.h, checkInteger(start_dim, 'start_dim'), checkInteger(end_dim, 'end_dim'));
}

/** Removes size-1 dimensions (only `dim` when given). @example torch_squeeze(x, 0) */
export function torch_squeeze(self: Tensor, dim?: number | { dim?: number }): Tensor {
  checkTensor(self, 'self');
  const named = namedArguments(dim, SQUEEZE_KEYS, 'squeeze');
  if (named !== null) ({ dim } = named);
  const axis = optionalDim(dim);
  return axis === null ? opResult(SQUEEZE.all, self.h) : opResult(SQUEEZE.dim, self.h, axis);
}
