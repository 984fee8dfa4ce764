// A tensor's own factories and in-place fills and shape changes (R's `x$new_full()`, `x$random_()`, `x$t_()`).
import type { OpEntry } from './entry.js';

export default [
  { name: 'new_full', impl: 'factory', doc: 'A tensor of `size` filled with `fill_value`, with this tensor\'s dtype and device unless `options` say otherwise.', example: { method: 'x.new_full([2, 2], 7)' } },
  { name: 'random_', impl: 'random', doc: 'Fills with integers drawn uniformly from [from, to) (`(to)`: [0, to)), from `generator` when given.', example: { method: 'x.random_(0, 10)' } },
  { name: 't_', schema: 't_(Tensor(a!) self) -> Tensor(a!)', variants: 'method', doc: 'Transposes a matrix (≤ 2 dimensions) in place.', example: { method: 'w.t_()' } },
] satisfies OpEntry[];
