// The seed post's LoRA phase ("Understanding LoRA with a minimal example"), data-parallel:
// run under the launcher (npm run example:ddp, or npx torchlora-run --nproc-per-node 2
// dist/examples/ddp-lora.js), each process reads its shard of every batch and DDP averages the
// gradients of A and B over the processes (a few KB per step; the frozen base never travels).
import {
  dataloader, dist_destroy_process_group, dist_get_rank, dist_get_world_size, dist_init_process_group, distributed_sampler,
  lora_nn_linear, lora_parameter_counts, lora_parameters, nn_linear, nn_parallel_distributed_data_parallel, nnf_mse_loss,
  optim_adam, tensor_dataset, torch_manual_seed, torch_matmul, torch_randn, torch_set_num_threads, with_no_grad,
} from '../src/index.js';

const epochs = Number(process.env.EPOCHS ?? 20);
const threads = Number(process.env.THREADS ?? 1); // libtorch threads per process
const n = 10_000;
const d_in = 1001;
const d_out = 1000;
const batch_size = 128;

torch_set_num_threads(threads);
dist_init_process_group({ backend: 'gloo' });          // MASTER_ADDR, RANK, ... from torchlora-run
const rank = dist_get_rank();
const world = dist_get_world_size();
const log = (line: string): void => { if (rank === 0) console.log(line); };

// Every rank makes the same data from the same seed; the base starts at the true weights (the
// post's pre-training reaches them), which are then shifted by +1 for the LoRA to learn.
torch_manual_seed(1);
const thetas = torch_randn(d_in, d_out);
const base = nn_linear(d_in, d_out, { bias: false });
with_no_grad(() => base.weight.copy_(thetas.t()));
const X = torch_randn(n, d_in);
const y = torch_matmul(X, thetas.add(1));

const lora = lora_nn_linear(base, { r: 1, alpha: 1, init: 'randn' });
const { trainable, total } = lora_parameter_counts(lora);
log(`${world} processes; trainable parameters: ${trainable} of ${total}`);
const model = nn_parallel_distributed_data_parallel(lora);   // broadcasts rank 0's parameters
const opt = optim_adam(lora_parameters(lora));
const ds = tensor_dataset(X, y);
const sampler = distributed_sampler(ds, { seed: 1 });
const loader = dataloader(ds, { batch_size: batch_size / world, sampler, drop_last: true });

const start = Date.now();
for (let epoch = 1; epoch <= epochs; epoch++) {
  sampler.set_epoch(epoch);
  let last = 0;
  for (const [xb, yb] of loader) {
    opt.zero_grad();
    const loss = nnf_mse_loss(model(xb!), yb!);
    loss.backward();                                           // A's and B's gradients averaged here
    opt.step();
    last = loss.item() as number;
  }
  log(`[ ${epoch} ] rank 0's last batch loss: ${last.toPrecision(4)}`);
}
const delta = with_no_grad(() => lora.delta_weight().mean().item() as number);
log(`mean of ΔW: ${delta.toFixed(4)} (the shift is 1); ${((Date.now() - start) / 1000).toFixed(2)} s for ${epochs} epoch(s), ${world} x ${threads} thread(s)`);
dist_destroy_process_group();
