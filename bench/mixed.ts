// `npm run bench:mixed`: one batch whose rows use different LoRA adapters (issue 12's serving
// case): 16 adapters of rank 8 on two 1024 x 1024 linear layers, a batch of 64 rows spread over
// all 16. Three ways, inference, microseconds per batch (best of the repeats):
// - mixed: with_adapter_names, one batched product per layer (lora/linear.ts mixed_forward);
// - loop: for each adapter, its rows through with_adapter, written back (what one would do
//   without mixed batches);
// - single: the whole batch with one adapter (the floor a mixed batch is measured against).
import {
  lora_apply, lora_parameters, nn_linear, nn_relu, nn_sequential, torch_cat, torch_manual_seed, torch_randn, torch_scope,
  torch_set_num_threads, torch_tensor, with_adapter, with_adapter_names, with_no_grad,
} from '../src/index.js';
import { perOp } from './ops.js';

const threads = Number(process.env.BENCH_THREADS ?? 1);
const ADAPTERS = 16;
const RANK = 8;
const WIDTH = 1024;
const BATCH = 64;

torch_set_num_threads(threads);
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

const repeats = Number(process.env.BENCH_REPEATS ?? 5);
const n = Number(process.env.BENCH_STEPS ?? 50);
const times = { mixed: perOp(mixed, n, repeats), loop: perOp(loop, n, repeats), single: perOp(single, n, repeats) };
console.log(`${ADAPTERS} adapters of rank ${RANK} on two ${WIDTH}x${WIDTH} linears, batch ${BATCH}, ${threads} thread(s), us per batch:`);
console.log(`  mixed (one batched product)  ${times.mixed.toFixed(0)}`);
console.log(`  loop over adapters           ${times.loop.toFixed(0)}   (${(times.loop / times.mixed).toFixed(2)}x mixed)`);
console.log(`  one adapter for all rows     ${times.single.toFixed(0)}   (mixed is ${(times.mixed / times.single).toFixed(2)}x this)`);
