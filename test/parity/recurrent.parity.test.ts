// Parity of nn_rnn, of the variable-length sequence functions (src/nn/packed_sequence.ts) and
// of the recurrent layers on packed input with Python PyTorch: made under the same seed, each
// layer has the same parameters (compared by PyTorch's names), and its outputs, the final
// states and every gradient are the same. Twins: the @case of the same name in cases_recurrent.py.
import {
  nn_gru, nn_lstm, nn_rnn, nn_utils_rnn_pack_padded_sequence, nn_utils_rnn_pack_sequence, nn_utils_rnn_pad_packed_sequence,
  nn_utils_rnn_pad_sequence, torch_randn, torch_tensor, type nn_Module, type PackedSequence, type Tensor,
} from '../../src/index.js';
import { forward_backward, parity_suite, type ParityCase, type Tensors } from './harness.js';

const randn = (...shape: number[]): Tensor => torch_randn(shape);
const x = (...shape: number[]) => (): Tensors => ({ x: randn(...shape) });

type Forward = (module: any, inputs: Tensors) => Tensors;

/** A case whose module is made inside run, after torch_manual_seed(0), as its Python twin's is. */
function steps(name: string, make: () => nn_Module, inputs: () => Tensors, forward: Forward, grad = ['x']): ParityCase {
  return { name: `recurrent.${name}`, inputs, grad, run: (given) => {
    const module = make();
    return forward_backward(module, forward(module, given));
  } };
}

const rnn: Forward = (module, { x, h }) => {
  const [y, h_n] = module(x, h);
  return { y, h_n };
};

// sequence 5, batch 3, features 4 (batch first when batch_first)
const sequence = x(5, 3, 4);

const rnnCases: ParityCase[] = [
  steps('rnn.tanh', () => nn_rnn(4, 6), sequence, rnn),
  // num_layers positionally, as R's nn_rnn(4, 5, 2) and Python's nn.RNN(4, 5, 2)
  steps('rnn.relu.layers.bidirectional', () => nn_rnn(4, 5, 2, { nonlinearity: 'relu', bidirectional: true }), sequence, rnn),
  // Every argument positionally, in R's and PyTorch's order (num_layers, nonlinearity, bias, batch_first, dropout, bidirectional).
  steps('rnn.positional', () => nn_rnn(4, 5, 2, 'relu', false, false, 0, true), sequence, rnn),
  steps('rnn.batch_first.no_bias.hx', () => nn_rnn(4, 3, { batch_first: true, bias: false }), () => ({ x: randn(3, 5, 4), h: randn(1, 3, 3) }), rnn, ['x', 'h']),
  steps('rnn.unbatched.hx', () => nn_rnn(4, 5, { num_layers: 2, batch_first: true }), () => ({ x: randn(6, 4), h: randn(2, 5) }), rnn, ['x', 'h']),
  steps('rnn.dropout.train', () => nn_rnn(4, 5, { num_layers: 3, dropout: 0.4, nonlinearity: 'relu' }), sequence, rnn),
  steps('rnn.dropout.eval', () => nn_rnn(4, 5, { num_layers: 3, dropout: 0.4 }).eval(), sequence, rnn),
  steps('rnn.float64', () => nn_rnn(3, 4, { dtype: 'float64', bidirectional: true }), () => ({ x: randn(4, 2, 3).double() }), rnn),
];

// ---- the sequence functions

const packed = (sequence: PackedSequence, prefix: string): Tensors => {
  const result: Tensors = { [`${prefix}.data`]: sequence.data, [`${prefix}.batch_sizes`]: sequence.batch_sizes };
  if (sequence.sorted_indices !== null) result[`${prefix}.sorted_indices`] = sequence.sorted_indices;
  if (sequence.unsorted_indices !== null) result[`${prefix}.unsorted_indices`] = sequence.unsorted_indices;
  return result;
};

const sequenceCases: ParityCase[] = [
  { name: 'recurrent.pad_sequence', grad: ['a', 'b', 'c'], inputs: () => ({ a: randn(5, 3), b: randn(2, 3), c: randn(4, 3) }),
    run: ({ a, b, c }) => ({
      y: nn_utils_rnn_pad_sequence([a!, b!, c!]),
      batch_first: nn_utils_rnn_pad_sequence([a!, b!, c!], { batch_first: true, padding_value: -1.5 }),
      one: nn_utils_rnn_pad_sequence(b!),
    }) },
  { name: 'recurrent.pack_padded_sequence.sorted', grad: ['x'], inputs: x(5, 3, 2),
    run: ({ x }) => packed(nn_utils_rnn_pack_padded_sequence(x!, [5, 3, 2]), 'p') },
  // Unsorted lengths as a tensor, batch first: sorted, packed, then padded back in the given order.
  { name: 'recurrent.pack_padded_sequence.unsorted', grad: ['x'], inputs: x(3, 5, 2), run: ({ x }) => {
    const sequence = nn_utils_rnn_pack_padded_sequence(x!, torch_tensor([2, 5, 3]), { batch_first: true, enforce_sorted: false });
    const [padded, lengths] = nn_utils_rnn_pad_packed_sequence(sequence, { batch_first: true, padding_value: 9, total_length: 7 });
    return { ...packed(sequence, 'p'), padded, lengths };
  } },
  { name: 'recurrent.pack_sequence', grad: ['a', 'b', 'c'], inputs: () => ({ a: randn(3, 2, 2), b: randn(4, 2, 2), c: randn(1, 2, 2) }), run: ({ a, b, c }) => {
    const sequence = nn_utils_rnn_pack_sequence([a!, b!, c!], { enforce_sorted: false });
    const [padded, lengths] = nn_utils_rnn_pad_packed_sequence(sequence);
    return { ...packed(sequence, 'p'), padded, lengths };
  } },
];

// ---- the layers on packed input: outputs padded back, final states in the batch's order

function packedForward(lengths: number[], options: { batch_first?: boolean; enforce_sorted?: boolean }, lstm = false): Forward {
  return (module, { x, h, c }) => {
    const input = nn_utils_rnn_pack_padded_sequence(x!, lengths, options);
    const state = h === undefined ? undefined : lstm ? [h, c] : h;
    const [output, final] = module(input, state) as [PackedSequence, Tensor | [Tensor, Tensor]];
    const [y, y_lengths] = nn_utils_rnn_pad_packed_sequence(output, { batch_first: options.batch_first });
    const states: Tensors = Array.isArray(final) ? { h_n: final[0], c_n: final[1] } : { h_n: final };
    return { y, y_lengths, data: output.data, ...states };
  };
}

const packedCases: ParityCase[] = [
  steps('lstm.packed', () => nn_lstm(4, 5, { num_layers: 2, bidirectional: true }), () => ({ x: randn(6, 3, 4), h: randn(4, 3, 5), c: randn(4, 3, 5) }),
    packedForward([4, 6, 2], { enforce_sorted: false }, true), ['x', 'h', 'c']),
  steps('lstm.packed.proj_size.batch_first', () => nn_lstm(4, 6, { proj_size: 3, batch_first: true }), x(3, 5, 4),
    packedForward([5, 3, 3], { batch_first: true }, true)),
  steps('gru.packed', () => nn_gru(4, 5, { bidirectional: true }), () => ({ x: randn(6, 3, 4), h: randn(2, 3, 5) }),
    packedForward([5, 3, 6], { enforce_sorted: false }), ['x', 'h']),
  steps('rnn.packed.dropout.train', () => nn_rnn(4, 5, { num_layers: 2, nonlinearity: 'relu', dropout: 0.3 }), x(5, 4, 4),
    packedForward([2, 5, 5, 1], { enforce_sorted: false })),
];

// A state_dict made here, loaded by PyTorch's load_state_dict (strict: the same names) and here.
const stateDictCase = (name: string, make: () => nn_Module): ParityCase => ({
  name: `recurrent.state_dict.${name}`, grad: ['x'],
  inputs: () => ({ ...Object.fromEntries(Object.entries(make().state_dict()).map(([key, value]) => [key, randn(...value.shape)])), x: randn(4, 2, 3) }),
  run: ({ x, ...state }) => {
    const module = make();
    module.load_state_dict(state);
    return forward_backward(module, { y: (module(x) as [Tensor, unknown])[0] });
  },
});

const stateDictCases: ParityCase[] = [
  stateDictCase('lstm', () => nn_lstm(3, 4, { num_layers: 2, bidirectional: true, proj_size: 2 })),
  stateDictCase('gru', () => nn_gru(3, 4, { num_layers: 2, bias: false })),
  stateDictCase('rnn', () => nn_rnn(3, 4, { bidirectional: true, nonlinearity: 'relu' })),
];

parity_suite('nn_rnn, packed sequences and recurrent layers on them: parity with PyTorch', [...rnnCases, ...sequenceCases, ...packedCases, ...stateDictCases]);
