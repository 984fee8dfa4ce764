// Variable-length sequences (src/nn/packed_sequence.ts) and the recurrent layers on them:
// packing checked against the layout written out by hand, and each layer on a packed batch
// against the same layer run on every sequence alone (what packing means). Bit-for-bit
// agreement with PyTorch is test/parity/recurrent.parity.test.ts.
import { describe, expect, it } from 'vitest';
import {
  is_packed_sequence, nn_gru, nn_lstm, nn_rnn, nn_utils_rnn_pack_padded_sequence, nn_utils_rnn_pack_sequence, nn_utils_rnn_pad_packed_sequence,
  nn_utils_rnn_pad_sequence, PackedSequence, torch_cat, torch_memory_stats, torch_randn, torch_scope, torch_tensor, torch_zeros, TorchError, type Tensor,
} from '../src/index.js';

const numbers = (t: Tensor): number[] => Array.from(t.to_typed_array() as ArrayLike<number | bigint>, Number);

function expectClose(actual: Tensor, expected: Tensor): void {
  expect(actual.shape).toEqual(expected.shape);
  const [a, b] = [numbers(actual), numbers(expected)];
  a.forEach((value, i) => expect(value).toBeCloseTo(b[i]!, 12));
}

// Three sequences of lengths 3, 1, 2 (one feature): sequence s has values 10s + t at step t.
const padded = torch_tensor([[[0], [10], [20]], [[1], [0], [21]], [[2], [0], [0]]]); // time x batch x 1

describe('packing', () => {
  it('packs time step by time step, longest sequence first, and unpacks in the given order', () => {
    const packed = nn_utils_rnn_pack_padded_sequence(padded, [3, 1, 2], { enforce_sorted: false });
    expect(is_packed_sequence(packed)).toBe(true);
    expect(packed).toBeInstanceOf(PackedSequence);
    expect(numbers(packed.data)).toEqual([0, 20, 10, 1, 21, 2]);
    expect(numbers(packed.batch_sizes)).toEqual([3, 2, 1]);
    expect(numbers(packed.sorted_indices!)).toEqual([0, 2, 1]);
    expect(numbers(packed.unsorted_indices!)).toEqual([0, 2, 1]);
    const [back, lengths] = nn_utils_rnn_pad_packed_sequence(packed, { batch_first: true, padding_value: -1, total_length: 4 });
    expect(back.shape).toEqual([3, 4, 1]);
    expect(numbers(back)).toEqual([0, 1, 2, -1, 10, -1, -1, -1, 20, 21, -1, -1]);
    expect(numbers(lengths)).toEqual([3, 1, 2]);
  });

  it('keeps a sorted batch as it is (no indices)', () => {
    const packed = nn_utils_rnn_pack_padded_sequence(padded.index_select(1, torch_tensor([0, 2, 1], { dtype: 'int64' })), torch_tensor([3, 2, 1]));
    expect([packed.sorted_indices, packed.unsorted_indices]).toEqual([null, null]);
    expect(numbers(packed.data)).toEqual([0, 20, 10, 1, 21, 2]);
  });

  it('pads and packs lists of sequences', () => {
    const sequences = [torch_tensor([1, 2]), torch_tensor([3, 4, 5]), torch_tensor([6])];
    const y = nn_utils_rnn_pad_sequence(sequences, { batch_first: true, padding_value: 9 });
    expect(numbers(y)).toEqual([1, 2, 9, 3, 4, 5, 6, 9, 9]);
    expect(nn_utils_rnn_pad_sequence(sequences).shape).toEqual([3, 3]);
    const packed = nn_utils_rnn_pack_sequence(sequences, { enforce_sorted: false });
    expect(numbers(packed.data)).toEqual([3, 1, 6, 4, 2, 5]);
    expect(numbers(packed.batch_sizes)).toEqual([3, 2, 1]);
  });

  it('refuses bad arguments', () => {
    expect(() => nn_utils_rnn_pack_padded_sequence(padded, [1, 3, 2])).toThrow(TorchError); // libtorch: not sorted, use enforce_sorted
    expect(() => nn_utils_rnn_pack_padded_sequence(padded, [3, 1.5, 2], { enforce_sorted: false })).toThrow('Expected an integer for lengths[1] but received 1.5');
    expect(() => nn_utils_rnn_pack_padded_sequence(padded, 'long' as never)).toThrow(TypeError);
    expect(() => nn_utils_rnn_pack_padded_sequence(torch_zeros(3), [3])).toThrow(RangeError);
    expect(() => nn_utils_rnn_pack_padded_sequence(padded, [3, 2, 1], { sorted: true } as never)).toThrow(/Expected one of batch_first, enforce_sorted/);
    const packed = nn_utils_rnn_pack_sequence([torch_tensor([1, 2, 3])]);
    expect(() => nn_utils_rnn_pad_packed_sequence(packed, { total_length: 2 })).toThrow('Expected at least the length of the longest sequence (3) for total_length but received 2');
    expect(() => nn_utils_rnn_pad_packed_sequence(padded as never)).toThrow('Expected a PackedSequence for sequence but received an instance of Tensor');
    expect(() => nn_utils_rnn_pad_sequence([])).toThrow(TypeError);
    expect(() => nn_utils_rnn_pad_sequence([torch_zeros(2)], { padding_side: 'left' } as never)).toThrow(TypeError);
  });
});

describe('the recurrent layers on a PackedSequence', () => {
  // Sequences of lengths 4, 6, 2 (not sorted), 3 features each.
  const sequences = [torch_randn(4, 3).double(), torch_randn(6, 3).double(), torch_randn(2, 3).double()];
  const cases = [
    ['nn_lstm', () => nn_lstm(3, 5, { num_layers: 2, bidirectional: true, dtype: 'float64' })],
    ['nn_gru', () => nn_gru(3, 4, { bidirectional: true, dtype: 'float64' })],
    ['nn_rnn', () => nn_rnn(3, 4, 2, { nonlinearity: 'relu', dtype: 'float64' })],
  ] as const;

  it.each(cases)('%s gives each sequence what it gives that sequence alone', (_name, make) => {
    const layer = make() as any;
    const [output, final] = layer(nn_utils_rnn_pack_sequence(sequences, { enforce_sorted: false }));
    expect(output).toBeInstanceOf(PackedSequence);
    const [unpacked, lengths] = nn_utils_rnn_pad_packed_sequence(output as PackedSequence);
    expect(numbers(lengths)).toEqual([4, 6, 2]);
    const states: Tensor[] = Array.isArray(final) ? final : [final];
    sequences.forEach((sequence, b) => {
      const [alone, aloneFinal] = layer(sequence.unsqueeze(1));
      const length = sequence.size(0);
      expectClose(unpacked.narrow(1, b, 1).narrow(0, 0, length), alone);
      const aloneStates: Tensor[] = Array.isArray(aloneFinal) ? aloneFinal : [aloneFinal];
      states.forEach((state, i) => expectClose(state.narrow(1, b, 1), aloneStates[i]!));
    });
  });

  it('starts from given states, each in the batch\'s own order', () => {
    const gru = nn_gru(3, 4, { dtype: 'float64' });
    const h0 = torch_randn(1, 3, 4).double();
    const [, h] = gru(nn_utils_rnn_pack_sequence(sequences, { enforce_sorted: false }), h0);
    sequences.forEach((sequence, b) => {
      const [, alone] = gru(sequence.unsqueeze(1), h0.narrow(1, b, 1));
      expectClose(h.narrow(1, b, 1), alone);
    });
  });

  it('checks the states against the batch and the data against input_size', () => {
    const lstm = nn_lstm(3, 4);
    const packed = nn_utils_rnn_pack_sequence([torch_randn(2, 3), torch_randn(1, 3)]);
    expect(() => lstm(packed, [torch_zeros(1, 3, 4), torch_zeros(1, 3, 4)])).toThrow('Expected a tensor of shape [1, 2, 4] for hx[0] but received one of shape [1, 3, 4]');
    expect(() => lstm(nn_utils_rnn_pack_sequence([torch_randn(2, 5)]))).toThrow('Expected an input of 3 features (input_size) for input but received a tensor of shape [2, 5]');
    expect(() => lstm(nn_utils_rnn_pack_sequence([torch_randn(2, 1, 3)]))).toThrow(/Expected a 2-d tensor for input.data/);
    const [output] = lstm(packed);
    output.dispose(); // its own handles: the input's batch_sizes stay usable
    expect(numbers(packed.batch_sizes)).toEqual([2, 1]);
    expect(torch_cat([packed.data, packed.data]).shape).toEqual([6, 3]);
  });

  it('leaves no tensor behind: a scope frees the packed sequences, and dispose() their tensors', () => {
    const lstm = nn_lstm(3, 4, { bidirectional: true });
    const x = torch_randn(5, 3, 3);
    const baseline = torch_memory_stats().tensors;
    torch_scope(() => {
      const [output] = lstm(nn_utils_rnn_pack_padded_sequence(x, [5, 2, 4], { enforce_sorted: false }), null);
      nn_utils_rnn_pad_packed_sequence(output)[0].sum().backward();
    });
    expect(torch_memory_stats().tensors).toBe(baseline);
    const packed = nn_utils_rnn_pack_sequence([torch_randn(2, 3), torch_randn(1, 3)], { enforce_sorted: false });
    const before = torch_memory_stats().tensors;
    packed.dispose();
    expect(torch_memory_stats().tensors).toBe(before - 4); // data, batch_sizes and both indices
  });
});
