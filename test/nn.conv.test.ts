// Convolutions, layer and functional: initialisation under torch_manual_seed and outputs
// against Python PyTorch (test/fixtures/nn.json), and their argument checks.
import { describe, expect, it } from 'vitest';
import { nn_conv1d, nn_conv2d, nnf_conv1d, nnf_conv2d, torch_manual_seed, torch_ones } from '../src/index.js';
import { FLOAT32_ULPS, expectTensor } from './fixtures/core.js';
import { expectStateDict, fixture, nn, stateDict, tensorOf } from './fixtures/nn.js';

const input = (key: string) => tensorOf(fixture(nn.functional.inputs, key));
const result = (key: string) => fixture(nn.functional.results, key);

describe('nn_conv1d and nn_conv2d', () => {
  it('initialise as PyTorch does under the same seed (kaiming-uniform, a = √5)', () => {
    torch_manual_seed(4);
    expectStateDict(nn_conv1d(4, 6, 3, { groups: 2 }), stateDict('conv1d_4_6_3_groups2_seed4'));
    torch_manual_seed(5);
    expectStateDict(nn_conv2d(2, 3, [3, 2], { stride: 2, padding: 1 }), stateDict('conv2d_2_3_3x2_seed5'));
  });

  it('compute PyTorch\'s outputs with loaded weights', () => {
    const conv1 = nn_conv1d(4, 6, 3, { stride: 2, padding: 1 });
    conv1.load_state_dict({ weight: input('kernel1'), bias: input('bias1') });
    expectTensor(conv1(input('signal')), result('conv1d'), FLOAT32_ULPS);
    const conv2 = nn_conv2d(4, 6, [3, 2], { stride: [2, 1], padding: [1, 0], dilation: [1, 2], groups: 2 });
    conv2.load_state_dict({ weight: input('kernel2'), bias: input('bias2') });
    expectTensor(conv2(input('image')), result('conv2d'), FLOAT32_ULPS);
    expect(conv2.kernel_size).toEqual([3, 2]);
  });

  it('check their arguments before libtorch', () => {
    expect(() => nn_conv2d(3, 4, 3, { groups: 2 })).toThrow(/multiple of groups/);
    expect(() => nn_conv2d(2, 4, [3, 3, 3])).toThrow(/array of 2 numbers/);
    expect(() => nn_conv1d(2, 4, 3, { padding: 'same', stride: 2 })).toThrow(RangeError);
    expect(() => nn_conv1d(2, 4, 3, { padding_mode: 'reflect' as never })).toThrow(TypeError);
  });
});

describe('nnf_conv1d and nnf_conv2d', () => {
  it('stride, padding, dilation, groups and bias', () => {
    expectTensor(nnf_conv1d(input('signal'), input('kernel1'), { bias: input('bias1'), stride: 2, padding: 1 }), result('conv1d'), FLOAT32_ULPS);
    expectTensor(nnf_conv2d(input('image'), input('kernel2'), { bias: input('bias2'), stride: [2, 1], padding: [1, 0], dilation: [1, 2], groups: 2 }),
      result('conv2d'), FLOAT32_ULPS);
  });

  it('padding "same"', () => {
    expectTensor(nnf_conv1d(input('signal'), input('kernel1'), { padding: 'same', dilation: 2 }), result('conv1d_same_dilation2'), FLOAT32_ULPS);
  });

  it('argument errors', () => {
    expect(() => nnf_conv2d(torch_ones(1, 1, 3, 3), torch_ones(1, 1, 2, 2), { stride: 0 })).toThrow(RangeError);
    expect(() => nnf_conv2d(torch_ones(1, 1, 3, 3), torch_ones(1, 1, 2, 2), { padding: 'full' as never })).toThrow(TypeError);
  });
});
