// How the GPT example trains, shared by examples/gpt-lora.ts and the parity test that runs the
// first steps against bench/gpt.py: AdamW with decoupled weight decay on matrices only, a linear
// warm-up then a cosine schedule, gradient clipping, batches from a shuffling dataloader.
import {
  dataloader, lr_cosine_annealing, lr_linear, lr_sequential, nn_utils_clip_grad_norm_, nnf_cross_entropy, optim_adamw, tensor_dataset,
  torch_scope, with_no_grad, type AdamOptions, type nn_Module, type Optimizer, type OptimizerStateDict, type Tensor,
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
export function makeOptimizer(model: nn_Module, settings: TrainingSettings): Optimizer<AdamOptions> {
  const trainable = model.parameters.filter((p) => p.requires_grad);
  const decay = trainable.filter((p) => p.dim() >= 2);
  const rest = trainable.filter((p) => p.dim() < 2);
  const groups = [{ params: decay, weight_decay: settings.weight_decay }, ...(rest.length > 0 ? [{ params: rest, weight_decay: 0 }] : [])];
  return optim_adamw(groups, { lr: settings.lr });
}

/** Where a run starts and stops, and what it resumes from. */
export interface TrainingRun {
  /** The first step (0); the schedule is advanced to it. */
  from?: number;
  /** The step to stop before (settings.steps). */
  until?: number;
  /** An optimizer state_dict to resume from (a checkpoint's). */
  optimizer_state?: OptimizerStateDict<AdamOptions>;
  onStep?: (step: number, loss: Tensor) => void;
}

/**
 * Trains `model` on (x, y), steps `from` to `until` of a schedule of `settings.steps`, and
 * returns each step's loss and the optimizer (whose state_dict() a checkpoint keeps). The data
 * are drawn epoch after epoch from a shuffling dataloader.
 */
export function train(model: nn_Module, x: Tensor, y: Tensor, settings: TrainingSettings, run: TrainingRun = {}): { losses: number[]; optimizer: Optimizer<AdamOptions> } {
  const { from = 0, until = settings.steps, optimizer_state, onStep = () => {} } = run;
  const optimizer = makeOptimizer(model, settings);
  if (optimizer_state !== undefined) optimizer.load_state_dict(optimizer_state);
  const warmup = Math.max(1, Math.min(settings.warmup, settings.steps - 1));
  const schedule = lr_sequential(optimizer, [
    lr_linear(optimizer, { start_factor: 0.01, total_iters: warmup }),
    lr_cosine_annealing(optimizer, Math.max(1, settings.steps - warmup)),
  ], [warmup]);
  for (let step = 0; step < from; step++) schedule.step();
  const loader = dataloader(tensor_dataset(x, y), { batch_size: settings.batch_size, shuffle: true, drop_last: true });
  const losses: number[] = [];
  model.train();
  while (from + losses.length < until) {
    for (const [xb, yb] of loader) {
      if (from + losses.length >= until) break;
      torch_scope(() => {
        optimizer.zero_grad();
        const loss = nextCharacterLoss(model(xb!), yb!);
        loss.backward();
        nn_utils_clip_grad_norm_(model.parameters.filter((p) => p.requires_grad), settings.clip);
        optimizer.step();
        schedule.step();
        losses.push(loss.item() as number);
        onStep(from + losses.length, loss);
      });
    }
  }
  return { losses, optimizer };
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
