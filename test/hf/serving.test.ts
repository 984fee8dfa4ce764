// Hugging Face models beyond one forward: PEFT adapters served by lora_server on an hf_load
// Llama (mixed-adapter batches and generate, against PEFT's `adapter_names=`), a LoRA trained on
// one in a start_job (against the same loop on this thread), and transformers' head swap (a
// sequence classifier opened from pre-trained BERT checkpoints, against transformers'
// from_pretrained and its loading report). Python's side: serving_reference.py.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  hf_load, lora_apply, lora_config, lora_layers, lora_save, lora_server, ModulesToSaveWrapper, torch_cat, torch_load_safetensors, torch_save_safetensors, with_no_grad,
  type BertForSequenceClassification, type LlamaForCausalLM, type Tensor,
} from '../../src/index.js';
import { describe_with_hf, run_hf_python } from './harness.js';

const TOLERANCE = 1e-5;
const ROWS = ['alpha', null, 'beta', 'alpha'];
const HF_JOB = new URL('../jobs/hf_lora.mjs', import.meta.url);

const maxDiff = (a: Tensor, b: Tensor): number => {
  expect(a.shape).toEqual(b.shape);
  return a.sub(b).abs().max().item() as number;
};

/** The warnings `fn` emits (process.emitWarning reports them on a later tick). */
async function warningsOf<T>(fn: () => T): Promise<{ value: T; warnings: Error[] }> {
  const warnings: Error[] = [];
  const listen = (warning: Error): void => { warnings.push(warning); };
  process.on('warning', listen);
  try {
    const value = fn();
    await new Promise((resolve) => setImmediate(resolve));
    return { value, warnings };
  } finally {
    process.off('warning', listen);
  }
}

describe_with_hf('Hugging Face models served, trained in a job, and given a new head', () => {
  let out = '';
  let io: Record<string, Tensor> = {};
  let report: Record<string, { missing: string[]; unexpected: string[]; id2label: Record<string, string> }> = {}; // and seq_cls
  const served = () => {
    const server = lora_server(hf_load<LlamaForCausalLM>(join(out, 'llama')));
    server.load('alpha', join(out, 'alpha'));
    server.load('beta', join(out, 'beta'));
    return server;
  };

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'torchlora-hf-serving-'));
    run_hf_python('serving_reference.py', ['make', out]);
    io = torch_load_safetensors(join(out, 'io.safetensors')).tensors;
    report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  }, 600_000);
  afterAll(() => {
    if (out !== '') rmSync(out, { recursive: true, force: true });
  });

  it("lora_server gives PEFT's mixed-adapter logits, requests batched together, with and without an attention mask", async () => {
    const server = served();
    const ids = io.ids!;
    // Two requests in the same turn of the event loop run as one batch of four rows.
    const [head, tail] = await Promise.all([server.predict(ids.index('0:2'), ROWS.slice(0, 2)), server.predict(ids.index('2:4'), ROWS.slice(2))]);
    expect(maxDiff(torch_cat([head!, tail!], 0), io.mixed_logits!)).toBeLessThanOrEqual(TOLERANCE);
    expect(maxDiff(await server.predict(ids, ROWS, { attention_mask: io.mask! }), io.masked_logits!)).toBeLessThanOrEqual(TOLERANCE);
    for (const name of ['alpha', 'beta']) expect(maxDiff(await server.predict(ids, name), io[`${name}_logits`]!)).toBeLessThanOrEqual(TOLERANCE);
    expect(() => server.predict(ids, ROWS, { attention_mask: io.mask!.index(':', '0:3') })).toThrow(/rows x positions tensor \(4 x 7, as input\) for attention_mask/);
    expect(() => server.predict(ids, ROWS, { attention_mask: io.mask!, mask: null } as never)).toThrow(/mask/);
  });

  it("generate continues each row with its own adapter: PEFT's greedy tokens, left padding included", async () => {
    const server = served();
    const options = { attention_mask: io.prompt_mask!, max_new_tokens: 8, pad_token_id: 0, eos_token_id: null };
    const pending = server.generate(io.prompts!, ROWS, options);
    // A replacement loaded after the request arrived is not the one it runs with.
    server.load('alpha', join(out, 'beta'));
    expect(server.in_use('alpha')).toBe(1);
    expect((await pending).to_array()).toEqual(io.generated!.to_array());
    expect(server.in_use('alpha')).toBe(0);
    await expect(server.generate(io.prompts!, ROWS, { max_new_tokens: 0 })).rejects.toThrow(/max_new_tokens/);
    expect(() => server.generate(io.prompts!.index(0), 'alpha')).toThrow(RangeError);
  });

  it('trains a LoRA on an hf_load Llama in a start_job, bit for bit the same loop on this thread', { timeout: 120_000 }, async () => {
    // The job module imports the built package (dist), as a user's would: the job is started,
    // and its tensors made, with that package too.
    const built = await import('../../dist/src/index.js');
    const long = (tensor: Tensor) => built.torch_tensor(tensor.to_array(), { dtype: 'int64' });
    const input = { dir: join(out, 'llama'), ids: long(io.ids!), mask: long(io.mask!), seed: 7, steps: 4 };
    const job = built.start_job<Record<string, Tensor>>(HF_JOB, { input, threads: 1, progress_interval_ms: 0 });
    const losses: number[] = []; // by step (the last step is reported again when the job ends)
    job.on('progress', (progress) => { losses[progress.step - 1] = progress.loss!; });
    const trained = await job.result;
    const { train } = (await import(HF_JOB.href)) as { train: (input: unknown, report: (loss: Tensor) => void) => { state_dict(): Record<string, Tensor> } };
    const here: number[] = [];
    const model = train(input, (loss) => here.push(loss.item() as number));
    expect(losses).toEqual(here);
    expect(here[3]).toBeLessThan(here[0]!);
    const state = model.state_dict();
    const lora = Object.keys(state).filter((name) => name.includes('lora_'));
    expect(lora.length).toBe(8); // q_proj and v_proj of 2 layers, A and B
    expect(Object.keys(trained).sort()).toEqual(Object.keys(state).sort());
    for (const name of lora) expect(trained[name]!.equal(state[name]!), name).toBe(true);
  });

  for (const checkpoint of ['bert_pretraining', 'bert_mlm']) {
    it(`${checkpoint} opens as BertForSequenceClassification with num_labels 3, as transformers' from_pretrained does`, async () => {
      const { value: model, warnings } = await warningsOf(() => hf_load<BertForSequenceClassification>(join(out, checkpoint), {
        class: 'BertForSequenceClassification', config: { num_labels: 3 },
      }));
      const expected = report[checkpoint]!;
      const named = (code: string): string => warnings.find((warning) => (warning as { code?: string }).code === code)?.message ?? '';
      for (const name of expected.missing) expect(named('TORCHLORA_HF_NEW_WEIGHTS')).toContain(JSON.stringify(name));
      for (const name of expected.unexpected) expect(named('TORCHLORA_HF_UNUSED_WEIGHTS')).toContain(JSON.stringify(name));
      expect(model.num_labels).toBe(3);
      expect(model.config.id2label).toEqual(expected.id2label);
      const encoded = with_no_grad(() => model.bert(io.bert_ids!, { attention_mask: io.bert_mask! }));
      expect(maxDiff(encoded.last_hidden_state, io[`${checkpoint}_hidden`]!)).toBeLessThanOrEqual(TOLERANCE);
      if (!expected.missing.includes('bert.pooler.dense.weight')) expect(maxDiff(encoded.pooler_output!, io[`${checkpoint}_pooled`]!)).toBeLessThanOrEqual(TOLERANCE);
      // transformers' _init_weights: N(0, 0.02²) weights (96 draws: ±4 standard errors), zero biases.
      const weight = model.classifier.weight;
      expect(weight.shape).toEqual([3, 32]);
      expect(weight.std().item()).toBeGreaterThan(0.02 * (1 - 4 / Math.sqrt(2 * 96)));
      expect(weight.std().item()).toBeLessThan(0.02 * (1 + 4 / Math.sqrt(2 * 96)));
      expect(model.classifier.bias!.abs().max().item()).toBe(0);
      expect(model(io.bert_ids!, { attention_mask: io.bert_mask! }).logits.shape).toEqual([3, 3]);
    });
  }

  it("a SEQ_CLS LoRA on that classifier: PEFT's layers and saved head, and PEFT opens the adapter with its logits", () => {
    const model = hf_load<BertForSequenceClassification>(join(out, 'bert_pretraining'), { class: 'BertForSequenceClassification', config: { num_labels: 3 } });
    lora_apply(model, { task_type: 'SEQ_CLS', target_modules: 'all-linear', r: 4, lora_alpha: 8, init_lora_weights: false });
    const expected = report.seq_cls as unknown as { targets: string[]; saved: string[]; trainable: string[] };
    expect(lora_layers(model).map(([path]) => path).sort()).toEqual(expected.targets);
    expect(Object.entries(model.named_modules()).filter(([, module]) => module instanceof ModulesToSaveWrapper).map(([path]) => path)).toEqual(expected.saved);
    expect(Object.entries(model.named_parameters()).filter(([, p]) => p.requires_grad).map(([name]) => name).sort()).toEqual(expected.trainable);
    const logits = with_no_grad(() => model(io.bert_ids!, { attention_mask: io.bert_mask! }).logits);
    lora_save(model, join(out, 'ours_seq_cls'));
    expect(lora_config(join(out, 'ours_seq_cls')).task_type).toBe('SEQ_CLS');
    run_hf_python('serving_reference.py', ['check', out]);
    expect(maxDiff(logits, torch_load_safetensors(join(out, 'ours_seq_cls.safetensors')).tensors.logits!)).toBeLessThanOrEqual(TOLERANCE);
  }, 300_000);

  it('refuses a head swap onto files that lack part of a module, and keeps the same class strict', () => {
    const broken = join(out, 'bert_broken');
    mkdirSync(broken);
    copyFileSync(join(out, 'bert_pretraining', 'config.json'), join(broken, 'config.json'));
    const { tensors } = torch_load_safetensors(join(out, 'bert_pretraining', 'model.safetensors'));
    delete tensors['bert.encoder.layer.0.attention.self.query.bias'];
    torch_save_safetensors(tensors, join(broken, 'model.safetensors'));
    expect(() => hf_load(broken, { class: 'BertForSequenceClassification' })).toThrow(/missing "bert\.encoder\.layer\.0\.attention\.self\.query\.bias"/);
    // The files' own class: every name must be there, as before.
    expect(() => hf_load(join(out, 'bert_mlm'), { class: 'BertForMaskedLM', config: { num_labels: 3 } })).not.toThrow();
    expect(() => hf_load(join(out, 'bert_mlm'), { config: { hidden_act: 'nope' } })).toThrow(/hidden_act/);
    expect(() => hf_load(join(out, 'bert_mlm'), { config: [] as never })).toThrow(TypeError);
  });
});
