// `npm run bench:mixed`: one batch whose rows use different LoRA adapters (issue 12's serving
// case): 16 adapters of rank 8 on two 1024 x 1024 linear layers, a batch of 64 rows spread over
// all 16, inference, at 1 and 2 threads ($BENCH_THREADS). Microseconds per batch:
// - mixed: with_adapter_names, one segmented product per layer (lora/linear.ts, native/lora/mixed.cc);
// - loop: for each adapter, its rows through with_adapter, written back (what one would do
//   without mixed batches);
// - single: the whole batch with one adapter (what a mixed batch is measured against);
// - floor: the base layers' products alone, which no way of adding adapters can beat.
// Then one layer's LoRA term alone, computed the ways that were measured against each other.
// On a machine shared with other jobs, 2 threads measure mostly the wait for a busy core.
import {
  lora_apply, lora_parameters, nn_linear, nn_relu, nn_sequential, torch_arange, torch_cat, torch_config, torch_manual_seed, torch_randn,
  torch_scope, torch_set_num_threads, torch_stack, torch_tensor, torch_zeros, with_adapter, with_adapter_names, with_no_grad, type Tensor,
} from '../src/index.js';
import { rowGroups } from '../src/lora/mixed.js';
import { native } from '../src/core/native.js';
import { tensorFrom } from '../src/ops/tensor.js';
import { writeChart, type ChartCase } from './chart.js';
import { bestOf, perOp } from './ops.js';

const ADAPTERS = 16;
const RANK = 8;
const WIDTH = 1024;
const BATCH = 64;
const SCALING = 16 / RANK;
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const n = Number(process.env.BENCH_STEPS ?? 50);
const threadCounts = (process.env.BENCH_THREADS ?? '1,2').split(',').map(Number);

torch_manual_seed(0);
const model = nn_sequential(nn_linear(WIDTH, WIDTH), nn_relu(), nn_linear(WIDTH, WIDTH));
const names = Array.from({ length: ADAPTERS }, (_, i) => `task_${i}`);
for (const name of names) lora_apply(model, { target_modules: ['0', '2'], r: RANK, alpha: 16, adapter: name });
with_no_grad(() => { for (const name of names) for (const p of lora_parameters(model, { adapter: name })) p.normal_(0, 0.02); });
model.eval();
const x = torch_randn(BATCH, WIDTH);
const rowNames = Array.from({ length: BATCH }, (_, i) => names[i % ADAPTERS]!);

const mixed = (): void => torch_scope(() => { with_no_grad(() => with_adapter_names(model, rowNames, () => model(x))); });
const loop = (): void => torch_scope(() => {
  with_no_grad(() => {
    const parts = names.map((name, j) => {
      const rows = torch_tensor(rowNames.flatMap((n, i) => (n === name ? [i] : [])), { dtype: 'int64' });
      return [rows, with_adapter(model, names[j]!, () => model(x.index(rows)))] as const;
    });
    const order = torch_cat(parts.map(([rows]) => rows), 0).argsort();
    return torch_cat(parts.map(([, y]) => y), 0).index(order);
  });
});
const single = (): void => torch_scope(() => { with_no_grad(() => with_adapter(model, names[0]!, () => model(x))); });

// One layer's term, three ways, the stacked ones with the stacks made per call or cached
// (A: r x in, B: out x r per adapter; row i uses adapter i % 16).
const A = names.map(() => torch_randn(RANK, WIDTH).mul(0.02));
const B = names.map(() => torch_randn(WIDTH, RANK).mul(0.02));
const position = torch_tensor(rowNames.map((_, i) => i % ADAPTERS), { dtype: 'int64' });
const groups = rowGroups(rowNames);
const stacks = () => ({
  A: torch_stack(A, 0),                                               // adapters x r x in
  Bt: torch_stack(B.map((b) => b.t().mul(SCALING)), 0),                // adapters x r x out, scaled
});
const cached = stacks();
const mask = torch_arange(0, ADAPTERS * RANK, 1).floor_divide(RANK).unsqueeze(0).eq(position.unsqueeze(1)).to({ dtype: 'float32' });
const gathered = (s: { A: Tensor; Bt: Tensor }): Tensor =>
  x.unsqueeze(1).bmm(s.A.index_select(0, position).transpose(1, 2)).bmm(s.Bt.index_select(0, position)).squeeze(1);
const masked = (s: { A: Tensor; Bt: Tensor }): Tensor =>
  x.matmul(s.A.reshape(-1, WIDTH).t()).mul(mask).matmul(s.Bt.reshape(-1, WIDTH));
// The segmented product adds into a base output; a zero one here, made inside the timing as the others make their result.
const segmented = (): Tensor =>
  tensorFrom(native.loraMixedAdd(torch_zeros(BATCH, WIDTH).h, x.h, groups.order, groups.counts, A, B, names.map(() => SCALING)));
// They compute the same term (the choice is about speed only).
const reference = segmented();
for (const other of [gathered(cached), masked(cached)]) {
  const worst = other.sub(reference).abs().max().item() as number;
  if (worst > 1e-6 * (reference.abs().max().item() as number)) throw new Error(`a variant disagrees with the segmented product by ${worst}`);
}
const variants = {
  'segmented (SGMV, native)': () => segmented(),
  'gather each row\'s A, B; bmm': () => gathered(stacks()),
  'gather, stacks cached': () => gathered(cached),
  'masked, every adapter stacked': () => masked(stacks()),
  'masked, stacks cached': () => masked(cached),
};

// Each case timed in turn, round after round, and its best kept: a noisy neighbour slows
// whichever case it overlaps, not one case throughout.
function timeAlternately(cases: Record<string, () => void>, steps: number): Record<string, number> {
  return bestOf(Array.from({ length: rounds }, () => Object.fromEntries(Object.entries(cases).map(([name, fn]) => [name, perOp(fn, steps, repeats)]))));
}

const config = torch_config();
console.log(`${ADAPTERS} adapters of rank ${RANK} on two ${WIDTH}x${WIDTH} linears, batch ${BATCH}, rows spread over all ${ADAPTERS}`);
console.log(`libtorch ${config.version}, BLAS ${config.blas}; best of ${rounds} alternating rounds of ${repeats} x ${n} batches`);
const chartCases: ChartCase[] = [];
const W = torch_randn(WIDTH, WIDTH);
for (const threads of threadCounts) {
  torch_set_num_threads(threads);
  // floor: 2 x (64 x 1024 @ 1024 x 1024).
  const t = timeAlternately({ mixed, loop, single, floor: () => torch_scope(() => { x.matmul(W); x.matmul(W); }) }, n);
  const terms = timeAlternately(Object.fromEntries(Object.entries(variants).map(([name, fn]) => [name, () => torch_scope(() => { with_no_grad(fn); })])), 4 * n);
  const flops = 2 * 2 * BATCH * WIDTH * WIDTH;
  console.log(`\n${threads} thread(s), us per batch:`);
  console.log(`  mixed (segmented product)    ${t.mixed!.toFixed(0)}`);
  console.log(`  loop over adapters           ${t.loop!.toFixed(0)}   (${(t.loop! / t.mixed!).toFixed(2)}x mixed)`);
  console.log(`  one adapter for all rows     ${t.single!.toFixed(0)}   (mixed is ${(t.mixed! / t.single!).toFixed(2)}x this)`);
  console.log(`  base products alone (floor)  ${t.floor!.toFixed(0)}   (${(flops / t.floor! / 1e3).toFixed(1)} GFLOP/s)`);
  console.log(`  one layer's term alone:`);
  for (const [name, value] of Object.entries(terms)) console.log(`    ${name.padEnd(32)} ${value.toFixed(0)}`);
  for (const name of ['mixed', 'loop', 'single'] as const) chartCases.push({ label: `${name}, ${threads} thread(s)`, values: { torchlora: t[name] }, floor: t.floor });
}
writeChart({
  name: 'mixed', title: `Mixed-adapter batch: ${ADAPTERS} adapters of rank ${RANK}, two ${WIDTH}x${WIDTH} linears, batch ${BATCH}`,
  unit: 'µs per batch', series: ['torchlora'], cases: chartCases,
  note: 'mixed: with_adapter_names; loop: each adapter\'s rows through with_adapter; single: one adapter for all rows; floor: the two base products alone',
});
