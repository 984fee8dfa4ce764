// nnf_* losses, activations and layer computations against Python PyTorch's results on the
// same inputs (test/fixtures/nn.json), each reduction of each loss, gradients of the losses,
// and argument checks. Convolutions are in nn.conv.test.ts.
import { describe, expect, it } from 'vitest';
import {
  nnf_binary_cross_entropy_with_logits, nnf_cross_entropy, nnf_dropout, nnf_embedding, nnf_gelu, nnf_l1_loss, nnf_layer_norm,
  nnf_linear, nnf_log_softmax, nnf_mse_loss, nnf_relu, nnf_softmax, torch_manual_seed, torch_ones, torch_tensor,
  type Reduction, type Tensor,
} from '../src/index.js';
import { FLOAT32_ULPS, expectTensor, type Tolerance } from './fixtures/core.js';
import { fixture, nn, tensorOf } from './fixtures/nn.js';

const input = (key: string) => tensorOf(fixture(nn.functional.inputs, key));
const result = (key: string) => fixture(nn.functional.results, key);
const grad = (key: string) => fixture(nn.functional.grads, key);

const a = input('a');
const b = input('b');
const logits = input('logits');
const classes = input('classes');
const labels = input('labels');
const EXACT = undefined;

type Case = [string, () => Tensor, Tolerance?];

function check(cases: Case[]): void {
  it.each(cases)('%s', (key, make, tolerance) => expectTensor(make(), result(key), tolerance));
}

const reductions: Reduction[] = ['mean', 'sum', 'none'];

describe('losses, each reduction', () => {
  check(reductions.flatMap((reduction): Case[] => [
    [`mse_${reduction}`, () => nnf_mse_loss(a, b, { reduction }), FLOAT32_ULPS],
    [`l1_${reduction}`, () => nnf_l1_loss(a, b, { reduction }), FLOAT32_ULPS],
    [`cross_entropy_${reduction}`, () => nnf_cross_entropy(logits, classes, { reduction }), FLOAT32_ULPS],
    [`bce_logits_${reduction}`, () => nnf_binary_cross_entropy_with_logits(a, labels, { reduction }), FLOAT32_ULPS],
  ]));
});

describe('loss options', () => {
  check([
    ['cross_entropy_weight', () => nnf_cross_entropy(logits, classes, { weight: input('class_weight') }), FLOAT32_ULPS],
    ['cross_entropy_ignore2', () => nnf_cross_entropy(logits, classes, { ignore_index: 2 }), FLOAT32_ULPS],
    ['cross_entropy_smoothing', () => nnf_cross_entropy(logits, classes, { label_smoothing: 0.1 }), FLOAT32_ULPS],
    ['cross_entropy_probs', () => nnf_cross_entropy(logits, input('probs')), FLOAT32_ULPS],
    ['bce_logits_weights', () => nnf_binary_cross_entropy_with_logits(a, labels, { weight: input('element_weight'), pos_weight: input('pos_weight') }), FLOAT32_ULPS],
  ]);
});

describe('gradients of the losses', () => {
  it('mse_loss', () => {
    const x = a.clone().requires_grad_();
    nnf_mse_loss(x, b).backward();
    expectTensor(x.grad!, grad('mse_mean_input'), FLOAT32_ULPS);
  });
  it('cross_entropy with class weights', () => {
    const x = logits.clone().requires_grad_();
    nnf_cross_entropy(x, classes, { weight: input('class_weight') }).backward();
    expectTensor(x.grad!, grad('cross_entropy_weight_input'), FLOAT32_ULPS);
  });
  it('binary_cross_entropy_with_logits with pos_weight', () => {
    const x = a.clone().requires_grad_();
    nnf_binary_cross_entropy_with_logits(x, labels, { pos_weight: input('pos_weight') }).backward();
    expectTensor(x.grad!, grad('bce_logits_pos_weight_input'), FLOAT32_ULPS);
  });
  it('mse_loss matches its definition: mean((x - y)²), gradient 2 (x - y) / n', () => {
    const x = torch_tensor([1, 2, 3]).requires_grad_();
    const loss = nnf_mse_loss(x, torch_tensor([0, 0, 1]));
    expect(loss.item()).toBeCloseTo((1 + 4 + 4) / 3, 6);
    loss.backward();
    (x.grad!.to_array() as number[]).forEach((g, i) => expect(g).toBeCloseTo([2 / 3, 4 / 3, 4 / 3][i]!, 6));
  });
});

describe('activations and layer computations', () => {
  check([
    ['relu', () => nnf_relu(a), EXACT],
    ['gelu', () => nnf_gelu(a), FLOAT32_ULPS],
    ['gelu_tanh', () => nnf_gelu(a, { approximate: 'tanh' }), FLOAT32_ULPS],
    ['softmax_1', () => nnf_softmax(logits, 1), FLOAT32_ULPS],
    ['log_softmax_0', () => nnf_log_softmax(logits, 0), FLOAT32_ULPS],
    ['softmax_1_float64', () => nnf_softmax(logits, 1, { dtype: 'float64' }), { rtol: 1e-12, atol: 1e-12 }],
    ['linear', () => nnf_linear(a, input('w'), input('bias')), FLOAT32_ULPS],
    ['linear_nobias', () => nnf_linear(a, input('w')), FLOAT32_ULPS],
    ['embedding', () => nnf_embedding(input('indices'), input('table')), EXACT],
    ['layer_norm', () => nnf_layer_norm(a, [3], { weight: input('norm_weight'), bias: input('norm_bias') }), FLOAT32_ULPS],
    ['layer_norm_plain', () => nnf_layer_norm(a, [4, 3]), FLOAT32_ULPS],
  ]);

  it('nnf_dropout draws PyTorch\'s mask; training: false returns the input\'s values', () => {
    torch_manual_seed(12);
    expectTensor(nnf_dropout(torch_ones(4, 5), { p: 0.4 }), nn.layers.dropout_p04_seed12);
    expect(nnf_dropout(a, { training: false }).equal(a)).toBe(true);
  });

  it('nnf_embedding with padding_idx gives the padding row no gradient', () => {
    const table = input('table').requires_grad_();
    nnf_embedding(input('indices'), table, { padding_idx: 2 }).sum().backward();
    const rows = table.grad!.to_array() as number[][];
    // indices [[0, 5, 2], [2, 2, 1]]: each use adds 1 to its row, except row 2.
    expect(rows.map((row) => row[0])).toEqual([1, 1, 0, 0, 0, 1]);
  });
});

describe('argument checks happen before libtorch', () => {
  it('reductions, probabilities and tensors', () => {
    expect(() => nnf_mse_loss(a, b, { reduction: 'avg' as never })).toThrow(/Expected "mean", "sum" or "none" for reduction but received "avg"/);
    expect(() => nnf_mse_loss(a, 3 as never)).toThrow(TypeError);
    expect(() => nnf_dropout(a, { p: 1.5 })).toThrow(RangeError);
    expect(() => nnf_cross_entropy(logits, classes, { label_smoothing: -0.1 })).toThrow(RangeError);
    expect(() => nnf_gelu(a, { approximate: 'fast' as never })).toThrow(TypeError);
    expect(() => nnf_embedding(input('indices'), input('table'), { padding_idx: 6 })).toThrow(RangeError);
    expect(() => nnf_softmax(a, 0.5)).toThrow(TypeError);
  });

  it('mismatched shapes are libtorch\'s errors, as TorchError', () => {
    expect(() => nnf_cross_entropy(logits, torch_tensor([1, 2]).long())).toThrow(expect.objectContaining({ name: 'TorchError' }));
    expect(() => nnf_linear(a, torch_ones(2, 5))).toThrow(expect.objectContaining({ name: 'TorchError' }));
  });
});
