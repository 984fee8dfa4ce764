// Activations and small modules without parameters, as R torch has them: `nn_silu()`,
// `nn_tanh()`, `nn_sigmoid()`, `nn_softmax(dim)`, `nn_log_softmax(dim)`, `nn_softmin(dim)`,
// `nn_identity()`, `nn_flatten()`, `nn_unflatten()`. The other activations are in
// activations_pointwise.ts.
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { checkBoolean, checkDims, checkInteger, optionKeys } from '../core/validate.js';
import { nnf_log_softmax } from './functional.js';
import { nnf_silu, nnf_softmin, type InplaceOptions } from './functional_activations.js';
import { nn_Module } from './module.js';
import { nn_module } from './generator.js';
import { ArgumentlessModule, positionalOptions, type Positional } from './options.js';

const INPLACE_KEYS = optionKeys<InplaceOptions>({ inplace: true });

/** The class behind `nn_silu`. */
export class SiLU extends nn_Module {
  readonly inplace: boolean;
  constructor(...args: Positional<[inplace: boolean], InplaceOptions>) {
    super();
    const { inplace = false } = positionalOptions<InplaceOptions>(args, ['inplace'], INPLACE_KEYS, 'nn_silu');
    this.inplace = checkBoolean(inplace, 'inplace');
  }
  override forward(input: Tensor): Tensor { return nnf_silu(input, { inplace: this.inplace }); }
}
/** `nnf_silu` as a module; `{ inplace: true }` changes its input. @example nn_sequential(nn_linear(4, 8), nn_silu()) */
export const nn_silu = nn_module(SiLU, 'nn_silu');
export type nn_silu = SiLU;

/** The class behind `nn_tanh`. */
export class Tanh extends ArgumentlessModule {
  override forward(input: Tensor): Tensor { return checkTensor(input, 'input').tanh(); }
}
/** Hyperbolic tangent as a module. @example nn_tanh() */
export const nn_tanh = nn_module(Tanh, 'nn_tanh');
export type nn_tanh = Tanh;

/** The class behind `nn_sigmoid`. */
export class Sigmoid extends ArgumentlessModule {
  override forward(input: Tensor): Tensor { return checkTensor(input, 'input').sigmoid(); }
}
/** The logistic sigmoid as a module. @example nn_sigmoid() */
export const nn_sigmoid = nn_module(Sigmoid, 'nn_sigmoid');
export type nn_sigmoid = Sigmoid;

/** The class behind `nn_softmax`. */
export class Softmax extends nn_Module {
  readonly dim: number;
  constructor(dim: number) {
    super();
    this.dim = checkInteger(dim, 'dim');
  }
  override forward(input: Tensor): Tensor { return checkTensor(input, 'input').softmax(this.dim); }
}
/** Softmax along `dim` as a module (R torch and PyTorch both ask for `dim`). @example nn_softmax(-1) */
export const nn_softmax = nn_module(Softmax, 'nn_softmax');
export type nn_softmax = Softmax;

/** The class behind `nn_log_softmax`. */
export class LogSoftmax extends nn_Module {
  readonly dim: number;
  constructor(dim: number) {
    super();
    this.dim = checkInteger(dim, 'dim');
  }
  override forward(input: Tensor): Tensor { return nnf_log_softmax(input, this.dim); }
}
/** Log-softmax along `dim` as a module. @example nn_sequential(nn_linear(4, 3), nn_log_softmax(1)) */
export const nn_log_softmax = nn_module(LogSoftmax, 'nn_log_softmax');
export type nn_log_softmax = LogSoftmax;

/** The class behind `nn_softmin`. */
export class Softmin extends nn_Module {
  readonly dim: number;
  constructor(dim: number) {
    super();
    this.dim = checkInteger(dim, 'dim');
  }
  override forward(input: Tensor): Tensor { return nnf_softmin(input, this.dim); }
}
/** Softmax of `-input` along `dim` as a module. @example nn_softmin(-1) */
export const nn_softmin = nn_module(Softmin, 'nn_softmin');
export type nn_softmin = Softmin;

/** The class behind `nn_softmax2d`. */
export class Softmax2d extends ArgumentlessModule {
  override forward(input: Tensor): Tensor {
    checkTensor(input, 'input');
    if (input.dim() !== 3 && input.dim() !== 4) {
      throw new RangeError(`Expected a 3-d or 4-d tensor for input but received a ${input.dim()}-d tensor of shape [${input.shape.join(', ')}]`);
    }
    return input.softmax(-3);
  }
}
/** Softmax over the channels of (N x) C x H x W images, at each location. @example nn_softmax2d() */
export const nn_softmax2d = nn_module(Softmax2d, 'nn_softmax2d');
export type nn_softmax2d = Softmax2d;

/** The class behind `nn_identity`. */
export class Identity extends nn_Module {
  /** Any arguments are taken and ignored, as R's `nn_identity(...)` and PyTorch's `Identity(*args, **kwargs)`. */
  constructor(..._args: unknown[]) { super(); }
  override forward(input: Tensor): Tensor { return input; }
}
/** Returns its input: a placeholder where a layer is optional. @example this.norm = use_norm ? nn_layer_norm(d) : nn_identity() */
export const nn_identity = nn_module(Identity, 'nn_identity');
export type nn_identity = Identity;

/** The class behind `nn_flatten`. */
export class Flatten extends nn_Module {
  readonly start_dim: number;
  readonly end_dim: number;
  constructor(start_dim = 1, end_dim = -1) {
    super();
    this.start_dim = checkInteger(start_dim, 'start_dim');
    this.end_dim = checkInteger(end_dim, 'end_dim');
  }
  override forward(input: Tensor): Tensor { return checkTensor(input, 'input').flatten(this.start_dim, this.end_dim); }
}
/** Flattens dimensions `start_dim` (1, keeping the batch) to `end_dim`. @example nn_sequential(nn_conv2d(1, 8, 3), nn_flatten()) */
export const nn_flatten = nn_module(Flatten, 'nn_flatten');
export type nn_flatten = Flatten;

/** The class behind `nn_unflatten`. */
export class Unflatten extends nn_Module {
  readonly dim: number;
  readonly unflattened_size: number[];
  constructor(dim: number, unflattened_size: number[]) {
    super();
    this.dim = checkInteger(dim, 'dim');
    this.unflattened_size = checkDims(unflattened_size, 'unflattened_size');
  }
  override forward(input: Tensor): Tensor { return checkTensor(input, 'input').unflatten(this.dim, this.unflattened_size); }
}
/** Splits dimension `dim` into `unflattened_size` (one size may be -1). @example nn_unflatten(1, [2, 5]) // N x 10 -> N x 2 x 5 */
export const nn_unflatten = nn_module(Unflatten, 'nn_unflatten');
export type nn_unflatten = Unflatten;
