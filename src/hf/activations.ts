// transformers' activation table (ACT2FN, transformers/activations.py), which config.json names
// by string: GPT-2's `activation_function`, BERT's `hidden_act`. Each is computed as transformers
// computes it (the same operators in the same order, so the same rounding); the two with
// parameters of their own (prelu, xielu) are refused by name.
import { failRange } from '../core/validate.js';
import { atenOp } from '../ops/aten.js';
import type { Tensor } from '../ops/tensor.js';
import { nnf_gelu } from '../nn/functional.js';
import { nnf_silu } from '../nn/functional_activations.js';

const HARDSWISH = atenOp('hardswish');
const HARDTANH = atenOp('hardtanh');
const LEAKY_RELU = atenOp('leaky_relu');
const MISH = atenOp('mish');
const SOFTPLUS = atenOp('softplus');

// 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))), NewGELUActivation's order of operations.
const tanhGelu = (x: Tensor): Tensor => x.mul(0.5).mul(x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI)).tanh().add(1));

/** An activation by its transformers name. */
export type HfActivation = (input: Tensor) => Tensor;

const ACTIVATIONS: Readonly<Record<string, HfActivation>> = {
  gelu: (x) => nnf_gelu(x),
  gelu_10: (x) => nnf_gelu(x).clamp(-10, 10),
  gelu_fast: (x) => x.mul(0.5).mul(x.mul(0.7978845608).mul(x.mul(0.044715).mul(x).add(1)).tanh().add(1)),
  gelu_new: tanhGelu,
  gelu_python: (x) => x.mul(0.5).mul(x.div(Math.SQRT2).erf().add(1)),
  gelu_pytorch_tanh: (x) => nnf_gelu(x, { approximate: 'tanh' }),
  gelu_python_tanh: tanhGelu,
  gelu_accurate: tanhGelu,
  hardswish: (x) => HARDSWISH.call(x),
  laplace: (x) => x.sub(0.707107).div(0.282095 * Math.SQRT2).erf().add(1).mul(0.5),
  leaky_relu: (x) => LEAKY_RELU.call(x, 0.01),
  linear: (x) => x,
  mish: (x) => MISH.call(x),
  quick_gelu: (x) => x.mul(x.mul(1.702).sigmoid()),
  relu: (x) => x.relu(),
  relu2: (x) => x.relu().square(),
  relu6: (x) => HARDTANH.call(x, 0, 6),
  sigmoid: (x) => x.sigmoid(),
  silu: (x) => nnf_silu(x),
  sqrtsoftplus: (x) => SOFTPLUS.call(x, 1, 20).sqrt(),
  swish: (x) => nnf_silu(x),
  tanh: (x) => x.tanh(),
};

/**
 * @internal transformers' activation `value` (config.json's `name` field), refused by name when torchlora
 * does not compute it.
 */
export function checkHfActivation(value: unknown, name: string): string {
  if (typeof value !== 'string' || !Object.hasOwn(ACTIVATIONS, value)) {
    failRange(`an activation torchlora computes (${Object.keys(ACTIVATIONS).join(', ')})`, `config.json's ${name}`, value);
  }
  return value;
}

/** @internal The activation named `name` (checked by `checkHfActivation`). */
export function hfActivation(name: string): HfActivation {
  return ACTIVATIONS[checkHfActivation(name, 'activation')]!;
}

/** @internal The names torchlora computes, in transformers' table order. */
export const HF_ACTIVATION_NAMES: readonly string[] = Object.freeze(Object.keys(ACTIVATIONS));
