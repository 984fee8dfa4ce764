// Recurrent layers as PyTorch's torch/nn/modules/rnn.py has them: the parameters of every
// layer and direction registered under PyTorch's names, initialised U(-1/√hidden, 1/√hidden)
// in registration order, and the whole stack run by one libtorch operator (aten::rnn_tanh,
// rnn_relu, lstm, gru: the overloads that take the flat parameter list, `.input` for a padded
// tensor, `.data` for a PackedSequence), as PyTorch's forward does.
import { torch_empty, torch_zeros } from '../ops/creation.js';
import { atenOp, type TensorOp } from '../ops/aten.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { checkBoolean, checkNonNegativeInteger, checkOptions, checkPositiveInteger, fail, failRange, optionKeys } from '../core/validate.js';
import { nn_init_uniform_ } from './init.js';
import { nn_Module } from './module.js';
import { nn_module } from './generator.js';
import { nn_parameter } from './registry.js';
import { checkProbability, checkRank, factory, FACTORY_KEYS, positionalOptions, type FactoryOptions, type Positional } from './options.js';
import { PackedSequence } from './packed_sequence.js';
import type { nn_state } from './state_keys.js';

/** Which recurrence: PyTorch's RNNBase `mode`. */
export type RecurrentMode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';

const operators = (name: string) => ({ input: atenOp(name, 'input'), data: atenOp(name, 'data') });
const OPERATORS: Record<RecurrentMode, { input: TensorOp; data: TensorOp }> = {
  RNN_TANH: operators('rnn_tanh'), RNN_RELU: operators('rnn_relu'), LSTM: operators('lstm'), GRU: operators('gru'),
};
const GATES: Record<RecurrentMode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };
const GENERATORS: Record<RecurrentMode, string> = { RNN_TANH: 'nn_rnn', RNN_RELU: 'nn_rnn', LSTM: 'nn_lstm', GRU: 'nn_gru' };

export interface RecurrentOptions extends FactoryOptions {
  /** Stacked recurrent layers, each reading the previous one's output (1). */
  num_layers?: number;
  /** Learn the biases `bias_ih_l*` and `bias_hh_l*` (true). */
  bias?: boolean;
  /** Input and output are batch x sequence x features (false: sequence x batch x features); the hidden state is not affected. */
  batch_first?: boolean;
  /** Dropout on the outputs of every layer but the last, in training mode (0). */
  dropout?: number;
  /** Run a second direction over the reversed sequence and concatenate the two (false). */
  bidirectional?: boolean;
}

const RECURRENT_OPTION_NAMES = { num_layers: true, bias: true, batch_first: true, dropout: true, bidirectional: true, ...FACTORY_KEYS } as const;
const RECURRENT_KEYS = optionKeys<RecurrentOptions>(RECURRENT_OPTION_NAMES);

export interface LstmOptions extends RecurrentOptions {
  /** Project each hidden state to this size with a learned `weight_hr_l{k}` (0: none); smaller than hidden_size. */
  proj_size?: number;
}

const LSTM_KEYS = optionKeys<LstmOptions>({ ...RECURRENT_OPTION_NAMES, proj_size: true });

export interface RnnOptions extends RecurrentOptions {
  /** The recurrence's nonlinearity, `"tanh"` (default) or `"relu"`. */
  nonlinearity?: 'tanh' | 'relu';
}

const RNN_KEYS = optionKeys<RnnOptions>({ ...RECURRENT_OPTION_NAMES, nonlinearity: true });
const KEYS: Record<RecurrentMode, ReadonlySet<string>> = { RNN_TANH: RNN_KEYS, RNN_RELU: RNN_KEYS, LSTM: LSTM_KEYS, GRU: RECURRENT_KEYS };

/** nn_lstm's and nn_gru's optional arguments, positionally in R's and PyTorch's order (`nn_lstm(10, 20, 2)`) or as options. */
export type RecurrentArguments<O> = Positional<[num_layers: number, bias: boolean, batch_first: boolean, dropout: number, bidirectional: boolean], O>;
const RECURRENT_ORDER = ['num_layers', 'bias', 'batch_first', 'dropout', 'bidirectional'] as const;
/** nn_rnn's, whose nonlinearity comes fourth in R and PyTorch. */
export type RnnArguments = Positional<[
  num_layers: number, nonlinearity: 'tanh' | 'relu', bias: boolean, batch_first: boolean, dropout: number, bidirectional: boolean,
], RnnOptions>;
const RNN_ORDER = ['num_layers', 'nonlinearity', 'bias', 'batch_first', 'dropout', 'bidirectional'] as const;

/** A second handle on a tensor a result shares with the input, so that disposing one leaves the other. */
const alias = (tensor: Tensor | null): Tensor | null => (tensor === null ? null : tensor.detach());

/** What `nn_rnn`, `nn_lstm` and `nn_gru` share (PyTorch's RNNBase, whose `mode` says which). */
export abstract class Recurrent extends nn_Module {
  /** For state_dict's type: registered under computed names, so any key. */
  declare readonly [nn_state]?: Record<string, Tensor>;
  readonly input_size: number;
  readonly hidden_size: number;
  readonly num_layers: number;
  readonly bias: boolean;
  readonly batch_first: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  /** The size of LSTM's projected hidden state (0: no projection; always 0 for RNN and GRU). */
  readonly proj_size: number;
  /** The parameters' names in the order libtorch's operator takes them (PyTorch's _flat_weights_names). */
  readonly flat_weights_names: readonly string[];

  constructor(readonly mode: RecurrentMode, input_size: number, hidden_size: number, options: LstmOptions | RnnOptions = {}) {
    super();
    if (typeof mode !== 'string' || !Object.hasOwn(GATES, mode)) fail('"RNN_TANH", "RNN_RELU", "LSTM" or "GRU" (use nn_rnn, nn_lstm or nn_gru)', 'mode', mode);
    const gates = GATES[mode];
    const {
      num_layers = 1, bias = true, batch_first = false, dropout = 0, bidirectional = false, proj_size = 0,
    } = checkOptions(options as LstmOptions, KEYS[mode], GENERATORS[mode]);
    this.input_size = checkNonNegativeInteger(input_size, 'input_size');
    this.hidden_size = checkPositiveInteger(hidden_size, 'hidden_size');
    this.proj_size = checkNonNegativeInteger(proj_size, 'proj_size');
    if (proj_size >= hidden_size) failRange(`a size smaller than hidden_size (${hidden_size})`, 'proj_size', proj_size);
    // What each layer outputs and feeds back: the projection when there is one.
    const output_size = proj_size > 0 ? proj_size : hidden_size;
    this.num_layers = checkPositiveInteger(num_layers, 'num_layers');
    this.bias = checkBoolean(bias, 'bias');
    this.batch_first = checkBoolean(batch_first, 'batch_first');
    this.dropout = checkProbability(dropout, 'dropout');
    this.bidirectional = checkBoolean(bidirectional, 'bidirectional');
    const names: string[] = [];
    const directions = bidirectional ? 2 : 1;
    for (let layer = 0; layer < num_layers; layer++) {
      for (let direction = 0; direction < directions; direction++) {
        const suffix = `_l${layer}${direction === 1 ? '_reverse' : ''}`;
        const layerInput = layer === 0 ? input_size : output_size * directions;
        const shapes: [string, number[]][] = [[`weight_ih${suffix}`, [gates * hidden_size, layerInput]], [`weight_hh${suffix}`, [gates * hidden_size, output_size]]];
        if (bias) shapes.push([`bias_ih${suffix}`, [gates * hidden_size]], [`bias_hh${suffix}`, [gates * hidden_size]]);
        if (proj_size > 0) shapes.push([`weight_hr${suffix}`, [proj_size, hidden_size]]);
        for (const [parameter, shape] of shapes) {
          this.register_parameter(parameter, nn_parameter(torch_empty(shape, factory(options))));
          names.push(parameter);
        }
      }
    }
    this.flat_weights_names = names;
    this.reset_parameters();
  }

  /** Every parameter U(-1/√hidden_size, 1/√hidden_size), drawn in registration order as PyTorch draws them. @example lstm.reset_parameters() */
  reset_parameters(): void {
    const bound = 1 / Math.sqrt(this.hidden_size);
    for (const parameter of this.parameters) nn_init_uniform_(parameter, -bound, bound);
  }

  /** The parameters as libtorch's operator takes them, read by name (so a replaced one is used). */
  protected get flatWeights(): Tensor[] {
    const values = this as unknown as Record<string, unknown>;
    return this.flat_weights_names.map((name) => checkTensor(values[name], `${name} (every parameter of the recurrence is needed)`));
  }

  /** The size of the hidden state h: the projection's, or hidden_size. */
  protected get real_hidden_size(): number {
    return this.proj_size > 0 ? this.proj_size : this.hidden_size;
  }

  /**
   * Runs the stack over `input` (a padded tensor, batched or not, or a PackedSequence) from the
   * states `hx` (named `names`, of `sizes` features; null: zeros). Returns the output in the
   * input's form and the final states, in the batch's own order for a PackedSequence.
   */
  protected recur(input: Tensor | PackedSequence, hx: readonly unknown[] | null, names: string[], sizes: number[]): [Tensor | PackedSequence, Tensor[]] {
    const operator = OPERATORS[this.mode];
    const stack = this.num_layers * (this.bidirectional ? 2 : 1);
    const weights = [this.flatWeights, this.bias, this.num_layers, this.dropout, this.training, this.bidirectional] as const;
    const packed = input instanceof PackedSequence;
    const data = this.checkInput(packed ? input.data : input, packed);
    const batched = packed || data.dim() === 3;
    const x = batched ? data : data.unsqueeze(this.batch_first ? 0 : 1);
    const batch = packed ? Number(input.batch_sizes.to_typed_array()[0] ?? 0) : x.size(this.batch_first ? 0 : 1) as number;
    const states = sizes.map((size, i) => {
      const expected = [stack, batch, size];
      if (hx === null) return torch_zeros(expected, { dtype: x.dtype, device: x.device });
      const state = this.checkState(hx[i], names[i]!, batched, expected);
      if (!batched) return state.unsqueeze(1);
      return packed && input.sorted_indices !== null ? state.index_select(1, input.sorted_indices) : state;
    });
    const hidden = this.mode === 'LSTM' ? states : states[0];
    if (packed) {
      const [output, ...final] = operator.data.call<Tensor[]>(x, input.batch_sizes, hidden, ...weights);
      const order = input.unsorted_indices;
      const sequence = new PackedSequence(output!, alias(input.batch_sizes)!, alias(input.sorted_indices), alias(order));
      return [sequence, order === null ? final : final.map((state) => state.index_select(1, order))];
    }
    const [output, ...final] = operator.input.call<Tensor[]>(x, hidden, ...weights, this.batch_first);
    if (batched) return [output!, final];
    return [output!.squeeze(this.batch_first ? 0 : 1), final.map((state) => state.squeeze(1))];
  }

  // The input: 2-d or 3-d (a PackedSequence's data: 2-d), of input_size features.
  private checkInput(input: Tensor, packed: boolean): Tensor {
    checkRank(input, packed ? [2] : [2, 3], packed ? 'input.data' : 'input');
    if (input.size(-1) !== this.input_size) {
      throw new RangeError(`Expected an input of ${this.input_size} features (input_size) for input but received a tensor of shape [${input.shape.join(', ')}]`);
    }
    return input;
  }

  // A state given: 3-d for batched input, 2-d for unbatched, of the expected (batched) shape.
  private checkState(value: unknown, name: string, batched: boolean, expected: number[]): Tensor {
    const state = checkTensor(value, name);
    checkRank(state, [batched ? 3 : 2], name);
    const shown = batched ? expected : [expected[0]!, expected[2]!];
    if (state.shape.some((size, i) => size !== shown[i])) {
      throw new RangeError(`Expected a tensor of shape [${shown.join(', ')}] for ${name} but received one of shape [${state.shape.join(', ')}]`);
    }
    return state;
  }
}

// Calling a module calls forward with the types of its last overload: these add the packed ones.
export interface RNN {
  (input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  (input: Tensor, hx?: Tensor | null): [Tensor, Tensor];
}
export interface GRU {
  (input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  (input: Tensor, hx?: Tensor | null): [Tensor, Tensor];
}
export interface LSTM {
  (input: PackedSequence, hx?: [Tensor, Tensor] | null): [PackedSequence, [Tensor, Tensor]];
  (input: Tensor, hx?: [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]];
}

/** The class behind `nn_rnn`, for `instanceof` and for types. */
export class RNN extends Recurrent {
  /** `"tanh"` or `"relu"`. */
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(input_size: number, hidden_size: number, ...args: RnnArguments) {
    const given = positionalOptions<RnnOptions>(args, RNN_ORDER, RNN_KEYS, 'nn_rnn');
    const { nonlinearity = 'tanh' } = given;
    if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') fail('"tanh" or "relu"', 'nonlinearity', nonlinearity);
    super(nonlinearity === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', input_size, hidden_size, given);
    this.nonlinearity = nonlinearity;
  }

  /**
   * `input`: sequence x batch x input_size (batch first with `batch_first`), sequence x
   * input_size unbatched, or a PackedSequence; `hx`: layers·directions x batch x hidden_size
   * (without the batch dimension for unbatched input), zeros when omitted. Returns
   * `[output, h_n]`, the output a PackedSequence for packed input.
   */
  override forward(input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  override forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor];
  override forward(input: Tensor | PackedSequence, hx?: Tensor | null): [Tensor | PackedSequence, Tensor] {
    const [output, [h]] = this.recur(input, hx === undefined || hx === null ? null : [hx], ['hx'], [this.hidden_size]);
    return [output, h!];
  }
}

/**
 * A multi-layer Elman network (PyTorch's nn.RNN): h_t = tanh(W_ih x_t + b_ih + W_hh h_(t-1) +
 * b_hh), or relu with `nonlinearity: "relu"`; parameters `weight_ih_l{k}`, `weight_hh_l{k}`,
 * `bias_ih_l{k}`, `bias_hh_l{k}` (and `_reverse` ones when bidirectional), as PyTorch names them.
 *
 * @example
 * const rnn = nn_rnn(10, 20, 2);                       // or nn_rnn(10, 20, { num_layers: 2 })
 * const [output, h_n] = rnn(torch_randn(5, 3, 10), torch_randn(2, 3, 20));
 * nn_rnn(10, 20, { nonlinearity: 'relu', bidirectional: true, batch_first: true });
 */
export const nn_rnn = nn_module(RNN, 'nn_rnn');
export type nn_rnn = RNN;

/** The class behind `nn_lstm`, for `instanceof` and for types. */
export class LSTM extends Recurrent {
  constructor(input_size: number, hidden_size: number, ...args: RecurrentArguments<LstmOptions>) {
    super('LSTM', input_size, hidden_size, positionalOptions<LstmOptions>(args, RECURRENT_ORDER, LSTM_KEYS, 'nn_lstm'));
  }

  /**
   * `input`: sequence x batch x input_size (batch first with `batch_first`), sequence x
   * input_size unbatched, or a PackedSequence; `hx`: `[h_0, c_0]`, each layers·directions x
   * batch x hidden_size (h_0: x proj_size with a projection; without the batch dimension for
   * unbatched input), zeros when omitted. Returns `[output, [h_n, c_n]]`, the output a
   * PackedSequence for packed input.
   */
  override forward(input: PackedSequence, hx?: [Tensor, Tensor] | null): [PackedSequence, [Tensor, Tensor]];
  override forward(input: Tensor, hx?: [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]];
  override forward(input: Tensor | PackedSequence, hx?: [Tensor, Tensor] | null): [Tensor | PackedSequence, [Tensor, Tensor]] {
    if (hx !== undefined && hx !== null && (!Array.isArray(hx) || hx.length !== 2)) fail('an array [h_0, c_0] of two tensors', 'hx', hx);
    const [output, [h, c]] = this.recur(input, hx ?? null, ['hx[0]', 'hx[1]'], [this.real_hidden_size, this.hidden_size]);
    return [output, [h!, c!]];
  }
}

/**
 * A multi-layer long short-term memory network (PyTorch's nn.LSTM): parameters
 * `weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`, `bias_hh_l{k}` (with `proj_size`,
 * `weight_hr_l{k}`; and `_reverse` ones when bidirectional) with gates in PyTorch's order
 * (input, forget, cell, output).
 *
 * @example
 * const lstm = nn_lstm(10, 20, { num_layers: 2, batch_first: true });
 * const [output, [h_n, c_n]] = lstm(x);          // x: batch x sequence x 10
 * const [next] = lstm(x, [h_n, c_n]);             // continue from a state
 * nn_lstm(10, 20, { proj_size: 5 });              // h: 5 features, c: 20
 */
export const nn_lstm = nn_module(LSTM, 'nn_lstm');
export type nn_lstm = LSTM;

/** The class behind `nn_gru`, for `instanceof` and for types. */
export class GRU extends Recurrent {
  constructor(input_size: number, hidden_size: number, ...args: RecurrentArguments<RecurrentOptions>) {
    super('GRU', input_size, hidden_size, positionalOptions<RecurrentOptions>(args, RECURRENT_ORDER, RECURRENT_KEYS, 'nn_gru'));
  }

  /**
   * `input`: sequence x batch x input_size (batch first with `batch_first`), sequence x
   * input_size unbatched, or a PackedSequence; `hx`: layers·directions x batch x hidden_size
   * (without the batch dimension for unbatched input), zeros when omitted. Returns
   * `[output, h_n]`, the output a PackedSequence for packed input.
   */
  override forward(input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  override forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor];
  override forward(input: Tensor | PackedSequence, hx?: Tensor | null): [Tensor | PackedSequence, Tensor] {
    const [output, [h]] = this.recur(input, hx === undefined || hx === null ? null : [hx], ['hx'], [this.hidden_size]);
    return [output, h!];
  }
}

/**
 * A multi-layer gated recurrent unit network (PyTorch's nn.GRU), gates in PyTorch's order
 * (reset, update, new).
 *
 * @example
 * const gru = nn_gru(10, 20, { bidirectional: true });
 * const [output, h_n] = gru(x); // x: sequence x batch x 10; output: sequence x batch x 40
 */
export const nn_gru = nn_module(GRU, 'nn_gru');
export type nn_gru = GRU;
