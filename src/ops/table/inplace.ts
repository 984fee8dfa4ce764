// Tensor methods of src/ops/inplace.ts, as op table entries (see entry.ts); only clamp_ has a
// public torch_* form, as in R torch.
import type { OpEntry } from './entry.js';

export default [
  { name: 'add_', impl: 'inplace', doc: '`this += alpha * other`; returns this tensor.', example: { method: 'w.add_(delta)' } },
  { name: 'sub_', impl: 'inplace', doc: '`this -= alpha * other`; returns this tensor.', example: { method: 'w.sub_(grad, lr)' } },
  { name: 'mul_', impl: 'inplace', doc: '`this *= other`; returns this tensor.' },
  { name: 'div_', impl: 'inplace', doc: '`this /= other`; returns this tensor.' },
  { name: 'pow_', impl: 'inplace', doc: '`this **= exponent`; returns this tensor.' },
  { name: 'zero_', impl: 'inplace', doc: 'Fills with zeros; returns this tensor.' },
  { name: 'fill_', impl: 'inplace', doc: 'Fills with `value`; returns this tensor.', example: { method: 'x.fill_(1)' } },
  { name: 'copy_', impl: 'inplace', doc: 'Copies `source`\'s values into this tensor (broadcasting).', example: { method: 'w.copy_(saved)' } },
  { name: 'normal_', impl: 'inplace', doc: 'Fills with samples of N(mean, std²) from libtorch\'s generator.', example: { method: 'w.normal_(0, 0.02)' } },
  { name: 'uniform_', impl: 'inplace', doc: 'Fills with samples of U(from, to).', example: { method: 'w.uniform_(-0.1, 0.1)' } },
  { name: 'clamp_', impl: 'inplace', doc: 'Limits values to [min, max] in place.', example: { method: 'x.clamp_(0, 1)' } },
] satisfies OpEntry[];
