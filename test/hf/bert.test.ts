// BERT against transformers 5.18 on tiny random checkpoints made at test time
// (bert_reference.py): the encoder's hidden states and pooled output, a sequence classifier's
// and a masked LM's logits (with padding and token types) and losses, transformers' parameter
// names, and config.json fields torchlora does not implement refused by name. hf_load reads the
// checkpoints, older files' position_ids and token_type_ids buffers too.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  bert_config, BertForMaskedLM, BertForQuestionAnswering, BertForSequenceClassification, BertForTokenClassification, BertModel, torch_stack,
  type BertQuestionAnsweringOutput, hf_load, hf_save, lora_apply, torch_arange, torch_load_safetensors, torch_save_safetensors, torch_tensor,
  torch_zeros, with_no_grad, type Tensor,
} from '../../src/index.js';
import { makerFor } from '../../src/hf/registry.js';
import { thrown } from '../fixtures/helpers.js';
import { describe_with_hf, run_hf_python } from './harness.js';

const TINY = { model_type: 'bert', vocab_size: 13, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16 };

const maxDiff = (a: Tensor, b: Tensor): number => a.sub(b).abs().max().item() as number;

it('refuses config.json fields it does not implement, by name', () => {
  expect(thrown(() => new BertModel({ ...TINY, position_embedding_type: 'relative_key' })).message).toMatch(/position_embedding_type.*"relative_key"/);
  expect(new BertModel({ ...TINY, position_embedding_type: 'absolute' })).toBeInstanceOf(BertModel);
  expect(thrown(() => new BertModel({ ...TINY, is_decoder: true })).message).toMatch(/is_decoder.*true/);
  expect(thrown(() => new BertModel({ ...TINY, hidden_act: 'xielu' })).message).toMatch(/hidden_act.*"xielu"/);
  expect(thrown(() => new BertModel({ ...TINY, problem_type: 'ranking' })).message).toMatch(/problem_type.*"ranking"/);
  expect(thrown(() => new BertModel({ ...TINY, embedding_size: 4 })).message).toMatch(/fields.*"embedding_size"/);
  expect(thrown(() => makerFor({ ...TINY, architectures: ['BertForMultipleChoice'] })).message).toMatch(/BertModel, BertForSequenceClassification, BertForMaskedLM, BertForTokenClassification, BertForQuestionAnswering/);
  expect(thrown(() => new BertForQuestionAnswering({ ...TINY, num_labels: 3 })).message).toMatch(/2 labels.*num_labels.*3/);
  const tooLong = torch_tensor([Array.from({ length: 5 }, () => 1)], { dtype: 'int64' });
  expect(thrown(() => new BertModel({ ...TINY, max_position_embeddings: 4 })(tooLong)).message).toMatch(/max_position_embeddings \(4\)/);
});

it("reads the published BERT's config.json (google-bert/bert-base-uncased, with position_embedding_type)", () => {
  const published = {
    architectures: ['BertForMaskedLM'], attention_probs_dropout_prob: 0.1, gradient_checkpointing: false, hidden_act: 'gelu', hidden_dropout_prob: 0.1,
    hidden_size: 768, initializer_range: 0.02, intermediate_size: 3072, layer_norm_eps: 1e-12, max_position_embeddings: 512, model_type: 'bert',
    num_attention_heads: 12, num_hidden_layers: 12, pad_token_id: 0, position_embedding_type: 'absolute', transformers_version: '4.6.0.dev0',
    type_vocab_size: 2, use_cache: true, vocab_size: 30522,
  };
  expect(bert_config(published)).toMatchObject({ hidden_size: 768, num_hidden_layers: 12, classifier_dropout: null, tie_word_embeddings: true });
});

it('names its parameters as transformers does, and ties the masked-LM decoder', () => {
  const classifier = new BertForSequenceClassification({ ...TINY, id2label: { 0: 'no', 1: 'maybe', 2: 'yes' } });
  const names = Object.keys(classifier.state_dict());
  expect(names.slice(0, 6)).toEqual([
    'bert.embeddings.word_embeddings.weight', 'bert.embeddings.position_embeddings.weight', 'bert.embeddings.token_type_embeddings.weight',
    'bert.embeddings.LayerNorm.weight', 'bert.embeddings.LayerNorm.bias', 'bert.encoder.layer.0.attention.self.query.weight',
  ]);
  expect(names).toContain('bert.encoder.layer.0.attention.output.LayerNorm.bias');
  expect(names).toContain('bert.encoder.layer.0.intermediate.dense.weight');
  expect(names.slice(-4)).toEqual(['bert.pooler.dense.weight', 'bert.pooler.dense.bias', 'classifier.weight', 'classifier.bias']);
  expect(classifier.classifier.weight.shape).toEqual([3, 8]);
  expect(new BertForSequenceClassification({ ...TINY, num_labels: 5 }).num_labels).toBe(5);
  const mlm = new BertForMaskedLM(TINY);
  expect(mlm.bert.pooler).toBeNull();
  expect(mlm.cls.predictions.decoder.weight).toBe(mlm.bert.embeddings.word_embeddings.weight);
  expect(mlm.cls.predictions.decoder.bias).toBe(mlm.cls.predictions.bias);
  expect(Object.keys(mlm.state_dict()).filter((name) => name.startsWith('cls.'))).toEqual([
    'cls.predictions.bias', 'cls.predictions.transform.dense.weight', 'cls.predictions.transform.dense.bias',
    'cls.predictions.transform.LayerNorm.weight', 'cls.predictions.transform.LayerNorm.bias',
    'cls.predictions.decoder.weight', 'cls.predictions.decoder.bias',
  ]);
});

it('makes its parameters where it is asked (hf_load makes them on "meta", then reads the files)', () => {
  for (const model of [new BertForSequenceClassification(TINY, { device: 'meta' }), new BertForMaskedLM(TINY, { device: 'meta' })]) {
    expect(new Set(model.parameters.map((p) => p.device))).toEqual(new Set(['meta']));
  }
});

it('applies dropout in training mode only, and trains', () => {
  const model = new BertForSequenceClassification({ ...TINY, hidden_dropout_prob: 0.5, attention_probs_dropout_prob: 0.5 });
  const ids = torch_tensor([[1, 2, 3, 4], [5, 6, 7, 8]], { dtype: 'int64' });
  const labels = torch_tensor([1, 0], { dtype: 'int64' });
  expect(maxDiff(model(ids).logits, model(ids).logits)).toBeGreaterThan(0);
  model(ids, { labels }).loss!.backward();
  expect(model.bert.encoder.layer[0]!.attention.self.query.weight.grad!.isfinite().all().item()).toBe(true);
  model.eval();
  expect(maxDiff(model(ids).logits, model(ids).logits)).toBe(0);
});

it("builds its layers with the library's generators, so LoRA finds them under PEFT's target_modules", () => {
  const model = new BertForSequenceClassification(TINY);
  lora_apply(model, { target_modules: ['query', 'value'], r: 2 });
  expect(Object.keys(model.state_dict()).filter((name) => name.includes('.self.query.'))).toEqual([
    'bert.encoder.layer.0.attention.self.query.base_layer.weight', 'bert.encoder.layer.0.attention.self.query.base_layer.bias',
    'bert.encoder.layer.0.attention.self.query.lora_A.default.weight', 'bert.encoder.layer.0.attention.self.query.lora_B.default.weight',
  ]);
});

describe_with_hf('BERT against transformers', () => {
  const folder = mkdtempSync(join(tmpdir(), 'torchlora-bert-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  beforeAll(() => {
    run_hf_python('bert_reference.py', [folder]);
  }, 120_000);

  // The head's scores; a reader's start and end logits stacked as positions x 2, as bert_reference.py writes them.
  const scores = (output: { logits: Tensor } | BertQuestionAnsweringOutput): Tensor =>
    ('logits' in output ? output.logits : torch_stack([output.start_logits, output.end_logits], -1));
  type Head = BertForSequenceClassification | BertForMaskedLM | BertForTokenClassification | BertForQuestionAnswering;

  for (const name of ['classifier', 'variant', 'mlm', 'tagger', 'reader']) {
    it(`${name}: gives transformers' hidden states, logits and loss, with padding and token types`, () => {
      const dir = join(folder, name);
      const { tensors, metadata } = torch_load_safetensors(join(dir, 'reference.safetensors'));
      const reference = tensors as Record<string, Tensor>;
      const model = hf_load<Head>(dir);
      expect(Object.keys(model.state_dict())).toEqual(JSON.parse(metadata!.state_dict_keys!));
      const { input_ids, attention_mask, token_type_ids, labels } = reference as Record<string, Tensor>;
      const encoded = model.bert(input_ids!, { attention_mask, token_type_ids });
      const given = model instanceof BertForQuestionAnswering ? { start_positions: labels!.index(':', 0), end_positions: labels!.index(':', 1) } : { labels };
      const output = (model as unknown as (ids: Tensor, options: object) => { logits: Tensor; loss: Tensor } | BertQuestionAnsweringOutput)(input_ids!, { attention_mask, token_type_ids, ...given });
      const diffs: Record<string, number> = {
        last_hidden_state: maxDiff(encoded.last_hidden_state, reference.last_hidden_state!),
        logits: maxDiff(scores(output), reference.logits!),
        plain_logits: maxDiff(scores((model as unknown as (ids: Tensor) => { logits: Tensor })(input_ids!)), reference.plain_logits!),
        loss: Math.abs((output.loss!.item() as number) - (reference.loss!.item() as number)),
      };
      if (reference.pooler_output !== undefined) diffs.pooler_output = maxDiff(encoded.pooler_output!, reference.pooler_output);
      console.log(`BERT ${name}: max |ours - transformers'|`, diffs);
      for (const diff of Object.values(diffs)) expect(diff).toBeLessThanOrEqual(1e-5);
    });
  }

  it("skips older files' embeddings.position_ids and token_type_ids buffers, and hf_save's folder loads back", () => {
    const legacy = join(folder, 'legacy');
    cpSync(join(folder, 'classifier'), legacy, { recursive: true });
    const { tensors } = torch_load_safetensors(join(legacy, 'model.safetensors'));
    const buffers = {
      'bert.embeddings.position_ids': torch_arange(0, 64, 1, { dtype: 'int64' }).unsqueeze(0),
      'bert.embeddings.token_type_ids': torch_zeros([1, 64], { dtype: 'int64' }),
    };
    torch_save_safetensors({ ...tensors, ...buffers }, join(legacy, 'model.safetensors'));
    const reference = torch_load_safetensors(join(legacy, 'reference.safetensors')).tensors as Record<string, Tensor>;
    const model = hf_load<BertForSequenceClassification>(legacy);
    expect(model.hf_class).toBe('BertForSequenceClassification');
    expect(model.config.model_type).toBe('bert'); // config.json as saved, as LlamaForCausalLM's
    const { input_ids, attention_mask, token_type_ids } = reference;
    expect(with_no_grad(() => maxDiff(model(input_ids!, { attention_mask, token_type_ids }).logits, reference.logits!))).toBeLessThanOrEqual(1e-5);
    // hf_save writes what hf_load reads back (and without the old buffers).
    hf_save(model, join(folder, 'saved'));
    const again = hf_load<BertForSequenceClassification>(join(folder, 'saved'));
    expect(with_no_grad(() => maxDiff(again(input_ids!, { attention_mask, token_type_ids }).logits, reference.logits!))).toBeLessThanOrEqual(1e-5);
  });
});
