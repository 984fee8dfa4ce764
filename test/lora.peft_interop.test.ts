// Adapters across to Hugging Face PEFT and back, without PEFT. The comparisons with the real
// PEFT 0.21 (in the project's .venv) live in test/hf/peft.test.ts; this file keeps the checks
// that still run where the package index has no peft (some Debian 13 images) and guard the
// file format on their own:
//  - the fixture test/device/peft_check.py reads (a tiny model, its weights, an adapter saved
//    by lora_save, inputs and our outputs) must be what the code writes now (UPDATE_PEFT_FIXTURE=1
//    rewrites it): a change of the saved format shows here first;
//  - peft_check.py --without-peft with PyTorch alone: an independent reading of the files with
//    PEFT's math written out, which must give our outputs;
//  - an adapter PEFT 0.21 made (committed in test/device/peft_made by `peft_check.py FIXTURE
//    --out OUT`, or PEFT_ADAPTER_DIR=OUT for a new one) loads with lora_load and gives PEFT's output.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  lora_apply, lora_layers, lora_load, lora_parameters, lora_save, merge_and_unload, torch_load_safetensors, torch_manual_seed,
  torch_randint, torch_randn, torch_save_safetensors, with_no_grad,
} from '../src/index.js';
import { TINY, TinyNet } from './fixtures/tiny_net.js';
import { describe_with_python, run_python } from './parity/harness.js';

const COMMITTED = join(import.meta.dirname, 'device', 'peft_fixture');
const scratch = mkdtempSync(join(tmpdir(), 'torchlora-peft-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The fixture, written into `dir` from seed 0: the same bytes every time on one libtorch. */
function writeFixture(dir: string): void {
  torch_manual_seed(0);
  const model = new TinyNet();
  mkdirSync(join(dir, 'adapter'), { recursive: true });
  writeFileSync(join(dir, 'model.json'), `${JSON.stringify(TINY, null, 2)}\n`);
  torch_save_safetensors(model.state_dict(), join(dir, 'base.safetensors'));
  // Every kind of layer, a per-layer rank and alpha, and a target list PEFT must read as suffixes.
  lora_apply(model, { target_modules: ['q_proj', 'v_proj', 'embed', 'conv'], r: 2, alpha: 4, rank_pattern: { v_proj: 1 }, alpha_pattern: { conv: 2 } });
  with_no_grad(() => { for (const p of lora_parameters(model)) p.normal_(0, 0.5); });
  lora_save(model, join(dir, 'adapter'));
  const tokens = torch_randint(0, TINY.vocab, [2, 5]);
  const images = torch_randn(2, TINY.channels, 7, 7);
  const y_adapter = with_no_grad(() => model(tokens, images));
  const y_merged = with_no_grad(() => merge_and_unload(model)(tokens, images));
  torch_save_safetensors({ tokens, images, y_adapter, y_merged }, join(dir, 'io.safetensors'));
}

const files = (dir: string): string[] => ['model.json', 'base.safetensors', 'io.safetensors', ...readdirSync(join(dir, 'adapter')).map((f) => join('adapter', f))].sort();

// The committed fixture was made on another machine, whose float kernels may round the last
// bits differently (AVX2 against AVX-512, Intel against AMD). So each safetensors file must
// have exactly the same header bytes (names, dtypes, shapes, offsets, metadata: the format),
// and its values must agree within float32 rounding; text files must be identical.
const FIXTURE_TOLERANCE = { rtol: 1e-5, atol: 1e-6 };

function safetensorsHeader(bytes: Buffer): Buffer {
  return bytes.subarray(0, 8 + Number(bytes.readBigUInt64LE(0)));
}

function expectSameSafetensors(committed: string, fresh: string): void {
  expect(safetensorsHeader(readFileSync(fresh)).toString(), `${fresh}: header`).toBe(safetensorsHeader(readFileSync(committed)).toString());
  const { tensors: ours } = torch_load_safetensors(fresh);
  const { tensors: theirs } = torch_load_safetensors(committed);
  for (const [key, expected] of Object.entries(theirs)) {
    const actual = ours[key]!;
    const { rtol, atol } = FIXTURE_TOLERANCE;
    const worst = actual.sub(expected).abs().sub(expected.abs().mul(rtol)).max().item() as number;
    expect(worst, `${committed} ${key}: |ours - committed| - rtol |committed| must be <= atol`).toBeLessThanOrEqual(atol);
  }
}

describe('the PEFT fixture', () => {
  it('is what lora_save writes now (same format, values within float32 rounding)', () => {
    if (process.env.UPDATE_PEFT_FIXTURE) writeFixture(COMMITTED);
    const fresh = join(scratch, 'fixture');
    writeFixture(fresh);
    expect(files(COMMITTED)).toEqual(files(fresh));
    for (const file of files(fresh)) {
      if (file.endsWith('.safetensors')) expectSameSafetensors(join(COMMITTED, file), join(fresh, file));
      else expect(readFileSync(join(fresh, file), 'utf8'), `${file} differs: rerun with UPDATE_PEFT_FIXTURE=1`).toBe(readFileSync(join(COMMITTED, file), 'utf8'));
    }
  });
});

describe_with_python('peft_check.py without PEFT', () => {
  it("reads our adapter with PEFT's math and gets our outputs", () => {
    const report = JSON.parse(run_python('../device/peft_check.py', [COMMITTED, '--without-peft'])) as Record<string, unknown>;
    expect(report.failed).toEqual([]);
    expect(report['y_adapter max abs diff']).toBeLessThanOrEqual(1e-5);
  });
});

const peftOut = process.env.PEFT_ADAPTER_DIR ?? join(COMMITTED, '..', 'peft_made');
describe('an adapter made by PEFT', () => {
  it("loads with lora_load and computes PEFT's output", () => {
    const dir = peftOut!;
    expect(existsSync(join(dir, 'peft_adapter', 'adapter_model.safetensors'))).toBe(true);
    const { tensors: io } = torch_load_safetensors(join(dir, 'peft_io.safetensors'));
    const model = new TinyNet();
    model.load_state_dict(torch_load_safetensors(join(COMMITTED, 'base.safetensors')).tensors);
    lora_load(model, join(dir, 'peft_adapter'));
    expect(lora_layers(model).map(([path]) => path).sort()).toEqual(['blocks.0.q_proj', 'blocks.0.v_proj', 'blocks.1.q_proj', 'blocks.1.v_proj', 'conv', 'embed']);
    const y = with_no_grad(() => model(io.tokens!, io.images!));
    expect(y.sub(io.y_peft!).abs().max().item() as number).toBeLessThanOrEqual(1e-5);
  });
});
