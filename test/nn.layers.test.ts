// Layers (convolutions are in nn.conv.test.ts): initialisation under torch_manual_seed
// against Python PyTorch's (bit for bit: the same libtorch draws the same numbers), forward
// passes against PyTorch's outputs, and argument checks. Fixtures: test/fixtures/nn.json.
import { describe, expect, it } from 'vitest';
import {
  nn_conv1d, nn_conv2d, nn_dropout, nn_embedding, nn_gelu, nn_init_calculate_gain, nn_init_kaiming_normal_,
  nn_init_kaiming_uniform_, nn_init_normal_, nn_init_uniform_, nn_init_xavier_normal_, nn_init_xavier_uniform_,
  nn_layer_norm, nn_linear, nn_multihead_attention, nn_relu, nn_sequential, nnf_embedding, torch_empty, torch_manual_seed, torch_ones,
  torch_randn, torch_tensor, torch_zeros,
} from '../src/index.js';
import { FLOAT32_ULPS, expectTensor, flat, type TensorFixture } from './fixtures/core.js';
import { expectStateDict, fixture, nn, stateDict, tensorOf } from './fixtures/nn.js';

const layers = nn.layers;
const functional = nn.functional;

describe('initialisation matches PyTorch under the same seed', () => {
  it('nn_linear(5, 3): kaiming-uniform weight, uniform bias', () => {
    torch_manual_seed(42);
    const linear = nn_linear(5, 3);
    expectStateDict(linear, stateDict('linear_5_3_seed42'));
    expect([linear.in_features, linear.out_features]).toEqual([5, 3]);
  });

  it('nn_linear without bias', () => {
    torch_manual_seed(7);
    const linear = nn_linear(4, 2, { bias: false });
    expect(linear.bias).toBeNull();
    expectStateDict(linear, stateDict('linear_4_2_nobias_seed7'));
  });

  it('nn_linear(1001, 1000), the seed example\'s size', () => {
    const expected = layers.linear_1001_1000_seed1;
    torch_manual_seed(1);
    const linear = nn_linear(1001, 1000);
    const weight = flat(linear.weight) as number[];
    expect(weight.slice(0, 8)).toEqual(expected.weight_first);
    expect(weight.slice(-8)).toEqual(expected.weight_last);
    expect(flat(linear.bias!).slice(0, 8)).toEqual(expected.bias_first);
    expect(linear.weight.double().sum().item()).toBeCloseTo(expected.weight_sum, 9);
  });

  it('nn_embedding with a padding row', () => {
    torch_manual_seed(3);
    const embedding = nn_embedding(6, 4, { padding_idx: 1 });
    expectStateDict(embedding, stateDict('embedding_6_4_pad1_seed3'));
    expect(embedding.weight.requires_grad).toBe(true);
  });

  it('nn_layer_norm: ones and zeros', () => {
    expectStateDict(nn_layer_norm(4), stateDict('layer_norm_4'));
    expect(nn_layer_norm([2, 3], { elementwise_affine: false }).parameters).toHaveLength(0);
  });

  it('nn_multihead_attention: PyTorch\'s parameters, in its order of draws', () => {
    torch_manual_seed(8);
    expectStateDict(nn_multihead_attention(8, 2), layers.mha_8_2_seed8.params);
  });

  const inits: [string, (t: ReturnType<typeof torch_empty>) => unknown][] = [
    ['kaiming_uniform_relu', (t) => nn_init_kaiming_uniform_(t, { nonlinearity: 'relu' })],
    ['kaiming_normal_fan_out', (t) => nn_init_kaiming_normal_(t, { mode: 'fan_out', nonlinearity: 'relu' })],
    ['xavier_uniform_gain2', (t) => nn_init_xavier_uniform_(t, 2)],
    ['xavier_normal', (t) => nn_init_xavier_normal_(t)],
    ['normal_1_2', (t) => nn_init_normal_(t, 1, 2)],
    ['uniform_m3_3', (t) => nn_init_uniform_(t, -3, 3)],
  ];
  it.each(inits)('nn_init %s', (name, init) => {
    torch_manual_seed(11);
    const t = torch_empty(4, 6);
    init(t);
    expectTensor(t, fixture(layers.init_4x6_seed11, name));
  });

  it('nn_init_calculate_gain', () => {
    const gain = layers.gain;
    expect(nn_init_calculate_gain('relu')).toBe(gain.relu);
    expect(nn_init_calculate_gain('tanh')).toBe(gain.tanh);
    expect(nn_init_calculate_gain('leaky_relu')).toBe(gain.leaky_relu);
    expect(nn_init_calculate_gain('leaky_relu', Math.sqrt(5))).toBe(gain.leaky_relu_sqrt5);
    expect(nn_init_calculate_gain('leaky_relu', 1.508395092846115)).toBe(gain.leaky_relu_pow); // ** is libm's pow, not x * x
    expect(nn_init_calculate_gain('selu')).toBe(gain.selu);
  });

  it('initialisers record no gradient, so they work on parameters', () => {
    const linear = nn_linear(3, 3);
    nn_init_uniform_(linear.weight, 0.5, 0.5);
    expect(linear.weight.grad_fn).toBeNull();
    expect(flat(linear.weight).every((v) => v === 0.5)).toBe(true);
    expect(() => nn_init_kaiming_uniform_(torch_empty(3))).toThrow(RangeError);
  });
});

describe('forward passes match PyTorch', () => {
  const input = (key: string) => tensorOf(fixture(functional.inputs, key));
  const result = (key: string) => fixture(functional.results, key);

  it('nn_linear computes x Wᵀ + b', () => {
    const linear = nn_linear(3, 2);
    linear.load_state_dict({ weight: input('w'), bias: input('bias') });
    expectTensor(linear(input('a')), result('linear'), FLOAT32_ULPS);
  });

  it('nn_embedding, nn_layer_norm with loaded weights', () => {
    const embedding = nn_embedding(6, 3);
    embedding.load_state_dict({ weight: input('table') });
    expectTensor(embedding(input('indices')), result('embedding'));
    const norm = nn_layer_norm(3);
    norm.load_state_dict({ weight: input('norm_weight'), bias: input('norm_bias') });
    expectTensor(norm(input('a')), result('layer_norm'), FLOAT32_ULPS);
  });

  it('nn_relu, nn_gelu', () => {
    expectTensor(nn_relu()(input('a')), result('relu'));
    expectTensor(nn_gelu()(input('a')), result('gelu'), FLOAT32_ULPS);
    expectTensor(nn_gelu({ approximate: 'tanh' })(input('a')), result('gelu_tanh'), FLOAT32_ULPS);
  });

  it('nn_dropout draws PyTorch\'s mask in training mode and is the identity in eval mode', () => {
    const dropout = nn_dropout(0.4);
    torch_manual_seed(12);
    expectTensor(dropout(torch_ones(4, 5)), layers.dropout_p04_seed12);
    dropout.eval();
    expect(dropout(torch_ones(4, 5)).equal(torch_ones(4, 5))).toBe(true);
  });

  describe('nn_multihead_attention (eval mode)', () => {
    const mha8 = layers.mha_8_2_seed8;
    const ATTENTION = { rtol: 1e-5, atol: 1e-6 };
    const make = (batch_first = false) => {
      const mha = nn_multihead_attention(8, 2, { batch_first });
      mha.load_state_dict(Object.fromEntries(Object.entries(mha8.params).map(([k, v]) => [k, tensorOf(v)])));
      return mha.eval();
    };
    const x = tensorOf(mha8.x!);
    const memory = tensorOf(mha8.memory!);

    it('self-attention, with averaged weights', () => {
      const [out, weights] = make()(x, x, x);
      expectTensor(out, mha8.self_out!, ATTENTION);
      expectTensor(weights!, mha8.self_weights!, ATTENTION);
    });

    it('a boolean causal attn_mask', () => {
      const causal = torch_tensor([[false, true, true], [false, false, true], [false, false, false]]);
      const [out, weights] = make()(x, x, x, { attn_mask: causal });
      expectTensor(out, mha8.masked_out!, ATTENTION);
      expectTensor(weights!, mha8.masked_weights!, ATTENTION);
    });

    it('cross-attention with a key_padding_mask, per-head weights', () => {
      const mask = tensorOf(mha8.key_padding_mask!);
      const [out, weights] = make()(x, memory, memory, { key_padding_mask: mask, average_attn_weights: false });
      expectTensor(out, mha8.cross_out!, ATTENTION);
      expectTensor(weights!, mha8.cross_weights!, ATTENTION);
    });

    it('batch_first takes and returns batch x sequence x features; need_weights: false returns null', () => {
      const [out, weights] = make(true)(x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1), { need_weights: false });
      expect(weights).toBeNull();
      expectTensor(out.transpose(0, 1).contiguous(), mha8.self_out!, ATTENTION);
    });

    it('unbatched (sequence x features) inputs', () => {
      const single = x.index(':', 0);
      const [out, weights] = make()(single, single, single);
      const expected: TensorFixture = { ...mha8.self_out!, shape: [3, 8], values: [] };
      const all = mha8.self_out!.values as number[];
      for (let l = 0; l < 3; l++) expected.values.push(...all.slice(l * 16, l * 16 + 8));
      expectTensor(out, expected, ATTENTION);
      expect(weights!.shape).toEqual([3, 3]);
    });
  });

  it('nn_sequential chains its modules', () => {
    const seq = nn_sequential(nn_linear(3, 2), nn_relu());
    seq.children[0]!.load_state_dict({ weight: input('w'), bias: input('bias') });
    expectTensor(seq(input('a')), { ...result('linear'), values: (result('linear').values as number[]).map((v) => Math.max(v, 0)) }, FLOAT32_ULPS);
  });
});

describe('argument checks happen before libtorch', () => {
  it('sizes and options', () => {
    expect(() => nn_linear(-1, 2)).toThrow(RangeError);
    expect(() => nn_linear(2.5, 2)).toThrow(TypeError);
    expect(() => nn_linear(2, 2, { bias: 'yes' as never })).toThrow(TypeError);
    expect(() => nn_embedding(5, 3, { padding_idx: 5 })).toThrow(RangeError);
    expect(() => nn_dropout(1.5)).toThrow(RangeError);
    expect(() => nn_multihead_attention(10, 3)).toThrow(/multiple of num_heads/);
    expect(() => nn_gelu({ approximate: 'fast' as never })).toThrow(TypeError);
    expect(() => nn_sequential(nn_relu(), 3 as never)).toThrow(TypeError);
  });

  it('a shape mismatch in forward is libtorch\'s error, as a TorchError', () => {
    expect(() => nn_linear(3, 2)(torch_ones(2, 4))).toThrow(expect.objectContaining({ name: 'TorchError' }));
  });
});

describe('zero-size layers build as PyTorch builds them', () => {
  it('nn_linear with no inputs or no outputs', () => {
    const empty = nn_linear(0, 4);
    expect(empty.weight.shape).toEqual([4, 0]);
    expect(flat(empty.bias!)).toEqual([0, 0, 0, 0]); // U(-0, 0): PyTorch's bound is 0 when fan_in is 0
    const y = empty(torch_zeros(3, 0).requires_grad_());
    expect(y.shape).toEqual([3, 4]);
    expect(flat(y)).toEqual(new Array(12).fill(0));
    y.sum().backward();
    expect(flat(empty.bias!.grad!)).toEqual([3, 3, 3, 3]);
    expect(nn_linear(4, 0)(torch_ones(3, 4)).shape).toEqual([3, 0]);
    expect(nn_linear(0, 0).parameters.map((p) => p.shape)).toEqual([[0, 0], [0]]);
  });

  it('convolutions, embeddings and layer norms with a zero size', () => {
    const conv = nn_conv1d(0, 4, 3);
    expect(conv.weight.shape).toEqual([4, 0, 3]);
    expect(flat(conv.bias!)).toEqual([0, 0, 0, 0]); // PyTorch leaves it uninitialised: here zeros, still without a draw
    expect(nn_conv2d(2, 0, 3).weight.shape).toEqual([0, 2, 3, 3]);
    expect(nn_embedding(0, 3).weight.shape).toEqual([0, 3]);
    expect(nn_embedding(3, 0)(torch_tensor([2, 0], { dtype: 'int64' })).shape).toEqual([2, 0]);
    expect(nn_layer_norm(0).weight!.shape).toEqual([0]);
    expect(() => nn_multihead_attention(0, 1)).toThrow(RangeError); // PyTorch: ZeroDivisionError
  });

  it('nn_init_* on zero-element tensors: kaiming returns them as they are, xavier needs fan_in + fan_out > 0', () => {
    for (const shape of [[0, 4], [4, 0], [0]]) {
      const t = torch_empty(shape);
      expect(nn_init_kaiming_uniform_(t)).toBe(t);
      expect(nn_init_kaiming_normal_(t, { mode: 'fan_out' })).toBe(t);
      expect(nn_init_uniform_(t)).toBe(t);
      expect(nn_init_normal_(t)).toBe(t);
    }
    expect(nn_init_xavier_uniform_(torch_empty(0, 4)).shape).toEqual([0, 4]);
    expect(() => nn_init_xavier_uniform_(torch_empty(0, 0))).toThrow(
      new RangeError('Expected a tensor with fan_in + fan_out > 0 (xavier_uniform_ divides by it) for tensor but received "a tensor of shape [0, 0]"'));
    expect(() => nn_init_xavier_normal_(torch_empty(0))).toThrow(RangeError);
    expect(() => nn_init_kaiming_uniform_(torch_empty(3), { mode: 'in' as never })).toThrow(TypeError);
    expect(() => nn_init_kaiming_uniform_(torch_empty(0), { mode: 'in' as never })).toThrow(TypeError); // checked before the no-op
  });
});

describe('options PyTorch has, honoured', () => {
  it('nn_layer_norm(shape, { bias: false }) learns a scale only', () => {
    const norm = nn_layer_norm(4, { bias: false });
    expect(Object.keys(norm.named_parameters())).toEqual(['weight']);
    expect(norm.bias).toBeNull();
    norm.load_state_dict({ weight: torch_tensor([1, 2, 3, 4]) });
    // (x - mean) / √(var + eps) · weight, computed here in float64
    const x = [1, 2, 4, 9];
    const mean = x.reduce((a, b) => a + b) / 4;
    const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / 4;
    const expected = x.map((v, i) => ((v - mean) / Math.sqrt(variance + 1e-5)) * (i + 1));
    expectTensor(norm(torch_tensor([x])), { dtype: 'float32', shape: [1, 4], values: expected }, { rtol: 1e-6, atol: 1e-6 });
    expect(nn_layer_norm(4, { elementwise_affine: false, bias: false }).parameters).toEqual([]);
    expect(Object.keys(nn_layer_norm(4, { bias: true }).named_parameters())).toEqual(['weight', 'bias']);
    expect(() => nn_layer_norm(4, { bias: 1 as never })).toThrow(new TypeError('Expected a boolean for bias but received 1'));
    expect(() => nn_layer_norm(4, { elementwise_affine: false, bias: 'no' as never })).toThrow(TypeError);
  });

  it('nn_embedding max_norm rescales the looked-up rows in place, to max_norm / (norm + 1e-7) of themselves', () => {
    const embed = nn_embedding(3, 2, { max_norm: 1 });
    embed.load_state_dict({ weight: torch_tensor([[3, 4], [0.3, 0.4], [6, 8]]) });
    const y = embed(torch_tensor([0, 1, 0], { dtype: 'int64' }));
    const scale = Math.fround(1 / (5 + 1e-7));
    expectTensor(embed.weight, { dtype: 'float32', shape: [3, 2], values: [3 * scale, 4 * scale, 0.3, 0.4, 6, 8] }, { rtol: 1e-6, atol: 0 });
    expect(flat(y.index([0]))).toEqual(flat(embed.weight.index([0])));
    expect(embed.weight.requires_grad).toBe(true);
    y.sum().backward();
    expect(flat(embed.weight.grad!)).toEqual([2, 2, 1, 1, 0, 0]);
  });

  it('norm_type picks the norm compared with max_norm (here L1), in nnf_embedding too', () => {
    const table = torch_tensor([[3, 4], [1, 1]]);
    nnf_embedding(torch_tensor([[0, 1]], { dtype: 'int64' }), table, { max_norm: 3.5, norm_type: 1 });
    expectTensor(table, { dtype: 'float32', shape: [2, 2], values: [1.5, 2, 1, 1] }, { rtol: 1e-6, atol: 0 });
    expect(() => nn_embedding(3, 2, { max_norm: -1 })).toThrow(new RangeError('Expected a non-negative number for max_norm but received -1'));
    expect(() => nn_embedding(3, 2, { max_norm: 'big' as never })).toThrow(TypeError);
    expect(() => nnf_embedding(torch_tensor([0], { dtype: 'int64' }), table, { max_norm: 1, norm_type: Number.NaN })).toThrow(
      new TypeError('Expected a number for norm_type but received NaN'));
  });

  it('nn_multihead_attention kdim/vdim: separate projection weights, in_proj_weight null, as PyTorch', () => {
    const attention = nn_multihead_attention(8, 2, { kdim: 4, vdim: 6 });
    expect(Object.entries(attention.named_parameters()).map(([k, v]) => [k, v.shape])).toEqual([
      ['q_proj_weight', [8, 8]], ['k_proj_weight', [8, 4]], ['v_proj_weight', [8, 6]], ['in_proj_bias', [24]], ['out_proj.weight', [8, 8]], ['out_proj.bias', [8]],
    ]);
    expect(attention.in_proj_weight).toBeNull();
    const [out, weights] = attention(torch_ones(5, 2, 8), torch_ones(7, 2, 4), torch_ones(7, 2, 6));
    expect([out.shape, weights!.shape]).toEqual([[5, 2, 8], [2, 5, 7]]);
    const packed = nn_multihead_attention(8, 2, { kdim: 8, vdim: 8 });
    expect(Object.keys(packed.named_parameters())).toEqual(['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']);
    expect(packed.q_proj_weight).toBeNull();
    expect(() => attention(torch_ones(5, 2, 8), torch_ones(7, 2, 8), torch_ones(7, 2, 6))).toThrow(
      new RangeError('Expected 4 features (kdim) for key but received "8 features"'));
    expect(() => attention(torch_ones(5, 2, 8), torch_ones(7, 2, 4), torch_ones(7, 2, 4))).toThrow(/6 features \(vdim\) for value/);
    expect(() => nn_multihead_attention(8, 2, { kdim: 0 })).toThrow(RangeError);
    expect(() => nn_multihead_attention(8, 2, { vdim: 2.5 })).toThrow(TypeError);
  });

  it('add_bias_kv and add_zero_attn each add one key position', () => {
    const x = torch_randn(5, 2, 8);
    const weightsOf = (options: object) => nn_multihead_attention(8, 2, options)(x, x, x)[1]!;
    expect(weightsOf({ add_bias_kv: true }).shape).toEqual([2, 5, 6]);
    expect(weightsOf({ add_zero_attn: true }).shape).toEqual([2, 5, 6]);
    expect(weightsOf({ add_bias_kv: true, add_zero_attn: true }).shape).toEqual([2, 5, 7]);
    const biased = nn_multihead_attention(8, 2, { add_bias_kv: true });
    expect(Object.keys(biased.named_parameters())).toEqual(['in_proj_weight', 'in_proj_bias', 'bias_k', 'bias_v', 'out_proj.weight', 'out_proj.bias']);
    expect(biased.bias_k!.shape).toEqual([1, 1, 8]);
    expect(nn_multihead_attention(8, 2).bias_k).toBeNull();
  });

  it('is_causal is a hint that needs attn_mask: the mask is what is applied', () => {
    const attention = nn_multihead_attention(8, 2);
    const x = torch_randn(4, 1, 8);
    const causal = torch_tensor([[false, true, true, true], [false, false, true, true], [false, false, false, true], [false, false, false, false]]);
    const [hinted, hintedWeights] = attention(x, x, x, { attn_mask: causal, is_causal: true });
    const [plain, plainWeights] = attention(x, x, x, { attn_mask: causal });
    expect(hinted.equal(plain) && hintedWeights!.equal(plainWeights!)).toBe(true);
    expect(flat(hintedWeights!.index(0, 0))).toEqual([1, 0, 0, 0]); // the first query sees only the first key
    expect(() => attention(x, x, x, { is_causal: true })).toThrow(new TypeError('Expected an attn_mask with is_causal: true (is_causal is only a hint '
      + 'that attn_mask is causal; PyTorch requires the mask) for attn_mask but received null'));
    expect(() => attention(x, x, x, { is_causal: 1 as never })).toThrow(TypeError);
  });
});
