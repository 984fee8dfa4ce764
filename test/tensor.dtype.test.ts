// dtype facts: torch_finfo / torch_iinfo against Python PyTorch's torch.finfo / torch.iinfo,
// and the conversion methods.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { torch_finfo, torch_iinfo, torch_tensor, type DType } from '../src/index.js';
import { PYTHON, describe_with_python } from './parity/harness.js';

describe_with_python('torch_finfo and torch_iinfo are torch.finfo and torch.iinfo', () => {
  it('for every float and integer dtype', () => {
    const script = `
import json, torch
floats = {n: torch.finfo(getattr(torch, n)) for n in ["float16", "bfloat16", "float32", "float64"]}
ints = {n: torch.iinfo(getattr(torch, n)) for n in ["uint8", "int8", "int16", "int32"]}
print(json.dumps({"floats": {n: dict(bits=f.bits, eps=f.eps, max=f.max, min=f.min, tiny=f.tiny, resolution=f.resolution) for n, f in floats.items()},
                  "ints": {n: dict(bits=i.bits, max=i.max, min=i.min) for n, i in ints.items()}}))`;
    const result = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const python = JSON.parse(result.stdout) as { floats: Record<string, object>; ints: Record<string, object> };
    for (const [name, info] of Object.entries(python.floats)) expect(torch_finfo(name as DType)).toEqual(info);
    for (const [name, info] of Object.entries(python.ints)) expect(torch_iinfo(name as DType)).toEqual(info);
  });
});

describe('dtype helpers', () => {
  it('refuse the other kind of dtype', () => {
    expect(() => torch_finfo('int32')).toThrow('Expected a floating-point dtype for dtype but received "int32"');
    expect(() => torch_iinfo('float32')).toThrow('Expected an integer dtype for dtype but received "float32"');
  });

  it('conversion methods', () => {
    const x = torch_tensor([1.5, -2.5, 0]);
    expect([x.int().dtype, x.short().dtype, x.half().dtype, x.bfloat16().dtype, x.bool().dtype]).toEqual(['int32', 'int16', 'float16', 'bfloat16', 'bool']);
    expect(x.int().to_array()).toEqual([1, -2, 0]);
    expect(x.bool().to_array()).toEqual([true, true, false]);
    expect(x.is_cuda).toBe(false);
    expect(x.is_floating_point()).toBe(true);
    expect(x.int().is_floating_point()).toBe(false);
  });
});
