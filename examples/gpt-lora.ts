// A small GPT, pre-trained on female first names and fine-tuned with LoRA on male ones, written
// the way a PyTorch user writes it (examples/gpt/: the model, the data, the training loop; its
// Python twin is bench/gpt.py). `npm run example:gpt -- --help` lists the flags.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  lora_apply, lora_parameter_counts, lora_save, torch_load, torch_manual_seed, torch_randperm, torch_save, torch_set_num_threads, type AdamOptions,
  type OptimizerStateDict, type Tensor,
} from '../src/index.js';
import { lossCurveSvg, sparkline } from '../bench/chart.js';
import { encodeNames, readNames, sampleNames, Vocabulary, type SamplingOptions } from './gpt/data.js';
import { Gpt, type GptConfig } from './gpt/model.js';
import { evaluate, train, type TrainingRun, type TrainingSettings } from './gpt/train.js';
import { numberFlag } from './cli.js';
import { formatR, Progress } from './progress.js';

const USAGE = `Usage: npm run example:gpt -- [flags]

Pre-trains a character-level GPT on 4,951 female first names, saves a checkpoint with
torch_save and resumes from it, then freezes it and fine-tunes a LoRA of the attention and
MLP projections on 3,898 male first names; prints held-out losses and sampled names before
and after, and saves the adapter in PEFT's format.

  --steps N        pre-training steps (1500)
  --lora-steps N   LoRA fine-tuning steps (600)
  --batch N        batch size (64)
  --layers N       transformer blocks (2)
  --heads N        attention heads (4)
  --embd N         embedding size (64)
  --lr X           peak learning rate (0.003)
  --rank R         LoRA rank (8)
  --alpha A        LoRA alpha (16)
  --temperature T  sampling temperature (0.8)
  --top-k K        sample among the K likeliest characters; 0 for all (10)
  --top-p P        sample from the nucleus of probability P; 1 for all (0.95)
  --samples N      names sampled before and after the LoRA (8)
  --out DIR        where the checkpoint and the adapter go (a new temporary folder)
  --plot FILE      write the loss curves, one point per step, to FILE (SVG) and print them as sparklines
  --seed S         torch_manual_seed (1)
  --threads T      libtorch intra-op threads (libtorch's default)
  --help           this text`;

const { values: flags } = parseArgs({
  options: {
    steps: { type: 'string', default: '1500' }, 'lora-steps': { type: 'string', default: '600' }, batch: { type: 'string', default: '64' },
    layers: { type: 'string', default: '2' }, heads: { type: 'string', default: '4' }, embd: { type: 'string', default: '64' },
    lr: { type: 'string', default: '0.003' }, rank: { type: 'string', default: '8' }, alpha: { type: 'string', default: '16' },
    temperature: { type: 'string', default: '0.8' }, 'top-k': { type: 'string', default: '10' }, 'top-p': { type: 'string', default: '0.95' },
    samples: { type: 'string', default: '8' }, out: { type: 'string' }, plot: { type: 'string' }, seed: { type: 'string', default: '1' }, threads: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}

const number = (name: keyof typeof flags, { integer = true, min = 0 } = {}): number => numberFlag(flags, name, { integer, min });

if (flags.threads !== undefined) torch_set_num_threads(number('threads', { min: 1 }));
const out = flags.out ?? mkdtempSync(join(tmpdir(), 'torchlora-gpt-'));
mkdirSync(out, { recursive: true });
const sampling: SamplingOptions = { temperature: number('temperature', { integer: false, min: 1e-6 }), top_k: number('top-k'), top_p: number('top-p', { integer: false }) };
const samples = number('samples');

// ---- data ----
torch_manual_seed(number('seed'));
const female = readNames('female');
const male = readNames('male');
const vocabulary = new Vocabulary([...female, ...male]);
const blockSize = Math.max(...[...female, ...male].map((name) => name.length)) + 1;

/** 90% of the names to train on, 10% held out, in an order drawn from the generator. */
function split(names: string[]): { train: { x: Tensor; y: Tensor }; heldOut: { x: Tensor; y: Tensor } } {
  const { x, y } = encodeNames(names, vocabulary, blockSize);
  const order = torch_randperm(names.length);
  const cut = Math.floor(names.length * 0.9);
  const rows = (from: string) => order.index(from);
  return {
    train: { x: x.index(rows(`0:${cut}`)), y: y.index(rows(`0:${cut}`)) },
    heldOut: { x: x.index(rows(`${cut}:`)), y: y.index(rows(`${cut}:`)) },
  };
}
const females = split(female);
const config: GptConfig = {
  vocab_size: vocabulary.size, block_size: blockSize, n_layer: number('layers', { min: 1 }), n_head: number('heads', { min: 1 }),
  n_embd: number('embd', { min: 1 }), dropout: 0.1,
};
const firstModel = new Gpt(config);
const males = split(male);

const settings = (steps: number): TrainingSettings => ({
  steps, batch_size: number('batch', { min: 1 }), lr: number('lr', { integer: false }), weight_decay: 0.1, warmup: Math.ceil(steps / 20), clip: 1,
});

function trainWithProgress(label: string, net: Gpt, x: Tensor, y: Tensor, steps: number, run: TrainingRun = {}) {
  const progress = new Progress(steps, 'step');
  const started = performance.now();
  const result = train(net, x, y, settings(steps), { ...run, onStep: (step, loss) => progress.tick(step, loss) });
  progress.done();
  const seconds = (performance.now() - started) / 1000;
  const { losses } = result;
  console.log(`${label}: ${losses.length} steps in ${seconds.toFixed(1)} s, loss ${formatR(losses[0]!)} -> ${formatR(losses.at(-1)!)}`);
  return result;
}

const heldOutLosses = (): string =>
  `female ${formatR(evaluate(model, females.heldOut.x, females.heldOut.y))}, male ${formatR(evaluate(model, males.heldOut.x, males.heldOut.y))}`;


console.log(`${female.length} female and ${male.length} male names, ${vocabulary.size} characters, context ${blockSize}`);
console.log(`GPT: ${config.n_layer} blocks, ${config.n_head} heads, ${config.n_embd} features, ${lora_parameter_counts(firstModel).total.toLocaleString('en-US')} parameters`);

// ---- pre-training: the first half, a checkpoint, and a fresh process's resume ----
const steps = number('steps', { min: 2 });
const half = Math.floor(steps / 2);
const first = trainWithProgress('pre-training on female names, first half', firstModel, females.train.x, females.train.y, steps, { until: half });
const checkpoint = join(out, 'gpt.pt');
torch_save({ config: { ...config }, step: half, model: firstModel.state_dict(), optimizer: first.optimizer.state_dict() }, checkpoint);
// What a new process does: a fresh model and optimizer take the checkpoint's state (Python reads
// the same file with torch.load), and training goes on from its step.
const saved = torch_load(checkpoint) as { step: number; model: Record<string, Tensor>; optimizer: OptimizerStateDict<AdamOptions> };
const model = new Gpt(config);
model.load_state_dict(saved.model);
console.log(`checkpoint ${checkpoint} at step ${saved.step}; resuming`);
const second = trainWithProgress('pre-training on female names, second half', model, females.train.x, females.train.y, steps, { from: saved.step, optimizer_state: saved.optimizer });
console.log(`held-out loss of the base model: ${heldOutLosses()}`);
console.log(`base model samples: ${sampleNames(model, vocabulary, blockSize, samples, sampling).join(', ')}`);

// ---- LoRA on the attention and MLP projections of the frozen model ----
lora_apply(model, { target_modules: ['q_proj', 'k_proj', 'v_proj', 'c_proj', 'fc', 'proj'], r: number('rank', { min: 1 }), alpha: number('alpha', { integer: false }) });
const counts = lora_parameter_counts(model);
console.log(`LoRA: ${counts.trainable.toLocaleString('en-US')} trainable of ${counts.total.toLocaleString('en-US')} parameters (${((100 * counts.trainable) / counts.total).toFixed(2)}%)`);
const tuned = trainWithProgress('LoRA fine-tuning on male names', model, males.train.x, males.train.y, number('lora-steps', { min: 2 }));
console.log(`held-out loss with the LoRA: ${heldOutLosses()}`);
console.log(`LoRA samples: ${sampleNames(model, vocabulary, blockSize, samples, sampling).join(', ')}`);
lora_save(model, join(out, 'adapter'));
console.log(`adapter saved in PEFT's format: ${join(out, 'adapter')}`);
if (flags.plot !== undefined) {
  const curves = { 'pre-training (resumed at the checkpoint)': [...first.losses, ...second.losses], 'LoRA fine-tuning': tuned.losses };
  writeFileSync(flags.plot, lossCurveSvg(curves, { title: 'GPT on first names: training loss per step' }));
  for (const [phase, losses] of Object.entries(curves)) console.log(`${sparkline(losses)}  ${phase}, ${losses.length} steps`);
  console.log(`loss curves: ${flags.plot}`);
}
