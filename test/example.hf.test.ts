// The Hugging Face example end to end, briefly: it makes a tokenizer and a small Llama in
// Hugging Face's format, pre-trains it a few steps, fine-tunes a LoRA, samples, and saves an
// adapter for AutoPeftModelForCausalLM. Python's transformers and peft then open what it wrote,
// as the example tells the user to, and must agree with torchlora on token ids and logits.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hf_load, hf_tokenizer, lora_load, torch_load_safetensors, torch_tensor, with_no_grad, type LlamaForCausalLM } from '../src/index.js';
import { describe_with_hf, run_hf_python } from './hf/harness.js';

const ROOT = join(import.meta.dirname, '..');
const out = mkdtempSync(join(tmpdir(), 'torchlora-hf-example-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));
const base = join(out, 'base');
const adapter = join(out, 'adapter');

describe('npm run example:hf', () => {
  it('makes a model, fine-tunes a LoRA and prints its report', () => {
    const result = spawnSync(process.execPath, [join(ROOT, 'dist', 'examples', 'hf-lora.js'), '--steps', '4', '--lora-steps', '3', '--batch', '2',
      '--length', '32', '--samples', '1', '--new-tokens', '4', '--threads', '1', '--out', out], { encoding: 'utf8', timeout: 300_000 });
    expect(result.status, result.stderr).toBe(0);
    for (const line of ['making a base model from 123 addresses of 1900-2021', 'pre-trained 4 steps', `saved in Hugging Face's format: ${base}`,
      'the base model continues the prompt:', 'held-out loss on 1790-1860 before the LoRA', 'LoRA: 3 steps', 'held-out loss on 1790-1860 after the LoRA',
      'with the adapter:', `adapter saved in PEFT's format: ${adapter}`, `AutoPeftModelForCausalLM.from_pretrained(${JSON.stringify(adapter)})`]) {
      expect(result.stdout).toContain(line);
    }
  }, 300_000);

  it('writes a Hugging Face model folder and an adapter config AutoPeftModel can follow', () => {
    for (const file of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) expect(existsSync(join(base, file)), file).toBe(true);
    const config = JSON.parse(readFileSync(join(adapter, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(config.base_model_name_or_path).toBe(base);
    expect(config.task_type).toBe('CAUSAL_LM');
  });
});

describe('npm run example:hf -- with a bad flag', () => {
  it('says so in one line and exits 2 before doing any work', async () => {
    const scratch = join(out, 'flags');
    mkdirSync(join(scratch, 'bert'), { recursive: true });
    writeFileSync(join(scratch, 'bert', 'config.json'), '{"model_type": "bert"}');
    writeFileSync(join(scratch, 'bert', 'tokenizer.json'), '{}');
    writeFileSync(join(scratch, 'file'), '');
    const run = (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> => new Promise((done) => {
      const child = spawn(process.execPath, [join(ROOT, 'dist', 'examples', 'hf-lora.js'), ...args]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => { stdout += chunk; });
      child.stderr.on('data', (chunk: Buffer) => { stderr += chunk; });
      child.on('exit', (code) => done({ code, stdout, stderr }));
    });
    const help = '\\(--help lists the flags\\)';
    const cases: [string[], RegExp][] = [
      [['--frobnicate'], new RegExp(`^Unknown option '--frobnicate'.*${help}\\n$`)],
      [['--seed', '1', 'extra'], new RegExp(`^Unexpected argument 'extra'.*${help}\\n$`)],
      // A bad number anywhere, even in a flag used last (the LoRA's learning rate, the samples' length).
      [['--lora-lr', 'fast'], /^--lora-lr must be a number >= 0, got fast\n$/],
      [['--new-tokens', '2.5', '--steps', '4'], /^--new-tokens must be an integer >= 1, got 2.5\n$/],
      [['--out', join(scratch, 'file')], new RegExp(`^--out must be a folder \\(or a path for a new one\\), got .*file, a file ${help}\\n$`)],
      [['--model', join(scratch, 'nowhere')], new RegExp(`^--model must be a folder, got .*nowhere \\(no such folder\\) ${help}\\n$`)],
      [['--model', scratch], new RegExp(`^--model must be a Hugging Face model folder with config.json, got .* \\(it has no config.json\\) ${help}\\n$`)],
      [['--model', join(scratch, 'bert')], new RegExp(`^--model must hold a llama, mistral, qwen2, gpt2 model, got model_type "bert" in .*config.json ${help}\\n$`)],
    ];
    const results = await Promise.all(cases.map(([args]) => run(args)));
    cases.forEach(([args, message], i) => expect({ args, ...results[i] }).toEqual({ args, code: 2, stdout: '', stderr: expect.stringMatching(message) }));
  }, 120_000);
});

describe_with_hf('the example\'s files in transformers and peft', () => {
  it('give Python\'s token ids and, with the adapter, PEFT\'s logits', async () => {
    const sentence = 'Fellow-Citizens of the Senate and House of Representatives: déjà vu, 1790!';
    const file = join(out, 'python.safetensors');
    run_hf_python('example_check.py', [base, adapter, sentence, file]);
    const { tensors } = torch_load_safetensors(file);
    const ids = await hf_tokenizer(base).encode(sentence);
    expect(ids).toEqual((tensors.ids!.to_array() as number[][])[0]);
    const model = lora_load(hf_load<LlamaForCausalLM>(base), adapter);
    const logits = with_no_grad(() => model(torch_tensor([ids], { dtype: 'int64' })).logits);
    // Another process and thread count than Python's: equal within float32 rounding.
    expect(logits.sub(tensors.with_adapter!).abs().max().item()).toBeLessThan(1e-5);
    // The adapter changed the model, so the comparison above tested it.
    expect(tensors.with_adapter!.sub(tensors.without!).abs().max().item()).toBeGreaterThan(1e-4);
  });
});
