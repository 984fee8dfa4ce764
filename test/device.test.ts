// Devices as R torch has them: torch_device() objects, accepted wherever a device string is,
// with_device() as the default device of the tensors made inside it; and the tensor
// methods of the same issue, new_full and t_. No GPU here: CUDA must be refused in words.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  nn_linear, torch_load, torch_load_safetensors, torch_save, torch_save_safetensors, type Tensor, torch_arange, torch_device, torch_Device, torch_full, torch_ones, torch_randn, torch_tensor, torch_zeros, TorchError, with_device,
} from '../src/index.js';

describe('torch_device', () => {
  it('has type and index, prints as R torch, and is its device string', () => {
    const cuda = torch_device('cuda', 0);
    expect([cuda.type, cuda.index]).toEqual(['cuda', 0]);
    expect(String(cuda)).toBe('cuda:0');
    expect(inspect(cuda)).toBe("torch_device(type='cuda', index=0)");
    const cpu = torch_device('cpu');
    expect([cpu.type, cpu.index]).toEqual(['cpu', null]);
    expect(inspect(cpu)).toBe("torch_device(type='cpu')");
    const parsed = torch_device('cuda:1');
    expect([parsed.type, parsed.index]).toEqual(['cuda', 1]);
    expect(torch_device(cpu)).toBe(cpu);
    expect(cpu).toBeInstanceOf(torch_Device);
  });

  it('refuses what names no device', () => {
    expect(() => torch_device('tpu')).toThrow(TypeError);
    expect(() => torch_device('cuda:1', 0)).toThrow(/no index/);
    expect(() => torch_device('cuda', -1)).toThrow(RangeError);
    expect(() => torch_zeros(2, { device: 3 as never })).toThrow(/torch_device/);
  });

  it('goes wherever a device string does', () => {
    const cpu = torch_device('cpu');
    expect(torch_zeros(2, { device: cpu }).device).toBe('cpu');
    expect(torch_randn(2).to(cpu).device).toBe('cpu');
    expect(torch_ones(2).to({ device: cpu, dtype: 'float64' }).dtype).toBe('float64');
    expect(nn_linear(2, 3).to(cpu).weight.device).toBe('cpu');
    expect(torch_tensor([1, 2], { device: torch_device('meta') }).device).toBe('meta');
  });

  it('says clearly that there is no CUDA device', () => {
    expect(() => torch_zeros(2, { device: torch_device('cuda', 0) })).toThrow(TorchError);
    expect(() => torch_zeros(2, { device: torch_device('cuda', 0) })).toThrow(/CUDA/);
  });
});

describe('with_device', () => {
  it('is the device of the tensors made inside, and is restored after, also on a throw', () => {
    const made = with_device(() => [torch_zeros(2), torch_randn(2), torch_full([1], 3), torch_tensor([1]), nn_linear(2, 2).weight], torch_device('meta'));
    expect(made.map((tensor) => tensor.device)).toEqual(['meta', 'meta', 'meta', 'meta', 'meta']);
    expect(with_device(() => torch_zeros(1, { device: 'cpu' }).device, 'meta')).toBe('cpu');
    expect(with_device(() => with_device(() => torch_zeros(1).device, 'cpu'), 'meta')).toBe('cpu');
    expect(() => with_device(() => { throw new Error('inside'); }, 'meta')).toThrow('inside');
    expect(torch_zeros(1).device).toBe('cpu');
  });

  it('leaves files loading onto the CPU, as torch.load and safetensors\' load_file do', () => {
    const folder = mkdtempSync(join(tmpdir(), 'torchlora-device-'));
    try {
      torch_save(torch_ones(2), join(folder, 'x.pt'));
      torch_save_safetensors({ x: torch_ones(2) }, join(folder, 'x.safetensors'));
      const loaded = with_device(() => [torch_load(join(folder, 'x.pt')) as Tensor, torch_load_safetensors(join(folder, 'x.safetensors')).tensors.x!], 'meta');
      expect(loaded.map((tensor) => [tensor.device, tensor.to_array()])).toEqual([['cpu', [1, 1]], ['cpu', [1, 1]]]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('makes nothing on a CUDA device that is not there', () => {
    expect(() => with_device(() => torch_zeros(2), 'cuda')).toThrow(TorchError);
    expect(torch_zeros(1).device).toBe('cpu');
    expect(() => with_device(undefined as never, 'cpu')).toThrow(TypeError);
    expect(() => with_device(() => 1, 'gpu')).toThrow(TypeError);
  });
});

describe('new_full and t_', () => {
  it('new_full takes the dtype and device of its tensor unless told otherwise', () => {
    const x = torch_zeros([2], { dtype: 'float64' });
    const full = x.new_full([2, 2], 7);
    expect([full.dtype, full.device, full.to_array()]).toEqual(['float64', 'cpu', [[7, 7], [7, 7]]]);
    expect(x.new_full(3, -1, { dtype: 'int64' }).to_array()).toEqual([-1, -1, -1]);
    expect(x.new_full([1], 2, { requires_grad: true }).requires_grad).toBe(true);
    expect(torch_zeros(1, { device: 'meta' }).new_full([2], 1).device).toBe('meta');
    expect(() => x.new_full([2], 1, { pin_memory: true } as never)).toThrow(/pin_memory/);
  });

  it('t_ transposes in place and returns its tensor', () => {
    const x = torch_arange(0, 6).reshape(2, 3);
    expect(x.t_()).toBe(x);
    expect(x.shape).toEqual([3, 2]);
    expect(x.to_array()).toEqual([[0, 3], [1, 4], [2, 5]]);
  });
});
