// Activations and small modules without parameters, as R torch has them: `nn_silu()`,
// `nn_tanh()`, `nn_sigmoid()`, `nn_softmax(dim)`, `nn_identity()`, `nn_flatten()`, and
// `nnf_silu`.
import { atenOp } from '../ops/aten.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { checkInteger } from '../core/validate.js';
import { nn_Module } from './module.js';
import { nn_module } from './generator.js';

const SILU = atenOp('silu');

/** `x * sigmoid(x)` (also called swish). @example nnf_silu(x) */
export function nnf_silu(input: Tensor): Tensor {
  return SILU.call(checkTensor(input, 'input'));
}

/** The class behind `nn_silu`. */
export class SiLU extends nn_Module {
  override forward(input: Tensor): Tensor { return nnf_silu(input); }
}
/** `nnf_silu` as a module. @example nn_sequential(nn_linear(4, 8), nn_silu()) */
export const nn_silu = nn_module(SiLU, 'nn_silu');
export type nn_silu = SiLU;

/** The class behind `nn_tanh`. */
export class Tanh extends nn_Module {
  override forward(input: Tensor): Tensor { return checkTensor(input, 'input').tanh(); }
}
/** Hyperbolic tangent as a module. @example nn_tanh() */
export const nn_tanh = nn_module(Tanh, 'nn_tanh');
export type nn_tanh = Tanh;

/** The class behind `nn_sigmoid`. */
export class Sigmoid extends nn_Module {
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

/** The class behind `nn_identity`. */
export class Identity extends nn_Module {
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
