// torch_config(): what this process runs on, against what the Python of the same libtorch
// reports about itself (PyTorch's own torch.version, torch.__config__ and loaded library).
import { realpathSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { torch_config } from '../src/index.js';
import { PYTHON, describe_with_python, python_torch } from './parity/harness.js';

describe_with_python('torch_config() against Python PyTorch on the same libtorch', () => {
  const probe = `
import json, re, torch
show = torch.__config__.show()
capability = re.search(r"CPU capability usage: (\\w+)", show)
blas = re.search(r"BLAS_INFO=(\\w+)", show)
print(json.dumps({"version": torch.__version__, "cuda": torch.version.cuda,
                  "capability": capability and capability.group(1), "blas": blas and blas.group(1)}))`;
  const python = JSON.parse(spawnSync(PYTHON, ['-c', probe], { encoding: 'utf8' }).stdout) as
    { version: string; cuda: string | null; capability: string | null; blas: string | null };
  const config = torch_config();

  it('names the same libtorch_cpu file and version', () => {
    expect(realpathSync(config.libtorch)).toBe(python_torch().libtorch);
    // Python's version may carry a local tag (2.13.0+cpu) or a pre-release one (1.13.0a0).
    expect(python.version.startsWith(config.version.split('.').slice(0, 2).join('.'))).toBe(true);
  });

  it('reports the CUDA build, the CPU kernels and the BLAS as PyTorch does', () => {
    expect(config.cuda_build).toBe(python.cuda);
    expect(config.cpu_capability).toBe(python.capability);
    // A wheel links MKL into libtorch_cpu; Debian's libtorch loads a BLAS library (OpenBLAS here).
    if (python.blas === 'mkl') expect(config.blas).toBe('mkl (linked into libtorch_cpu)');
    else expect(config.blas).toMatch(/\/lib.*blas[^,]*\.so/);
  });
});
