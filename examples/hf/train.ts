// The training loop of the Hugging Face example, written as a transformers user writes one:
// windows of a token stream as input ids and labels, hf_causal_lm_loss with the counted tokens
// of the accumulated micro-batches (so that accumulating equals one big batch), AdamW with the
// Trainer's weight-decay groups, a warm-up + cosine schedule and gradient clipping.
import {
  hf_causal_lm_loss, hf_param_groups, lr_cosine_with_warmup, nn_utils_clip_grad_norm_, optim_adamw, torch_scope, with_no_grad,
  type nn_Module, type Tensor,
} from '../../src/index.js';
import type { TokenStream } from './data.js';

/** A causal language model as transformers' ForCausalLM classes are called. */
export type CausalLm = nn_Module & ((input_ids: Tensor) => { logits: Tensor });

export interface TrainSettings {
  steps: number;
  /** Windows per micro-batch, micro-batches per optimizer step, tokens per window. */
  batch: number;
  accumulate: number;
  length: number;
  lr: number;
  weight_decay: number;
  onStep?: (step: number, loss: number) => void;
}

/** Trains every parameter of `model` that requires grad; the loss of each step. */
export function train(model: CausalLm, stream: TokenStream, settings: TrainSettings): number[] {
  const { steps, batch, accumulate, length, lr, weight_decay } = settings;
  model.train();
  const optimizer = optim_adamw(hf_param_groups(model, weight_decay), { lr, betas: [0.9, 0.95] });
  const scheduler = lr_cosine_with_warmup(optimizer, Math.ceil(steps / 10), steps);
  const trainable = model.parameters.filter((p) => p.requires_grad);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = torch_scope(() => {
      // Each window of length + 1 tokens is its own labels (the loss shifts them): length
      // predicted tokens per window, all counted, nothing being padding here.
      const counted = accumulate * batch * length;
      let total = 0;
      for (let micro = 0; micro < accumulate; micro++) {
        const window = stream.sample(batch, length);
        const part = hf_causal_lm_loss(model(window).logits, window, { num_items_in_batch: counted });
        part.backward();
        total += part.item() as number;
      }
      nn_utils_clip_grad_norm_(trainable, 1.0);
      optimizer.step();
      scheduler.step();
      optimizer.zero_grad();
      return total;
    });
    losses.push(loss);
    settings.onStep?.(step + 1, loss);
  }
  model.eval();
  return losses;
}

/** The mean loss per predicted token over held-out windows, in eval mode without gradients. */
export function heldOutLoss(model: CausalLm, windows: Tensor[]): number {
  model.eval();
  return with_no_grad(() => torch_scope(() => {
    let sum = 0;
    let count = 0;
    for (const window of windows) {
      const length = window.shape[1]! - 1;
      sum += (hf_causal_lm_loss(model(window).logits, window).item() as number) * length;
      count += length;
    }
    return sum / count;
  }));
}
