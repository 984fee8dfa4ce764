// The second build path: node-gyp builds the same sources from binding.gyp. A real node-gyp
// build runs in test/install.test.ts, as a consumer's source build of the installed package.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

describe('binding.gyp', () => {
  it('lists every native source that CMakeLists.txt globs', () => {
    const gyp = readFileSync(join(root, 'binding.gyp'), 'utf8');
    const rooms = readdirSync(join(root, 'native'), { withFileTypes: true }).filter((entry) => entry.isDirectory() && entry.name !== 'preload');
    const sources = rooms.flatMap((room) => readdirSync(join(root, 'native', room.name)).filter((file) => file.endsWith('.cc')).map((file) => `native/${room.name}/${file}`));
    expect(sources.length).toBeGreaterThan(20);
    for (const source of sources) expect(gyp, `binding.gyp lacks ${source}`).toContain(`"${source}"`);
  });
});
