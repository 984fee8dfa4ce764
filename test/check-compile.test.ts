// scripts/check-compile.mjs, the compile check against another libtorch's headers: it compiles
// a file against this machine's libtorch, refuses folders and versions it was not asked for,
// and fails a file that only compiled because a torch header missing from the given folder was
// taken from /usr/include instead.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
// The libtorch the build uses, as scripts/libtorch.mjs describes it.
const LIBTORCH = JSON.parse(execFileSync(process.execPath, [join(ROOT, 'scripts', 'libtorch.mjs')], { encoding: 'utf8' })) as {
  includeDirs: string[]; cmakePrefix: string; python: string | null;
};
const scratch = mkdtempSync(join(tmpdir(), 'torchlora-check-compile-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function check(...args: string[]): { status: number | null; output: string } {
  const env = { ...process.env };
  delete env.TORCH_INCLUDE;
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'check-compile.mjs'), ...args, '--jobs', '1'],
    { cwd: ROOT, env, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('check-compile', () => {
  it('compiles a file against the libtorch the build uses', () => {
    const result = check('io/filesystem.cc');
    expect(result.output).toMatch(/^OK +native\/io\/filesystem\.cc/m);
    expect(result.output).toMatch(/1 of 1 files compile against torch \d+\.\d+\.\d+/);
    expect(result.status).toBe(0);
  });

  it('refuses a folder without ATen, a file outside native/ and a version it did not see', () => {
    const empty = join(scratch, 'empty');
    mkdirSync(empty);
    const noAten = check('--torch-include', empty);
    expect(noAten.status).toBe(2);
    expect(noAten.output).toContain(`no ATen/ATen.h under ${empty}`);
    const stranger = check('stranger.cc');
    expect(stranger.status).toBe(2);
    expect(stranger.output).toContain('stranger.cc is not one of native/<room>/*.cc');
    // The Python whose torch this libtorch is: its major.minor is what the preprocessor sees.
    const python = spawnSync(LIBTORCH.python ?? '/usr/bin/python3', ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    const wrong = check('--expect-version', '99', 'io/filesystem.cc');
    expect(wrong.status).toBe(2);
    expect(wrong.output).toMatch(/expected torch 99 but the preprocessor saw torch \d+\.\d+\.\d+/);
    if (python.status === 0) {
      const [major, minor] = python.stdout.trim().split('.');
      expect(wrong.output).toContain(`saw torch ${major}.${minor}.`);
    }
  });

  // A copy of /usr/include's torch folders (links) without ATen/Context.h, which ATen.h includes:
  // the compiler falls back to /usr/include/ATen/Context.h and the check must not call that OK.
  const system = existsSync('/usr/include/ATen/ATen.h') && LIBTORCH.includeDirs.includes('/usr/include');
  it.skipIf(!system)('fails a file that took a torch header from /usr/include instead of the given folder (needs Debian\'s libtorch-dev in /usr/include)', () => {
    const prefix = join(scratch, 'prefix');
    const include = join(prefix, 'include');
    mkdirSync(join(include, 'ATen'), { recursive: true });
    for (const entry of readdirSync('/usr/include/ATen')) {
      if (entry !== 'Context.h') symlinkSync(join('/usr/include/ATen', entry), join(include, 'ATen', entry));
    }
    for (const entry of ['c10', 'caffe2', 'torch']) symlinkSync(join('/usr/include', entry), join(include, entry));
    mkdirSync(join(prefix, 'share'));
    symlinkSync(LIBTORCH.cmakePrefix, join(prefix, 'share', 'cmake'));
    const result = check('--torch-include', include, 'io/filesystem.cc');
    expect(result.output).toMatch(/^FAIL native\/io\/filesystem\.cc/m);
    expect(result.output).toContain('/usr/include/ATen/Context.h');
    expect(result.status).toBe(1);
  });
});
