// R torch's `nn_init_*`: in-place initialisers that record no gradient, computed as
// torch.nn.init computes them (fan, gain, bound, then one uniform_/normal_ draw), so that
// under the same seed they consume libtorch's generator as Python does and give its weights.
// Each random one takes PyTorch's `generator` (a torch_generator() to draw from instead).
import { native } from '../core/native.js';
import { atenOp } from '../ops/aten.js';
import { with_no_grad } from '../ops/autograd.js';
import { generatorOf, type torch_Generator } from '../ops/random.js';
import { torch_eye } from '../ops/creation.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { checkFinite, fail, failRange, optionKeys } from '../core/validate.js';
import { positionalOptions, type Positional } from './options.js';

/** The nonlinearities `calculate_gain` knows. */
export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

const NONLINEARITIES = new Set<string>(['linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d',
  'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu']);

function checkNonlinearity(value: unknown): string {
  if (typeof value !== 'string' || !NONLINEARITIES.has(value)) fail(`one of ${[...NONLINEARITIES].join(', ')}`, 'nonlinearity', value);
  return value;
}

const UNIFORM_ = atenOp('uniform_');
const NORMAL_ = atenOp('normal_');
const FILL_ = atenOp('fill_', 'Scalar');

// Each initialiser's one draw (or fill), unrecorded, so that it may fill parameters that require gradients.
function uniform_(tensor: Tensor, from: number, to: number, generator: unknown): void {
  const drawFrom = generatorOf(generator);
  with_no_grad(() => UNIFORM_.callInPlace(tensor.h, from, to, drawFrom));
}

function normal_(tensor: Tensor, mean: number, std: number, generator: unknown): void {
  const drawFrom = generatorOf(generator);
  with_no_grad(() => NORMAL_.callInPlace(tensor.h, mean, std, drawFrom));
}

function checkFanMode(value: unknown): 'fan_in' | 'fan_out' {
  if (value !== 'fan_in' && value !== 'fan_out') fail('"fan_in" or "fan_out"', 'mode', value);
  return value;
}

// Fans need a matrix or more.
function checkMatrix(tensor: Tensor, what: string): Tensor {
  checkTensor(tensor, 'tensor');
  if (tensor.dim() < 2) failRange(`a tensor with at least 2 dimensions (${what} needs fan in and fan out)`, 'tensor', `a tensor of shape [${tensor.shape.join(', ')}]`);
  return tensor;
}

// _calculate_fan_in_and_fan_out of a checked matrix: dimension 1 is the inputs, 0 the outputs, the rest the receptive field.
function fans(matrix: Tensor): [number, number] {
  const [outputs, inputs, ...kernel] = matrix.shape as [number, number, ...number[]];
  const receptiveField = kernel.reduce((product, size) => product * size, 1);
  return [inputs * receptiveField, outputs * receptiveField];
}

/** What the kaiming initialisers accept. */
export interface KaimingOptions {
  /** The negative slope of leaky_relu (0). */
  a?: number;
  /** Keep the variance of the activations ("fan_in", the default) or of the gradients ("fan_out"). */
  mode?: 'fan_in' | 'fan_out';
  /** The nonlinearity that follows ("leaky_relu"). */
  nonlinearity?: Nonlinearity;
  /** A torch_generator() to draw from (the default generator when omitted). */
  generator?: torch_Generator | null;
}

const KAIMING_KEYS = optionKeys<KaimingOptions>({ a: true, mode: true, nonlinearity: true, generator: true });

// torch.nn.init's kaiming initialisers return a zero-element tensor untouched, before
// computing fans (which would divide by zero); the others compute as usual.
function kaiming(tensor: Tensor, args: readonly unknown[], name: string, uniform: boolean): Tensor {
  const { a = 0, mode = 'fan_in', nonlinearity = 'leaky_relu', generator } = positionalOptions<KaimingOptions>(args, ['a', 'mode', 'nonlinearity', 'generator'], KAIMING_KEYS, name);
  checkTensor(tensor, 'tensor');
  generatorOf(generator);
  checkFinite(a, 'a');
  checkFanMode(mode);
  checkNonlinearity(nonlinearity);
  if (tensor.numel() === 0) return tensor;
  const [fanIn, fanOut] = fans(checkMatrix(tensor, name.slice('nn_init_'.length)));
  const std = calculateGain(nonlinearity, a) / Math.sqrt(mode === 'fan_in' ? fanIn : fanOut);
  if (uniform) {
    // The uniform law of that std, as init.py computes its bound.
    const bound = Math.sqrt(3) * std;
    uniform_(tensor, -bound, bound, generator);
  } else normal_(tensor, 0, std, generator);
  return tensor;
}

// calculate_gain; `param` is leaky_relu's negative slope (undefined: PyTorch's default 0.01).
function calculateGain(nonlinearity: string, param: number | undefined): number {
  if (nonlinearity === 'linear' || nonlinearity === 'sigmoid' || nonlinearity.startsWith('conv')) return 1;
  if (nonlinearity === 'tanh') return 5 / 3;
  if (nonlinearity === 'relu') return Math.sqrt(2);
  if (nonlinearity === 'leaky_relu') {
    const slope = param ?? 0.01;
    // init.py's `negative_slope ** 2` is the C library's pow, which differs from slope * slope
    // in the last bit for about 1 slope in 1,000.
    return Math.sqrt(2 / (1 + native.libmPow(slope, 2)));
  }
  return 3 / 4; // selu, the last checkNonlinearity lets through
}

/**
 * The recommended gain for a nonlinearity (`param` is leaky_relu's negative slope, 0.01 by default).
 *
 * @example nn_init_calculate_gain('relu') // Math.SQRT2
 */
export function nn_init_calculate_gain(nonlinearity: Nonlinearity, param?: number): number {
  return calculateGain(checkNonlinearity(nonlinearity), param === undefined ? undefined : checkFinite(param, 'param'));
}

/**
 * Kaiming (He) uniform: U(-b, b) with b = gain · √(3 / fan). `nn_linear` and the convolutions
 * use `a = √5`. A tensor with no elements is returned as it is, as in PyTorch.
 *
 * @example nn_init_kaiming_uniform_(w, Math.sqrt(5)); nn_init_kaiming_uniform_(w, { a: Math.sqrt(5) })
 */
export function nn_init_kaiming_uniform_(tensor: Tensor, ...args: Positional<[a: number, mode: 'fan_in' | 'fan_out', nonlinearity: Nonlinearity, generator: torch_Generator | null], KaimingOptions>): Tensor {
  return kaiming(tensor, args, 'nn_init_kaiming_uniform_', true);
}

/** Kaiming (He) normal: N(0, (gain / √fan)²). @example nn_init_kaiming_normal_(w, { mode: 'fan_out', nonlinearity: 'relu' }) */
export function nn_init_kaiming_normal_(tensor: Tensor, ...args: Positional<[a: number, mode: 'fan_in' | 'fan_out', nonlinearity: Nonlinearity, generator: torch_Generator | null], KaimingOptions>): Tensor {
  return kaiming(tensor, args, 'nn_init_kaiming_normal_', false);
}

// Xavier's std, gain · √(2 / (fan_in + fan_out)); PyTorch fails (ZeroDivisionError) when both fans are 0.
function xavierStd(tensor: Tensor, what: string, gain: number): number {
  const [fanIn, fanOut] = fans(checkMatrix(tensor, what));
  if (fanIn + fanOut === 0) failRange(`a tensor with fan_in + fan_out > 0 (${what} divides by it)`, 'tensor', `a tensor of shape [${tensor.shape.join(', ')}]`);
  return checkFinite(gain, 'gain') * Math.sqrt(2 / (fanIn + fanOut));
}

/** Xavier (Glorot) uniform: U(-b, b) with b = gain · √(6 / (fan_in + fan_out)). @example nn_init_xavier_uniform_(w) */
export function nn_init_xavier_uniform_(tensor: Tensor, gain = 1, generator: torch_Generator | null = null): Tensor {
  generatorOf(generator);
  const bound = Math.sqrt(3) * xavierStd(tensor, 'xavier_uniform_', gain);
  uniform_(tensor, -bound, bound, generator);
  return tensor;
}

/** Xavier (Glorot) normal: N(0, gain² · 2 / (fan_in + fan_out)). @example nn_init_xavier_normal_(w) */
export function nn_init_xavier_normal_(tensor: Tensor, gain = 1, generator: torch_Generator | null = null): Tensor {
  generatorOf(generator);
  normal_(tensor, 0, xavierStd(tensor, 'xavier_normal_', gain), generator);
  return tensor;
}

/** Fills with U(a, b), from `generator` when given. @example nn_init_uniform_(bias, -0.1, 0.1) */
export function nn_init_uniform_(tensor: Tensor, a = 0, b = 1, generator: torch_Generator | null = null): Tensor {
  checkFinite(a, 'a');
  if (checkFinite(b, 'b') < a) failRange(`b >= a (${a})`, 'b', b);
  uniform_(checkTensor(tensor, 'tensor'), a, b, generator);
  return tensor;
}

/** Fills with N(mean, std²), from `generator` when given. @example nn_init_normal_(embedding.weight, 0, 0.02, g) */
export function nn_init_normal_(tensor: Tensor, mean = 0, std = 1, generator: torch_Generator | null = null): Tensor {
  checkFinite(mean, 'mean');
  if (checkFinite(std, 'std') < 0) failRange('a non-negative std', 'std', std);
  normal_(checkTensor(tensor, 'tensor'), mean, std, generator);
  return tensor;
}

/** Fills with `value`. @example nn_init_constant_(bias, 0.1) */
export function nn_init_constant_(tensor: Tensor, value: number): Tensor {
  checkTensor(tensor, 'tensor');
  checkFinite(value, 'value');
  with_no_grad(() => FILL_.callInPlace(tensor.h, value));
  return tensor;
}

/** Fills with zeros. @example nn_init_zeros_(lora.B) */
export function nn_init_zeros_(tensor: Tensor): Tensor {
  return nn_init_constant_(tensor, 0);
}

/** Fills with ones. @example nn_init_ones_(norm.weight) */
export function nn_init_ones_(tensor: Tensor): Tensor {
  return nn_init_constant_(tensor, 1);
}

/** `[fan_in, fan_out]` of a weight: its input and output sizes times the kernel size. @example fan_in_and_fan_out(w) */
export function fanInAndFanOut(tensor: Tensor): [number, number] {
  return fans(checkMatrix(tensor, 'fan_in_and_fan_out'));
}

/**
 * Fills a 2-d tensor with the identity matrix (ones on the diagonal, zeros elsewhere), as
 * PyTorch's `nn.init.eye_`; keeps the identity of the inputs in linear layers.
 *
 * @example nn_init_eye_(nn_linear(4, 4).weight)
 */
export function nn_init_eye_(tensor: Tensor): Tensor {
  checkTensor(tensor, 'tensor');
  if (tensor.dim() !== 2) failRange('a 2-d tensor', 'tensor', `a ${tensor.dim()}-d tensor`);
  with_no_grad(() => {
    const eye = torch_eye(tensor.size(0), tensor.size(1), { dtype: tensor.dtype, device: tensor.device });
    tensor.copy_(eye);
    eye.dispose();
  });
  return tensor;
}
