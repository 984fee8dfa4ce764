// The second build path: node-gyp builds the same sources from binding.gyp. It runs in a
// copy of the package so it cannot clobber the cmake-js build the other tests load.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

describe('binding.gyp', () => {
  it('lists every native source that CMakeLists.txt globs', () => {
    const gyp = readFileSync(join(root, 'binding.gyp'), 'utf8');
    const sources = readdirSync(join(root, 'native')).filter((file) => file.endsWith('.cc'));
    for (const source of sources) expect(gyp, `binding.gyp lacks native/${source}`).toContain(`"native/${source}"`);
  });

  it('builds with node-gyp, and the addon it makes computes', { timeout: 900_000 }, () => {
    const work = mkdtempSync(join(tmpdir(), 'torchlora-gyp-'));
    try {
      for (const entry of ['native', 'scripts', 'binding.gyp', 'package.json']) cpSync(join(root, entry), join(work, entry), { recursive: true });
      symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'));
      const nodeGyp = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
      const nodedir = dirname(dirname(process.execPath));
      execFileSync(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodedir}`, `--jobs=${2}`], { cwd: work, stdio: 'pipe', maxBuffer: 64 << 20 });
      const script = `
        const addon = require(${JSON.stringify(join(work, 'build', 'Release', 'torchlora.node'))});
        class TorchError extends Error {}
        addon.initialize(TorchError);
        const a = {}, b = {}, c = {};
        addon.full(a, [2, 3], 2, 6, null, false); // 6: float32
        addon.full(b, [3, 4], 0.5, 6, null, false);
        addon.matmul(c, a, b);
        const s = {};
        addon.sum(s, c, null, false, null);
        let error = '';
        try { addon.matmul({}, a, a); } catch (e) { error = e.constructor.name; }
        console.log(JSON.stringify({ sum: addon.item(s), error }));`;
      const output = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
      // (2x3 of 2) @ (3x4 of 0.5): every entry is 3 * 2 * 0.5 = 3, and there are 8 of them.
      expect(JSON.parse(output)).toEqual({ sum: 24, error: 'TorchError' });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
