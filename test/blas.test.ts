// torch_config().blas_core: the kernels the loaded OpenBLAS chose, checked against what
// OpenBLAS itself prints when it loads (OPENBLAS_VERBOSE=2: "Core: <name>"), with the choice
// left to it and with OPENBLAS_CORETYPE naming one.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { torch_config } from '../src/index.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const config = torch_config();
const openblas = /openblas/.test(config.blas);

describe('torch_config().blas_core', () => {
  it('is null exactly when the BLAS loaded is not OpenBLAS', () => {
    expect(config.blas_core === null).toBe(!openblas);
  });

  // Only where libtorch's BLAS is OpenBLAS (Debian's, with libopenblas0-openmp).
  it.skipIf(!openblas)('names the kernels OpenBLAS says it chose, by itself or as OPENBLAS_CORETYPE asked', () => {
    const script = `import { torch_config } from ${JSON.stringify(join(root, 'dist', 'src', 'index.js'))};
      console.log(JSON.stringify(torch_config().blas_core));`;
    const { OPENBLAS_CORETYPE: _pinned, ...env } = process.env;
    const child = (extra: NodeJS.ProcessEnv) => {
      const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        encoding: 'utf8', env: { ...env, ...extra, OPENBLAS_VERBOSE: '2' }, timeout: 60_000,
      });
      expect(result.status, result.stderr).toBe(0);
      const said = /Core: (\S+)/.exec(result.stderr)?.[1];
      expect(said, `OpenBLAS printed no "Core:" line:\n${result.stderr}`).toBeDefined();
      return { ours: JSON.parse(result.stdout) as string, said };
    };
    const own = child({});
    expect(own.ours).toBe(own.said);
    // Prescott (SSE3) runs on every x86-64 CPU; loading runs no kernel anyway.
    expect(child({ OPENBLAS_CORETYPE: 'Prescott' })).toEqual({ ours: 'Prescott', said: 'Prescott' });
  });
});
