// transformers' Conv1D (GPT-2's attention and MLP projections): a linear layer whose weight
// is stored transposed, in x out, so `y = x W + b`. Its own class, not nn_linear, so that
// checkpoints load with their shapes and LoRA knows to treat it as PEFT's `fan_in_fan_out`.
import { checkNonNegativeInteger } from '../core/validate.js';
import { torch_empty, torch_zeros } from '../ops/creation.js';
import type { Tensor } from '../ops/tensor.js';
import { nnf_linear } from './functional.js';
import { nn_init_normal_ } from './init.js';
import { nn_Module } from './module.js';
import { nn_module } from './generator.js';
import { nn_parameter } from './registry.js';
import { factory, type FactoryOptions } from './options.js';

/** The class behind `hf_conv1d`. */
export class Conv1D extends nn_Module {
  declare weight: nn_parameter;
  declare bias: nn_parameter;
  /** Output features (transformers' `nf`). */
  readonly nf: number;
  /** Input features (transformers' `nx`). */
  readonly nx: number;

  /** transformers' argument order: outputs first. */
  constructor(nf: number, nx: number, options: FactoryOptions = {}) {
    super();
    this.nf = checkNonNegativeInteger(nf, 'nf');
    this.nx = checkNonNegativeInteger(nx, 'nx');
    this.weight = nn_parameter(torch_empty(nx, nf, factory(options)));
    this.bias = nn_parameter(torch_zeros(nf, factory(options)));
    nn_init_normal_(this.weight, 0, 0.02);
  }

  override forward(input: Tensor): Tensor {
    return nnf_linear(input, this.weight.t(), this.bias);
  }
}

/**
 * transformers' `Conv1D(nf, nx)`: `y = x W + b` with `weight` nx x nf (inputs x outputs,
 * the transpose of nn_linear's), initialised N(0, 0.02²), bias zeros, as transformers does.
 *
 * @example
 * const c_attn = hf_conv1d(3 * 768, 768); // GPT-2's fused q, k, v projection
 */
export const hf_conv1d = nn_module(Conv1D, 'hf_conv1d');
export type hf_conv1d = Conv1D;
