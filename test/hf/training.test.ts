// Hugging Face-style training pieces against transformers: the warm-up schedules' rates, the
// causal-LM loss and its gradient, and the Trainer's weight-decay groups.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  hf_causal_lm_loss, hf_decay_parameter_names, hf_param_groups, lr_cosine_with_warmup, lr_linear_with_warmup, nn_embedding, nn_layer_norm,
  nn_linear, nn_Module, nn_module_list, nn_parameter, optim_adamw, torch_load_safetensors, torch_ones, torch_zeros, type LRScheduler, type Tensor,
} from '../../src/index.js';
import { describe_with_hf, run_hf_python } from './harness.js';

interface Reference {
  linear: number[][]; cosine: number[][]; cosine_cycles: number[][]; cosine_min_lr: number[][];
  decay: string[]; all: string[];
}

// Laid out as training_reference.py's Net, parameter for parameter.
class Block extends nn_Module {
  q_proj = nn_linear(4, 4);
  input_layernorm = nn_layer_norm(4);
  q_norm = nn_parameter(torch_ones(4));
  mixer = nn_linear(4, 4, { bias: false });
}
class Net extends nn_Module {
  scale = nn_parameter(torch_ones(1));
  embed_tokens = nn_embedding(5, 4);
  layers = nn_module_list([new Block(), new Block()]);
  ln = nn_layer_norm(4);
  norm = nn_linear(4, 4);
  lm_head = nn_linear(4, 5);
}

describe_with_hf('Hugging Face training pieces against transformers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'torchlora-hf-training-'));
  let reference: Reference;
  beforeAll(() => {
    run_hf_python('training_reference.py', [dir]);
    reference = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as Reference;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const rates = (make: (opt: ReturnType<typeof optim_adamw>) => LRScheduler, steps: number): number[][] => {
    const opt = optim_adamw([{ params: [nn_parameter(torch_zeros(1))], lr: 1e-3 }, { params: [nn_parameter(torch_zeros(1))], lr: 3e-4 }]);
    const scheduler = make(opt);
    const seen = [scheduler.get_last_lr()];
    for (let step = 0; step < steps; step++) {
      opt.step();
      scheduler.step();
      seen.push(scheduler.get_last_lr());
    }
    return seen;
  };

  it('gives the learning rates of transformers\' warm-up schedules, bit for bit', () => {
    expect(rates((opt) => lr_linear_with_warmup(opt, 3, 10), 13)).toEqual(reference.linear);
    expect(rates((opt) => lr_cosine_with_warmup(opt, 4, 17), 20)).toEqual(reference.cosine);
    expect(rates((opt) => lr_cosine_with_warmup(opt, 0, 12, { num_cycles: 1.5 }), 14)).toEqual(reference.cosine_cycles);
    expect(rates((opt) => lr_cosine_with_warmup(opt, 2, 9, { min_lr_rate: 0.1 }), 11)).toEqual(reference.cosine_min_lr);
  });

  it('refuses schedule settings that mean nothing', () => {
    const opt = optim_adamw([nn_parameter(torch_zeros(1))]);
    expect(() => lr_cosine_with_warmup(opt, -1, 10)).toThrow(RangeError);
    expect(() => lr_linear_with_warmup(opt, 2, 0)).toThrow(/num_training_steps/);
    expect(() => lr_cosine_with_warmup(opt, 2, 10, { min_lr_rate: 2 })).toThrow(/min_lr_rate/);
    expect(() => lr_cosine_with_warmup(opt, 2, 10, { warmup: 3 } as never)).toThrow(/warmup/);
  });

  it('computes transformers\' causal-LM loss and its gradient', () => {
    const { tensors } = torch_load_safetensors(join(dir, 'loss.safetensors'));
    const check = (name: string, logits: Tensor, items: number | null): void => {
      const x = logits.detach().requires_grad_();
      const loss = hf_causal_lm_loss(x, tensors.labels!, { num_items_in_batch: items });
      loss.backward();
      // Same libtorch, same kernels, same order of operations: equal up to float32 rounding.
      expect(loss.item()).toBeCloseTo(tensors[`loss_${name}`]!.item() as number, 6);
      expect(x.grad!.float().sub(tensors[`grad_${name}`]!).abs().max().item()).toBeLessThan(1e-7);
    };
    check('mean', tensors.logits!, null);
    check('sum', tensors.logits!, 40);
    check('bf16', tensors.logits!.to({ dtype: 'bfloat16' }), null);
  });

  it('refuses labels that do not fit the logits', () => {
    const logits = torch_zeros(2, 3, 5);
    expect(() => hf_causal_lm_loss(logits, torch_zeros([2, 4], { dtype: 'int64' }))).toThrow(/labels of shape \[2, 3\]/);
    expect(() => hf_causal_lm_loss(logits, torch_zeros(2, 3))).toThrow(/int64 labels/);
    expect(() => hf_causal_lm_loss(logits, torch_zeros([2, 3], { dtype: 'int64' }), { num_items_in_batch: 0 })).toThrow(RangeError);
  });

  it('gives the Trainer\'s weight-decay names and groups', () => {
    const model = new Net();
    expect(Object.keys(model.named_parameters())).toEqual(reference.all);
    expect(hf_decay_parameter_names(model).sort()).toEqual([...reference.decay].sort());
    model.lm_head.bias!.requires_grad_(false);
    const [decayed, other] = hf_param_groups(model, 0.01) as [ReturnType<typeof hf_param_groups>[0], ReturnType<typeof hf_param_groups>[0]];
    const named = new Map(Object.entries(model.named_parameters()).map(([name, p]) => [p, name]));
    expect(decayed.weight_decay).toBe(0.01);
    expect(other.weight_decay).toBe(0);
    expect(decayed.params.map((p) => named.get(p))).toEqual(reference.all.filter((n) => reference.decay.includes(n)));
    expect(other.params.map((p) => named.get(p))).toEqual(reference.all.filter((n) => !reference.decay.includes(n) && n !== 'lm_head.bias'));
    expect(() => hf_param_groups(model, -1)).toThrow(RangeError);
    // Only decayed parameters trainable (LoRA's A and B): one group, no empty one for the optimizer to refuse.
    for (const [name, p] of Object.entries(model.named_parameters())) p.requires_grad_(name === 'lm_head.weight');
    expect(hf_param_groups(model, 0.1).map((group) => group.params.map((p) => named.get(p)))).toEqual([['lm_head.weight']]);
  });
});
