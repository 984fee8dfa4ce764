// `npm run bench:lora`: one LoRA training step (forward, MSE, backward) at the seed post's
// sizes, computed as the post writes it, x @ (A @ B) (a full d_in x d_out product every
// step), and factored as lora_nn_linear computes it, (x Aᵀ) Bᵀ; plus inference with the
// adapter unmerged and merged. The same cases run in Python PyTorch (bench/lora.py), the two
// alternately; best of the rounds, milliseconds per step.
//
// Reading the PyTorch column: its post-form step is slower than ours because glibc's malloc
// hands each 4 MB d_in x d_out buffer back to the kernel and page-faults it in again next
// step (MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=4294967296 brings it level);
// torchlora's caching CPU allocator keeps those buffers. The factored step allocates no such buffer.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  lora_nn_linear, lora_parameters, nn_linear, nnf_mse_loss, torch_config, torch_manual_seed, torch_matmul, torch_randn, torch_scope,
  torch_set_num_threads, with_no_grad,
} from '../src/index.js';
import { writeChart } from './chart.js';
import { bestOf, perOp } from './ops.js';
import { PYTHON as python } from './python.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = existsSync(join(here, 'lora.py')) ? here : join(here, '..', '..', 'bench');
const threads = Number(process.env.BENCH_THREADS ?? 1);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const steps = Number(process.env.BENCH_STEPS ?? 50);
// The seed's sizes: batches of 128 rows, 1001 inputs, 1000 outputs. Ranks: the post's 1, its
// module's default 16, and a large 64. Must match bench/lora.py.
const batch = 128;
const d_in = 1001;
const d_out = 1000;
const ranks = [1, 16, 64];

function runOurs(): Record<string, number> {
  torch_set_num_threads(threads);
  torch_manual_seed(0);
  const x = torch_randn(batch, d_in);
  const target = torch_randn(batch, d_out);
  const base = nn_linear(d_in, d_out, { bias: false });
  base.weight.requires_grad_(false);
  const results: Record<string, number> = {};
  const time = (name: string, step: () => void): void => { results[name] = perOp(() => torch_scope(step), steps) / 1000; };
  for (const r of ranks) {
    const scaling = 1 / r;
    // The post's layout: A is d_in x r, B is r x d_out.
    const A = torch_randn(d_in, r).requires_grad_();
    const B = torch_randn(r, d_out).mul(0.01).requires_grad_();
    time(`train, post x @ (A @ B), r = ${r}`, () => {
      const y = base(x).add(torch_matmul(x, torch_matmul(A, B).mul(scaling)));
      nnf_mse_loss(y, target).backward();
      A.grad = null;
      B.grad = null;
    });
    const lora = lora_nn_linear(base, { r, alpha: 1 });
    const params = lora_parameters(lora);
    with_no_grad(() => params[1]!.normal_(0, 0.01));
    time(`train, factored (x Aᵀ) Bᵀ, r = ${r}`, () => {
      nnf_mse_loss(lora(x), target).backward();
      for (const p of params) p.grad = null;
    });
    if (r === 1) {
      // Outputs disposed at once, as Python frees them when the reference goes.
      time('inference, unmerged, r = 1', () => with_no_grad(() => lora(x).dispose()));
      lora.merge();
      time('inference, merged', () => with_no_grad(() => lora(x).dispose()));
      lora.unmerge();
    }
    lora.delete_adapter('default');
  }
  return results;
}

function runPython(): Record<string, number> {
  return JSON.parse(execFileSync(python, [join(root, 'lora.py'), String(threads), String(steps)], { encoding: 'utf8' }));
}


const ours: Record<string, number>[] = [];
const theirs: Record<string, number>[] = [];
for (let round = 0; round < rounds; round++) {
  ours.push(runOurs());
  theirs.push(runPython());
}
const o = bestOf(ours);
const p = bestOf(theirs);
const config = torch_config();
console.log(`libtorch ${config.version}, ${threads} thread(s), BLAS: ${config.blas}`);
console.log(`batch ${batch}, d_in ${d_in}, d_out ${d_out}; best of ${rounds} alternating rounds, each the best of 5 x ${steps} steps`);
console.log('');
console.log(`${'case'.padEnd(38)} ${'torchlora ms'.padStart(12)} ${'PyTorch ms'.padStart(11)} ${'ratio'.padStart(6)}`);
for (const [name, value] of Object.entries(o)) {
  const base = p[name];
  const ratio = base === undefined ? '' : (value / base).toFixed(2);
  console.log(`${name.padEnd(38)} ${value.toFixed(3).padStart(12)} ${(base?.toFixed(3) ?? '').padStart(11)} ${ratio.padStart(6)}`);
}
console.log('');
for (const r of ranks) {
  const post = o[`train, post x @ (A @ B), r = ${r}`]!;
  const factored = o[`train, factored (x Aᵀ) Bᵀ, r = ${r}`]!;
  console.log(`r = ${r}: the factored step takes ${(factored / post * 100).toFixed(0)}% of the post's (${(post / factored).toFixed(2)}x faster)`);
}
writeChart({
  name: 'lora', title: `LoRA step, batch ${batch}, ${d_in} -> ${d_out}, ${threads} thread(s)`, unit: 'ms per step', series: ['torchlora', 'PyTorch'], scale: 'per-case',
  cases: Object.entries(o).map(([name, value]) => ({ label: name, values: { torchlora: value, PyTorch: p[name] } })),
});
