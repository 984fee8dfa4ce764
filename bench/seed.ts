// `npm run bench:seed`: the seed example here and in Python PyTorch (bench/seed.py, same
// seed, sizes, threads and calls), run alternately, with per-phase seconds, the ratio
// ours / PyTorch, peak RSS, and the floor the machine's matrix-product speed allows. Ours
// runs twice: with PyTorch's Adam (fused: false, PyTorch's ops one after the other) and with
// the fused Adam (--fused: one pass over each parameter and its state a step).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { torch_config, torch_randn, torch_set_num_threads } from '../src/index.js';
import { writeChart } from './chart.js';
import { perOp } from './ops.js';
import { PYTHON as python } from './python.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = existsSync(join(here, 'seed.py')) ? dirname(here) : join(here, '..', '..');
const epochs = Number(process.env.BENCH_EPOCHS ?? 10);
const threads = Number(process.env.BENCH_THREADS ?? 1);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const args = ['--epochs', String(epochs), '--threads', String(threads), '--timings'];

type Timings = { pretrain: number; lora: number; peak_rss_mb: number };

function lastJson(output: string): Timings {
  const line = output.trim().split('\n').pop()!;
  return JSON.parse(line) as Timings;
}

function ours(extra: string[] = []): Timings {
  return lastJson(execFileSync(process.execPath, [join(root, 'dist', 'examples', 'lora-minimal.js'), ...args, ...extra], { encoding: 'utf8' }));
}

// Python as it comes, and Python with glibc told to keep freed buffers (no mmap/munmap per
// large tensor), which is most of what our caching CPU allocator does for us.
const TUNED_GLIBC = { MALLOC_MMAP_THRESHOLD_: String(32 << 20), MALLOC_TRIM_THRESHOLD_: String(2 ** 32) };

function theirs(env: Record<string, string> = {}): Timings {
  return lastJson(execFileSync(python, [join(root, 'bench', 'seed.py'), ...args], { encoding: 'utf8', env: { ...process.env, ...env } }));
}

// The matrix product every training step is made of: 128 x 1001 @ 1001 x 1000.
torch_set_num_threads(threads);
const a = torch_randn(128, 1001);
const b = torch_randn(1001, 1000);
const gemm = perOp(() => a.matmul(b).dispose(), 50) / 1e6; // seconds
const steps = Math.floor(10000 / 128);
const evals = Math.floor(epochs / 10);
// Pre-training: forward and weight gradient, 2 products a step; evaluation on all 10,000 rows.
// LoRA as the post writes it, x @ (A @ B): base forward, x @ ΔW and the gradient of ΔW, 3 a step.
const floor = {
  pretrain: (epochs * steps * 2 + evals * steps) * gemm,
  lora: (epochs * steps * 3 + evals * steps * 2) * gemm,
};

type Side = 'ours' | 'fused' | 'theirs' | 'tuned';
const results: Record<Side, Timings>[] = [];
for (let round = 0; round < rounds; round++) results.push({ ours: ours(), fused: ours(['--fused']), theirs: theirs(), tuned: theirs(TUNED_GLIBC) });
const best = (side: Side, key: keyof Timings) => Math.min(...results.map((r) => r[side][key]));

const config = torch_config();
console.log(`seed workload: n = 10000, 1001 x 1000, batch 128, ${epochs} epochs a phase, rank 1, ${threads} thread(s)`);
console.log(`libtorch ${config.version}; BLAS ${config.blas}`);
console.log(`matrix product 128x1001 @ 1001x1000: ${(gemm * 1e3).toFixed(2)} ms (${(2 * 128 * 1001 * 1000 / gemm / 1e9).toFixed(1)} GFLOP/s); best of ${rounds} alternating runs\n`);
console.log('PyTorch* = PyTorch with MALLOC_MMAP_THRESHOLD_=32 MiB and MALLOC_TRIM_THRESHOLD_=4 GiB\n');
console.log('torchlora = fused: false (PyTorch\'s Adam); torchlora fused = fused: true; ratios are ours / PyTorch\n');
const columns: [string, number][] = [
  ['phase', 10], ['torchlora s', 12], ['fused s', 8], ['PyTorch s', 10], ['ratio', 6], ['fused', 6], ['PyTorch* s', 11], ['ratio*', 7], ['fused*', 7],
  ['GEMM floor s', 13], ['fused/floor', 12],
];
const row = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(columns[i]![1]) : cell.padStart(columns[i]![1]))).join(' ');
console.log(row(columns.map(([name]) => name)));
for (const phase of ['pretrain', 'lora'] as const) {
  const [o, f, p, t] = (['ours', 'fused', 'theirs', 'tuned'] as const).map((side) => best(side, phase));
  console.log(row([phase, o!.toFixed(2), f!.toFixed(2), p!.toFixed(2), (o! / p!).toFixed(2), (f! / p!).toFixed(2), t!.toFixed(2), (o! / t!).toFixed(2),
    (f! / t!).toFixed(2), floor[phase].toFixed(2), (f! / floor[phase]).toFixed(2)]));
}
const rss = (side: Side) => `${best(side, 'peak_rss_mb').toFixed(0)} MB`;
console.log(row(['peak RSS', rss('ours'), rss('fused'), rss('theirs'), '', '', rss('tuned'), '', '', '', '']));
writeChart({
  name: 'seed', title: `Seed workload, ${epochs} epochs a phase, ${threads} thread(s)`, unit: 's per phase',
  series: ['torchlora', 'torchlora, fused Adam', 'PyTorch', 'PyTorch, glibc tuned'],
  cases: (['pretrain', 'lora'] as const).map((phase) => ({
    label: phase, values: { torchlora: best('ours', phase), 'torchlora, fused Adam': best('fused', phase), PyTorch: best('theirs', phase), 'PyTorch, glibc tuned': best('tuned', phase) }, floor: floor[phase],
  })),
  note: 'floor: the phase\'s matrix products at the measured GEMM speed; glibc tuned: MALLOC_MMAP_THRESHOLD_=32 MiB, MALLOC_TRIM_THRESHOLD_=4 GiB',
});
