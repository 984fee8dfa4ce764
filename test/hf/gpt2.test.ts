// GPT-2 against transformers 5.18 on tiny random checkpoints made at test time
// (gpt2_reference.py), read by hf_load: logits plain, with a padding mask and through the
// key/value cache, generate on a left-padded batch (eos from the files too), the language-model
// loss and parameter gradients, older files' attn.bias buffers skipped, hf_save's folder read by
// transformers, transformers' parameter names, and config.json fields torchlora does not
// implement refused by name.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  GPT2ForSequenceClassification, GPT2LMHeadModel, GPT2Model, HfCache, generate, gpt2_config, hf_load, hf_save, torch_load_safetensors, torch_ones, torch_save_safetensors, torch_tensor, torch_tril,
  with_no_grad, type Tensor,
} from '../../src/index.js';
import { HF_ACTIVATION_NAMES, hfActivation } from '../../src/hf/activations.js';
import { makerFor } from '../../src/hf/registry.js';
import { thrown } from '../fixtures/helpers.js';
import { describe_with_hf } from './harness.js';
import { start_hf_python } from './llama_python.js';

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

describe_with_hf('GPT-2 against transformers', () => {
  const folder = mkdtempSync(join(tmpdir(), 'torchlora-gpt2-'));
  // One Python process: it makes the fixtures, says "ok", then loads the folder hf_save writes.
  let python: ReturnType<typeof start_hf_python>;
  afterAll(() => {
    python?.kill();
    rmSync(folder, { recursive: true, force: true });
  });
  beforeAll(async () => {
    python = start_hf_python('gpt2_reference.py', [folder, join(folder, 'saved'), '--', ...HF_ACTIVATION_NAMES]);
    await python.line();
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
      const model = hf_load<GPT2LMHeadModel>(dir);
      expect(Object.keys(model.state_dict())).toEqual(JSON.parse(metadata!.state_dict_keys!));
      expect(model.lm_head.weight === model.transformer.wte.weight).toBe(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).tie_word_embeddings);
      const input_ids = reference.input_ids!;
      const diffs = {
        logits: maxDiff(model(input_ids).logits, reference.logits!),
        masked: maxDiff(model(input_ids, { attention_mask: reference.attention_mask! }).logits, reference.masked_logits!),
        packed: maxDiff(model(input_ids, { position_ids: torch_tensor([[0, 1, 2, 3, 4, 0, 1, 2, 3]], { dtype: 'int64' }) }).logits, reference.packed_logits!),
        cached: maxDiff(model(input_ids.index(':', '6:'), {
          past_key_values: model(input_ids.index(':', ':6'), { use_cache: true }).past_key_values,
        }).logits, reference.cached_logits!),
      };
      console.log(`GPT-2 ${name}: max |logits - transformers'|`, diffs);
      for (const diff of Object.values(diffs)) expect(diff).toBeLessThanOrEqual(1e-5);
      const generated = generate(model, input_ids, { attention_mask: reference.attention_mask!, max_new_tokens: 6, pad_token_id: 0, eos_token_id: null });
      expect(generated.to_array()).toEqual(reference.generated!.to_array());

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

  it("GPT2ForSequenceClassification: transformers' scores at each row's last token that is not padding, and its losses", () => {
    const dir = join(folder, 'classifier');
    const reference = torch_load_safetensors(join(dir, 'reference.safetensors')).tensors;
    const model = hf_load<GPT2ForSequenceClassification>(dir);
    expect(model).toBeInstanceOf(GPT2ForSequenceClassification);
    const ids = reference.input_ids!;
    const output = with_no_grad(() => model(ids, { labels: torch_tensor([2, 0, 1], { dtype: 'int64' }) }));
    expect(maxDiff(output.logits, reference.logits!)).toBeLessThanOrEqual(1e-5);
    expect(Math.abs((output.loss!.item() as number) - (reference.loss!.item() as number))).toBeLessThanOrEqual(1e-5);
    // One label: regression (mean squared error), with the first row of the same score weights.
    const regression = new GPT2ForSequenceClassification({ ...model.config, id2label: { 0: 'LABEL_0' }, label2id: { LABEL_0: 0 } }).eval();
    regression.load_state_dict({ ...model.state_dict(), 'score.weight': model.score.weight.index('0:1') });
    expect(regression.num_labels).toBe(1);
    const regressed = with_no_grad(() => regression(ids, { labels: torch_tensor([0.5, -1.0, 2.0]) }));
    expect(maxDiff(regressed.logits, reference.regression_logits!)).toBeLessThanOrEqual(1e-5);
    expect(Math.abs((regressed.loss!.item() as number) - (reference.regression_loss!.item() as number))).toBeLessThanOrEqual(1e-5);
    expect(() => new GPT2ForSequenceClassification({ ...model.config, pad_token_id: null })(ids)).toThrow(/pad_token_id/);
  });

  it("takes generate's eos and pad tokens from generation_config.json, else config.json, as transformers does", () => {
    const reference = torch_load_safetensors(join(folder, 'eos', 'reference.safetensors')).tensors as Record<string, Tensor>;
    const base = torch_load_safetensors(join(folder, 'base', 'reference.safetensors')).tensors as Record<string, Tensor>;
    const eos = reference.eos_token_id!.item() as number;
    const expected = reference.generated!.to_array() as number[][];
    expect(expected[0]!.slice(9)).toContain(eos); // the first row ends early
    const options = { attention_mask: base.attention_mask!, max_new_tokens: 6 };
    expect(generate(hf_load<GPT2LMHeadModel>(join(folder, 'eos')), base.input_ids!, options).to_array()).toEqual(expected);
    const configOnly = join(folder, 'eos-config-only');
    cpSync(join(folder, 'eos'), configOnly, { recursive: true });
    rmSync(join(configOnly, 'generation_config.json'));
    const model = hf_load<GPT2LMHeadModel>(configOnly);
    expect(model.config.eos_token_id).toBe(eos);
    expect(generate(model, base.input_ids!, options).to_array()).toEqual(expected);
  });

  it("skips older files' attn.bias and attn.masked_bias buffers (transformers' _keys_to_ignore_on_load_unexpected)", () => {
    const legacy = join(folder, 'legacy');
    cpSync(join(folder, 'base'), legacy, { recursive: true });
    const { tensors } = torch_load_safetensors(join(legacy, 'model.safetensors'));
    const buffers: Record<string, Tensor> = {};
    for (const layer of [0, 1]) {
      buffers[`transformer.h.${layer}.attn.bias`] = torch_tril(torch_ones([64, 64], { dtype: 'bool' })).view(1, 1, 64, 64);
      buffers[`transformer.h.${layer}.attn.masked_bias`] = torch_tensor(-1e4);
    }
    torch_save_safetensors({ ...tensors, ...buffers }, join(legacy, 'model.safetensors'));
    const reference = torch_load_safetensors(join(legacy, 'reference.safetensors')).tensors as Record<string, Tensor>;
    const model = hf_load<GPT2LMHeadModel>(legacy);
    expect(Object.keys(model.state_dict()).filter((name) => name.endsWith('.attn.bias') || name.endsWith('masked_bias'))).toEqual([]);
    expect(with_no_grad(() => maxDiff(model(reference.input_ids!).logits, reference.logits!))).toBeLessThanOrEqual(1e-5);
  });

  it('saves with hf_save a folder transformers loads, with the same logits', async () => {
    const reference = torch_load_safetensors(join(folder, 'base', 'reference.safetensors')).tensors as Record<string, Tensor>;
    const model = hf_load<GPT2LMHeadModel>(join(folder, 'base'));
    const saved = join(folder, 'saved');
    hf_save(model, saved);
    writeFileSync(`${saved}.done`, '');
    const loaded = JSON.parse(await python.line()) as { class: string; logits: number[] };
    expect(loaded.class).toBe('GPT2LMHeadModel');
    expect(maxDiff(torch_tensor(loaded.logits), reference.logits!.flatten())).toBeLessThanOrEqual(1e-5);
    expect(Object.keys(torch_load_safetensors(join(saved, 'model.safetensors')).tensors)).not.toContain('lm_head.weight');
    const again = hf_load<GPT2LMHeadModel>(saved);
    expect(again.lm_head.weight).toBe(again.transformer.wte.weight);
    expect(with_no_grad(() => maxDiff(again(reference.input_ids!).logits, reference.logits!))).toBeLessThanOrEqual(1e-5);
  }, 60_000);

  it('makes a bare GPT2Model from a GPT2LMHeadModel folder, and an HfCache grows through it', () => {
    const reference = torch_load_safetensors(join(folder, 'base', 'reference.safetensors')).tensors as Record<string, Tensor>;
    const bare = hf_load<GPT2Model>(join(folder, 'base'), { class: 'GPT2Model' });
    expect(bare.hf_class).toBe('GPT2Model');
    const cache = new HfCache();
    with_no_grad(() => bare(reference.input_ids!, { past_key_values: cache }));
    expect(cache.get_seq_length()).toBe(9);
    cache.dispose();
  });
});
