// Complex tensors: dtypes, parts, conversions to JavaScript values, printing, and files that
// Python's torch.load / safetensors read and write (the values checked by Python itself, in
// test/parity/complex_io.py). Op values against PyTorch: test/parity/complex.parity.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  torch_cdouble, torch_cfloat, torch_complex, torch_load, torch_load_safetensors, torch_polar, torch_save, torch_save_safetensors, torch_tensor,
  torch_view_as_complex, torch_view_as_real, torch_zeros, TorchError, type Tensor,
} from '../src/index.js';
import { describe_with_python, run_python } from './parity/harness.js';

const z = (): Tensor => torch_complex(torch_tensor([1.5, -2, 0.25]), torch_tensor([0.5, 3, -1]));

describe('complex tensors', () => {
  it('has cfloat and cdouble, aliases of complex64 and complex128', () => {
    expect(torch_cfloat()).toBe('complex64');
    expect(torch_cdouble()).toBe('complex128');
    expect(z().dtype).toBe('complex64');
    expect(torch_complex(torch_tensor([1], { dtype: 'float64' }), torch_tensor([2], { dtype: 'float64' })).dtype).toBe('complex128');
    expect(torch_zeros([2], { dtype: 'cdouble' }).dtype).toBe('complex128');
    expect(z().is_complex()).toBe(true);
    expect(torch_zeros(2).is_complex()).toBe(false);
  });

  it('gives its values as [re, im] pairs, and as interleaved typed arrays that torch_tensor takes back', () => {
    expect(z().to_array()).toEqual([[1.5, 0.5], [-2, 3], [0.25, -1]]);
    expect(z().real.to_array()).toEqual([1.5, -2, 0.25]);
    expect(z().imag.to_array()).toEqual([0.5, 3, -1]);
    const flat = z().to_typed_array();
    expect(flat).toEqual(new Float32Array([1.5, 0.5, -2, 3, 0.25, -1]));
    const back = torch_tensor(flat, { dtype: 'complex64', shape: [3, 1] });
    expect(back.shape).toEqual([3, 1]);
    expect(back.to_array()).toEqual([[[1.5, 0.5]], [[-2, 3]], [[0.25, -1]]]);
    // Numbers with a complex dtype are real values, as in PyTorch.
    expect(torch_tensor([1, 2], { dtype: 'cfloat' }).to_array()).toEqual([[1, 0], [2, 0]]);
    expect(torch_tensor(new Float64Array([1, 2, 3, 4]), { dtype: 'cdouble' }).to_array()).toEqual([[1, 2], [3, 4]]);
    expect(() => torch_tensor(new Float32Array([1, 2, 3]), { dtype: 'complex64' })).toThrow(RangeError);
  });

  it('applies a pending conjugation before reading values, and refuses a view of one', () => {
    const conj = z().conj();
    expect(conj.is_conj()).toBe(true);
    expect(conj.to_array()).toEqual([[1.5, -0.5], [-2, -3], [0.25, 1]]);
    expect(conj.to_typed_array()).toEqual(new Float32Array([1.5, -0.5, -2, -3, 0.25, 1]));
    expect(() => conj.to_typed_array({ copy: false })).toThrow(/pending conjugation/);
  });

  it('computes |z| and arg z as the math says', () => {
    const w = torch_complex(torch_tensor([3, 0]), torch_tensor([4, 1]));
    expect(w.abs().to_array()).toEqual([5, 1]);
    expect(w.angle().index(1).item()).toBeCloseTo(Math.PI / 2, 6);
    const p = torch_polar(torch_tensor([2]), torch_tensor([Math.PI / 2])).to_array() as number[][];
    expect(p[0]![0]).toBeCloseTo(0, 6);
    expect(p[0]![1]).toBeCloseTo(2, 6);
    expect(torch_view_as_real(w).shape).toEqual([2, 2]);
    expect(torch_view_as_complex(torch_tensor([[1, 2], [3, 4]])).to_array()).toEqual([[1, 2], [3, 4]]);
  });

  it('prints its (re, im) pairs and refuses what has no JavaScript value', () => {
    // libtorch's own printer would show the real parts only.
    expect(String(z())).toMatch(/-2\.0000\s+3\.0000\n[^]*\[ CPUComplexFloatType\{3\} \] \(real, imaginary pairs\)/);
    expect(String(z().conj())).toMatch(/-2\.0000\s+-3\.0000/);
    expect(() => z().index(0).item()).toThrow(/complex/);
    expect(() => torch_zeros(2).imag).toThrow(TorchError);
    expect(() => torch_save_safetensors({ z: torch_zeros([1], { dtype: 'complex128' }) }, join(tmpdir(), 'never.safetensors'))).toThrow(TypeError);
  });
});

describe_with_python('complex tensors in files, with Python', () => {
  const folder = mkdtempSync(join(tmpdir(), 'torchlora-complex-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  const expected = { z: [[1.5, 0.5], [-2, 3], [0.25, -1]], zd: [[[1, -3], [2, 4]]] };

  it('torch_save writes complex64 and complex128 that torch.load reads', () => {
    const zd = torch_complex(torch_tensor([[1, 2]], { dtype: 'float64' }), torch_tensor([[-3, 4]], { dtype: 'float64' }));
    torch_save({ z: z(), zd }, join(folder, 'ours.pt'));
    const theirs = JSON.parse(run_python('complex_io.py', ['load', join(folder, 'ours.pt')])) as Record<string, { dtype: string; values: unknown }>;
    expect(theirs.z).toEqual({ dtype: 'complex64', values: expected.z });
    expect(theirs.zd).toEqual({ dtype: 'complex128', values: expected.zd });
  });

  it('torch_load and torch_load_safetensors read what Python wrote; safetensors C64 both ways', () => {
    run_python('complex_io.py', ['save', folder]);
    const loaded = torch_load(join(folder, 'python.pt')) as Record<string, Tensor>;
    expect(loaded.z!.dtype).toBe('complex64');
    expect(loaded.z!.to_array()).toEqual(expected.z);
    expect(loaded.zd!.dtype).toBe('complex128');
    expect(loaded.zd!.to_array()).toEqual(expected.zd);
    expect(torch_load_safetensors(join(folder, 'python.safetensors')).tensors.z!.to_array()).toEqual(expected.z);
    torch_save_safetensors({ z: z(), r: torch_zeros(2) }, join(folder, 'ours.safetensors'));
    const theirs = JSON.parse(run_python('complex_io.py', ['load_st', join(folder, 'ours.safetensors')])) as Record<string, { dtype: string; values: unknown }>;
    expect(theirs.z).toEqual({ dtype: 'complex64', values: expected.z });
    expect(theirs.r).toEqual({ dtype: 'float32', values: [0, 0] });
  });
});
