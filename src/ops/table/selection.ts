// Tensor methods and torch_* functions of src/ops/selection.ts, as op table entries (see entry.ts).
import type { OpEntry } from './entry.js';

export default [
  {name: "index_select", schema: "index_select(Tensor self, int dim, Tensor index) -> Tensor", doc: "The values of `self` at `index` (int64) along `dim`.", example: {function: "torch_index_select(x, 0, torch_tensor([2, 0], { dtype: 'int64' }))"}},
  {name: "gather", impl: "selection", doc: "`out[i][j] = self[index[i][j]][j]` for dim 0, and so on (PyTorch's gather)."},
  {name: "scatter", impl: "selection", doc: "A copy of `self` with `src` (a tensor or a number) written at `index` along `dim`."},
  {name: "scatter_", impl: "selection", doc: "`torch_scatter` in place; returns `self`."},
  {name: "scatter_add", impl: "selection", doc: "A copy of `self` with `src` added at `index` along `dim` (repeated indices add up)."},
  {name: "scatter_add_", impl: "selection", doc: "`torch_scatter_add` in place; returns `self`."},
  {name: "masked_fill", impl: "selection", doc: "A copy of `self` with `value` where the bool `mask` is true."},
  {name: "masked_fill_", impl: "selection", doc: "`torch_masked_fill` in place; returns `self`."},
  {name: "masked_select", schema: "masked_select(Tensor self, Tensor mask) -> Tensor", doc: "The elements where `mask` is true, as a 1-d tensor.", example: {function: "torch_masked_select(x, x.gt(0))"}},
  {name: "nonzero", impl: "selection", doc: "Indices of the non-zero elements: an n x ndim int64 tensor, or with `as_tuple` one index tensor per dimension (ready for `index()`).  *", signatures: ["nonzero(): Tensor", "nonzero(options: { as_tuple: true }): Tensor[]", "nonzero(options?: { as_tuple?: boolean }): Tensor | Tensor[]"]},
  {name: "narrow", impl: "selection", doc: "`length` elements of `dim` from `start`, as a view."},
  {name: "chunk", impl: "selection", doc: "`chunks` views of (nearly) equal size along `dim`."},
  {name: "split", impl: "selection", doc: "Views along `dim`: of `split_size` elements each (the last may be smaller), or of the sizes listed."},
  {name: "flip", impl: "selection", doc: "Reverses the order along each of `dims`."},
  {name: "roll", impl: "selection", doc: "Rolls elements by `shifts` along `dims` (the flattened tensor when `dims` is omitted)."},
  {name: "tril", impl: "selection", doc: "The lower triangle (on and below diagonal `diagonal`), the rest zero."},
  {name: "triu", impl: "selection", doc: "The upper triangle (on and above diagonal `diagonal`), the rest zero."},
  {name: "tril_", impl: "selection", doc: "`torch_tril` in place; returns `self`."},
  {name: "triu_", impl: "selection", doc: "`torch_triu` in place; returns `self`."},
  {name: "topk", impl: "selection", doc: "The `k` largest values along `dim` (the last by default) and their indices."},
  {name: "sort", impl: "selection", doc: "Sorted values along `dim` (the last by default) and the indices they came from."},
  {name: "argsort", impl: "selection", doc: "The indices that sort `self` along `dim`."},
  {name: "unique", impl: "selection", doc: "The distinct values (of the flattened tensor); with `return_inverse` and/or `return_counts`, an array `[values, inverse?, counts?]` as Python's tuple.  *"},
  {name: "take", schema: "take(Tensor self, Tensor index) -> Tensor", doc: "The elements of the flattened tensor at `index`.", example: {function: "torch_take(x, torch_tensor([0, 5], { dtype: 'int64' }))"}},
] satisfies OpEntry[];
