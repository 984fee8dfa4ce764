// Variable-length sequences as PyTorch's torch/nn/utils/rnn.py has them: a PackedSequence
// (the time steps of a batch of sorted sequences, interleaved) made by libtorch's own
// _pack_padded_sequence and undone by _pad_packed_sequence, as PyTorch's functions call them.
// Indices are 0-based (R torch's PackedSequence shows them 1-based).
import { atenOp } from '../ops/aten.js';
import { torch_tensor } from '../ops/creation.js';
import { torch_empty_like } from '../ops/math.js';
import { torch_sort } from '../ops/selection.js';
import { checkTensor, Tensor } from '../ops/tensor.js';
import { checkBoolean, checkFinite, checkNonNegativeInteger, fail, failRange, optionKeys } from '../core/validate.js';
import { positionalOptions, type Positional } from './options.js';

const PACK_PADDED = atenOp('_pack_padded_sequence');
const PAD_PACKED = atenOp('_pad_packed_sequence');
const PAD_SEQUENCE = atenOp('pad_sequence');

/** The position each index of `permutation` moves to (PyTorch's invert_permutation). */
function invertPermutation(permutation: Tensor): Tensor {
  const positions = torch_tensor(Array.from({ length: permutation.numel() }, (_, i) => i), { dtype: 'int64', device: permutation.device });
  return torch_empty_like(permutation).scatter_(0, permutation, positions);
}

/**
 * A batch of variable-length sequences packed for the recurrent layers (PyTorch's
 * PackedSequence): `data` holds the sequences' time steps, step by step, longest sequence
 * first; `batch_sizes[t]` says how many sequences reach step t; `sorted_indices` is the order
 * the batch was sorted into (null when it came sorted) and `unsorted_indices` its inverse.
 *
 * @example
 * const packed = nn_utils_rnn_pack_sequence([a, b], { enforce_sorted: false });
 * const [output] = lstm(packed);                           // a PackedSequence too
 * const [padded, lengths] = nn_utils_rnn_pad_packed_sequence(output);
 */
export class PackedSequence {
  readonly data: Tensor;
  readonly batch_sizes: Tensor;
  readonly sorted_indices: Tensor | null;
  readonly unsorted_indices: Tensor | null;

  /** `unsorted_indices` defaults to the inverse of `sorted_indices`, as PyTorch's constructor. */
  constructor(data: Tensor, batch_sizes: Tensor, sorted_indices: Tensor | null = null, unsorted_indices: Tensor | null = null) {
    this.data = checkTensor(data, 'data');
    this.batch_sizes = checkTensor(batch_sizes, 'batch_sizes');
    if (batch_sizes.dtype !== 'int64' || batch_sizes.dim() !== 1 || batch_sizes.device !== 'cpu') {
      fail('a 1-d int64 tensor on the CPU', 'batch_sizes', batch_sizes);
    }
    this.sorted_indices = sorted_indices === null ? null : checkTensor(sorted_indices, 'sorted_indices');
    this.unsorted_indices = unsorted_indices === null ? (this.sorted_indices === null ? null : invertPermutation(this.sorted_indices))
      : checkTensor(unsorted_indices, 'unsorted_indices');
  }

  /** Releases the four tensors now. @example packed.dispose() */
  dispose(): void {
    for (const tensor of [this.data, this.batch_sizes, this.sorted_indices, this.unsorted_indices]) tensor?.dispose();
  }

  [Symbol.dispose](): void { this.dispose(); }
}

/** Whether `x` is a PackedSequence (R's `is_packed_sequence`). @example if (is_packed_sequence(x)) ... */
export function is_packed_sequence(x: unknown): x is PackedSequence {
  return x instanceof PackedSequence;
}

// Lengths as PyTorch takes them: an array of integers or a tensor, made an int64 CPU tensor.
function checkLengths(lengths: unknown): Tensor {
  if (lengths instanceof Tensor) {
    if (lengths.dim() !== 1 || lengths.device !== 'cpu') fail('a 1-d tensor on the CPU or an array of integers', 'lengths', lengths);
    return lengths.to({ dtype: 'int64' });
  }
  if (!Array.isArray(lengths)) fail('a 1-d tensor on the CPU or an array of integers', 'lengths', lengths);
  return torch_tensor(lengths.map((length, i) => checkNonNegativeInteger(length, `lengths[${i}]`)), { dtype: 'int64' });
}

export interface PackPaddedSequenceOptions {
  /** `input` is batch x time x * (false: time x batch x *). */
  batch_first?: boolean;
  /** The sequences come sorted by decreasing length (true); false sorts them, and unpacking restores the order. */
  enforce_sorted?: boolean;
}
const PACK_PADDED_KEYS = optionKeys<PackPaddedSequenceOptions>({ batch_first: true, enforce_sorted: true });

/**
 * Packs a padded batch (time x batch x *, or batch x time x * with `batch_first`) of
 * sequences of the given `lengths` (an array, or a 1-d tensor on the CPU).
 *
 * @example
 * const packed = nn_utils_rnn_pack_padded_sequence(x, [3, 5, 2], { enforce_sorted: false });
 */
export function nn_utils_rnn_pack_padded_sequence(input: Tensor, lengths: Tensor | number[], ...args: Positional<[batch_first: boolean, enforce_sorted: boolean], PackPaddedSequenceOptions>): PackedSequence {
  const where = 'nn_utils_rnn_pack_padded_sequence';
  const { batch_first = false, enforce_sorted = true } = positionalOptions<PackPaddedSequenceOptions>(args, ['batch_first', 'enforce_sorted'], PACK_PADDED_KEYS, where);
  checkTensor(input, 'input');
  if (input.dim() < 2) throw new RangeError(`Expected a tensor of at least 2 dimensions for input but received a ${input.dim()}-d tensor`);
  checkBoolean(batch_first, 'batch_first');
  let sortedLengths = checkLengths(lengths);
  let sorted_indices: Tensor | null = null;
  let sortedInput = input;
  if (!checkBoolean(enforce_sorted, 'enforce_sorted')) {
    [sortedLengths, sorted_indices] = torch_sort(sortedLengths, { descending: true });
    sorted_indices = sorted_indices.to({ device: input.device });
    sortedInput = input.index_select(batch_first ? 0 : 1, sorted_indices);
  }
  const [data, batch_sizes] = PACK_PADDED.call<[Tensor, Tensor]>(sortedInput, sortedLengths, batch_first);
  return new PackedSequence(data, batch_sizes, sorted_indices, null);
}

export interface PadPackedSequenceOptions {
  /** Return batch x time x * (false: time x batch x *). */
  batch_first?: boolean;
  /** The value of the padded positions (0). */
  padding_value?: number;
  /** Pad to this many steps (null: the longest sequence's length). */
  total_length?: number | null;
}
const PAD_PACKED_KEYS = optionKeys<PadPackedSequenceOptions>({ batch_first: true, padding_value: true, total_length: true });

/**
 * Undoes `nn_utils_rnn_pack_padded_sequence`: returns `[padded, lengths]`, the batch in its
 * original order.
 *
 * @example
 * const [padded, lengths] = nn_utils_rnn_pad_packed_sequence(output, { batch_first: true }); // or (output, true)
 */
export function nn_utils_rnn_pad_packed_sequence(sequence: PackedSequence, ...args: Positional<[
  batch_first: boolean, padding_value: number, total_length: number | null,
], PadPackedSequenceOptions>): [Tensor, Tensor] {
  if (!(sequence instanceof PackedSequence)) fail('a PackedSequence', 'sequence', sequence);
  const names = ['batch_first', 'padding_value', 'total_length'] as const;
  const { batch_first = false, padding_value = 0, total_length = null } = positionalOptions<PadPackedSequenceOptions>(args, names, PAD_PACKED_KEYS, 'nn_utils_rnn_pad_packed_sequence');
  checkBoolean(batch_first, 'batch_first');
  let max_length = sequence.batch_sizes.size(0) as number;
  if (total_length !== null) {
    checkNonNegativeInteger(total_length, 'total_length');
    if (total_length < max_length) failRange(`at least the length of the longest sequence (${max_length})`, 'total_length', total_length);
    max_length = total_length;
  }
  const [padded, lengths] = PAD_PACKED.call<[Tensor, Tensor]>(sequence.data, sequence.batch_sizes, batch_first, checkFinite(padding_value, 'padding_value'), max_length);
  const order = sequence.unsorted_indices;
  if (order === null) return [padded, lengths];
  return [padded.index_select(batch_first ? 0 : 1, order), lengths.index_select(0, order.to({ device: 'cpu' }))];
}

export interface PadSequenceOptions {
  /** Return batch x time x * (false: time x batch x *). */
  batch_first?: boolean;
  /** The value of the padded positions (0). */
  padding_value?: number;
}
const PAD_SEQUENCE_KEYS = optionKeys<PadSequenceOptions>({ batch_first: true, padding_value: true });

function checkSequences(sequences: unknown): Tensor[] {
  if (sequences instanceof Tensor) return [sequences];
  if (!Array.isArray(sequences) || sequences.length === 0) fail('a Tensor or a non-empty array of Tensors', 'sequences', sequences);
  return sequences.map((item, i) => checkTensor(item, `sequences[${i}]`));
}

/**
 * Stacks sequences of different lengths (each length x *) into one tensor, time x batch x *
 * (batch x time x * with `batch_first`), padded with `padding_value`.
 *
 * @example
 * nn_utils_rnn_pad_sequence([torch_ones(25, 300), torch_ones(22, 300)]).shape // [25, 2, 300]
 */
export function nn_utils_rnn_pad_sequence(sequences: Tensor | Tensor[], ...args: Positional<[batch_first: boolean, padding_value: number], PadSequenceOptions>): Tensor {
  const { batch_first = false, padding_value = 0 } = positionalOptions<PadSequenceOptions>(args, ['batch_first', 'padding_value'], PAD_SEQUENCE_KEYS, 'nn_utils_rnn_pad_sequence');
  // PyTorch 2.5's padding_side is left out: R has none, and libtorch 1.13's schema neither.
  return PAD_SEQUENCE.call(checkSequences(sequences), checkBoolean(batch_first, 'batch_first'), checkFinite(padding_value, 'padding_value'));
}

export interface PackSequenceOptions {
  /** The sequences come sorted by decreasing length (true); false sorts them, and unpacking restores the order. */
  enforce_sorted?: boolean;
}
const PACK_SEQUENCE_KEYS = optionKeys<PackSequenceOptions>({ enforce_sorted: true });

/**
 * Packs sequences of different lengths (each length x *): `nn_utils_rnn_pad_sequence`, then
 * `nn_utils_rnn_pack_padded_sequence` with their lengths, as PyTorch does.
 *
 * @example
 * const packed = nn_utils_rnn_pack_sequence([torch_tensor([1, 2, 3]), torch_tensor([4, 5])]);
 */
export function nn_utils_rnn_pack_sequence(sequences: Tensor | Tensor[], ...args: Positional<[enforce_sorted: boolean], PackSequenceOptions>): PackedSequence {
  const { enforce_sorted = true } = positionalOptions<PackSequenceOptions>(args, ['enforce_sorted'], PACK_SEQUENCE_KEYS, 'nn_utils_rnn_pack_sequence');
  const list = checkSequences(sequences);
  const lengths = list.map((sequence, i) => {
    if (sequence.dim() < 1) throw new RangeError(`Expected a tensor of at least 1 dimension for sequences[${i}] but received a 0-d tensor`);
    return sequence.size(0) as number;
  });
  return nn_utils_rnn_pack_padded_sequence(nn_utils_rnn_pad_sequence(list), lengths, { enforce_sorted });
}
