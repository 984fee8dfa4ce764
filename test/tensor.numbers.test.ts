// What a JavaScript number means (docs/numbers-and-dtypes.md): JavaScript cannot tell 1 from
// 1.0, so where a number alone decides a dtype it is the default float dtype (float32), as in
// R torch; beside a tensor it is a scalar operand with PyTorch's promotion rules; results that
// are indices by nature (arange of integers, randint, randperm, argmax) are int64. Integer
// dtypes refuse values they cannot hold instead of wrapping around. Expected values come from
// arithmetic.
import { describe, expect, it } from 'vitest';
import {
  nn_linear, torch_arange, torch_div, torch_full, torch_get_default_dtype, torch_linspace, torch_randint, torch_randn, torch_randperm,
  torch_scalar_tensor, torch_set_default_dtype, torch_tensor, torch_where, torch_zeros,
} from '../src/index.js';

describe('a number alone decides float32, a boolean bool', () => {
  it.each([
    ['torch_full([2], 1.0)', () => torch_full([2], 1.0), 'float32', [1, 1]],
    ['torch_full([2], 7)', () => torch_full([2], 7), 'float32', [7, 7]],
    ['torch_full([2], true)', () => torch_full([2], true), 'bool', [true, true]],
    ['torch_where(c, 1.0, 0.0)', () => torch_where(torch_tensor([true, false]), 1.0, 0.0), 'float32', [1, 0]],
    ['torch_where(c, 2, 3)', () => torch_where(torch_tensor([true, false]), 2, 3), 'float32', [2, 3]],
    ['torch_where(c, true, false)', () => torch_where(torch_tensor([true, false]), true, false), 'bool', [true, false]],
    ['torch_tensor([1, 2])', () => torch_tensor([1, 2]), 'float32', [1, 2]],
  ] as const)('%s is %s', (_, make, dtype, values) => {
    const x = make();
    expect(x.dtype).toBe(dtype);
    expect(x.to_array()).toEqual(values);
  });

  it('a dtype given wins', () => {
    expect(torch_full([2], 1, { dtype: 'int64' }).dtype).toBe('int64');
    expect(torch_tensor([1, 2], { dtype: 'int32' }).dtype).toBe('int32');
  });
});

describe('index-like results are int64', () => {
  it('arange of integer numbers (1.0 is an integer to JavaScript), randint, randperm, argmax', () => {
    expect(torch_arange(0.0, 3.0).dtype).toBe('int64');
    expect(torch_arange(0, 1.5, 0.5).dtype).toBe('float32');
    expect(torch_randint(0, 5, [3]).dtype).toBe('int64');
    expect(torch_randperm(4).dtype).toBe('int64');
    expect(torch_randn(3, 4).argmax(1).dtype).toBe('int64');
  });
});

describe('beside a tensor a number is a scalar operand, promoted as in PyTorch', () => {
  it('an integer tensor stays integer with an integral number, becomes float with a fraction', () => {
    const i = torch_tensor([1, 2, 3], { dtype: 'int64' });
    expect(i.add(1).dtype).toBe('int64');
    expect(i.mul(0.5).dtype).toBe('float32');
    expect(i.mul(0.5).to_array()).toEqual([0.5, 1, 1.5]);
    expect(torch_tensor([1.5]).add(1).dtype).toBe('float32');
  });
});

describe('integer dtypes refuse values they cannot hold', () => {
  it.each([
    ['2^63 as int64', [2 ** 63], 'int64'],
    ['-2^63 - 2^11 as int64', [-(2 ** 63) - 2 ** 11], 'int64'],
    ['2^31 as int32', [2 ** 31], 'int32'],
    ['-1 as uint8', [-1], 'uint8'],
    ['256 as uint8', [256], 'uint8'],
    ['128 as int8', [128], 'int8'],
    ['NaN as int32', [Number.NaN], 'int32'],
    ['Infinity as int64', [Number.POSITIVE_INFINITY], 'int64'],
  ] as const)('%s is a RangeError', (_, values, dtype) => {
    expect(() => torch_tensor([...values], { dtype })).toThrow(RangeError);
    expect(() => torch_tensor([...values], { dtype })).toThrow(/for data \(element 0\)/);
  });

  it('the extremes that fit are kept exactly', () => {
    expect(torch_tensor([-(2 ** 63)], { dtype: 'int64' }).to_typed_array()).toEqual(new BigInt64Array([-(2n ** 63n)]));
    expect(torch_tensor([2 ** 31 - 1, -(2 ** 31)], { dtype: 'int32' }).to_array()).toEqual([2 ** 31 - 1, -(2 ** 31)]);
    expect(torch_tensor([255.9, 0], { dtype: 'uint8' }).to_array()).toEqual([255, 0]);
  });
});

describe('torch_div(number, x) divides', () => {
  it('rounds once: each quotient is the float32 nearest to number / x', () => {
    const x = torch_randn(50).abs().add(0.1);
    const quotients = torch_div(3, x).to_typed_array() as Float32Array;
    const divisors = x.to_typed_array() as Float32Array;
    // A float32 quotient computed in float64 and rounded once more is the correctly rounded one.
    divisors.forEach((d, i) => expect(quotients[i]).toBe(Math.fround(3 / d)));
  });
});

describe('integer remainder never raises SIGFPE', () => {
  it('INT_MIN % -1 is 0, as x % -1 is for every integer (int32, int64, number or tensor divisor)', () => {
    const int32 = torch_tensor(new Int32Array([-(2 ** 31), 7, -7]));
    expect(int32.remainder(-1).to_array()).toEqual([0, 0, 0]);
    expect(int32.remainder(torch_tensor(new Int32Array([-1, -1, -1]))).to_array()).toEqual([0, 0, 0]);
    const int64 = torch_tensor(new BigInt64Array([-(2n ** 63n), 5n]));
    expect(int64.remainder(-1).to_array()).toEqual([0, 0]);
    expect(int64.remainder(torch_tensor(new BigInt64Array([-1n, 3n]))).to_array()).toEqual([0, 2]);
  });

  it('other divisors keep Python\'s sign rule', () => {
    expect(torch_tensor(new Int32Array([7, -7])).remainder(-3).to_array()).toEqual([-2, -1]);
    expect(torch_tensor(new Int32Array([7, -7])).remainder(torch_tensor(new Int32Array([3, 3]))).to_array()).toEqual([1, 2]);
  });
});

describe('torch_set_default_dtype changes what numbers and creation functions give', () => {
  it('float64: numbers, fills, draws, ranges, layers; bool and index results keep theirs', () => {
    expect(torch_get_default_dtype()).toBe('float32');
    torch_set_default_dtype('float64');
    try {
      const made = [torch_tensor([1.5]), torch_full([2], 1), torch_randn(2), torch_zeros(2), torch_arange(0, 1, 0.5),
        torch_where(torch_tensor([true]), 1, 0), torch_linspace(0, 1, 3), torch_scalar_tensor(1), nn_linear(2, 2).weight];
      expect(made.map((x) => x.dtype)).toEqual(new Array(made.length).fill('float64'));
      expect(torch_tensor([0.1]).to_array()).toEqual([0.1]); // float64 holds 0.1 exactly as JavaScript does
      expect(torch_tensor([true]).dtype).toBe('bool');
      expect(torch_arange(3).dtype).toBe('int64');
    } finally {
      torch_set_default_dtype('float32');
    }
    expect(torch_tensor([1.5]).dtype).toBe('float32');
  });

  it('only floating-point dtypes can be the default', () => {
    expect(() => torch_set_default_dtype('int64')).toThrow('Expected a floating-point dtype (float32, float64, float16 or bfloat16) for dtype but received "int64"');
  });
});
