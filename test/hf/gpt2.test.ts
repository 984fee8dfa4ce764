// GPT-2 against transformers 5.18 on tiny random checkpoints made at test time
// (gpt2_reference.py): logits plain, with a padding mask and through the key/value cache, greedy
// decoding of a left-padded batch, the language-model loss and parameter gradients, transformers'
// parameter names, and config.json fields torchlora does not implement refused by name.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  GPT2LMHeadModel, GPT2Model, HfCache, gpt2_config, torch_cat, torch_load_safetensors, torch_ones, torch_tensor, with_no_grad, type Tensor,
} from '../../src/index.js';
import { HF_ACTIVATION_NAMES, hfActivation } from '../../src/hf/activations.js';
import { makerFor } from '../../src/hf/registry.js';
import { thrown } from '../fixtures/helpers.js';
import { describe_with_hf, run_hf_python } from './harness.js';
import { load_checkpoint } from './load_checkpoint.js';

const TINY = { model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], n_layer: 1, n_embd: 8, n_head: 2, vocab_size: 11, n_positions: 16 };

const maxDiff = (a: Tensor, b: Tensor): number => a.sub(b).abs().max().item() as number;
const relativeDiff = (a: Tensor, b: Tensor): number => maxDiff(a, b) / (b.abs().max().item() as number);

it('refuses config.json fields it does not implement, by name', () => {
  expect(thrown(() => new GPT2LMHeadModel({ ...TINY, activation_function: 'prelu' })).message).toMatch(/activation_function.*"prelu"/);
  expect(thrown(() => new GPT2LMHeadModel({ ...TINY, add_cross_attention: true })).message).toMatch(/add_cross_attention.*true/);
  expect(thrown(() => new GPT2LMHeadModel({ ...TINY, rotary_dim: 4 })).message).toMatch(/fields.*"rotary_dim"/);
  expect(thrown(() => new GPT2LMHeadModel({ ...TINY, n_head: 3 })).message).toMatch(/n_embd/);
  expect(thrown(() => makerFor({ ...TINY, architectures: ['GPT2ForTokenClassification'] })).message).toMatch(/GPT2LMHeadModel, GPT2Model/);
  const tooLong = torch_tensor([Array.from({ length: 17 }, () => 1)], { dtype: 'int64' });
  expect(thrown(() => new GPT2LMHeadModel(TINY)(tooLong)).message).toMatch(/n_positions \(16\)/);
});

it("reads the published GPT-2's config.json (openai-community/gpt2, with the older fields n_ctx and summary_*)", () => {
  const published = {
    activation_function: 'gelu_new', architectures: ['GPT2LMHeadModel'], attn_pdrop: 0.1, bos_token_id: 50256, embd_pdrop: 0.1, eos_token_id: 50256,
    initializer_range: 0.02, layer_norm_epsilon: 1e-05, model_type: 'gpt2', n_ctx: 1024, n_embd: 768, n_head: 12, n_layer: 12, n_positions: 1024,
    resid_pdrop: 0.1, summary_activation: null, summary_first_dropout: 0.1, summary_proj_to_labels: true, summary_type: 'cls_index',
    summary_use_proj: true, task_specific_params: { 'text-generation': { do_sample: true, max_length: 50 } }, vocab_size: 50257,
  };
  expect(gpt2_config(published)).toMatchObject({ n_embd: 768, n_layer: 12, n_inner: null, scale_attn_weights: true, tie_word_embeddings: true });
});

it('names its parameters as transformers does and ties lm_head to wte', () => {
  const model = new GPT2LMHeadModel(TINY);
  expect(Object.keys(model.state_dict())).toEqual([
    'transformer.wte.weight', 'transformer.wpe.weight',
    'transformer.h.0.ln_1.weight', 'transformer.h.0.ln_1.bias', 'transformer.h.0.attn.c_attn.weight', 'transformer.h.0.attn.c_attn.bias',
    'transformer.h.0.attn.c_proj.weight', 'transformer.h.0.attn.c_proj.bias', 'transformer.h.0.ln_2.weight', 'transformer.h.0.ln_2.bias',
    'transformer.h.0.mlp.c_fc.weight', 'transformer.h.0.mlp.c_fc.bias', 'transformer.h.0.mlp.c_proj.weight', 'transformer.h.0.mlp.c_proj.bias',
    'transformer.ln_f.weight', 'transformer.ln_f.bias', 'lm_head.weight',
  ]);
  expect(model.lm_head.weight).toBe(model.transformer.wte.weight);
  expect(model.parameters.length).toBe(16);
  expect(model.transformer.h[0]!.attn.c_attn.weight.shape).toEqual([8, 24]);
  expect(new GPT2LMHeadModel({ ...TINY, tie_word_embeddings: false }).lm_head.weight).not.toBe(model.transformer.wte.weight);
  expect(makerFor({ ...TINY, architectures: ['GPT2Model'] }).make(TINY)).toBeInstanceOf(GPT2Model);
});

it('applies dropout in training mode only', () => {
  const model = new GPT2LMHeadModel({ ...TINY, embd_pdrop: 0.5, attn_pdrop: 0.5, resid_pdrop: 0.5 });
  const ids = torch_tensor([[1, 2, 3, 4], [5, 6, 7, 8]], { dtype: 'int64' });
  const [a, b] = [model(ids).logits, model(ids).logits];
  expect(maxDiff(a, b)).toBeGreaterThan(0);
  model(ids, { labels: ids }).loss!.backward();
  expect(model.transformer.h[0]!.attn.c_attn.weight.grad!.isfinite().all().item()).toBe(true);
  model.eval();
  expect(maxDiff(model(ids).logits, model(ids).logits)).toBe(0);
});

it('makes its parameters where it is asked (hf_load makes them on "meta", then reads the files)', () => {
  const model = new GPT2LMHeadModel(TINY, { device: 'meta' });
  expect(new Set(model.parameters.map((p) => p.device))).toEqual(new Set(['meta']));
  expect(model.lm_head.weight).toBe(model.transformer.wte.weight);
});

// transformers' greedy generate: position ids from the attention mask, one new token a step
// through the cache, the padding kept masked.
function greedy(model: GPT2LMHeadModel, input_ids: Tensor, attention_mask: Tensor, steps: number): Tensor {
  return with_no_grad(() => {
    const cache = new HfCache();
    let [ids, mask] = [input_ids, attention_mask];
    let positions = mask.cumsum(-1).sub(1).masked_fill(mask.eq(0), 0);
    let inputs = ids;
    for (let step = 0; step < steps; step += 1) {
      const { logits } = model(inputs, { attention_mask: mask, position_ids: positions, past_key_values: cache, logits_to_keep: 1 });
      inputs = logits.index(':', -1).argmax(-1).unsqueeze(-1);
      ids = torch_cat([ids, inputs], 1);
      mask = torch_cat([mask, torch_ones([mask.size(0), 1], { dtype: 'int64' })], 1);
      positions = positions.index(':', '-1:').add(1);
    }
    cache.dispose();
    return ids;
  });
}

describe_with_hf('GPT-2 against transformers', () => {
  const folder = mkdtempSync(join(tmpdir(), 'torchlora-gpt2-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  beforeAll(() => {
    run_hf_python('gpt2_reference.py', [folder, ...HF_ACTIVATION_NAMES]);
  }, 120_000);

  it("computes each activation config.json may name as transformers' ACT2FN does", () => {
    const reference = torch_load_safetensors(join(folder, 'activations.safetensors')).tensors as Record<string, Tensor>;
    const diffs = Object.fromEntries(HF_ACTIVATION_NAMES.map((name) => [name, maxDiff(hfActivation(name)(reference.input!), reference[`act.${name}`]!)]));
    console.log("activations: max |ours - transformers'|", diffs);
    for (const diff of Object.values(diffs)) expect(diff).toBeLessThanOrEqual(1e-6);
  });

  for (const name of ['base', 'variant']) {
    it(`${name}: gives transformers' logits, with padding, through the cache, and its loss and gradients`, () => {
      const dir = join(folder, name);
      const { tensors, metadata } = torch_load_safetensors(join(dir, 'reference.safetensors'));
      const reference = tensors as Record<string, Tensor>;
      const model = load_checkpoint<GPT2LMHeadModel>(dir);
      expect(Object.keys(model.state_dict())).toEqual(JSON.parse(metadata!.state_dict_keys!));
      expect(model.lm_head.weight === model.transformer.wte.weight).toBe(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).tie_word_embeddings);
      const input_ids = reference.input_ids!;
      const diffs = {
        logits: maxDiff(model(input_ids).logits, reference.logits!),
        masked: maxDiff(model(input_ids, { attention_mask: reference.attention_mask! }).logits, reference.masked_logits!),
        cached: maxDiff(model(input_ids.index(':', '6:'), {
          past_key_values: model(input_ids.index(':', ':6'), { use_cache: true }).past_key_values,
        }).logits, reference.cached_logits!),
      };
      console.log(`GPT-2 ${name}: max |logits - transformers'|`, diffs);
      for (const diff of Object.values(diffs)) expect(diff).toBeLessThanOrEqual(1e-5);
      expect(greedy(model, input_ids, reference.attention_mask!, 6).to_array()).toEqual(reference.generated!.to_array());

      const { loss } = model(input_ids, { labels: input_ids });
      expect(Math.abs((loss!.item() as number) - (reference.loss!.item() as number))).toBeLessThanOrEqual(1e-5);
      loss!.backward();
      const parameters = model.named_parameters();
      for (const [key, expected] of Object.entries(reference).filter(([key]) => key.startsWith('grad.'))) {
        const diff = relativeDiff(parameters[key.slice('grad.'.length)]!.grad!, expected);
        console.log(`GPT-2 ${name}: ${key} relative diff ${diff.toExponential(2)}`);
        expect(diff).toBeLessThanOrEqual(1e-5);
      }
    });
  }
});
