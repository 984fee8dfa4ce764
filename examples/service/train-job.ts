// The service's training job (run by start_job in a worker thread): a LoRA of the shared base
// trained on the request's examples with Adam and MSE. Checkpoints go to the job's staging
// folder (start_job's checkpoint_dir), never to the served adapter's; only when every step has
// run is the adapter saved to its folder, by lora_save, which replaces a folder whole in one
// atomic step. A job that fails, is cancelled or killed leaves the served adapter as it was.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  define_job, lora_apply, lora_load, lora_parameters, lora_save, nnf_mse_loss, optim_adam, torch_manual_seed, torch_randperm, torch_scope, with_no_grad,
  type Tensor,
} from '../../src/index.js';
import { make_base, TARGETS, type BaseConfig } from './model.js';
import { writeFileDurable, type TrainSettings } from './store.js';

export interface TrainInput extends TrainSettings {
  base: Record<string, Tensor>;
  config: BaseConfig;
  inputs: Tensor;
  targets: Tensor;
  /** The step it starts from (a resume: the checkpoint's). */
  start_step: number;
  /** Checkpoints never closer than this (a durable write per step would slow training tenfold). */
  checkpoint_min_ms: number;
  /** The checkpoint to go on from (a resume), or null for a new adapter. */
  resume_from: string | null;
  /** Where the finished adapter goes, and the staging folder removed once it is there. */
  adapter_dir: string;
  staging_dir: string;
}

export interface TrainResult { steps: number; loss: number }

export default define_job<TrainInput, TrainResult>((job) => {
  const { base, config, inputs, targets, steps, start_step, lr, r, alpha, batch_size, seed } = job.input;
  const model = make_base(config, 'meta');         // layers without memory (PyTorch's meta device)...
  model.load_state_dict(base, { assign: true }); // ...given the server's weights, shared, not copied
  torch_manual_seed(seed + start_step);
  if (job.input.resume_from === null) lora_apply(model, { target_modules: TARGETS, r, alpha });
  else lora_load(model, job.input.resume_from); // the checkpoint's weights; Adam's moments start afresh
  model.train();
  const optimizer = optim_adam(lora_parameters(model), { lr });
  job.on_checkpoint((dir) => {
    lora_save(model, dir);
    writeFileDurable(join(dir, 'progress.json'), JSON.stringify({ step: start_step + job.step_count }));
  });
  const { checkpoint_every: every, checkpoint_seconds: seconds, checkpoint_min_ms: least } = job.input;
  let savedAt = -Infinity;   // the last checkpoint, for the least spacing
  let timedAt = performance.now(); // the last checkpoint or the start, for checkpoint_seconds
  const rows = inputs.size(0);
  let loss = Number.NaN;
  for (let step = start_step; step < steps; step++) {
    loss = torch_scope(() => {
      const batch = torch_randperm(rows).index(`0:${Math.min(batch_size, rows)}`);
      optimizer.zero_grad();
      const value = nnf_mse_loss(model(inputs.index(batch)) as Tensor, targets.index(batch));
      value.backward();
      optimizer.step();
      return value.item() as number;
    });
    if (!Number.isFinite(loss)) throw new RangeError(`Expected a finite loss but received ${loss} at step ${step + 1}: lower lr, or scale the targets`);
    job.step({ loss, examples: Math.min(batch_size, rows) });
    const now = performance.now();
    const due = (every > 0 && (step + 1) % every === 0) || (seconds > 0 && now - timedAt >= seconds * 1000);
    if (due && step + 1 < steps && now - savedAt >= least) { // the last step saves the adapter itself
      job.checkpoint();
      savedAt = timedAt = now;
    }
  }
  model.eval();
  const final = with_no_grad(() => nnf_mse_loss(model(inputs) as Tensor, targets).item() as number);
  lora_save(model, job.input.adapter_dir); // the served adapter's folder, replaced whole in one step
  rmSync(job.input.staging_dir, { recursive: true, force: true });
  return { steps, loss: final };
});
