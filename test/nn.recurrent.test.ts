// RNN, LSTM and GRU (src/nn/recurrent.ts): PyTorch's parameter names, shapes and initial range,
// the recurrences checked against the gate equations computed here by hand (float64), shapes
// for batch_first / bidirectional / unbatched input, hidden states, train vs eval, and
// argument checks. Bit-for-bit agreement with PyTorch is test/parity/layers.parity.test.ts.
import { describe, expect, it } from 'vitest';
import { GRU, LSTM, nn_gru, nn_lstm, nn_rnn, Recurrent, RNN, torch_randn, torch_tensor, torch_zeros, TorchError, type Tensor } from '../src/index.js';

const values = (t: Tensor): number[] => Array.from(t.to_typed_array() as Float64Array, Number);
const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
const double = (data: number[][] | number[][][]): Tensor => torch_tensor(data as number[][][], { dtype: 'float64' });

function expectClose(actual: Tensor, expected: number[]): void {
  const got = values(actual);
  expect(got).toHaveLength(expected.length);
  got.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 12));
}

// One feature, one hidden unit: every weight matrix is a column of gate values.
const W_IH = [0.5, -0.3, 0.8, 1.2];
const W_HH = [0.1, 0.2, -0.4, 0.3];
const B_IH = [0.05, 0.1, -0.05, 0];
const B_HH = [0, 0, 0.2, 0.1];
const state = (gates: number) => ({
  weight_ih_l0: double(W_IH.slice(0, gates).map((v) => [v])),
  weight_hh_l0: double(W_HH.slice(0, gates).map((v) => [v])),
  bias_ih_l0: torch_tensor(B_IH.slice(0, gates), { dtype: 'float64' }),
  bias_hh_l0: torch_tensor(B_HH.slice(0, gates), { dtype: 'float64' }),
});

describe('nn_lstm', () => {
  it('registers PyTorch\'s parameters per layer and direction, drawn within ±1/√hidden_size', () => {
    const lstm = nn_lstm(3, 4, { num_layers: 2, bidirectional: true });
    expect(lstm).toBeInstanceOf(LSTM);
    const shapes = Object.fromEntries(Object.entries(lstm.named_parameters()).map(([name, p]) => [name, p.shape]));
    expect(shapes).toEqual({
      weight_ih_l0: [16, 3], weight_hh_l0: [16, 4], bias_ih_l0: [16], bias_hh_l0: [16],
      weight_ih_l0_reverse: [16, 3], weight_hh_l0_reverse: [16, 4], bias_ih_l0_reverse: [16], bias_hh_l0_reverse: [16],
      weight_ih_l1: [16, 8], weight_hh_l1: [16, 4], bias_ih_l1: [16], bias_hh_l1: [16],
      weight_ih_l1_reverse: [16, 8], weight_hh_l1_reverse: [16, 4], bias_ih_l1_reverse: [16], bias_hh_l1_reverse: [16],
    });
    for (const parameter of lstm.parameters) {
      expect(parameter.abs().max().item()).toBeLessThanOrEqual(0.5);
      expect(parameter.requires_grad).toBe(true);
    }
    expect(Object.keys(nn_lstm(3, 4, { bias: false }).named_parameters())).toEqual(['weight_ih_l0', 'weight_hh_l0']);
  });

  it('with proj_size, projects h through weight_hr_l{k} as PyTorch (h: proj_size, c: hidden_size)', () => {
    const lstm = nn_lstm(3, 6, { num_layers: 2, proj_size: 2, bidirectional: true });
    const shapes = Object.fromEntries(Object.entries(lstm.named_parameters()).map(([name, p]) => [name, p.shape]));
    expect(Object.keys(shapes).slice(0, 5)).toEqual(['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0', 'weight_hr_l0']);
    expect([shapes.weight_hh_l0, shapes.weight_hr_l0, shapes.weight_ih_l1]).toEqual([[24, 2], [2, 6], [24, 4]]);
    const [output, [h, c]] = lstm(torch_randn(5, 2, 3));
    expect([output.shape, h.shape, c.shape]).toEqual([[5, 2, 4], [4, 2, 2], [4, 2, 6]]);
    expect(() => lstm(torch_randn(5, 2, 3), [torch_zeros(4, 2, 6), torch_zeros(4, 2, 6)])).toThrow('Expected a tensor of shape [4, 2, 2] for hx[0] but received one of shape [4, 2, 6]');
    expect(() => nn_lstm(3, 6, { proj_size: 6 })).toThrow('Expected a size smaller than hidden_size (6) for proj_size but received 6');
    expect(() => nn_gru(3, 6, { proj_size: 2 } as never)).toThrow(TypeError);
  });

  it('computes i, f, g, o and c_t = f c + i g, h_t = o tanh(c_t), as PyTorch defines them', () => {
    const lstm = nn_lstm(1, 1, { dtype: 'float64' });
    lstm.load_state_dict(state(4));
    const xs = [1, -2, 0.5];
    let [h, c] = [0.3, -0.2];
    const expected: number[] = [];
    for (const x of xs) {
      const gate = (k: number): number => W_IH[k]! * x + B_IH[k]! + W_HH[k]! * h + B_HH[k]!;
      c = sigmoid(gate(1)) * c + sigmoid(gate(0)) * Math.tanh(gate(2));
      h = sigmoid(gate(3)) * Math.tanh(c);
      expected.push(h);
    }
    const [output, [h_n, c_n]] = lstm(double(xs.map((x) => [[x]])), [double([[[0.3]]]), double([[[-0.2]]])]);
    expect(output.shape).toEqual([3, 1, 1]);
    expectClose(output, expected);
    expectClose(h_n, [h]);
    expectClose(c_n, [c]);
  });

  it('gives PyTorch\'s shapes: batch_first, bidirectional, unbatched', () => {
    const x = torch_randn(7, 2, 3);
    const [output, [h, c]] = nn_lstm(3, 5, { num_layers: 2, bidirectional: true })(x);
    expect([output.shape, h.shape, c.shape]).toEqual([[7, 2, 10], [4, 2, 5], [4, 2, 5]]);
    const [first] = nn_lstm(3, 5, { batch_first: true })(torch_randn(2, 7, 3));
    expect(first.shape).toEqual([2, 7, 5]);
    const [single, [h1, c1]] = nn_lstm(3, 5, { batch_first: true })(torch_randn(7, 3), [torch_zeros(1, 5), torch_zeros(1, 5)]);
    expect([single.shape, h1.shape, c1.shape]).toEqual([[7, 5], [1, 5], [1, 5]]);
  });

  it('continues from a state: two halves with the state passed on equal the whole sequence', () => {
    const lstm = nn_lstm(2, 3, { num_layers: 2, dtype: 'float64' });
    const x = torch_randn(6, 1, 2).double();
    const [whole, [h, c]] = lstm(x);
    const [first, state1] = lstm(x.narrow(0, 0, 4));
    const [second, [h2, c2]] = lstm(x.narrow(0, 4, 2), state1);
    expectClose(second, values(whole.narrow(0, 4, 2)));
    expectClose(first, values(whole.narrow(0, 0, 4)));
    expectClose(h2, values(h));
    expectClose(c2, values(c));
  });

  it('drops between layers only in training mode', () => {
    const lstm = nn_lstm(2, 8, { num_layers: 2, dropout: 0.5 });
    const x = torch_randn(5, 3, 2);
    lstm.eval();
    const [a] = lstm(x);
    const [b] = lstm(x);
    expect(a.equal(b)).toBe(true);
    lstm.train();
    const [c] = lstm(x);
    expect(c.equal(a)).toBe(false);
  });

  it('uses the parameters it holds at the time of the call (after to())', () => {
    const lstm = nn_lstm(2, 3).to('float64');
    const [output] = lstm(torch_randn(4, 1, 2).double());
    expect(output.dtype).toBe('float64');
    (lstm as unknown as Record<string, unknown>).bias_ih_l0 = null;
    expect(() => lstm(torch_randn(4, 1, 2).double())).toThrow('Expected a Tensor for bias_ih_l0 (every parameter of the recurrence is needed) but received null');
  });

  it('refuses bad arguments, inputs and states', () => {
    expect(() => nn_lstm(2, 0)).toThrow(RangeError);
    expect(() => nn_lstm(2, 3, { num_layers: 0 })).toThrow(RangeError);
    expect(() => nn_lstm(2, 3, { dropout: 2 })).toThrow(/Expected a probability in \[0, 1\] for dropout but received 2/);
    expect(() => nn_lstm(2, 3, { nonlinearity: 'relu' } as never)).toThrow('Expected one of num_layers, bias, batch_first, dropout, bidirectional, dtype, device, proj_size for nn_lstm options but received "nonlinearity"');
    const lstm = nn_lstm(2, 3);
    expect(() => lstm(torch_randn(4, 1, 2, 1))).toThrow('Expected a 2-d or 3-d tensor for input but received a 4-d tensor of shape [4, 1, 2, 1]');
    expect(() => lstm(torch_randn(4, 1, 5))).toThrow('Expected an input of 2 features (input_size) for input but received a tensor of shape [4, 1, 5]');
    expect(() => lstm(torch_randn(4, 1, 2), torch_zeros(1, 1, 3) as never)).toThrow(/Expected an array \[h_0, c_0\] of two tensors for hx/);
    expect(() => lstm(torch_randn(4, 2, 2), [torch_zeros(1, 1, 3), torch_zeros(1, 2, 3)])).toThrow('Expected a tensor of shape [1, 2, 3] for hx[0] but received one of shape [1, 1, 3]');
    expect(() => lstm(torch_randn(4, 2), [torch_zeros(1, 1, 3), torch_zeros(1, 1, 3)])).toThrow(/Expected a 2-d tensor for hx\[0\]/);
    // A dtype mismatch is libtorch's to find: a TorchError, never a crash.
    expect(() => lstm(torch_randn(4, 1, 2).double())).toThrow(TorchError);
    expect(() => new (Recurrent as never as new (...args: unknown[]) => unknown)('ELMAN', 2, 3, {})).toThrow('Expected "RNN_TANH", "RNN_RELU", "LSTM" or "GRU" (use nn_rnn, nn_lstm or nn_gru) for mode but received "ELMAN"');
  });
});

describe('nn_gru', () => {
  it('registers PyTorch\'s parameters: three gates', () => {
    const gru = nn_gru(3, 4, { bidirectional: true });
    expect(gru).toBeInstanceOf(GRU);
    expect(gru.named_parameters().weight_ih_l0_reverse!.shape).toEqual([12, 3]);
    expect(gru.flat_weights_names).toEqual(['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0',
      'weight_ih_l0_reverse', 'weight_hh_l0_reverse', 'bias_ih_l0_reverse', 'bias_hh_l0_reverse']);
  });

  it('computes r, z, n and h_t = (1 - z) n + z h, as PyTorch defines them', () => {
    const gru = nn_gru(1, 1, { dtype: 'float64' });
    gru.load_state_dict(state(3));
    const xs = [1, -2, 0.5];
    let h = 0;
    const expected: number[] = [];
    for (const x of xs) {
      const r = sigmoid(W_IH[0]! * x + B_IH[0]! + W_HH[0]! * h + B_HH[0]!);
      const z = sigmoid(W_IH[1]! * x + B_IH[1]! + W_HH[1]! * h + B_HH[1]!);
      const n = Math.tanh(W_IH[2]! * x + B_IH[2]! + r * (W_HH[2]! * h + B_HH[2]!));
      h = (1 - z) * n + z * h;
      expected.push(h);
    }
    const [output, h_n] = gru(double(xs.map((x) => [x]))); // unbatched: sequence x features
    expect(output.shape).toEqual([3, 1]);
    expectClose(output, expected);
    expect(h_n.shape).toEqual([1, 1]);
    expectClose(h_n, [h]);
  });

  it('gives PyTorch\'s shapes and checks hx', () => {
    const gru = nn_gru(3, 5, { num_layers: 3, batch_first: true });
    const [output, h] = gru(torch_randn(2, 7, 3), torch_zeros(3, 2, 5));
    expect([output.shape, h.shape]).toEqual([[2, 7, 5], [3, 2, 5]]);
    expect(() => gru(torch_randn(2, 7, 3), torch_zeros(3, 7, 5))).toThrow('Expected a tensor of shape [3, 2, 5] for hx but received one of shape [3, 7, 5]');
    expect(() => gru(torch_randn(7, 3), torch_zeros(3, 1, 5))).toThrow(/Expected a 2-d tensor for hx/);
    expect(() => gru(torch_randn(2, 7, 3), 'h' as never)).toThrow(TypeError);
  });
});

describe('nn_rnn', () => {
  it('registers PyTorch\'s parameters: one gate', () => {
    const rnn = nn_rnn(3, 4, 2, { bidirectional: true });
    expect(rnn).toBeInstanceOf(RNN);
    expect([rnn.num_layers, rnn.nonlinearity, rnn.mode]).toEqual([2, 'tanh', 'RNN_TANH']);
    const shapes = Object.fromEntries(Object.entries(rnn.named_parameters()).map(([name, p]) => [name, p.shape]));
    expect(shapes).toEqual({
      weight_ih_l0: [4, 3], weight_hh_l0: [4, 4], bias_ih_l0: [4], bias_hh_l0: [4],
      weight_ih_l0_reverse: [4, 3], weight_hh_l0_reverse: [4, 4], bias_ih_l0_reverse: [4], bias_hh_l0_reverse: [4],
      weight_ih_l1: [4, 8], weight_hh_l1: [4, 4], bias_ih_l1: [4], bias_hh_l1: [4],
      weight_ih_l1_reverse: [4, 8], weight_hh_l1_reverse: [4, 4], bias_ih_l1_reverse: [4], bias_hh_l1_reverse: [4],
    });
    for (const parameter of rnn.parameters) expect(parameter.abs().max().item()).toBeLessThanOrEqual(0.5);
  });

  it.each([['tanh', Math.tanh], ['relu', (v: number) => Math.max(v, 0)]] as const)('computes h_t = %s(W_ih x + b_ih + W_hh h + b_hh)', (nonlinearity, f) => {
    const rnn = nn_rnn(1, 1, { nonlinearity, dtype: 'float64' });
    rnn.load_state_dict(state(1));
    const xs = [1, -2, 0.5, 3];
    let h = 0.4;
    const expected = xs.map((x) => (h = f(W_IH[0]! * x + B_IH[0]! + W_HH[0]! * h + B_HH[0]!)));
    const [output, h_n] = rnn(double(xs.map((x) => [[x]])), double([[[0.4]]]));
    expectClose(output, expected);
    expectClose(h_n, [h]);
  });

  it('gives PyTorch\'s shapes and takes num_layers positionally or as an option', () => {
    const [output, h] = nn_rnn(3, 5, { num_layers: 3, batch_first: true, bidirectional: true })(torch_randn(2, 7, 3));
    expect([output.shape, h.shape]).toEqual([[2, 7, 10], [6, 2, 5]]);
    const [single, h1] = nn_rnn(3, 5, 2)(torch_randn(7, 3), torch_zeros(2, 5));
    expect([single.shape, h1.shape]).toEqual([[7, 5], [2, 5]]);
    expect(nn_lstm(3, 5, 2, { batch_first: true }).num_layers).toBe(2);
    expect(nn_gru(3, 5, 4).num_layers).toBe(4);
    const positional = nn_rnn(3, 5, 2, 'relu', false, true, 0, true); // R's and PyTorch's order
    expect([positional.nonlinearity, positional.bias, positional.batch_first, positional.bidirectional]).toEqual(['relu', false, true, true]);
    expect(nn_lstm(3, 5, 1, true, true).batch_first).toBe(true);
  });

  it('refuses bad arguments', () => {
    expect(() => nn_rnn(3, 5, { nonlinearity: 'sigmoid' as never })).toThrow('Expected "tanh" or "relu" for nonlinearity but received "sigmoid"');
    expect(() => nn_rnn(3, 5, { proj_size: 2 } as never)).toThrow('Expected one of num_layers, bias, batch_first, dropout, bidirectional, dtype, device, nonlinearity for nn_rnn options but received "proj_size"');
    expect(() => nn_rnn(3, 5, 2, { num_layers: 3 })).toThrow('Expected num_layers once for nn_rnn but received it both positionally and in the options');
    expect(() => nn_lstm(3, 5, { num_layers: 2 } as never, {} as never)).toThrow(/the options object as the last argument/);
    expect(() => nn_lstm(3, 5, 2, false, true, 0, false, 7 as never)).toThrow(/at most 5 positional arguments/);
    expect(() => nn_gru(3, 5, 1.5)).toThrow('Expected an integer for num_layers but received 1.5');
    expect(() => nn_rnn(3, 5)(torch_randn(4, 2, 3), torch_zeros(1, 3, 5))).toThrow('Expected a tensor of shape [1, 2, 5] for hx but received one of shape [1, 3, 5]');
  });
});
