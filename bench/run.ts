// `npm run bench`: our ops and Python PyTorch's, alternately in one run, as ratios.
// Python is the one whose PyTorch runs on the libtorch the addon links (bench/python.ts).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { torch_config } from '../src/index.js';
import { writeChart } from './chart.js';
import { bestOf, runOps } from './ops.js';
import { PYTHON as python } from './python.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = existsSync(join(here, 'ops.py')) ? here : join(here, '..', '..', 'bench');
const threads = Number(process.env.BENCH_THREADS ?? 1);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);

function pythonOps(): Record<string, number> {
  return JSON.parse(execFileSync(python, [join(root, 'ops.py'), String(threads)], { encoding: 'utf8' }));
}


const ours: Record<string, number>[] = [];
const theirs: Record<string, number>[] = [];
for (let round = 0; round < rounds; round++) {
  ours.push(runOps(threads));
  theirs.push(pythonOps());
}
const o = bestOf(ours);
const p = bestOf(theirs);
const config = torch_config();
console.log(`libtorch ${config.version}, ${threads} thread(s), BLAS: ${config.blas}`);
console.log(`best of ${rounds} alternating rounds; each round: best of 5 repeats`);
console.log('');
console.log(`${'case'.padEnd(34)} ${'torchlora µs'.padStart(13)} ${'PyTorch µs'.padStart(11)} ${'ratio'.padStart(7)}`);
for (const [name, value] of Object.entries(o)) {
  const base = p[name.replace(/, disposed at once$/, '')];
  const ratio = base === undefined ? '' : (value / base).toFixed(2);
  console.log(`${name.padEnd(34)} ${value.toFixed(3).padStart(13)} ${(base?.toFixed(3) ?? '').padStart(11)} ${ratio.padStart(7)}`);
}
// What the collector costs beyond the rotating buffers: the 400 KB add left to the GC against
// PyTorch keeping its last 40 results (the 16 MB the collector lets pile up between minor GCs).
const dropped = o['add 100x1000'];
const keptByPython = p['add 100x1000, the last 40 kept'];
if (dropped !== undefined && keptByPython !== undefined) {
  console.log(`\nadd 100x1000 left to the GC / PyTorch keeping its last 40: ${(dropped / keptByPython).toFixed(2)}`);
}
const matmul = o['matmul 128x1001 @ 1001x1000'];
if (matmul !== undefined) console.log(`\nmatmul: ${(2 * 128 * 1001 * 1000 / matmul / 1e3).toFixed(1)} GFLOP/s here`);
writeChart({
  name: 'ops', title: `Per-op time, libtorch ${config.version}, ${threads} thread(s)`, unit: 'µs per op', series: ['torchlora', 'PyTorch'], scale: 'per-case',
  cases: Object.entries(o).map(([name, value]) => ({ label: name, values: { torchlora: value, PyTorch: p[name.replace(/, disposed at once$/, '')] } })),
  note: 'PyTorch: Python\'s torch on the same libtorch; a disposed case is compared with the same PyTorch case',
});
