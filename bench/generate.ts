// `npm run bench:generate`: greedy generation with the KV cache, tokens per second, torchlora's
// generate beside transformers' on the same libtorch, on a random Llama of hidden 256 and 4
// layers (8 heads, 4 key/value heads, vocabulary 8000; bench/generate.py makes it), prompts of
// 32 tokens. Ours runs before and after transformers' (one process for all its rounds); best
// round of each. Both must produce the same tokens.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate, hf_load, torch_arange, torch_set_num_threads, type LlamaForCausalLM } from '../src/index.js';
import { PYTHON as python } from './python.js';

const here = dirname(fileURLToPath(import.meta.url));
const script = existsSync(join(here, 'generate.py')) ? join(here, 'generate.py') : join(here, '..', '..', 'bench', 'generate.py');
const env = { ...process.env, OMP_NUM_THREADS: '1', HF_HUB_OFFLINE: '1', TRANSFORMERS_VERBOSITY: 'error', HF_HUB_DISABLE_PROGRESS_BARS: '1' };
// The thread counts to measure, as bench/hf_lora.ts takes them (BENCH_THREADS=1,2).
const threadCounts = (process.env.BENCH_THREADS ?? '1,2').split(',').map(Number);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const newTokens = 64;

function ours(model: LlamaForCausalLM, batch: number): { seconds: number; tokens: number[][] } {
  const ids = torch_arange(0, 32 * batch, 1, { dtype: 'int64' }).reshape(batch, 32).remainder(7919).add(1);
  let seconds = Infinity;
  let tokens: number[][] = [];
  for (let round = 0; round < rounds; round += 1) {
    const start = performance.now();
    const out = generate(model, ids, { max_new_tokens: newTokens, eos_token_id: null });
    seconds = Math.min(seconds, (performance.now() - start) / 1000);
    tokens = out.index(':', '32:').to_array() as number[][];
    out.dispose();
  }
  return { seconds, tokens };
}

const dir = mkdtempSync(join(tmpdir(), 'torchlora-generate-'));
try {
  execFileSync(python, [script, 'make', dir], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const model = hf_load<LlamaForCausalLM>(dir);
  for (const threads of threadCounts) {
    torch_set_num_threads(threads);
    console.log(`greedy generate, ${newTokens} new tokens after 32, ${threads} thread(s): tokens/s (all rows), ours / transformers`);
    for (const batch of [1, 4]) {
      const first = ours(model, batch);
      const theirs = JSON.parse(execFileSync(python, [script, 'run', dir, String(threads), String(rounds), String(newTokens), String(batch)], { env, encoding: 'utf8' }).trim().split('\n').pop()!) as { seconds: number; tokens: number[][] };
      const second = ours(model, batch);
      const seconds = Math.min(first.seconds, second.seconds);
      const rate = (s: number): string => (batch * newTokens / s).toFixed(0);
      const same = JSON.stringify(first.tokens) === JSON.stringify(theirs.tokens) ? 'same tokens' : 'DIFFERENT TOKENS';
      console.log(`batch ${batch}: ${rate(seconds)} / ${rate(theirs.seconds)} tokens/s = ${(theirs.seconds / seconds).toFixed(2)}x transformers' speed (${same})`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
