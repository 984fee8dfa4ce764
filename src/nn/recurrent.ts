// Recurrent layers as PyTorch's torch/nn/modules/rnn.py has them: the parameters of every
// layer and direction registered under PyTorch's names, initialised U(-1/√hidden, 1/√hidden)
// in registration order, and the whole stack run by one libtorch operator (aten::lstm /
// aten::gru, the overloads that take the flat parameter list), as PyTorch's forward does.
import { torch_empty, torch_zeros } from '../ops/creation.js';
import { atenOp } from '../ops/aten.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { checkBoolean, checkNonNegativeInteger, checkOptions, checkPositiveInteger, fail, failRange, optionKeys } from '../core/validate.js';
import { nn_init_uniform_ } from './init.js';
import { nn_Module } from './module.js';
import { nn_module } from './generator.js';
import { nn_parameter } from './registry.js';
import { checkProbability, checkRank, factory, FACTORY_KEYS, type FactoryOptions } from './options.js';

const LSTM_OP = atenOp('lstm', 'input');
const GRU_OP = atenOp('gru', 'input');

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

/** What `nn_lstm` and `nn_gru` share (PyTorch's RNNBase, whose `mode` says which). */
export abstract class Recurrent extends nn_Module {
  readonly input_size: number;
  readonly hidden_size: number;
  readonly num_layers: number;
  readonly bias: boolean;
  readonly batch_first: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  /** The size of LSTM's projected hidden state (0: no projection; always 0 for GRU). */
  readonly proj_size: number;
  /** The parameters' names in the order libtorch's operator takes them (PyTorch's _flat_weights_names). */
  readonly flat_weights_names: readonly string[];

  constructor(readonly mode: 'LSTM' | 'GRU', input_size: number, hidden_size: number, options: LstmOptions) {
    super();
    if (mode !== 'LSTM' && mode !== 'GRU') fail('"LSTM" or "GRU" (use nn_lstm or nn_gru)', 'mode', mode);
    const gates = mode === 'LSTM' ? 4 : 3;
    const {
      num_layers = 1, bias = true, batch_first = false, dropout = 0, bidirectional = false, proj_size = 0,
    } = checkOptions(options, mode === 'LSTM' ? LSTM_KEYS : RECURRENT_KEYS, mode === 'LSTM' ? 'nn_lstm' : 'nn_gru');
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

  /** Checks the input; returns it batched, and whether it was. */
  protected batched(input: Tensor): [Tensor, boolean] {
    checkRank(input, [2, 3]);
    if (input.size(-1) !== this.input_size) {
      throw new RangeError(`Expected an input of ${this.input_size} features (input_size) for input but received a tensor of shape [${input.shape.join(', ')}]`);
    }
    return input.dim() === 3 ? [input, true] : [input.unsqueeze(this.batch_first ? 0 : 1), false];
  }

  /** The shape of a state of `size` features (h: the projection's or hidden_size; LSTM's c: hidden_size) for a batched input. */
  protected hiddenShape(input: Tensor, size: number): number[] {
    return [this.num_layers * (this.bidirectional ? 2 : 1), input.size(this.batch_first ? 0 : 1) as number, size];
  }

  /** The size of the hidden state h: the projection's, or hidden_size. */
  protected get real_hidden_size(): number {
    return this.proj_size > 0 ? this.proj_size : this.hidden_size;
  }

  // A hidden state given: 3-d for batched input, 2-d for unbatched (made 3-d here), of the expected shape.
  protected hidden(value: unknown, name: string, input: Tensor, isBatched: boolean, size: number): Tensor {
    const state = checkTensor(value, name);
    checkRank(state, [isBatched ? 3 : 2], name);
    const given = isBatched ? state : state.unsqueeze(1);
    const expected = this.hiddenShape(input, size);
    if (given.shape.some((size, i) => size !== expected[i])) {
      const shown = isBatched ? expected : [expected[0], expected[2]];
      throw new RangeError(`Expected a tensor of shape [${shown.join(', ')}] for ${name} but received one of shape [${state.shape.join(', ')}]`);
    }
    return given;
  }

  protected zeros(input: Tensor, size: number): Tensor {
    return torch_zeros(this.hiddenShape(input, size), { dtype: input.dtype, device: input.device });
  }

  protected get operatorArguments(): [Tensor[], boolean, number, number, boolean, boolean, boolean] {
    return [this.flatWeights, this.bias, this.num_layers, this.dropout, this.training, this.bidirectional, this.batch_first];
  }
}

/** The class behind `nn_lstm`, for `instanceof` and for types. */
export class LSTM extends Recurrent {
  constructor(input_size: number, hidden_size: number, options: LstmOptions = {}) {
    super('LSTM', input_size, hidden_size, options);
  }

  /**
   * `input`: sequence x batch x input_size (batch first with `batch_first`), or sequence x
   * input_size unbatched; `hx`: `[h_0, c_0]`, each layers·directions x batch x hidden_size
   * (h_0: x proj_size with a projection; without the batch dimension for unbatched input),
   * zeros when omitted. Returns `[output, [h_n, c_n]]`.
   */
  override forward(input: Tensor, hx?: [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]] {
    const [batchedInput, isBatched] = this.batched(input);
    let state: [Tensor, Tensor];
    if (hx === undefined || hx === null) {
      state = [this.zeros(batchedInput, this.real_hidden_size), this.zeros(batchedInput, this.hidden_size)];
    } else {
      if (!Array.isArray(hx) || hx.length !== 2) fail('an array [h_0, c_0] of two tensors', 'hx', hx);
      state = [this.hidden(hx[0], 'hx[0]', batchedInput, isBatched, this.real_hidden_size), this.hidden(hx[1], 'hx[1]', batchedInput, isBatched, this.hidden_size)];
    }
    const [output, h, c] = LSTM_OP.call<[Tensor, Tensor, Tensor]>(batchedInput, state, ...this.operatorArguments);
    if (isBatched) return [output, [h, c]];
    return [output.squeeze(this.batch_first ? 0 : 1), [h.squeeze(1), c.squeeze(1)]];
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
  constructor(input_size: number, hidden_size: number, options: RecurrentOptions = {}) {
    super('GRU', input_size, hidden_size, options);
  }

  /**
   * `input`: sequence x batch x input_size (batch first with `batch_first`), or sequence x
   * input_size unbatched; `hx`: layers·directions x batch x hidden_size (without the batch
   * dimension for unbatched input), zeros when omitted. Returns `[output, h_n]`.
   */
  override forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor] {
    const [batchedInput, isBatched] = this.batched(input);
    const state = hx === undefined || hx === null ? this.zeros(batchedInput, this.hidden_size) : this.hidden(hx, 'hx', batchedInput, isBatched, this.hidden_size);
    const [output, h] = GRU_OP.call<[Tensor, Tensor]>(batchedInput, state, ...this.operatorArguments);
    if (isBatched) return [output, h];
    return [output.squeeze(this.batch_first ? 0 : 1), h.squeeze(1)];
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
