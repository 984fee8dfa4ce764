// The service's training job (run by start_job in a worker thread): a LoRA of the shared base
// trained on the request's examples with Adam and MSE, checkpointed into the adapter's folder.
import {
  define_job, lora_apply, lora_parameters, lora_save, nnf_mse_loss, optim_adam, torch_manual_seed, torch_randperm, torch_scope, with_no_grad,
  type Tensor,
} from '../../src/index.js';
import { make_base, TARGETS, type BaseConfig } from './model.js';

export interface TrainInput {
  base: Record<string, Tensor>;
  config: BaseConfig;
  inputs: Tensor;
  targets: Tensor;
  steps: number;
  lr: number;
  r: number;
  alpha: number;
  batch_size: number;
  seed: number;
}

export interface TrainResult { steps: number; loss: number }

export default define_job<TrainInput, TrainResult>((job) => {
  const { base, config, inputs, targets, steps, lr, r, alpha, batch_size, seed } = job.input;
  const model = make_base(config, 'meta');         // layers without memory (PyTorch's meta device)...
  model.load_state_dict(base, { assign: true }); // ...given the server's weights, shared, not copied
  torch_manual_seed(seed);
  lora_apply(model, { target_modules: TARGETS, r, alpha });
  const optimizer = optim_adam(lora_parameters(model), { lr });
  job.on_checkpoint((dir) => lora_save(model, dir));
  const rows = inputs.size(0);
  let loss = Number.NaN;
  for (let step = 0; step < steps; step++) {
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
  }
  job.checkpoint();
  const final = with_no_grad(() => nnf_mse_loss(model(inputs) as Tensor, targets).item() as number);
  return { steps, loss: final };
});
