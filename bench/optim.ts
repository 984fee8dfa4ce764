// `npm run bench:optim`: one optimizer step on the seed's 1001 x 1000 weight (4 MB), here on
// each of PyTorch's paths (default, `foreach: true`, `fused: true`), and in Python PyTorch
// (bench/optim.py: its default path, and foreach and fused (2.4+) with glibc told to keep
// freed buffers, as bench/seed.ts does), alternately, best of several runs. The floor is the
// time to move the bytes the fused step must read and write once, at the speed this machine
// copies a 4 MB tensor.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  optim_adagrad, optim_adam, optim_adamw, optim_sgd, torch_config, torch_manual_seed, torch_randn, torch_set_num_threads, torch_zeros, type Optimizer, type Tensor,
} from '../src/index.js';
import { writeChart } from './chart.js';
import { bestOf, perOp } from './ops.js';
import { PYTHON as python } from './python.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = existsSync(join(here, 'optim.py')) ? dirname(here) : join(here, '..', '..');
const threads = Number(process.env.BENCH_THREADS ?? 1);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const steps = 40;
const repeats = 3;

type Path = { foreach?: boolean; fused?: boolean };
// Each case, and the 4 MB tensors its fused step reads plus those it writes.
const CASES: Record<string, { make: (p: Tensor[], path: Path) => Optimizer<any>; passes: number }> = {
  'adam': { make: (p, path) => optim_adam(p, { lr: 1e-3, ...path }), passes: 4 + 3 },
  'adam, weight decay, amsgrad': { make: (p, path) => optim_adam(p, { lr: 1e-3, weight_decay: 0.01, amsgrad: true, ...path }), passes: 5 + 4 },
  'adamw': { make: (p, path) => optim_adamw(p, { lr: 1e-3, weight_decay: 0.01, ...path }), passes: 4 + 3 },
  'sgd, momentum, nesterov': { make: (p, path) => optim_sgd(p, { lr: 1e-3, momentum: 0.9, nesterov: true, ...path }), passes: 3 + 2 },
  'adagrad, lr decay': { make: (p, path) => optim_adagrad(p, { lr: 1e-2, lr_decay: 1e-4, ...path }), passes: 3 + 2 },
};

function perStep(make: (p: Tensor[]) => Optimizer<any>): number {
  torch_manual_seed(0);
  const param = torch_randn(1001, 1000).requires_grad_();
  param.grad = torch_randn(1001, 1000);
  const opt = make([param]);
  const us = perOp(() => opt.step(), steps, repeats);
  opt.dispose();
  return us;
}

function ours(): Record<string, number> {
  torch_set_num_threads(threads);
  const results: Record<string, number> = {};
  for (const [name, { make }] of Object.entries(CASES)) {
    results[`${name} (torchlora)`] = perStep((p) => make(p, {}));
    results[`${name} (torchlora foreach)`] = perStep((p) => make(p, { foreach: true }));
    results[`${name} (torchlora fused)`] = perStep((p) => make(p, { fused: true }));
  }
  // One copy of a 4 MB tensor reads 4 MB and writes 4 MB.
  const source = torch_randn(1001, 1000);
  const target = torch_zeros(1001, 1000);
  results.copy = perOp(() => target.copy_(source), steps, repeats);
  return results;
}

const TUNED_GLIBC = { MALLOC_MMAP_THRESHOLD_: String(32 << 20), MALLOC_TRIM_THRESHOLD_: String(2 ** 32) };

function theirs(tuned: boolean): Record<string, number> {
  const env = { ...process.env, ...(tuned ? TUNED_GLIBC : {}) };
  const output = execFileSync(python, [join(root, 'bench', 'optim.py'), String(threads), String(steps), String(repeats), ...(tuned ? ['paths'] : [])], { encoding: 'utf8', env });
  const results = JSON.parse(output.trim().split('\n').pop()!) as Record<string, number>;
  return Object.fromEntries(Object.entries(results).map(([key, value]) => [tuned ? key.replace('(PyTorch', '(PyTorch*') : key, value]));
}

const runs: Record<string, number>[] = [];
for (let round = 0; round < rounds; round++) runs.push({ ...ours(), ...theirs(false), ...theirs(true) });
const best = bestOf(runs);
const bytesPerUs = (2 * 1001 * 1000 * 4) / best.copy!;

const config = torch_config();
console.log(`one optimizer step on a 1001 x 1000 float32 weight, ${threads} thread(s); libtorch ${config.version}; best of ${rounds} alternating runs`);
console.log(`copy of 4 MB: ${best.copy!.toFixed(0)} µs (${(bytesPerUs / 1e3).toFixed(1)} GB/s read + write)`);
console.log('PyTorch* = PyTorch with MALLOC_MMAP_THRESHOLD_=32 MiB and MALLOC_TRIM_THRESHOLD_=4 GiB; ratio: torchlora fused / PyTorch* fused (or, without it, foreach)\n');
const SIDES = ['torchlora', 'torchlora foreach', 'torchlora fused', 'PyTorch', 'PyTorch*', 'PyTorch* foreach', 'PyTorch* fused'];
const header = ['case', 'torchlora µs', 'foreach µs', 'fused µs', 'PyTorch µs', 'PyTorch* µs', 'foreach* µs', 'fused* µs', 'ratio', 'floor µs', 'fused/floor'];
const widths = [28, 13, 11, 9, 11, 12, 12, 10, 6, 9, 12];
const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' ');
const shown = (us: number | undefined) => (us === undefined ? '-' : us.toFixed(0));
console.log(line(header));
for (const [name, { passes }] of Object.entries(CASES)) {
  const values = SIDES.map((side) => best[`${name} (${side})`]);
  const fused = values[2]!;
  const theirs = values[6] ?? values[5]!;
  const floor = (passes * 1001 * 1000 * 4) / bytesPerUs;
  console.log(line([name, ...values.map(shown), (fused / theirs).toFixed(2), floor.toFixed(0), (fused / floor).toFixed(2)]));
}
const SERIES = ['torchlora fused', 'PyTorch* fused', 'torchlora foreach', 'PyTorch* foreach', 'torchlora', 'PyTorch'];
writeChart({
  name: 'optim', title: `One optimizer step on a 1001 x 1000 weight, ${threads} thread(s)`, unit: 'µs per step',
  series: SERIES,
  cases: Object.entries(CASES).map(([name, { passes }]) => ({
    label: name,
    values: Object.fromEntries(SERIES.map((side) => [side, best[`${name} (${side})`]])),
    floor: (passes * 1001 * 1000 * 4) / bytesPerUs,
  })),
  note: 'PyTorch*: glibc told to keep freed buffers (MALLOC_MMAP_THRESHOLD_=32 MiB, MALLOC_TRIM_THRESHOLD_=4 GiB); each side\'s default, foreach and fused paths as PyTorch names them (fused: aten\'s kernels on libtorch 2.4+, torchlora\'s loop before); floor: the bytes a fused step reads and writes once, at the speed this machine copies 4 MB',
});
