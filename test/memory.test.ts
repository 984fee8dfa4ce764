// Memory: the GC path (no dispose, no scope) must keep pace with a loop that never yields,
// dispose() must be idempotent and never double-free with the finalizer, and scopes must
// free exactly the temporaries.
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  torch_empty_cache, torch_get_num_threads, torch_keep, torch_memory_stats, torch_ones, torch_randn, torch_scope, torch_set_num_threads, torch_zeros,
  type Tensor,
} from '../src/index.js';

const gc = (globalThis as { gc?: () => void }).gc;
const live = () => torch_memory_stats().tensors;

describe.runIf(gc !== undefined)('the GC path (needs --expose-gc, set in vitest.config.ts)', () => {
  it('100,000 dropped tensors leave the live count at baseline and RSS within 10%', () => {
    // One thread: this test is about the GC. With libtorch's default (one OpenMP thread per
    // core), a parallel test file in another process on the same 2 cores makes the OpenMP
    // workers spin against each other: measured 500 µs per add instead of 49, and a run of
    // 150 s against 2.7 s, past the timeout.
    const threads = torch_get_num_threads();
    torch_set_num_threads(1);
    onTestFinished(() => torch_set_num_threads(threads));
    const x = torch_randn(100, 1000); // 400 KB, so garbage is felt
    const loop = (n: number) => { for (let i = 0; i < n; i++) x.add(1); };
    loop(20_000); // warm-up: V8's heap reaches its steady size
    // The allocator's cache holds the buffers of the largest batch one collection freed, a
    // number that varies with GC timing; it is bounded by its cap, so it is emptied on both
    // sides and RSS measures what the loop itself kept.
    gc!();
    torch_empty_cache();
    const baseline = live();
    const rssBefore = process.memoryUsage().rss;
    loop(100_000);
    gc!();
    torch_empty_cache();
    const rssAfter = process.memoryUsage().rss;
    expect(live()).toBe(baseline);
    expect(rssAfter).toBeLessThan(rssBefore * 1.1);
    expect(x.shape).toEqual([100, 1000]); // x itself survived every collection
  });

  it('a disposed tensor is not freed again by its finalizer', () => {
    gc!(); // the previous test's tensors are garbage now
    const baseline = live();
    for (let i = 0; i < 1000; i++) {
      const t = torch_zeros(10);
      t.dispose();
      t.dispose(); // idempotent
    }
    expect(live()).toBe(baseline);
    gc!();
    expect(live()).toBe(baseline);
    expect(torch_ones(2).sum().item()).toBe(2); // the process is healthy afterwards
  });
});

describe('dispose', () => {
  it('frees now and reports the bytes', () => {
    const before = torch_memory_stats();
    const t = torch_zeros(1000); // 4,000 bytes
    expect(torch_memory_stats().tensors).toBe(before.tensors + 1);
    expect(torch_memory_stats().bytes).toBe(before.bytes + 4000);
    t[Symbol.dispose]();
    expect(t.is_disposed).toBe(true);
    expect(torch_memory_stats()).toMatchObject({ tensors: before.tensors, bytes: before.bytes });
    expect(() => t.sum()).toThrow(TypeError);
  });

  it('torch_empty_cache returns cached large buffers', () => {
    torch_zeros(1 << 20).dispose(); // 4 MiB: goes to the cache when freed
    expect(torch_memory_stats().cached_bytes).toBeGreaterThanOrEqual(4 << 20);
    expect(torch_empty_cache()).toBeGreaterThanOrEqual(4 << 20);
    expect(torch_memory_stats().cached_bytes).toBe(0);
  });

  it('gives cached blocks of other sizes back before it maps a block of 16 MiB or more, reusing their pages', () => {
    torch_empty_cache();
    torch_ones(1 << 20).dispose(); // 4 MiB (a 4.5 MiB block), cached when freed
    expect(torch_memory_stats().cached_bytes).toBeGreaterThanOrEqual(4 << 20);
    // 20 MiB: a new phase gets no slack, so the 4.5 MiB block goes; its pages (holding ones)
    // become part of the new block, which must read as zeros all the same.
    const other = torch_zeros(5 << 20);
    expect(torch_memory_stats().cached_bytes).toBe(0);
    expect(torch_scope(() => other.abs().sum().item())).toBe(0);
    other.dispose();
    expect(torch_memory_stats().cached_bytes).toBeGreaterThanOrEqual(20 << 20);
    torch_zeros(5 << 20).dispose(); // served from the cache: nothing mapped, nothing evicted
    expect(torch_memory_stats().cached_bytes).toBeGreaterThanOrEqual(20 << 20);
    torch_empty_cache();
  });

  it('keeps blocks of other sizes on smaller misses while it holds at most 16 MiB beyond the peak', () => {
    // A loop's sizes vary from one collection to the next; unmapping a size another one will
    // want again made them take turns missing (a page fault per 4 KiB each time).
    torch_empty_cache();
    torch_zeros(5 << 20).dispose(); // 20 MiB (a 22 MiB block) in use at the peak, then cached
    const held = [torch_zeros(1 << 20)]; // a 4 MiB miss (a 4.5 MiB block): the 20 MiB block stays
    expect(torch_memory_stats().cached_bytes).toBeGreaterThanOrEqual(20 << 20);
    held.push(torch_zeros(1 << 20), torch_zeros(1 << 20)); // 13.5 MiB in use, 35.5 with the cache: under 22 + 16
    expect(torch_memory_stats().cached_bytes).toBeGreaterThanOrEqual(20 << 20);
    held.push(torch_zeros(1 << 20)); // 18 MiB in use: 40 with the cache would pass 22 + 16, so the 20 MiB block goes
    expect(torch_memory_stats().cached_bytes).toBe(0);
    expect(torch_scope(() => held.every((t) => t.sum().item() === 0))).toBe(true);
    for (const t of held) t.dispose();
    torch_empty_cache();
  });
});

describe('torch_scope', () => {
  it('frees temporaries and keeps what is returned', () => {
    const x = torch_randn(4, 4);
    const baseline = live();
    const result = torch_scope(() => x.matmul(x).add(1).relu().sum());
    expect(live()).toBe(baseline + 1);
    expect(result.is_disposed).toBe(false);
  });

  it('keeps tensors returned inside arrays, objects and Maps, and torch_keep\'d ones', () => {
    const baseline = live();
    let kept: Tensor | undefined;
    const out = torch_scope(() => {
      const a = torch_ones(2).mul(2);
      const b = torch_ones(2).mul(3);
      kept = torch_keep(torch_ones(2).mul(4));
      return { pair: [a], map: new Map([['b', b]]) };
    });
    expect(live()).toBe(baseline + 3);
    expect(out.pair[0]!.to_array()).toEqual([2, 2]);
    expect(out.map.get('b')!.to_array()).toEqual([3, 3]);
    expect(kept!.to_array()).toEqual([4, 4]);
  });

  it('nests: an inner result belongs to the outer scope', () => {
    const baseline = live();
    torch_scope(() => {
      const inner = torch_scope(() => torch_ones(3).add(1));
      expect(inner.is_disposed).toBe(false);
      return undefined;
    });
    expect(live()).toBe(baseline);
  });

  it('frees everything when fn throws', () => {
    const baseline = live();
    expect(() => torch_scope(() => {
      torch_ones(3).add(1);
      throw new Error('boom');
    })).toThrow('boom');
    expect(live()).toBe(baseline);
  });

  it('works across await, and concurrent async scopes keep their own tensors', async () => {
    const baseline = live();
    const task = (value: number) => torch_scope(async () => {
      const a = torch_ones(2).mul(value);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const b = a.add(1);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return b.mul(2);
    });
    const [r1, r2] = await Promise.all([task(1), task(10)]);
    expect(r1.to_array()).toEqual([4, 4]);
    expect(r2.to_array()).toEqual([22, 22]);
    expect(live()).toBe(baseline + 2);
  });
});
