// A Python script of test/hf kept running while a test talks to it line by line, with
// run_hf_python's environment (one libtorch thread, offline): importing transformers costs
// more than anything the Llama tests ask of it, so they ask one process everything.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PYTHON } from '../../bench/python.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Starts `PYTHON script args`; `line()` resolves with its next line of stdout, or rejects with its stderr if it exits first. */
export function start_hf_python(script: string, args: string[]): { line: () => Promise<string>; kill: () => void } {
  const child = spawn(PYTHON, [join(HERE, script), ...args], {
    env: { ...process.env, OMP_NUM_THREADS: '1', HF_HUB_OFFLINE: '1', TRANSFORMERS_VERBOSITY: 'error', TOKENIZERS_PARALLELISM: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const lines: string[] = [];
  const waiting: { resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  let ended: Error | null = null;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const next = waiting.shift();
    if (next) next.resolve(line);
    else lines.push(line);
  });
  child.on('close', (code) => {
    ended = new Error(`${script} ${args.join(' ')} exited with ${code}:\n${stderr}`);
    for (const next of waiting.splice(0)) next.reject(ended);
  });
  return {
    line: () => (lines.length > 0 ? Promise.resolve(lines.shift()!) : ended ? Promise.reject(ended) : new Promise((resolve, reject) => waiting.push({ resolve, reject }))),
    kill: () => { if (child.exitCode === null) child.kill(); },
  };
}
