// Hugging Face models from TypeScript: `npm run example:hf -- --help` lists the flags.
//
// Without --model, it makes its own small Llama in Hugging Face's format: a byte-level BPE
// tokenizer trained on the 20th- and 21st-century State of the Union addresses, a Llama
// pre-trained briefly on them, both saved as transformers saves them. Then, on that folder or
// on any local Llama-family or GPT-2 checkpoint given with --model, it does what a PEFT user
// does: load the model, sample, fine-tune a LoRA on the addresses of 1790-1860 (the early
// republic's style), sample again, save the adapter, and print the Python that loads it.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  generate, hf_load, hf_save, hf_tokenizer, LlamaForCausalLM, lora_apply, lora_parameter_counts, lora_save, torch_manual_seed,
  torch_set_num_threads, torch_tensor, with_no_grad,
} from '../src/index.js';
import { saveBpe, trainBpe } from './hf/bpe.js';
import { readSpeeches, TokenStream, type Speech } from './hf/data.js';
import { heldOutLoss, train, type CausalLm } from './hf/train.js';
import { parseFlags } from './hf/flags.js';
import { formatR, Progress } from './progress.js';

// Every flag is read and checked here, before anything is made, loaded or trained.
const flags = parseFlags(process.argv.slice(2));
if (flags.threads !== null) torch_set_num_threads(flags.threads);
torch_manual_seed(flags.seed);
const out = flags.out ?? mkdtempSync(join(tmpdir(), 'torchlora-hf-'));
const length = flags.length;
const batching = { batch: flags.batch, accumulate: flags.accumulate, length };
const joined = (speeches: Speech[]): string => speeches.map((speech) => speech.text).join('\n\n');

// ---- the base model: made here, or a local Hugging Face folder ----
let baseDir = flags.model ?? join(out, 'base');
if (flags.model === null) {
  mkdirSync(baseDir, { recursive: true });
  const modern = readSpeeches(1900, 2021);
  const text = joined(modern);
  console.log(`making a base model from ${modern.length} addresses of 1900-2021 (${(text.length / 1e6).toFixed(1)} M characters)`);
  const eos = saveBpe(baseDir, trainBpe(text, 4000));
  const tokenizer = hf_tokenizer(baseDir);
  const model = new LlamaForCausalLM({
    model_type: 'llama', architectures: ['LlamaForCausalLM'], vocab_size: eos + 1, hidden_size: 128, intermediate_size: 352,
    num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 512, rms_norm_eps: 1e-5,
    rope_theta: 10000, tie_word_embeddings: true, bos_token_id: eos, eos_token_id: eos,
  });
  const stream = new TokenStream((await Promise.all(modern.map((speech) => tokenizer.encode(speech.text)))).flatMap((ids) => [...ids, eos]));
  const steps = flags.steps;
  const progress = new Progress(steps, 'step');
  const started = performance.now();
  const losses = train(model as unknown as CausalLm, stream, { ...batching, steps, lr: flags.lr, weight_decay: 0.1, onStep: (step, loss) => progress.tick(step, loss) });
  progress.done();
  const seconds = (performance.now() - started) / 1000;
  console.log(`pre-trained ${steps} steps (${seconds.toFixed(1)} s) on ${stream.ids.length.toLocaleString('en-US')} tokens: loss ${formatR(losses[0]!)} -> ${formatR(losses.at(-1)!)}`);
  hf_save(model, baseDir);
  console.log(`saved in Hugging Face's format: ${baseDir}`);
  baseDir = resolve(baseDir);
}

// ---- what a PEFT user does with a base model folder ----
const model = hf_load(baseDir) as unknown as CausalLm;
const tokenizer = hf_tokenizer(baseDir);
const early = readSpeeches(1790, 1860);
const cut = Math.floor(early.length * 0.9);
const eos = tokenizer.eos_token_id;
const encode = async (speeches: Speech[]): Promise<TokenStream> =>
  new TokenStream((await Promise.all(speeches.map((speech) => tokenizer.encode(speech.text)))).flatMap((ids) => [...ids, ...(eos === null ? [] : [eos])]));
const fineTune = await encode(early.slice(0, cut));
const heldOut = (await encode(early.slice(cut))).windows(length).slice(0, 16);
console.log(`fine-tuning data: ${cut} addresses of 1790-1860 (${early[0]!.president} to ${early[cut - 1]!.president}), ${early.length - cut} held out`);

const samples = flags.samples;
const prompt = 'The state of the Union';
async function sample(label: string): Promise<void> {
  const ids = torch_tensor([await tokenizer.encode(prompt)], { dtype: 'int64' });
  const generated = with_no_grad(() => generate(model, ids.expand([samples, -1]), {
    max_new_tokens: flags.newTokens, do_sample: true, temperature: 0.8, top_k: 40, top_p: 0.95, eos_token_id: eos ?? undefined,
  }));
  console.log(`${label}:`);
  for (const text of await tokenizer.batch_decode(generated, { skip_special_tokens: true })) console.log(`  ${JSON.stringify(text)}`);
}

await sample('the base model continues the prompt');
console.log(`held-out loss on 1790-1860 before the LoRA: ${formatR(heldOutLoss(model, heldOut))}`);

lora_apply(model, { target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj', 'c_attn', 'c_proj', 'c_fc'], r: flags.rank, alpha: flags.alpha });
const counts = lora_parameter_counts(model);
console.log(`LoRA: ${counts.trainable.toLocaleString('en-US')} trainable of ${counts.total.toLocaleString('en-US')} parameters`);
const loraSteps = flags.loraSteps;
const progress = new Progress(loraSteps, 'step');
const started = performance.now();
const losses = train(model, fineTune, { ...batching, steps: loraSteps, lr: flags.loraLr, weight_decay: 0, onStep: (step, loss) => progress.tick(step, loss) });
progress.done();
console.log(`LoRA: ${loraSteps} steps (${((performance.now() - started) / 1000).toFixed(1)} s), loss ${formatR(losses[0]!)} -> ${formatR(losses.at(-1)!)}`);
console.log(`held-out loss on 1790-1860 after the LoRA: ${formatR(heldOutLoss(model, heldOut))}`);
await sample('with the adapter');

const adapterDir = join(out, 'adapter');
lora_save(model, adapterDir, { base_model_name_or_path: baseDir, task_type: 'CAUSAL_LM' });
writeFileSync(join(out, 'load_with_peft.py'), [
  'from peft import AutoPeftModelForCausalLM',
  'from transformers import AutoTokenizer',
  `model = AutoPeftModelForCausalLM.from_pretrained(${JSON.stringify(adapterDir)})`,
  `tokenizer = AutoTokenizer.from_pretrained(${JSON.stringify(baseDir)})`,
  `ids = tokenizer(${JSON.stringify(prompt)}, return_tensors="pt").input_ids`,
  'print(tokenizer.decode(model.generate(ids, max_new_tokens=40, do_sample=True, top_k=40)[0]))',
  '',
].join('\n'));
console.log(`adapter saved in PEFT's format: ${adapterDir}`);
console.log(`load it in Python (${join(out, 'load_with_peft.py')}):`);
console.log(`  model = AutoPeftModelForCausalLM.from_pretrained(${JSON.stringify(adapterDir)})`);
