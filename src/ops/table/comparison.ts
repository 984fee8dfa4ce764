// Comparisons and tests; results are bool tensors (see entry.ts).
import type { OpEntry } from './entry.js';

export default [
  { name: 'eq', schema: ['eq.Tensor(Tensor self, Tensor other) -> Tensor', 'eq.Scalar(Tensor self, Scalar other) -> Tensor'], doc: '`self == other`.', example: { method: 'x.eq(0)' } },
  { name: 'ne', schema: ['ne.Tensor(Tensor self, Tensor other) -> Tensor', 'ne.Scalar(Tensor self, Scalar other) -> Tensor'], doc: '`self != other`.' },
  { name: 'lt', schema: ['lt.Tensor(Tensor self, Tensor other) -> Tensor', 'lt.Scalar(Tensor self, Scalar other) -> Tensor'], doc: '`self < other`.' },
  { name: 'le', schema: ['le.Tensor(Tensor self, Tensor other) -> Tensor', 'le.Scalar(Tensor self, Scalar other) -> Tensor'], doc: '`self <= other`.' },
  { name: 'gt', schema: ['gt.Tensor(Tensor self, Tensor other) -> Tensor', 'gt.Scalar(Tensor self, Scalar other) -> Tensor'], doc: '`self > other`.', example: { function: 'torch_gt(x, 0)' } },
  { name: 'ge', schema: ['ge.Tensor(Tensor self, Tensor other) -> Tensor', 'ge.Scalar(Tensor self, Scalar other) -> Tensor'], doc: '`self >= other`.' },
  { name: 'isnan', schema: 'isnan(Tensor self) -> Tensor', doc: 'NaN positions.' },
  { name: 'isfinite', schema: 'isfinite(Tensor self) -> Tensor', doc: 'Finite positions.' },
  { name: 'logical_not', schema: 'logical_not(Tensor self) -> Tensor', doc: 'Elementwise not.' },
] satisfies OpEntry[];
