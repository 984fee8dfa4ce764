// A seeded fuzz test of the whole public surface: every exported function and class and every
// Tensor method and accessor, called with bad and edge arguments (test/fuzz/child.mjs says
// which). Each call must return, or throw a TypeError / RangeError / TorchError with the
// library's own message: never a crash, a hang or an engine message. The calls run in child
// processes on the built package (dist/, made by `npm test`'s set-up), so that a crash is
// counted and named instead of ending the test run. FUZZ_SEEDS=1,2,3 and FUZZ_CALLS choose
// other runs.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const ENTRY = join(ROOT, 'dist', 'src', 'index.js');
const SEEDS = (process.env.FUZZ_SEEDS ?? '1,2,3,4,5,6,7,8').split(',').map(Number);
const CALLS = Number(process.env.FUZZ_CALLS ?? 2500);
const TIMEOUT_MS = 120_000;
// Calls that write files (lora_save, torch_save_safetensors) write them in here.
const scratch = mkdtempSync(join(tmpdir(), 'torchlora-fuzz-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Run { seed: number; problems: string[] }

function fuzz(seed: number): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, 'fuzz', 'child.mjs'), String(seed), String(CALLS), ENTRY], {
      cwd: scratch, stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, OMP_NUM_THREADS: '1' },
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { output += chunk.slice(-100_000); });
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const lines = output.trimEnd().split('\n');
      const last = lines.at(-1) ?? '';
      if (code === 0 && last.startsWith('DONE ')) {
        resolve({ seed, problems: JSON.parse(last.slice('DONE '.length)) as string[] });
        return;
      }
      const call = lines.filter((line) => line.startsWith('CALL ')).at(-1) ?? '(before the first call)';
      const how = signal === 'SIGKILL' ? `hung (killed after ${TIMEOUT_MS / 1000} s)` : signal !== null ? `crashed with ${signal}` : `exited with ${code}`;
      resolve({ seed, problems: [`the process ${how} in ${call.slice('CALL '.length)}`] });
    });
  });
}

describe('fuzzing the public API', () => {
  it(`${SEEDS.length} seeds x ${CALLS} calls: each returns or throws a library error, no crash, no hang`, async () => {
    expect(existsSync(ENTRY), `${ENTRY} is missing: run npm run setup`).toBe(true);
    const runs: Run[] = [];
    // Two at a time: this machine has two cores.
    for (let i = 0; i < SEEDS.length; i += 2) runs.push(...await Promise.all(SEEDS.slice(i, i + 2).map(fuzz)));
    const problems = runs.flatMap(({ seed, problems }) => problems.map((problem) => `seed ${seed}: ${problem}`));
    expect(problems).toEqual([]);
  }, SEEDS.length * TIMEOUT_MS);
});
