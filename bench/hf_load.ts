// `npm run bench:hf-load`: peak memory of hf_load beside transformers' from_pretrained, on a
// random Llama of ~300 MB (float32) saved six ways (bench/hf_load.py makes it). Each load runs
// in a fresh process; the number is how much its peak RSS grew during the load, over the bytes
// of the loaded weights (1.00: no second copy was ever held).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hf_load, type DTypeLike } from '../src/index.js';
import { PYTHON as python } from './python.js';

const here = dirname(fileURLToPath(import.meta.url));
const script = existsSync(join(here, 'hf_load.py')) ? join(here, 'hf_load.py') : join(here, '..', '..', 'bench', 'hf_load.py');
const env = { ...process.env, OMP_NUM_THREADS: '1', HF_HUB_OFFLINE: '1', TRANSFORMERS_VERBOSITY: 'error' };

interface Load { baseline_kib: number; peak_kib: number; seconds: number; weights?: number }

function measureHere(folder: string, dtype: DTypeLike): void {
  const baseline_kib = process.resourceUsage().maxRSS;
  const start = performance.now();
  const model = hf_load(folder, { dtype });
  const seconds = (performance.now() - start) / 1000;
  const weights = model.parameters.reduce((sum, p) => sum + p.numel() * p.element_size(), 0);
  console.log(JSON.stringify({ baseline_kib, peak_kib: process.resourceUsage().maxRSS, seconds, weights }));
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'torchlora-hf-load-'));
  try {
    execFileSync(python, [script, 'make', dir], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    console.log('case | weights | torchlora: peak RSS growth / weights, seconds | transformers: same');
    for (const [folder, dtype] of [['fp32', 'float32'], ['sharded', 'float32'], ['bin', 'float32'], ['bf16', 'float32'], ['bf16', 'bfloat16'], ['fp32', 'bfloat16'], ['bin', 'bfloat16'], ['bin_bf16', 'float32']] as const) {
      const run = (command: string, args: string[]): Load => JSON.parse(execFileSync(command, args, { env, encoding: 'utf8' }).trim().split('\n').pop()!) as Load;
      const ours = run(process.execPath, [fileURLToPath(import.meta.url), join(dir, folder), dtype]);
      const theirs = run(python, [script, 'load', join(dir, folder), dtype]);
      const mib = ours.weights! / 2 ** 20;
      const ratio = (load: Load): string => `${((load.peak_kib - load.baseline_kib) / 1024 / mib).toFixed(2)}x, ${load.seconds.toFixed(2)} s`;
      console.log(`${folder} as ${dtype} | ${mib.toFixed(0)} MiB | ${ratio(ours)} | ${ratio(theirs)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.length > 2) measureHere(process.argv[2]!, process.argv[3] as DTypeLike);
else main();
