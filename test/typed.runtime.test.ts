// What the typed API checks at run time: item(as) and to_array(as, ndim) convert as Python's
// float(), bool() and int() do (expected values from that definition), initialize's returned
// fields register as assigned ones, to() says whether it wanted a device or a dtype, and grad
// mode refuses async functions.
import { describe, expect, it } from 'vitest';
import {
  nn_linear, nn_module, nn_parameter, torch_is_grad_enabled, torch_ones, torch_tensor, torch_zeros, with_enable_grad, with_no_grad, type Tensor,
} from '../src/index.js';

describe('item(as) and to_array(as, ndim)', () => {
  it('convert to the type asked for, as Python does', () => {
    expect(torch_tensor([2.5]).item('number')).toBe(2.5);
    expect(torch_tensor([true]).item('number')).toBe(1);
    expect(torch_tensor([false]).item('boolean')).toBe(false);
    expect(torch_tensor([0.5]).item('boolean')).toBe(true);
    expect(torch_tensor([Number.NaN]).item('boolean')).toBe(true);   // bool(float('nan')) is True
    expect(torch_tensor([0]).item('boolean')).toBe(false);
    expect(torch_tensor([7], { dtype: 'int32' }).item('bigint')).toBe(7n);
    expect(torch_tensor(BigInt64Array.of(2n ** 53n + 1n)).item('bigint')).toBe(2n ** 53n + 1n); // exact, past what a number holds
    expect(torch_tensor([true]).item()).toBe(true);
    expect(torch_tensor([[true, false]]).to_array('number', 2)).toEqual([[1, 0]]);
    expect(torch_tensor([[0, 3]], { dtype: 'int64' }).to_array('boolean')).toEqual([[false, true]]);
    expect(torch_tensor([1, 2], { dtype: 'int16' }).to_array('bigint', 1)).toEqual([1n, 2n]);
    expect(torch_ones(2, { dtype: 'float16' }).to_array('number', 1)).toEqual([1, 1]);
    expect(torch_tensor(3).to_array('number', 0)).toBe(3);
  });

  it('refuse what they cannot do, saying what they expected', () => {
    expect(() => torch_tensor([1.5]).item('bigint')).toThrow(TypeError);
    expect(() => torch_tensor([1.5]).item('bigint')).toThrow(/integer or bool tensor for as: "bigint" \(this one is float32/);
    expect(() => torch_tensor([1]).item('string' as 'number')).toThrow('Expected "number", "boolean" or "bigint" for as but received "string"');
    expect(() => torch_zeros(2, 3).to_array('number', 1)).toThrow(RangeError);
    expect(() => torch_zeros(2, 3).to_array('number', 1)).toThrow('Expected a tensor with 1 dimensions (to_array\'s ndim) for this tensor but received "one with 2"');
  });
});

describe('nn_module() with fields returned by initialize', () => {
  it('registers them as assigning them does', () => {
    const Scaled = nn_module('scaled', {
      initialize(d: number) { return { fc: nn_linear(d, d), bias: nn_parameter(torch_zeros(d)), scale: 2 }; },
      forward(x: Tensor): Tensor { return this.fc(x).add(this.bias).mul(this.scale); },
    });
    const module = Scaled(3);
    expect(Object.keys(module.state_dict())).toEqual(['bias', 'fc.weight', 'fc.bias']); // PyTorch's order: its own, then its modules'
    expect(module.parameters.length).toBe(3);
    expect(module.scale).toBe(2);
    const x = torch_ones(1, 3);
    expect(module(x).equal(module.fc(x).mul(2))).toBe(true);
  });

  it('refuses a return value that is not a plain object of fields', () => {
    const Bad = nn_module({ initialize() { return [nn_linear(2, 2)] as unknown as object; } });
    expect(() => Bad()).toThrow('Expected nothing or a plain object of fields from initialize for initialize() but received an array of length 1');
  });
});

describe('to() with a device or a dtype', () => {
  it('says which it wanted', () => {
    const x = torch_zeros(2);
    expect(() => x.to('tpu')).toThrow(/^Expected a device \("cpu", "cuda", "cuda:0", "mps" or "meta"\) or a dtype \(uint8, .*\) for target but received "tpu"$/);
    expect(() => x.to({ dtype: 'cuda' as 'float32' })).toThrow(/for dtype but received "cuda"/);
    expect(() => x.to({ dtype: 'cuda' as 'float32' })).toThrow('("cuda" is a device: pass it as device)');
    expect(() => x.to({ device: 'float64' })).toThrow('Expected a device such as "cpu", "cuda", "cuda:0" or a torch_device() ("float64" is a dtype: pass it as dtype) for device but received "float64"');
    expect(() => nn_linear(2, 2).to('tpu')).toThrow(/or a dtype \(.*\) for target but received "tpu"/);
    expect(x.to('float64').dtype).toBe('float64');
    expect(x.to('cpu').device).toBe('cpu');
  });
});

describe('with_no_grad and with_enable_grad', () => {
  it('refuse an async function before running it, and one that returns a Promise after', () => {
    let ran = false;
    const asyncFn = (async () => { ran = true; }) as unknown as () => number;
    expect(() => with_no_grad(asyncFn)).toThrow("Expected a synchronous function for with_no_grad's fn but received an async function: grad mode is per thread and does not follow an await");
    expect(ran).toBe(false);
    const promising = (() => Promise.reject(new Error('not seen'))) as unknown as () => number;
    expect(() => with_enable_grad(promising)).toThrow("Expected a synchronous function for with_enable_grad's fn but received one that returned a Promise");
    expect(torch_is_grad_enabled()).toBe(true);
    expect(with_no_grad(() => torch_is_grad_enabled())).toBe(false);
  });
});
