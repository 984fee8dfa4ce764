// The 3-d and transposed convolutions, as R torch and PyTorch have them: `nn_conv3d`,
// `nn_conv_transpose1d/2d/3d` and `nnf_conv_transpose1d/2d/3d`. Parameters are made and
// initialised as PyTorch's _ConvNd does (the same draws in the same order); `nn_conv1d` and
// `nn_conv2d` are in layers.ts.
import { torch_empty } from '../ops/creation.js';
import { atenOp } from '../ops/aten.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import {
  checkBoolean, checkNonNegativeInteger, checkPositiveInteger, fail, failRange, optionKeys,
} from '../core/validate.js';
import { nnf_conv3d, type SizeOption } from './functional.js';
import { optionalTensor, sizes } from './checks.js';
import { fanInAndFanOut, nn_init_constant_, nn_init_kaiming_uniform_, nn_init_uniform_ } from './init.js';
import { Convolution, type ConvolutionLayerArguments } from './layers.js';
import { nn_Module } from './module.js';
import { nn_module } from './generator.js';
import { nn_parameter } from './registry.js';
import type { nn_state } from './state_keys.js';
import { factory, FACTORY_KEYS, type FactoryOptions, checkRank, positionalOptions, type Positional } from './options.js';

/** The class behind `nn_conv3d`, for `instanceof` and for types. */
export class Conv3d extends Convolution {
  constructor(in_channels: number, out_channels: number, kernel_size: SizeOption, ...args: ConvolutionLayerArguments) {
    super(3, in_channels, out_channels, kernel_size, args);
  }

  override forward(input: Tensor): Tensor {
    return nnf_conv3d(input, this.weight, this.convolutionOptions);
  }
}

/**
 * 3-d convolution over N x C_in x D x H x W inputs; weight C_out x C_in/groups x kD x kH x kW.
 *
 * @example
 * const conv = nn_conv3d(1, 4, 3, { padding: 1 });
 */
export const nn_conv3d = nn_module(Conv3d, 'nn_conv3d');
export type nn_conv3d = Conv3d;

export interface ConvolutionTransposeOptions {
  bias?: Tensor | null;
  stride?: SizeOption;
  /** `dilation * (kernel_size - 1) - padding` zeros are added to each side of the input (0). */
  padding?: SizeOption;
  /** Extra size added to one side of the output, to pick among the sizes a stride allows (0). */
  output_padding?: SizeOption;
  groups?: number;
  dilation?: SizeOption;
}
const TRANSPOSE_KEYS = optionKeys<ConvolutionTransposeOptions>({ bias: true, stride: true, padding: true, output_padding: true, groups: true, dilation: true });
const TRANSPOSES = { 1: atenOp('conv_transpose1d'), 2: atenOp('conv_transpose2d', 'input'), 3: atenOp('conv_transpose3d', 'input') };

/** `nnf_conv_transpose*d`'s optional arguments, positionally in R's and PyTorch's order or as options. */
export type ConvolutionTransposeArguments = Positional<[
  bias: Tensor | null, stride: SizeOption, padding: SizeOption, output_padding: SizeOption, groups: number, dilation: SizeOption,
], ConvolutionTransposeOptions>;

function convolutionTranspose(dims: 1 | 2 | 3, input: Tensor, weight: Tensor, args: readonly unknown[]): Tensor {
  const where = `nnf_conv_transpose${dims}d`;
  const options = positionalOptions<ConvolutionTransposeOptions>(args, ['bias', 'stride', 'padding', 'output_padding', 'groups', 'dilation'], TRANSPOSE_KEYS, where);
  const { bias, stride = 1, padding = 0, output_padding = 0, groups = 1, dilation = 1 } = options;
  return TRANSPOSES[dims].call(checkTensor(input, 'input'), checkTensor(weight, 'weight'), optionalTensor(bias, 'bias'), sizes(stride, dims, 'stride'),
    sizes(padding, dims, 'padding', checkNonNegativeInteger), sizes(output_padding, dims, 'output_padding', checkNonNegativeInteger),
    checkPositiveInteger(groups, 'groups'), sizes(dilation, dims, 'dilation'));
}

/**
 * The transposed 1-d convolution (the gradient of `nnf_conv1d` with respect to its input) of
 * `input` (N x C_in x L) with `weight` (C_in x C_out/groups x K).
 *
 * @example nnf_conv_transpose1d(x, w, null, 2); nnf_conv_transpose1d(x, w, { stride: 2 })
 */
export function nnf_conv_transpose1d(input: Tensor, weight: Tensor, ...args: ConvolutionTransposeArguments): Tensor {
  return convolutionTranspose(1, input, weight, args);
}

/** The transposed 2-d convolution, `weight` C_in x C_out/groups x kH x kW. @example nnf_conv_transpose2d(x, w, { stride: 2, padding: 1, output_padding: 1 }) */
export function nnf_conv_transpose2d(input: Tensor, weight: Tensor, ...args: ConvolutionTransposeArguments): Tensor {
  return convolutionTranspose(2, input, weight, args);
}

/** The transposed 3-d convolution, `weight` C_in x C_out/groups x kD x kH x kW. @example nnf_conv_transpose3d(x, w) */
export function nnf_conv_transpose3d(input: Tensor, weight: Tensor, ...args: ConvolutionTransposeArguments): Tensor {
  return convolutionTranspose(3, input, weight, args);
}

export interface ConvolutionTransposeLayerOptions extends FactoryOptions {
  stride?: SizeOption;
  padding?: SizeOption;
  output_padding?: SizeOption;
  groups?: number;
  bias?: boolean;
  dilation?: SizeOption;
  /** Only "zeros", as in PyTorch. */
  padding_mode?: 'zeros';
}
/** A transposed convolution layer's optional arguments, positionally in R's and PyTorch's order or as options. */
export type ConvolutionTransposeLayerArguments = Positional<[
  stride: SizeOption, padding: SizeOption, output_padding: SizeOption, groups: number, bias: boolean, dilation: SizeOption, padding_mode: 'zeros',
], ConvolutionTransposeLayerOptions>;
const TRANSPOSE_LAYER_KEYS = optionKeys<ConvolutionTransposeLayerOptions>({
  stride: true, padding: true, output_padding: true, groups: true, bias: true, dilation: true, padding_mode: true, ...FACTORY_KEYS,
});

/** What `nn_conv_transpose1d`, `2d` and `3d` share (PyTorch's _ConvTransposeNd). */
export abstract class ConvolutionTranspose extends nn_Module {
  /** For state_dict's type (the class has private members, which types cannot see). */
  declare readonly [nn_state]?: { weight: Tensor; bias?: Tensor };
  declare weight: nn_parameter;
  declare bias: nn_parameter | null;
  readonly in_channels: number;
  readonly out_channels: number;
  readonly kernel_size: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly output_padding: number[];
  readonly dilation: number[];
  readonly groups: number;

  constructor(readonly dims: 1 | 2 | 3, in_channels: number, out_channels: number, kernel_size: SizeOption, args: readonly unknown[]) {
    super();
    if (dims !== 1 && dims !== 2 && dims !== 3) fail('1, 2 or 3 (use nn_conv_transpose1d, 2d or 3d)', 'dims', dims);
    const names = ['stride', 'padding', 'output_padding', 'groups', 'bias', 'dilation', 'padding_mode'] as const;
    const options = positionalOptions<ConvolutionTransposeLayerOptions>(args, names, TRANSPOSE_LAYER_KEYS, `nn_conv_transpose${dims}d`);
    const { stride = 1, padding = 0, output_padding = 0, groups = 1, bias = true, dilation = 1, padding_mode = 'zeros' } = options;
    if (padding_mode !== 'zeros') fail('"zeros" (the only padding mode of transposed convolutions)', 'padding_mode', padding_mode);
    this.in_channels = checkNonNegativeInteger(in_channels, 'in_channels');
    this.out_channels = checkNonNegativeInteger(out_channels, 'out_channels');
    this.groups = checkPositiveInteger(groups, 'groups');
    if (in_channels % groups !== 0) failRange(`a multiple of groups (${groups})`, 'in_channels', in_channels);
    if (out_channels % groups !== 0) failRange(`a multiple of groups (${groups})`, 'out_channels', out_channels);
    this.kernel_size = sizes(kernel_size, dims, 'kernel_size');
    this.stride = sizes(stride, dims, 'stride');
    this.padding = sizes(padding, dims, 'padding', checkNonNegativeInteger);
    this.output_padding = sizes(output_padding, dims, 'output_padding', checkNonNegativeInteger);
    this.dilation = sizes(dilation, dims, 'dilation');
    this.weight = nn_parameter(torch_empty([in_channels, out_channels / groups, ...this.kernel_size], factory(options)));
    if (checkBoolean(bias, 'bias')) this.bias = nn_parameter(torch_empty(out_channels, factory(options)));
    else this.register_parameter('bias', null);
    this.reset_parameters();
  }

  /** PyTorch's initialisation: kaiming-uniform with a = √5, bias U(±1/√fan_in), fan_in from the weight (C_out/groups x kernel). */
  reset_parameters(): void {
    nn_init_kaiming_uniform_(this.weight, { a: Math.sqrt(5) });
    const [fanIn] = fanInAndFanOut(this.weight);
    if (this.bias === null) return;
    if (fanIn !== 0) nn_init_uniform_(this.bias, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn));
    else nn_init_constant_(this.bias, 0);
  }

  /**
   * `output_size` (the spatial sizes, or all of them) picks the output_padding that gives it,
   * among the sizes the stride allows, as PyTorch's forward does.
   */
  override forward(input: Tensor, output_size?: number[]): Tensor {
    checkRank(input, [this.dims + 1, this.dims + 2]);
    return convolutionTranspose(this.dims, input, this.weight, [{
      bias: this.bias, stride: this.stride, padding: this.padding, output_padding: this.outputPadding(input, output_size), groups: this.groups, dilation: this.dilation,
    }]);
  }

  private outputPadding(input: Tensor, output_size: number[] | undefined): number[] {
    if (output_size === undefined || output_size === null) return this.output_padding;
    const batched = input.dim() === this.dims + 2 ? 2 : 1;
    const spatial = Array.isArray(output_size) && output_size.length === this.dims + batched ? output_size.slice(batched) : output_size;
    const wanted = sizes(spatial, this.dims, 'output_size', checkNonNegativeInteger);
    return wanted.map((size, d) => {
      const smallest = (input.size(d + batched) - 1) * this.stride[d]! - 2 * this.padding[d]! + this.dilation[d]! * (this.kernel_size[d]! - 1) + 1;
      const largest = smallest + this.stride[d]! - 1;
      if (size < smallest || size > largest) failRange(`a size in [${smallest}, ${largest}] for this input`, `output_size[${d}]`, size);
      return size - smallest;
    });
  }
}

/** The class behind `nn_conv_transpose1d`. */
export class ConvTranspose1d extends ConvolutionTranspose {
  constructor(in_channels: number, out_channels: number, kernel_size: SizeOption, ...args: ConvolutionTransposeLayerArguments) {
    super(1, in_channels, out_channels, kernel_size, args);
  }
}
/** The class behind `nn_conv_transpose2d`. */
export class ConvTranspose2d extends ConvolutionTranspose {
  constructor(in_channels: number, out_channels: number, kernel_size: SizeOption, ...args: ConvolutionTransposeLayerArguments) {
    super(2, in_channels, out_channels, kernel_size, args);
  }
}
/** The class behind `nn_conv_transpose3d`. */
export class ConvTranspose3d extends ConvolutionTranspose {
  constructor(in_channels: number, out_channels: number, kernel_size: SizeOption, ...args: ConvolutionTransposeLayerArguments) {
    super(3, in_channels, out_channels, kernel_size, args);
  }
}

/** Transposed 1-d convolution (upsampling) over N x C_in x L inputs. @example nn_conv_transpose1d(16, 8, 4, { stride: 2, padding: 1 }) */
export const nn_conv_transpose1d = nn_module(ConvTranspose1d, 'nn_conv_transpose1d');
export type nn_conv_transpose1d = ConvTranspose1d;
/**
 * Transposed 2-d convolution over N x C_in x H x W inputs; `up(x, [H, W])` picks the output size.
 *
 * @example
 * const up = nn_conv_transpose2d(8, 3, 3, { stride: 2, padding: 1, output_padding: 1 }); // 14x14 -> 28x28
 */
export const nn_conv_transpose2d = nn_module(ConvTranspose2d, 'nn_conv_transpose2d');
export type nn_conv_transpose2d = ConvTranspose2d;
/** Transposed 3-d convolution over N x C_in x D x H x W inputs. @example nn_conv_transpose3d(4, 1, 3) */
export const nn_conv_transpose3d = nn_module(ConvTranspose3d, 'nn_conv_transpose3d');
export type nn_conv_transpose3d = ConvTranspose3d;
