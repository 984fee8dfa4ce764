// A job module for test/jobs.test.ts: trains a rank-1 LoRA on a base linear model whose
// weights it receives shared (load_state_dict assign), as a service's job would.
import {
  define_job, lora_nn_linear, lora_parameters, lora_save, nn_linear, nnf_mse_loss, optim_adam, torch_manual_seed,
} from '../../dist/src/index.js';

/** The training loop, callable on any thread: `report(loss)` after each step. */
export function train(base, input, report = () => {}) {
  const linear = nn_linear(input.in_features, input.out_features, { device: 'meta' });
  linear.load_state_dict(base, { assign: true });
  torch_manual_seed(input.seed);
  const model = lora_nn_linear(linear, { r: 1, alpha: 1, init: 'gaussian' });
  const opt = optim_adam(lora_parameters(model), { lr: 0.05 });
  for (let step = 0; step < input.steps; step++) {
    opt.zero_grad();
    const loss = nnf_mse_loss(model(input.x), input.y);
    loss.backward();
    opt.step();
    report(loss, model);
  }
  return model;
}

export default define_job(async (job) => {
  let model = null;
  job.on_checkpoint((dir) => lora_save(model, dir));
  model = train(job.input.base, job.input, (loss, m) => {
    model = m;
    job.step({ loss, examples: job.input.x.size(0) });
    if (job.input.wait_for_cancel) while (!job.cancelled) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  });
  const state = model.state_dict();
  return { A: state['lora_A.default.weight'], B: state['lora_B.default.weight'], base_weight: model.base_layer.weight, steps: job.step_count };
});
