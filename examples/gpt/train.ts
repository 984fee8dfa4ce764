// How the GPT example trains, shared by examples/gpt-lora.ts and the parity test that runs the
// first steps against bench/gpt.py: AdamW with decoupled weight decay on matrices only, a linear
// warm-up then a cosine schedule, gradient clipping, batches from a shuffling dataloader.
import {
  dataloader, lr_cosine_annealing, lr_linear, lr_sequential, nn_utils_clip_grad_norm_, nnf_cross_entropy, optim_adamw, tensor_dataset,
  torch_scope, with_no_grad, type nn_Module, type Optimizer, type Tensor,
} from '../../src/index.js';

export interface TrainingSettings {
  steps: number;
  batch_size: number;
  lr: number;
  weight_decay: number;
  warmup: number;
  clip: number;
}

/** Cross entropy of the next character, over the positions that have one (-1 is none). */
export function nextCharacterLoss(logits: Tensor, y: Tensor): Tensor {
  return nnf_cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1), { ignore_index: -1 });
}

/** AdamW over the trainable parameters: weight decay on matrices (2 or more dimensions) only, as nanoGPT does. */
export function makeOptimizer(model: nn_Module, settings: TrainingSettings): Optimizer {
  const trainable = model.parameters.filter((p) => p.requires_grad);
  const decay = trainable.filter((p) => p.dim() >= 2);
  const rest = trainable.filter((p) => p.dim() < 2);
  const groups = [{ params: decay, weight_decay: settings.weight_decay }, ...(rest.length > 0 ? [{ params: rest, weight_decay: 0 }] : [])];
  return optim_adamw(groups, { lr: settings.lr });
}

/**
 * Trains `model` for `settings.steps` steps on (x, y) and returns each step's loss. The data
 * are drawn epoch after epoch from a shuffling dataloader; `onStep` sees every loss.
 */
export function train(model: nn_Module, x: Tensor, y: Tensor, settings: TrainingSettings, onStep: (step: number, loss: Tensor) => void = () => {}): number[] {
  const optimizer = makeOptimizer(model, settings);
  const warmup = Math.max(1, Math.min(settings.warmup, settings.steps - 1));
  const schedule = lr_sequential(optimizer, [
    lr_linear(optimizer, { start_factor: 0.01, total_iters: warmup }),
    lr_cosine_annealing(optimizer, Math.max(1, settings.steps - warmup)),
  ], [warmup]);
  const loader = dataloader(tensor_dataset(x, y), { batch_size: settings.batch_size, shuffle: true, drop_last: true });
  const losses: number[] = [];
  model.train();
  while (losses.length < settings.steps) {
    for (const [xb, yb] of loader) {
      if (losses.length >= settings.steps) break;
      torch_scope(() => {
        optimizer.zero_grad();
        const loss = nextCharacterLoss(model(xb!), yb!);
        loss.backward();
        nn_utils_clip_grad_norm_(model.parameters.filter((p) => p.requires_grad), settings.clip);
        optimizer.step();
        schedule.step();
        losses.push(loss.item() as number);
        onStep(losses.length, loss);
      });
    }
  }
  return losses;
}

/** The mean loss over (x, y) in evaluation mode (no dropout), in batches. */
export function evaluate(model: nn_Module, x: Tensor, y: Tensor, batchSize = 512): number {
  model.eval();
  let total = 0;
  let count = 0;
  with_no_grad(() => {
    for (let start = 0; start < x.size(0); start += batchSize) {
      torch_scope(() => {
        const xb = x.index(`${start}:${start + batchSize}`);
        const yb = y.index(`${start}:${start + batchSize}`);
        const positions = yb.ne(-1).sum().item() as number;
        const logits = model(xb) as Tensor;
        total += nnf_cross_entropy(logits.view(-1, logits.size(-1)), yb.view(-1), { ignore_index: -1, reduction: 'sum' }).item() as number;
        count += positions;
      });
    }
  });
  model.train();
  return total / count;
}
