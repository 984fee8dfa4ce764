// Pointwise math on one tensor, or two (the second may be a number). One entry per op: its
// schema as libtorch declares it, its doc line and example (see entry.ts).
import type { OpEntry } from './entry.js';

export default [
  { name: 'neg', schema: 'neg(Tensor self) -> Tensor', doc: '`-x`.', example: { function: 'torch_neg(x)', method: 'x.neg()' } },
  { name: 'exp', schema: 'exp(Tensor self) -> Tensor', doc: '`e^x`.', example: { function: 'torch_exp(x)', method: 'x.exp()' } },
  { name: 'log', schema: 'log(Tensor self) -> Tensor', doc: 'Natural logarithm.', example: { function: 'torch_log(x)', method: 'x.log()' } },
  { name: 'sqrt', schema: 'sqrt(Tensor self) -> Tensor', doc: 'Square root.', example: { function: 'torch_sqrt(x)' } },
  { name: 'abs', schema: 'abs(Tensor self) -> Tensor', doc: 'Absolute value.', example: { function: 'torch_abs(x)' } },
  { name: 'relu', schema: 'relu(Tensor self) -> Tensor', doc: '`max(x, 0)`.', example: { function: 'torch_relu(x)' } },
  { name: 'sigmoid', schema: 'sigmoid(Tensor self) -> Tensor', doc: 'Logistic sigmoid.', example: { function: 'torch_sigmoid(x)' } },
  { name: 'tanh', schema: 'tanh(Tensor self) -> Tensor', doc: 'Hyperbolic tangent.', example: { function: 'torch_tanh(x)' } },
  { name: 'sin', schema: 'sin(Tensor self) -> Tensor', doc: 'Sine.' },
  { name: 'cos', schema: 'cos(Tensor self) -> Tensor', doc: 'Cosine.' },
  { name: 'square', schema: 'square(Tensor self) -> Tensor', doc: '`x * x`.' },
  { name: 'reciprocal', schema: 'reciprocal(Tensor self) -> Tensor', doc: '`1 / x`.' },
  { name: 'floor', schema: 'floor(Tensor self) -> Tensor', doc: 'Rounds down.' },
  { name: 'ceil', schema: 'ceil(Tensor self) -> Tensor', doc: 'Rounds up.' },
  { name: 'round', schema: 'round(Tensor self) -> Tensor', doc: 'Rounds half to even, as PyTorch does.' },
  { name: 'sign', schema: 'sign(Tensor self) -> Tensor', doc: '-1, 0 or 1.' },
  // torch_pow also takes a number as the base (src/ops/functions.ts): the method only.
  { name: 'pow', schema: ['pow.Tensor_Tensor(Tensor self, Tensor exponent) -> Tensor', 'pow.Tensor_Scalar(Tensor self, Scalar exponent) -> Tensor'], variants: 'method', doc: 'Elementwise power; `exponent` may be a number.', example: { method: 'x.pow(2)' } },
  { name: 'maximum', schema: 'maximum(Tensor self, Tensor other) -> Tensor', doc: 'Elementwise maximum.', example: { function: 'torch_maximum(a, b)' } },
  { name: 'minimum', schema: 'minimum(Tensor self, Tensor other) -> Tensor', doc: 'Elementwise minimum.', example: { function: 'torch_minimum(a, b)' } },
  { name: 'softmax', schema: 'softmax.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor', doc: 'Softmax along `dim`.', example: { method: 'logits.softmax(-1)' } },
  { name: 'log_softmax', schema: 'log_softmax.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor', doc: 'Log of softmax along `dim`, computed stably.', example: { method: 'logits.log_softmax(-1)' } },
] satisfies OpEntry[];
