// The addon's own collections (native/core/memory.cc, src/core/collector.ts): a loop that leaves its
// results to the GC, never yields and never calls gc itself holds a bounded number of dropped
// tensors, set by TORCHLORA_GC_BYTES; the program gets no `gc` global. The loops run in a
// child process started without --expose-gc, as users run Node. (The CPU cache's own
// policy is tested in test/memory.test.ts.)
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const INDEX = join(ROOT, 'dist', 'src', 'index.js');

// Runs `body` (ESM, with T = the library) in a fresh Node; returns what it printed as JSON.
function child(body: string, env: Record<string, string> = {}): Record<string, number | boolean> {
  const script = `const T = await import(${JSON.stringify(INDEX)});\n${body}`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000,
  });
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout.trim().split('\n').pop()!);
}

// The most tensors alive at once while a loop drops `count` results of `make`.
const PEAK_LIVE = (make: string, count: number) => `
const x = T.torch_randn(100, 1000);
const a = T.torch_ones(1, 1);
let peak = 0;
for (let i = 0; i < ${count}; i++) {
  ${make};
  if (i % 50 === 0) peak = Math.max(peak, T.torch_memory_stats().tensors);
}
console.log(JSON.stringify({ peak, gcGlobal: typeof globalThis.gc !== 'undefined', x: x.shape[1] }));`;

describe('collections the addon asks for', () => {
  it('bound the dropped 400 KB tensors by TORCHLORA_GC_BYTES, without a gc global', () => {
    const on = child(PEAK_LIVE('x.add(1)', 3000), { TORCHLORA_GC_BYTES: String(4 << 20) });
    // 4 MiB of growth is 10 tensors of 400 KB (and 8 KiB each); the counter is read every
    // 50 iterations, so at most 10 + 50 + the 2 inputs are alive when it is read.
    expect(on.peak).toBeLessThanOrEqual(62);
    expect(on.gcGlobal).toBe(false);
    expect(on.x).toBe(1000);
    // Without them, V8 alone lets about 64 MB (160 such tensors) pile up.
    const off = child(PEAK_LIVE('x.add(1)', 3000), { TORCHLORA_GC_BYTES: '0' });
    expect(off.peak).toBeGreaterThan(100);
  });

  it('bound dropped 1x1 tensors too: each counts 8 KiB besides its storage', () => {
    const on = child(PEAK_LIVE('a.add(a)', 60_000), { TORCHLORA_GC_BYTES: String(4 << 20) });
    // 4 MiB / 8 KiB = 512 tensors, plus the 50 between two reads and the 2 inputs.
    expect(on.peak).toBeLessThanOrEqual(512 + 52);
  });

  it('free dropped tensors that reached the old generation: a major collection is a full GC', () => {
    // Ten 4 MB tensors kept through several collections are promoted, then dropped together:
    // only a full GC frees them. (Two dropped ones made beside each make every collection find
    // garbage, so the limit stays at 16 MB whatever the machine's speed; 40 MB kept stays
    // under the 64 MB of external memory that would make V8 run a full GC of its own.) The next
    // five, kept, make a collection that finds nothing young to free, so the addon asks for a
    // major one. With gc({ type: 'major' }), a minor GC on Node 20, all fifteen stayed alive.
    const result = child(`
let keep = [];
for (let i = 0; i < 10; i++) {
  keep.push(T.torch_full([1000, 1000], i));
  T.torch_full([1000, 1000], i);
  T.torch_full([1000, 1000], i);
}
keep = null;
const next = [];
for (let i = 0; i < 5; i++) next.push(T.torch_full([1000, 1000], i));
console.log(JSON.stringify({ live: T.torch_memory_stats().tensors, last: next[4].index(0, 0).item() }));`);
    expect(result.last).toBe(4);
    // The five kept, and at most the 16 MB limit's four dropped ones not yet collected.
    expect(result.live).toBeLessThanOrEqual(9);
  });

  it('never free a tensor that is still referenced, and back off when everything is kept', () => {
    const kept = child(`
const kept = [];
for (let i = 0; i < 300; i++) kept.push(T.torch_full([100, 1000], i)); // 120 MB, all alive
let ok = true;
for (let i = 0; i < 300; i++) ok = ok && kept[i].index(0, 999).item() === i && !kept[i].is_disposed;
console.log(JSON.stringify({ ok, live: T.torch_memory_stats().tensors }));`, { TORCHLORA_GC_BYTES: String(1 << 20) });
    expect(kept.ok).toBe(true);
    expect(kept.live).toBeGreaterThanOrEqual(300);
  });
});
