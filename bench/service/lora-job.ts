// The seed post's LoRA phase (a rank-1 LoRA of a frozen 1001 x 1000 linear, Adam, batches of
// 128 rows drawn with randperm) as a function, and as a job that runs it in a worker thread:
// bench/service.ts times it both ways.
import {
  define_job, lora_nn_linear, lora_parameters, nn_linear, nnf_mse_loss, optim_adam, slice, torch_manual_seed, torch_randperm, torch_scope,
  type Tensor,
} from '../../src/index.js';

export interface LoraPhaseInput { base: Record<string, Tensor>; X: Tensor; y: Tensor; steps: number; seed: number }

/** Runs `steps` LoRA steps; returns the milliseconds they took (setup excluded). */
export function lora_phase(input: LoraPhaseInput, after_step: (loss: number) => void = () => undefined): number {
  const base = nn_linear(1001, 1000, { bias: false, device: 'meta' });
  base.load_state_dict(input.base, { assign: true });
  torch_manual_seed(input.seed);
  const lora = lora_nn_linear(base, { r: 1, alpha: 1, init: 'randn' });
  const opt = optim_adam(lora_parameters(lora));
  const n = input.X.size(0);
  const started = performance.now();
  for (let step = 0; step < input.steps; step++) {
    const loss = torch_scope(() => {
      const idx = torch_randperm(n).index(slice(0, 128));
      opt.zero_grad();
      const value = nnf_mse_loss(lora(input.X.index(idx)), input.y.index(idx));
      value.backward();
      opt.step();
      return value.item() as number;
    });
    after_step(loss);
  }
  return performance.now() - started;
}

export default define_job<LoraPhaseInput, { ms: number }>((job) => ({ ms: lora_phase(job.input, (loss) => job.step({ loss, examples: 128 })) }));
