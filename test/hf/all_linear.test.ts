// target_modules: "all-linear" on transformers' models takes the layers PEFT takes: every linear
// and Conv1D layer but the output layer (get_output_embeddings()), checked against PEFT itself.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hf_load, lora_apply, lora_layers, nn_linear, nn_Module } from '../../src/index.js';
import { describe_with_hf, run_hf_python } from './harness.js';

describe_with_hf('"all-linear" on Hugging Face models, as PEFT selects', () => {
  const dir = mkdtempSync(join(tmpdir(), 'torchlora-all-linear-'));
  let targets: Record<string, string[]>;
  beforeAll(() => {
    run_hf_python('all_linear_reference.py', [dir]);
    targets = JSON.parse(readFileSync(join(dir, 'targets.json'), 'utf8')) as Record<string, string[]>;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const name of ['llama', 'gpt2', 'bert']) {
    it(`adapts PEFT's layers of ${name}, leaving out its output layer`, () => {
      const model = lora_apply(hf_load(join(dir, name)), { target_modules: 'all-linear', r: 2 });
      expect(lora_layers(model).map(([path]) => path).sort()).toEqual(targets[name]);
    });
  }

  it('leaves a model without get_output_embeddings as it was: every linear layer', () => {
    class Net extends nn_Module {
      body = nn_linear(4, 4);
      head = nn_linear(4, 2);
    }
    expect(lora_layers(lora_apply(new Net(), { target_modules: 'all-linear', r: 2 })).map(([path]) => path)).toEqual(['body', 'head']);
  });
});
