// `npm run bench:hf-lora`: one LoRA training step on a Hugging Face Llama (hidden 256, 4 layers,
// 8 heads sharing 4 key/value heads, vocabulary 8000; bench/hf_lora.py makes it): forward of a
// batch of 8 x 64 token ids, the causal-LM loss, backward, AdamW on the adapters of q/k/v/o
// (r 8, alpha 16). Beside transformers + peft on the same libtorch and the same checkpoint,
// alternating (ours, theirs) round by round, at 1 and 2 threads; best of each side. The first
// step's losses must agree: both sides compute the same model.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  hf_causal_lm_loss, hf_load, lora_apply, lora_parameters, optim_adamw, torch_manual_seed, torch_randint, torch_scope, torch_set_num_threads,
  type LlamaForCausalLM,
} from '../src/index.js';
import { writeChart } from './chart.js';
import { PYTHON as python } from './python.js';

const here = dirname(fileURLToPath(import.meta.url));
const script = existsSync(join(here, 'hf_lora.py')) ? join(here, 'hf_lora.py') : join(here, '..', '..', 'bench', 'hf_lora.py');
const env = { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_VERBOSITY: 'error' };
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const steps = Number(process.env.BENCH_STEPS ?? 10);
const threadCounts = (process.env.BENCH_THREADS ?? '1,2').split(',').map(Number);
// Must match bench/hf_lora.py.
const [BATCH, SEQ, VOCAB] = [8, 64, 8000];

/** Best of 3 timings of `steps` LoRA steps, ms per step, and the first step's loss. */
function ours(model: LlamaForCausalLM): { ms: number; loss: number } {
  torch_manual_seed(0);
  const ids = torch_randint(0, VOCAB, [BATCH, SEQ]);
  const optimizer = optim_adamw(lora_parameters(model), { lr: 1e-4, weight_decay: 0.01 });
  const losses: number[] = [];
  const step = (): void => torch_scope(() => {
    const loss = hf_causal_lm_loss(model(ids).logits, ids);
    loss.backward();
    optimizer.step();
    optimizer.zero_grad();
    losses.push(loss.item() as number);
  });
  step();
  let ms = Infinity;
  for (let repeat = 0; repeat < 3; repeat++) {
    const start = performance.now();
    for (let i = 0; i < steps; i++) step();
    ms = Math.min(ms, (performance.now() - start) / steps);
  }
  return { ms, loss: losses[0]! };
}

const dir = mkdtempSync(join(tmpdir(), 'torchlora-hf-lora-'));
try {
  execFileSync(python, [script, 'make', dir], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  console.log(`LoRA training step (q/k/v/o, r 8) on a Llama of hidden 256 x 4 layers, batch ${BATCH} x ${SEQ}: ms per step, best of ${rounds} alternating rounds`);
  const cases = [];
  for (const threads of threadCounts) {
    torch_set_num_threads(threads);
    const results = { ours: Infinity, theirs: Infinity };
    for (let round = 0; round < rounds; round++) {
      // A fresh model and adapter each round, as the Python side's process has.
      const model = hf_load<LlamaForCausalLM>(dir);
      model.train();
      lora_apply(model, { target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'], r: 8, alpha: 16 });
      const mine = ours(model);
      const theirs = JSON.parse(execFileSync(python, [script, 'run', dir, String(threads), String(steps)], { env: { ...env, OMP_NUM_THREADS: String(threads) }, encoding: 'utf8' })) as { ms: number; loss: number };
      if (Math.abs(mine.loss - theirs.loss) > 1e-4 * Math.abs(theirs.loss)) throw new Error(`the first losses differ: ours ${mine.loss}, transformers' ${theirs.loss}`);
      results.ours = Math.min(results.ours, mine.ms);
      results.theirs = Math.min(results.theirs, theirs.ms);
    }
    console.log(`${threads} thread(s): torchlora ${results.ours.toFixed(1)} ms, transformers + peft ${results.theirs.toFixed(1)} ms, ratio ${(results.ours / results.theirs).toFixed(2)}`);
    cases.push({ label: `${threads} thread(s)`, values: { torchlora: results.ours, 'transformers + peft': results.theirs } });
  }
  writeChart({ name: 'hf_lora', title: 'LoRA step on a Hugging Face Llama (hidden 256, 4 layers, batch 8 x 64)', unit: 'ms per step', series: ['torchlora', 'transformers + peft'], cases });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
