// The Hugging Face example's command-line flags, every one checked before any work starts (no
// model is made, loaded or trained with a flag still unread): a bad one is said in one line on
// stderr, exit code 2, as the other examples do.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { flagError, numberFlag, parseStringFlags } from '../cli.js';

export const USAGE = `Usage: npm run example:hf -- [flags]

Fine-tunes a LoRA of a Hugging Face causal language model on the State of the Union addresses
of 1790-1860 and saves it as PEFT does. Without --model it first makes the model: a BPE
tokenizer and a small Llama trained on the addresses of 1900-2021, saved in Hugging Face's format.

  --model DIR      a local Llama, Mistral, Qwen2 or GPT-2 folder (config.json, model.safetensors
                   and tokenizer.json, as save_pretrained writes them); none: make one
  --steps N        pre-training steps of the model made here (400)
  --lora-steps N   LoRA steps (150)
  --batch N        windows per micro-batch (8); --accumulate N micro-batches per step (2)
  --length N       tokens per window (128)
  --rank R         LoRA rank (8); --alpha A LoRA alpha (16)
  --lr X           pre-training learning rate (0.003); --lora-lr X (0.002)
  --samples N      samples before and after the LoRA (2); --new-tokens N tokens each (40)
  --out DIR        where the model and the adapter go (a new temporary folder)
  --seed S         torch_manual_seed (1); --threads T libtorch threads (libtorch's default)
  --help           this text`;

/** The model types the example fine-tunes (its LoRA targets name their projections). */
const MODEL_TYPES = ['llama', 'mistral', 'qwen2', 'gpt2'];

export interface HfExampleFlags {
  /** The --model folder, resolved and checked; null: the example makes its own. */
  model: string | null;
  /** The --out folder (it may not exist yet); null: a new temporary folder. */
  out: string | null;
  steps: number;
  loraSteps: number;
  batch: number;
  accumulate: number;
  length: number;
  rank: number;
  alpha: number;
  lr: number;
  loraLr: number;
  samples: number;
  newTokens: number;
  seed: number;
  threads: number | null;
}

const fail = flagError;

/** A --model folder the example can open: a folder with a config.json of a model type it fine-tunes, and a tokenizer.json. */
function modelFolder(dir: string): string {
  const path = resolve(dir);
  if (!existsSync(path) || !statSync(path).isDirectory()) fail(`--model must be a folder, got ${dir} (${existsSync(path) ? 'not a folder' : 'no such folder'})`);
  for (const file of ['config.json', 'tokenizer.json']) {
    if (!existsSync(join(path, file))) fail(`--model must be a Hugging Face model folder with ${file}, got ${dir} (it has no ${file})`);
  }
  let modelType: unknown;
  try {
    modelType = (JSON.parse(readFileSync(join(path, 'config.json'), 'utf8')) as { model_type?: unknown }).model_type;
  } catch (error) {
    return fail(`--model's config.json must be JSON, got ${dir}/config.json (${(error as Error).message})`);
  }
  if (typeof modelType !== 'string' || !MODEL_TYPES.includes(modelType)) {
    fail(`--model must hold a ${MODEL_TYPES.join(', ')} model, got model_type ${JSON.stringify(modelType)} in ${dir}/config.json`);
  }
  return path;
}

/** The flags of `args`; --help prints the usage and exits 0; a bad flag exits 2 with one line. */
export function parseFlags(args: string[]): HfExampleFlags {
  const values = parseStringFlags(args, {
    model: undefined, steps: '400', 'lora-steps': '150', batch: '8', accumulate: '2', length: '128', rank: '8', alpha: '16', lr: '0.003',
    'lora-lr': '0.002', samples: '2', 'new-tokens': '40', out: undefined, seed: '1', threads: undefined,
  }, USAGE);
  const int = (name: string, min = 1): number => numberFlag(values, name, { min });
  const real = (name: string, min: number): number => numberFlag(values, name, { integer: false, min });
  const flags: HfExampleFlags = {
    model: null, out: null,
    steps: int('steps'), loraSteps: int('lora-steps'), batch: int('batch'), accumulate: int('accumulate'), length: int('length', 2),
    rank: int('rank'), alpha: real('alpha', 0), lr: real('lr', 0), loraLr: real('lora-lr', 0),
    samples: int('samples'), newTokens: int('new-tokens'), seed: int('seed', 0), threads: values.threads === undefined ? null : int('threads'),
  };
  if (flags.alpha === 0) fail('--alpha must be a number > 0, got 0');
  if (typeof values.out === 'string') {
    if (existsSync(values.out) && !statSync(values.out).isDirectory()) fail(`--out must be a folder (or a path for a new one), got ${values.out}, a file`);
    flags.out = resolve(values.out);
  }
  if (typeof values.model === 'string') flags.model = modelFolder(values.model);
  return flags;
}
