// Llama, Mistral and Qwen2 checkpoints made by transformers at test time (llama_reference.py):
// hf_load reads every way they are saved, the logits equal transformers' on the same ids,
// greedy generate equals transformers' token for token (left-padded batches too), hf_save's
// folders load in transformers, and bad input is refused by name.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  cuda_is_available, generate, hf_load, hf_save, lora_apply, nnf_cross_entropy, torch_save_safetensors, torch_where, torch_load_safetensors, torch_manual_seed, torch_memory_stats, torch_tensor, with_device, with_no_grad,
  LlamaForCausalLM, LlamaModel, type Tensor,
} from '../../src/index.js';
import { describe_with_hf } from './harness.js';
import { start_hf_python } from './llama_python.js';

interface CaseReference { greedy: number[][]; padded: number[][]; eos_token_id: number; eos: number[][]; sampled?: number[][] }
interface Reference { input_ids: number[][]; padded_ids: number[][]; padded_mask: number[][]; cases: Record<string, CaseReference> }

const maxDiff = (a: Tensor, b: Tensor): number => a.sub(b).abs().max().item() as number;

describe_with_hf('Hugging Face Llama family: hf_load, forward and generate against transformers', () => {
  let out = '';
  let reference: Reference;
  let expected: Record<string, Tensor>;
  let ids: Tensor;
  let padded: Tensor;
  let mask: Tensor;
  const diffs: Record<string, number> = {};

  // One Python process (importing transformers is most of its time): it makes the fixtures, says
  // "ready", then waits for the folder hf_save writes, loads it with transformers and answers.
  let python: ReturnType<typeof start_hf_python>;
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'torchlora-llama-'));
    python = start_hf_python('llama_reference.py', [out, join(out, 'saved_tied')]);
    await python.line();
    reference = JSON.parse(readFileSync(join(out, 'reference.json'), 'utf8')) as Reference;
    expected = torch_load_safetensors(join(out, 'reference.safetensors')).tensors;
    ids = torch_tensor(reference.input_ids, { dtype: 'int64' });
    padded = torch_tensor(reference.padded_ids, { dtype: 'int64' });
    mask = torch_tensor(reference.padded_mask, { dtype: 'int64' });
  }, 300_000);

  afterAll(() => {
    console.log(`max |logits - transformers'|: ${JSON.stringify(diffs, null, 1)}`);
    python?.kill();
    if (out !== '') rmSync(out, { recursive: true, force: true });
  });

  // Each case in transformers' order: forward, padded forward, then the three generate calls
  // (dynamic rope keeps its grown frequencies from call to call, in transformers and here).
  for (const name of ['llama_gqa', 'llama_tied_bias', 'mistral_window', 'qwen2_bias_window', 'rope_linear', 'rope_dynamic', 'rope_yarn', 'rope_llama3', 'rope_longrope']) {
    it(`${name}: logits within 1e-5 and greedy generate token for token`, () => {
      const model = hf_load<LlamaForCausalLM>(join(out, `${name}.safetensors`));
      const cases = reference.cases[name]!;
      with_no_grad(() => {
        const logits = model(ids).logits;
        const paddedLogits = model(padded, { attention_mask: mask }).logits;
        diffs[name] = maxDiff(logits, expected[`${name}.logits`]!);
        // Padding positions attend to nothing real; compare the tokens.
        const paddedDiff = Math.max(maxDiff(paddedLogits.index(0, '4:'), expected[`${name}.padded`]!.index(0, '4:')), maxDiff(paddedLogits.index(1), expected[`${name}.padded`]!.index(1)));
        diffs[`${name} (left-padded)`] = paddedDiff;
        expect(diffs[name]).toBeLessThanOrEqual(1e-5);
        if (expected[`${name}.packed`] !== undefined) { // transformers' packed sequences: attention stays within each
          const positions = torch_tensor([[0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5, 6]], { dtype: 'int64' }).expand(2, -1);
          diffs[`${name} (packed)`] = maxDiff(model(ids, { position_ids: positions }).logits, expected[`${name}.packed`]!);
          expect(diffs[`${name} (packed)`]).toBeLessThanOrEqual(1e-5);
          // With a cache, transformers (and so this) attends across the restart: the detection mattered.
          expect(maxDiff(model(ids, { position_ids: positions, use_cache: true }).logits, expected[`${name}.packed`]!)).toBeGreaterThan(1e-3);
        }
        expect(paddedDiff).toBeLessThanOrEqual(1e-5);
      });
      const continuation = (sequences: Tensor, prompt: number): number[][] => sequences.index(':', `${prompt}:`).to_array() as number[][];
      expect(continuation(generate(model, ids.index('0:1'), { max_new_tokens: 8, eos_token_id: null }), 12)).toEqual(cases.greedy);
      expect(continuation(generate(model, padded, { max_new_tokens: 8, attention_mask: mask }), 12)).toEqual(cases.padded);
      expect(continuation(generate(model, ids, { max_new_tokens: 8, eos_token_id: cases.eos_token_id, pad_token_id: 0 }), 12)).toEqual(cases.eos);
    });
  }

  it('reads sharded safetensors, a torch.save .bin (tied weights sharing storage), fp16 and bf16 files', () => {
    const logits = (folder: string, dtype?: 'bfloat16'): Tensor => with_no_grad(() => hf_load<LlamaForCausalLM>(join(out, folder), dtype ? { dtype } : {})(ids).logits);
    diffs['llama_gqa.sharded'] = maxDiff(logits('llama_gqa.sharded'), expected['llama_gqa.logits']!);
    diffs['llama_gqa.bin'] = maxDiff(logits('llama_gqa.bin'), expected['llama_gqa.logits']!);
    diffs['llama_tied_bias.bin'] = maxDiff(logits('llama_tied_bias.bin'), expected['llama_tied_bias.logits']!);
    diffs['llama_gqa.float16 files as float32'] = maxDiff(logits('llama_gqa.float16'), expected['llama_gqa.float16_files']!);
    const bf16 = logits('llama_gqa.bfloat16', 'bfloat16');
    expect(bf16.dtype).toBe('bfloat16');
    diffs['llama_gqa.bfloat16 computed in bfloat16'] = maxDiff(bf16.float(), expected['llama_gqa.bfloat16_model']!);
    for (const key of ['llama_gqa.sharded', 'llama_gqa.bin', 'llama_tied_bias.bin', 'llama_gqa.float16 files as float32']) expect(diffs[key]).toBeLessThanOrEqual(1e-5);
    // bfloat16 keeps 8 bits: libtorch 2's SDPA kernel gives transformers' logits exactly, the
    // reference computation (libtorch before 2.0) within 0.15 of logits up to 6.5.
    expect(diffs['llama_gqa.bfloat16 computed in bfloat16']).toBeLessThanOrEqual(0.25);
    expect(readFileSync(join(out, 'llama_gqa.sharded', 'model.safetensors.index.json'), 'utf8')).toContain('model-00002-of-');
  });

  it('samples what transformers samples from the same seed (one libtorch generator)', () => {
    const model = hf_load<LlamaForCausalLM>(join(out, 'llama_gqa.safetensors'));
    torch_manual_seed(7);
    const sampled = generate(model, ids, { max_new_tokens: 8, do_sample: true, temperature: 0.8, top_k: 20, top_p: 0.9 });
    expect(sampled.index(':', '12:').to_array()).toEqual(reference.cases.llama_gqa!.sampled);
  });

  it('trains: the loss and every gradient of a padded batch equal transformers\' (labels -100 on padding)', () => {
    const model = hf_load<LlamaForCausalLM>(join(out, 'llama_gqa.safetensors')).train();
    const logits = model(padded, { attention_mask: mask }).logits;
    const labels = torch_where(mask.eq(1), padded, -100);
    const vocab = logits.size(-1);
    const loss = nnf_cross_entropy(logits.index(':', ':-1').reshape(-1, vocab).float(), labels.index(':', '1:').reshape(-1), { ignore_index: -100 });
    loss.backward();
    diffs['llama_gqa training loss'] = Math.abs((loss.item() as number) - (expected['llama_gqa.loss']!.item() as number));
    const gradients = Object.entries(model.named_parameters()).map(([name, parameter]) => maxDiff(parameter.grad!, expected[`llama_gqa.grad.${name}`]!));
    diffs['llama_gqa gradients (max over parameters)'] = Math.max(...gradients);
    expect(gradients.length).toBe(Object.keys(expected).filter((key) => key.startsWith('llama_gqa.grad.')).length);
    expect(diffs['llama_gqa training loss']).toBeLessThanOrEqual(1e-5);
    expect(diffs['llama_gqa gradients (max over parameters)']).toBeLessThanOrEqual(1e-5);
  });

  it("takes generate's default eos and pad tokens from generation_config.json, as transformers does", () => {
    const dir = join(out, 'with_generation_config');
    cpSync(join(out, 'llama_gqa.safetensors'), dir, { recursive: true });
    const cases = reference.cases.llama_gqa!;
    writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: [cases.eos_token_id], pad_token_id: 0 }));
    const model = hf_load<LlamaForCausalLM>(dir);
    expect(generate(model, ids, { max_new_tokens: 8 }).index(':', '12:').to_array()).toEqual(cases.eos);
  });

  it('names parameters as transformers does, ties lm_head to embed_tokens, and hf_save writes what transformers loads', async () => {
    const tied = hf_load<LlamaForCausalLM>(join(out, 'llama_tied_bias.safetensors'));
    expect(tied.lm_head.weight).toBe(tied.model.embed_tokens.weight);
    const names = Object.keys(tied.state_dict());
    expect(names).toContain('model.layers.0.self_attn.q_proj.bias');
    expect(names).toContain('lm_head.weight');
    expect(names.filter((name) => name.includes('rotary'))).toEqual([]);
    const fileNames = Object.keys(torch_load_safetensors(join(out, 'llama_tied_bias.safetensors', 'model.safetensors')).tensors);
    expect(names.filter((name) => name !== 'lm_head.weight').sort()).toEqual(fileNames.sort());
    const saved = join(out, 'saved_tied');
    hf_save(tied, saved);
    writeFileSync(`${saved}.done`, '');
    const loaded = JSON.parse(await python.line()) as { class: string; logits: number[] };
    expect(loaded.class).toBe('LlamaForCausalLM');
    const ours = with_no_grad(() => tied(ids).logits.flatten());
    expect(maxDiff(ours, torch_tensor(loaded.logits))).toBeLessThanOrEqual(1e-5);
    const again = hf_load<LlamaForCausalLM>(saved);
    expect(again.lm_head.weight).toBe(again.model.embed_tokens.weight);
    expect(with_no_grad(() => maxDiff(again(ids).logits, expected['llama_tied_bias.logits']!))).toBeLessThanOrEqual(1e-5);
    // transformers' base_model_prefix: a bare model from a causal LM's files ("model." dropped, lm_head left out), and back.
    const adapted = hf_load<LlamaForCausalLM>(join(out, 'llama_gqa.safetensors'));
    lora_apply(adapted, { target_modules: ['q_proj', 'v_proj'], r: 2 });
    expect(() => hf_save(adapted, join(out, 'saved_lora'))).toThrow(/"model\.layers\.0\.self_attn\.q_proj\.base_layer\.weight".*merge_and_unload/);
    const bare = hf_load<LlamaModel>(join(out, 'llama_gqa.safetensors'), { class: 'LlamaModel' });
    expect(bare).toBeInstanceOf(LlamaModel);
    const hidden = with_no_grad(() => bare(ids).last_hidden_state);
    hf_save(bare, join(out, 'saved_bare'));
    expect(JSON.parse(readFileSync(join(out, 'saved_bare', 'config.json'), 'utf8')).architectures).toEqual(['LlamaModel']);
    expect(with_no_grad(() => hf_load<LlamaModel>(join(out, 'saved_bare'))(ids).last_hidden_state.equal(hidden))).toBe(true);
    // And a causal LM from the bare model's files: transformers' head swap makes lm_head new (serving.test.ts checks the warning).
    const headed = hf_load<LlamaForCausalLM>(join(out, 'saved_bare'), { class: 'LlamaForCausalLM' });
    expect(with_no_grad(() => headed.model(ids).last_hidden_state.equal(hidden))).toBe(true);
    expect(headed.lm_head.weight.device).toBe('cpu');
    // The default device is with_device's, as for the tensors the creation functions make; `device` overrides it.
    const load = (options: { device?: string }): LlamaForCausalLM => with_device(() => hf_load<LlamaForCausalLM>(join(out, 'llama_gqa.safetensors'), options), 'cuda');
    if (cuda_is_available()) expect(load({}).lm_head.weight.device).toMatch(/^cuda/);
    else expect(() => load({})).toThrow(/CUDA is not available/);
    expect(load({ device: 'cpu' }).lm_head.weight.device).toBe('cpu');
  });

  it('frees what generate makes: the live-tensor count is back to its baseline', () => {
    const model = hf_load<LlamaForCausalLM>(join(out, 'llama_gqa.safetensors'));
    generate(model, padded, { max_new_tokens: 2, attention_mask: mask }).dispose(); // warm: rope frequencies cached
    globalThis.gc?.(); // earlier garbage, which a collection during generate would otherwise subtract
    const before = torch_memory_stats().tensors;
    generate(model, padded, { max_new_tokens: 6, attention_mask: mask, eos_token_id: 5 }).dispose();
    torch_manual_seed(1);
    generate(model, ids, { max_new_tokens: 4, do_sample: true, top_p: 0.5 }).dispose();
    expect(torch_memory_stats().tensors).toBe(before);
  });

  it('refuses bad folders, unknown architectures, unimplemented config fields and weights that do not fit, by name', () => {
    const folder = (name: string, edit: (config: Record<string, unknown>) => void, weights = 'llama_gqa.safetensors'): string => {
      const dir = join(out, `bad_${name}`);
      cpSync(join(out, weights), dir, { recursive: true });
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
      edit(config);
      writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
      return dir;
    };
    expect(() => hf_load(join(out, 'no_such_model'))).toThrow(TypeError);
    expect(() => hf_load(join(out, 'no_such_model'))).toThrow(/no such folder/);
    mkdirSync(join(out, 'empty'));
    expect(() => hf_load(join(out, 'empty'))).toThrow(/config\.json/);
    const broken = folder('json', () => {});
    writeFileSync(join(broken, 'config.json'), '{"model_type": "llama",');
    expect(() => hf_load(broken)).toThrow(/valid JSON in .*config\.json/);
    expect(() => hf_load(folder('type', (c) => { c.model_type = 'gpt_neox'; }))).toThrow(/model_type.*"gpt_neox"/);
    expect(() => hf_load(folder('act', (c) => { c.hidden_act = 'gelu'; }))).toThrow(/hidden_act.*"gelu"/);
    expect(() => hf_load(folder('field', (c) => { c.use_parallel_residual = true; }))).toThrow(/"use_parallel_residual"/);
    // Older Llama files hold rotary inv_freq buffers (skipped, as transformers does); other extra names are refused.
    const extra = (name: string): string => {
      const dir = folder(`extra_${name.replace(/\W/g, '_')}`, () => {});
      const { tensors } = torch_load_safetensors(join(dir, 'model.safetensors'));
      torch_save_safetensors({ ...tensors, [name]: torch_tensor([1, 2, 3]) }, join(dir, 'model.safetensors'));
      return dir;
    };
    expect(hf_load(extra('model.layers.0.self_attn.rotary_emb.inv_freq'))).toBeInstanceOf(LlamaForCausalLM);
    expect(() => hf_load(extra('model.layers.0.self_attn.q_norm.weight'))).toThrow(/unexpected "model\.layers\.0\.self_attn\.q_norm\.weight"/);
    expect(() => hf_load(folder('quantized', (c) => { c.quantization_config = { quant_method: 'bitsandbytes' }; }))).toThrow(/"quantization_config"/);
    expect(hf_load(folder('qwen_mrope', (c) => { c.use_mrope = false; }, 'qwen2_bias_window.safetensors'))).toBeInstanceOf(LlamaForCausalLM);
    expect(() => hf_load(folder('qwen_mrope_on', (c) => { c.use_mrope = true; }, 'qwen2_bias_window.safetensors'))).toThrow(/use_mrope/);
    expect(() => hf_load(folder('rope', (c) => { c.rope_parameters = { rope_type: 'proportional', rope_theta: 1e4 }; }))).toThrow(/rope_type.*"proportional"/);
    expect(() => hf_load(folder('partial', (c) => { c.partial_rotary_factor = 0.5; }))).toThrow(/partial_rotary_factor/);
    expect(() => hf_load(folder('size', (c) => { c.intermediate_size = 50; }))).toThrow(/Expected shape \[\d+, \d+\] for weight "model\.layers\.0\.mlp\.\w+_proj\.weight" but the file has/);
    const tiedNow = hf_load<LlamaForCausalLM>(folder('tie', (c) => { c.tie_word_embeddings = true; })); // both names in the files: embed_tokens' values
    expect(tiedNow.lm_head.weight).toBe(tiedNow.model.embed_tokens.weight);
    expect(tiedNow.lm_head.weight.equal(torch_load_safetensors(join(out, 'llama_gqa.safetensors', 'model.safetensors')).tensors['model.embed_tokens.weight']!)).toBe(true);
    expect(() => hf_load(folder('untie', (c) => { c.tie_word_embeddings = false; }, 'llama_tied_bias.safetensors'))).toThrow(/missing "lm_head\.weight"/);
    expect(() => hf_load(join(out, 'llama_gqa.safetensors'), { dtype: 'int64' })).toThrow(RangeError);
    expect(() => hf_load(join(out, 'llama_gqa.safetensors'), { class: 'LlamaForTokenClassification' })).toThrow(/class.*LlamaForCausalLM, LlamaModel/);
  });

  it('refuses generation options that make no sense', () => {
    const model = hf_load<LlamaForCausalLM>(join(out, 'llama_gqa.safetensors'));
    expect(() => generate(model, ids, { temperature: 0.5 })).toThrow(/do_sample/);
    expect(() => generate(model, ids, { do_sample: true, temperature: 0 })).toThrow(/temperature/);
    expect(() => generate(model, ids, { do_sample: true, top_p: 0 })).toThrow(/top_p/);
    expect(() => generate(model, ids, { do_sample: true, top_k: 1.5 })).toThrow(/top_k/);
    expect(() => generate(model, ids.float())).toThrow(/int64/);
    expect(() => generate(model, padded, { attention_mask: mask.index('...', '1:') })).toThrow(/attention_mask/);
  });
});
