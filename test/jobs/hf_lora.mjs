// A job module for test/hf/serving.test.ts: fine-tunes a LoRA on a Hugging Face Llama folder
// (hf_load) with transformers' causal-LM loss, AdamW and a warm-up schedule, checkpointing the
// adapter with lora_save, as a service's training job would.
import {
  define_job, hf_causal_lm_loss, hf_load, lora_apply, lora_parameters, lora_save, lr_linear_with_warmup, optim_adamw, torch_manual_seed,
} from '../../dist/src/index.js';

/** The training loop, callable on any thread: `report(loss, model)` after each step. */
export function train(input, report = () => {}) {
  const model = hf_load(input.dir);
  torch_manual_seed(input.seed);
  lora_apply(model, { target_modules: ['q_proj', 'v_proj'], r: 4, lora_alpha: 8, lora_dropout: 0.1 });
  model.train();
  const opt = optim_adamw(lora_parameters(model), { lr: 1e-2, weight_decay: 0.01 });
  const schedule = lr_linear_with_warmup(opt, 2, input.steps);
  for (let step = 0; step < input.steps; step++) {
    opt.zero_grad();
    const labels = input.ids.masked_fill(input.mask.eq(0), -100);
    const loss = hf_causal_lm_loss(model(input.ids, { attention_mask: input.mask }).logits, labels);
    loss.backward();
    opt.step();
    schedule.step();
    report(loss, model);
  }
  return model;
}

export default define_job(async (job) => {
  let model = null;
  job.on_checkpoint((dir) => lora_save(model, dir));
  model = train(job.input, (loss, m) => {
    model = m;
    job.step({ loss, examples: job.input.ids.size(0) });
  });
  return model.state_dict();
});
