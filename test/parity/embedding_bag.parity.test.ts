// Parity of nnf_embedding_bag and nn_embedding_bag (src/nn/embedding_bag.ts) with Python
// PyTorch: each mode, 2-d and 1-d input with offsets, include_last_offset, per_sample_weights,
// padding_idx and max_norm; values, the weight's gradient, and the table after renormalising.
// (include_last_offset with indices past the last offset reads uninitialised memory in
// PyTorch's backward, so the last offset here is the input's end.)
// Twins: the @case of the same name in cases_embedding_bag.py.
import { nn_embedding_bag, nnf_embedding_bag, torch_randn, torch_tensor, type Tensor } from '../../src/index.js';
import { forward_backward, parity_suite, type ParityCase } from './harness.js';

const long = (values: number[] | number[][]): Tensor => torch_tensor(values, { dtype: 'int64' });

const cases: ParityCase[] = [
  { name: 'embedding_bag.functional', grad: ['w', 'psw'],
    inputs: () => ({ w: torch_randn(6, 3), rows: long([[0, 2, 1], [5, 5, 3]]), flat: long([1, 2, 4, 5, 4, 3, 2]), offsets: long([0, 2, 2, 5]), ends: long([0, 2, 2, 5, 7]),
      psw: torch_randn(7) }),
    run: ({ w, rows, flat, offsets, ends, psw }) => ({
      mean: nnf_embedding_bag(rows!, w!), sum: nnf_embedding_bag(rows!, w!, { mode: 'sum' }), max: nnf_embedding_bag(rows!, w!, { mode: 'max' }),
      offsets: nnf_embedding_bag(flat!, w!, { offsets }), last: nnf_embedding_bag(flat!, w!, { offsets: ends, include_last_offset: true, mode: 'sum' }),
      weighted: nnf_embedding_bag(flat!, w!, { offsets, per_sample_weights: psw, mode: 'sum' }),
      padding: nnf_embedding_bag(flat!, w!, { offsets, padding_idx: 4 }),
    }) },
  { name: 'embedding_bag.max_norm', grad: [], inputs: () => ({ w: torch_randn(5, 4).mul(3), rows: long([[0, 3], [3, 1]]) }),
    run: ({ w, rows }) => {
      const table = w!.clone();
      return { y: nnf_embedding_bag(rows!, table, { max_norm: 1.5, mode: 'sum' }), table };
    } },
  { name: 'embedding_bag.module', grad: [], inputs: () => ({ flat: long([0, 4, 2, 2, 1]), offsets: long([0, 3]) }),
    run: ({ flat, offsets }) => {
      const bag = nn_embedding_bag(5, 3, { mode: 'sum', padding_idx: -1 });
      return forward_backward(bag, { y: bag(flat!, offsets!) });
    } },
];

parity_suite('embedding bag parity with PyTorch', cases);
