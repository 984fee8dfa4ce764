// One rank of bench:ddp's all-reduce latency (run by torchlora-run, 2 processes): the time of
// one synchronous all-reduce of the seed's A and B (2,002 floats), unchecked as DDP's buckets
// go, and with the collective checks every call of the user's pays. Prints JSON on rank 0.
import {
  dist_all_reduce, dist_destroy_process_group, dist_init_process_group, torch_set_num_threads, torch_zeros,
} from '../../src/index.js';

torch_set_num_threads(1);
const calls = Number(process.env.CALLS ?? 500);
const result: Record<string, number> = {};
for (const checked of [false, true]) {
  dist_init_process_group({ backend: 'gloo', check_collectives: checked });
  const t = torch_zeros(2002);
  for (let i = 0; i < 50; i++) dist_all_reduce(t);
  const start = performance.now();
  for (let i = 0; i < calls; i++) dist_all_reduce(t);
  result[checked ? 'checked' : 'unchecked'] = ((performance.now() - start) / calls) * 1000;
  dist_destroy_process_group();
  process.env.MASTER_PORT = String(Number(process.env.MASTER_PORT) + 1); // a fresh store for the next group
}
if (process.env.RANK === '0') console.log(JSON.stringify(result));
