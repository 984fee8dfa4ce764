// The GPT example end to end, briefly (the defaults take about a minute): it trains, checkpoints
// and resumes, fine-tunes a LoRA, samples, and saves an adapter that lora_load reads back into
// a fresh model; Python's torch.load reads its checkpoint.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lora_layers, lora_load, torch_load, type Tensor } from '../src/index.js';
import { Gpt, type GptConfig } from '../examples/gpt/model.js';
import { PYTHON, describe_with_python } from './parity/harness.js';
import { parseSvg } from './svg.js';

const ROOT = join(import.meta.dirname, '..');
const out = mkdtempSync(join(tmpdir(), 'torchlora-gpt-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

let output = '';
describe('npm run example:gpt', () => {
  it('runs every phase and prints its report', () => {
    const result = spawnSync(process.execPath, [join(ROOT, 'dist', 'examples', 'gpt-lora.js'), '--steps', '40', '--lora-steps', '20', '--samples', '3',
      '--out', out, '--threads', '1', '--plot', join(out, 'loss.svg')], { encoding: 'utf8', timeout: 300_000 });
    output = result.stdout;
    expect(result.status, result.stderr).toBe(0);
    for (const line of ['pre-training on female names, first half: 20 steps', 'at step 20; resuming', 'pre-training on female names, second half: 20 steps',
      'held-out loss of the base model: female', 'LoRA fine-tuning on male names: 20 steps', 'held-out loss with the LoRA', 'LoRA samples: ']) {
      expect(output).toContain(line);
    }
    expect(output).toMatch(/LoRA: [\d,]+ trainable of [\d,]+ parameters \(\d+\.\d+%\)/);
  }, 300_000);

  it('plots its loss curves with --plot: one point per step of pre-training (both halves) and of the LoRA', () => {
    expect(parseSvg(readFileSync(join(out, 'loss.svg'), 'utf8')).polylines.map((points) => points.length)).toEqual([40, 20]);
    expect(output).toContain(`loss curves: ${join(out, 'loss.svg')}`);
  });

  it('saves an adapter that lora_load puts on a fresh model, and a checkpoint with the model\'s state', () => {
    const checkpoint = torch_load(join(out, 'gpt.pt')) as { config: GptConfig; step: number; model: Record<string, Tensor> };
    expect(checkpoint.step).toBe(20);
    const model = new Gpt(checkpoint.config);
    model.load_state_dict(checkpoint.model);
    lora_load(model, join(out, 'adapter'));
    expect(lora_layers(model).length).toBe(6 * checkpoint.config.n_layer);
  });
});

describe_with_python('the GPT checkpoint in Python', () => {
  it('torch.load reads it: the config, the step, and every weight by name', () => {
    expect(existsSync(join(out, 'gpt.pt'))).toBe(true);
    const script = `import json, sys, torch
c = torch.load(sys.argv[1])
print(json.dumps({"step": c["step"], "layers": c["config"]["n_layer"], "keys": sorted(c["model"].keys())[:3], "wte": list(c["model"]["wte.weight"].shape)}))`;
    const result = spawnSync(PYTHON, ['-c', script, join(out, 'gpt.pt')], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const seen = JSON.parse(result.stdout) as { step: number; layers: number; keys: string[]; wte: number[] };
    expect(seen.step).toBe(20);
    expect(seen.layers).toBe(2);
    expect(seen.keys).toEqual(['blocks.0.attn.c_proj.bias', 'blocks.0.attn.c_proj.weight', 'blocks.0.attn.k_proj.bias']);
    expect(seen.wte[1]).toBe(64);
  });
});
