// Per-op benchmark, TypeScript side: the same cases and sizes as bench/ops.py.
import { torch_manual_seed, torch_ones, torch_randn, torch_set_num_threads, type Tensor } from '../src/index.js';

export function perOp(fn: () => void, n: number, repeats = 5): number {
  for (let i = 0; i < Math.max(1, Math.floor(n / 10)); i++) fn();
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / n / 1000);
  }
  return best;
}

/** The best (smallest) value of each case over several runs. */
export function bestOf(runs: Record<string, number>[]): Record<string, number> {
  const result: Record<string, number> = {};
  for (const run of runs) for (const [name, value] of Object.entries(run)) result[name] = Math.min(result[name] ?? Infinity, value);
  return result;
}

export function runOps(threads: number): Record<string, number> {
  torch_set_num_threads(threads);
  torch_manual_seed(0);
  const a = torch_ones(1, 1);
  const b = torch_ones(1, 1);
  const x = torch_randn(100, 1000);
  const m1 = torch_randn(128, 1001);
  const m2 = torch_randn(1001, 1000);
  const disposing = (make: () => Tensor) => () => make().dispose();
  // The last 40 results kept alive, the oldest disposed: the buffers rotate as they do between
  // the collector's minor GCs (16 MB of 400 KB results), with no collector at all.
  const ring: (Tensor | undefined)[] = new Array(40);
  let next = 0;
  const keeping = (make: () => Tensor) => () => { ring[next]?.dispose(); ring[next] = make(); next = (next + 1) % ring.length; };
  const results = {
    'add 1x1': perOp(() => a.add(b), 100_000),
    'add 1x1, disposed at once': perOp(disposing(() => a.add(b)), 100_000),
    // Ops of the op table: neg and eq through the operator's typed handle, softmax boxed.
    'neg 1x1': perOp(() => a.neg(), 100_000),
    'eq 1x1, a number': perOp(() => a.eq(1), 100_000),
    'softmax 1x1': perOp(() => a.softmax(0), 100_000),
    'add 100x1000': perOp(() => x.add(1), 5_000),
    'add 100x1000, disposed at once': perOp(disposing(() => x.add(1)), 5_000),
    'add 100x1000, the last 40 kept': perOp(keeping(() => x.add(1)), 5_000),
    'matmul 128x1001 @ 1001x1000': perOp(() => m1.matmul(m2), 50),
  };
  for (const kept of ring) kept?.dispose();
  return results;
}
