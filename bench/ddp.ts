// `npm run bench:ddp`: the seed's LoRA phase (examples/ddp-lora.ts, batches of 128, Adam),
// data-parallel on 2 processes of 1 thread each (gloo on 127.0.0.1), against 1 process with 2
// threads and 1 process with 1 thread, on the same data; best of BENCH_ROUNDS runs, alternating.
import { execFileSync, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeChart } from './chart.js';
import { PYTHON as python } from './python.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const epochs = Number(process.env.BENCH_EPOCHS ?? 3);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
let port = 29600 + Math.floor(Math.random() * 300);

function run(processes: number, threads: number): number {
  const output = execFileSync(process.execPath, [join(root, 'bin', 'torchlora-run.mjs'), '--nproc-per-node', String(processes), '--master-port', String(port++),
    join(root, 'dist', 'examples', 'ddp-lora.js')], { env: { ...process.env, EPOCHS: String(epochs), THREADS: String(threads) }, encoding: 'utf8' });
  const found = /; ([\d.]+) s for/.exec(output);
  if (!found) throw new Error(`no timing in the example's output:\n${output}`);
  return Number(found[1]);
}

const cases: [string, number, number][] = [['2 processes x 1 thread', 2, 1], ['1 process x 2 threads', 1, 2], ['1 process x 1 thread', 1, 1]];
const best = new Map<string, number>();
for (let round = 0; round < rounds; round++) {
  for (const [name, processes, threads] of cases) best.set(name, Math.min(best.get(name) ?? Infinity, run(processes, threads)));
}
const steps = epochs * Math.floor(10_000 / 128);
console.log(`The seed's LoRA phase, ${epochs} epochs (${steps} steps of 128 rows), best of ${rounds}:`);
const single = best.get('1 process x 1 thread')!;
for (const [name] of cases) {
  const seconds = best.get(name)!;
  console.log(`  ${name.padEnd(24)} ${seconds.toFixed(2)} s  ${(steps / seconds).toFixed(1)} steps/s  ${(single / seconds).toFixed(2)}x one thread`);
}
console.log(`  2 processes against 1 process with 2 threads: ${(best.get('1 process x 2 threads')! / best.get('2 processes x 1 thread')!).toFixed(2)}x`);

// Why: one all-reduce of A and B through gloo on 127.0.0.1, ours and Python's (same c10d),
// alternating, best of BENCH_ROUNDS.
const calls = Number(process.env.BENCH_CALLS ?? 500);

/** The JSON a rank 0 prints last. */
function lastJson(output: string): Record<string, number> {
  return JSON.parse(output.trim().split('\n').pop()!) as Record<string, number>;
}

function oursAllReduce(): Record<string, number> {
  const output = execFileSync(process.execPath, [join(root, 'bin', 'torchlora-run.mjs'), '--nproc-per-node', '2', '--master-port', String(port),
    join(root, 'dist', 'bench', 'ddp', 'allreduce.js')], { env: { ...process.env, CALLS: String(calls) }, encoding: 'utf8' });
  port += 2; // the rank script's second group takes the next port
  return lastJson(output);
}

async function theirsAllReduce(): Promise<Record<string, number>> {
  const at = String(port++);
  const ranks = [0, 1].map((rank) => spawn(python, [join(root, 'bench', 'allreduce.py'), String(rank), at, String(calls)], { stdio: ['ignore', 'pipe', 'inherit'] }));
  let output = '';
  ranks[0]!.stdout!.on('data', (chunk) => { output += chunk; });
  ranks[1]!.stdout!.resume();
  await Promise.all(ranks.map((child) => new Promise((resolve) => child.on('close', resolve))));
  return lastJson(output);
}

const latency = { ours: Infinity, checked: Infinity, theirs: Infinity };
for (let round = 0; round < rounds; round++) {
  const o = oursAllReduce();
  latency.ours = Math.min(latency.ours, o.unchecked!);
  latency.checked = Math.min(latency.checked, o.checked!);
  latency.theirs = Math.min(latency.theirs, (await theirsAllReduce()).unchecked!);
}
console.log(`\nOne all-reduce of A and B (2,002 floats) between 2 processes, mean of ${calls} calls, best of ${rounds}:`);
console.log(`  torchlora ${latency.ours.toFixed(0)} us, PyTorch ${latency.theirs.toFixed(0)} us (${(latency.ours / latency.theirs).toFixed(2)}x); `
  + `with the collective checks (check_collectives, the default for calls of your own) ${latency.checked.toFixed(0)} us`);
writeChart({
  name: 'ddp', title: `The seed's LoRA phase, ${epochs} epochs, data-parallel on this machine's 2 cores`, unit: 's per phase',
  series: ['torchlora'], cases: cases.map(([name]) => ({ label: name, values: { torchlora: best.get(name)! } })),
  note: 'gloo on 127.0.0.1; 2 processes wait for one all-reduce a step (the next chart), which 2 threads in one process never do',
});
writeChart({
  name: 'ddp-allreduce', title: 'One all-reduce of A and B (2,002 floats), 2 processes, gloo on 127.0.0.1', unit: 'µs per call',
  series: ['torchlora', 'PyTorch'],
  cases: [{ label: 'all_reduce', values: { torchlora: latency.ours, PyTorch: latency.theirs } }, { label: 'all_reduce, collectives checked', values: { torchlora: latency.checked } }],
  note: `PyTorch: Python's torch.distributed on the same c10d; checked: check_collectives, the default for calls of your own (DDP's buckets skip it); mean of ${calls} calls, best of ${rounds}`,
});
