// Training jobs in worker threads (start_job): the same numbers as training on the caller's
// thread, weights shared rather than copied, progress and checkpoints, cancel, failures that
// stay inside the job, and cleanup of what was shared.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// The compiled library: the job modules in test/jobs/ import it too, so Tensors from a job
// are of the same class as these.
import * as torch from '../dist/src/index.js';
import { workerExecArgv } from '../dist/src/jobs/job.js';
import { parkedTensors } from '../dist/src/jobs/share.js';
// @ts-expect-error plain JavaScript test module
import { train } from './jobs/lora.mjs';

const { start_job, torch_randn, torch_manual_seed, torch_equal, JobCancelledError, TorchError, lora_load, nn_linear, lora_nn_linear, torch_set_num_threads } = torch;
const LORA_JOB = new URL('./jobs/lora.mjs', import.meta.url);
const THROWS_JOB = new URL('./jobs/throws.mjs', import.meta.url);
const scratch = mkdtempSync(join(tmpdir(), 'torchlora-jobs-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function problem(steps = 30) {
  torch_manual_seed(7);
  const base = nn_linear(16, 8);
  const x = torch_randn(64, 16);
  const y = x.matmul(base.weight.add(1).t()).add(base.bias!).detach();
  return { base, input: { base: base.state_dict(), x, y, in_features: 16, out_features: 8, seed: 3, steps } };
}

describe('start_job', () => {
  it('trains in a worker thread to the same numbers as the same loop on this thread', async () => {
    torch_set_num_threads(1);
    const { input } = problem();
    const job = start_job<{ A: torch.Tensor; B: torch.Tensor; steps: number }>(LORA_JOB, { input, threads: 1 });
    const result = await job.result;
    expect(job.state).toBe('completed');
    expect(result.steps).toBe(30);
    const here = train(input.base, input);
    expect(torch_equal(result.A, here.lora_A.get('default').weight)).toBe(true);
    expect(torch_equal(result.B, here.lora_B.get('default').weight)).toBe(true);
    // And the LoRA learned something: the loss fell.
    expect(job.progress!.step).toBe(30);
    const before = torch.nnf_mse_loss(input.x.matmul(input.base.weight!.t()).add(input.base.bias!), input.y).item() as number;
    expect(job.progress!.loss).toBeLessThan(before);
  });

  it('shares the base weights with the worker both ways: no copy', async () => {
    const { base, input } = problem(2);
    const job = start_job<{ base_weight: torch.Tensor }>(LORA_JOB, { input, threads: 1 });
    const { base_weight } = await job.result;
    // The worker's parameter, handed back, is the caller's storage: a change here shows there.
    expect(torch_equal(base_weight, base.weight)).toBe(true);
    torch.with_no_grad(() => base.weight.add_(5));
    expect(torch_equal(base_weight, base.weight)).toBe(true);
    expect(parkedTensors()).toBe(0);
  });

  it('reports progress through events and async iteration, and checkpoints on schedule', async () => {
    const { input } = problem(12);
    const dir = join(scratch, 'scheduled');
    const job = start_job(LORA_JOB, { input, threads: 1, checkpoint_dir: dir, checkpoint_every: 5, progress_interval_ms: 0 });
    const emitted: number[] = [];
    job.on('progress', (p: torch.JobProgress) => emitted.push(p.step));
    const events: torch.JobEvent[] = [];
    for await (const event of job) events.push(event);
    await job.result;
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress.map((e) => e.step)).toEqual([...Array.from({ length: 12 }, (_, i) => i + 1), 12]);
    expect(emitted).toEqual(progress.map((e) => e.step));
    for (const p of progress) if (p.type === 'progress') expect(p.examples).toBe(64 * p.step);
    expect(events.filter((e) => e.type === 'checkpoint')).toEqual([
      { type: 'checkpoint', step: 5, dir }, { type: 'checkpoint', step: 10, dir },
    ]);
    // The folder holds the adapter of step 10, loadable as PEFT's format.
    const model = lora_nn_linear(nn_linear(16, 8), { r: 1, alpha: 1 });
    lora_load(model, dir);
    const loaded = model.lora_B.get('default').weight;
    const replay = train(input.base, { ...input, steps: 10 });
    expect(torch_equal(loaded, replay.lora_B.get('default').weight)).toBe(true);
  });

  it('keeps only its latest `history` events for a loop that starts late', async () => {
    const { input } = problem(12);
    const job = start_job(LORA_JOB, { input, threads: 1, progress_interval_ms: 0, history: 4 });
    await job.done;
    const events: torch.JobEvent[] = [];
    for await (const event of job) events.push(event);
    // 12 progress events and the final report: the last four are steps 10, 11, 12 and 12.
    expect(events.map((e) => e.step)).toEqual([10, 11, 12, 12]);
    expect(() => start_job(LORA_JOB, { input, history: -1 })).toThrow(/for history/);
    expect(() => start_job(LORA_JOB, { input, history: 1.5 })).toThrow(/for history/);
  });

  it('cancel() stops the job at its next step, after a checkpoint; result rejects with JobCancelledError', async () => {
    const { input } = problem(1000);
    const dir = join(scratch, 'cancelled');
    const job = start_job(LORA_JOB, { input: { ...input, wait_for_cancel: true }, threads: 1, checkpoint_dir: dir, progress_interval_ms: 0 });
    await new Promise((resolve) => job.once('progress', resolve));
    expect(job.state).toBe('running');
    expect(await job.cancel()).toBe('cancelled');
    await expect(job.result).rejects.toThrow(JobCancelledError);
    await expect(job.result).rejects.toThrow(/cancelled at step 2/);
    const model = lora_nn_linear(nn_linear(16, 8), { r: 1, alpha: 1 });
    lora_load(model, dir);
    const replay = train(input.base, { ...input, steps: 2 });
    expect(torch_equal(model.lora_A.get('default').weight, replay.lora_A.get('default').weight)).toBe(true);
    expect(await job.cancel()).toBe('cancelled'); // idempotent once ended
  });

  it('cancel({ timeout_ms }) terminates a job that does not reach a step', async () => {
    const job = start_job(new URL('data:text/javascript,export default () => { for (;;); }'), {});
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await job.cancel({ timeout_ms: 100 })).toBe('cancelled');
    await expect(job.result).rejects.toThrow(JobCancelledError);
  });

  it("a job's error fails that job alone, with its class and message", async () => {
    const range = start_job(THROWS_JOB, { input: { kind: 'range' } });
    await expect(range.result).rejects.toThrow(RangeError);
    await expect(range.result).rejects.toThrow('Expected a learning rate > 0 for lr but received -1');
    expect(range.state).toBe('failed');
    expect(range.error).toBeInstanceOf(RangeError);
    expect(range.error!.stack).toContain('throws.mjs');
    const engine = start_job(THROWS_JOB, { input: { kind: 'torch' } });
    await expect(engine.result).rejects.toThrow(TorchError);
    const exited = start_job(THROWS_JOB, { input: { kind: 'exit' } });
    await expect(exited.result).rejects.toThrow(/exited with code 3 before the job ended/);
    expect(await exited.done).toBe('failed');
    // String() throws for an object without a prototype; the job still fails with a message.
    const bare = start_job(THROWS_JOB, { input: { kind: 'bare' } });
    await expect(bare.result).rejects.toThrow('the job threw a non-Error value: {"reason":"no prototype"}');
    const notJob = start_job(new URL('./jobs/not-a-job.mjs', import.meta.url));
    await expect(notJob.result).rejects.toThrow(/default export is a function .* default export is number/);
    const missing = start_job(join(scratch, 'no-such-module.mjs'));
    await expect(missing.result).rejects.toThrow(/Cannot find module|ERR_MODULE_NOT_FOUND/);
  });

  it('runs the job at the nice value asked (default 10), read back from /proc', async () => {
    // Field 19 of /proc/thread-self/stat is the thread's nice value (after the command's parentheses).
    const readNice = new URL(`data:text/javascript,${encodeURIComponent("import { readFileSync } from 'node:fs'; export default () => Number(readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ')[16]);")}`);
    expect(await start_job<number>(readNice).result).toBe(10);
    expect(await start_job<number>(readNice, { nice: 3 }).result).toBe(3);
    expect(await start_job<number>(readNice, { nice: 0 }).result).toBe(0);
    expect(() => start_job(readNice, { nice: 20 })).toThrow(RangeError);
    expect(() => start_job(readNice, { nice: -1 })).toThrow(RangeError);
  });

  it('starts from a process whose program is `node --input-type=module -e CODE` (the worker gets the flags less those three)', () => {
    const job = `data:text/javascript,${encodeURIComponent('export default (job) => job.input * 2;')}`;
    const code = `import { start_job } from ${JSON.stringify(new URL('../dist/src/index.js', import.meta.url).href)};`
      + `console.log(await start_job(${JSON.stringify(job)}, { input: 21 }).result);`;
    for (const flags of [['--input-type=module', '-e', code], ['--expose-gc', '--input-type', 'module', `--eval=${code}`]]) {
      const child = spawnSync(process.execPath, flags, { encoding: 'utf8', timeout: 60_000 });
      expect(child.stderr).toBe('');
      expect(child.stdout).toBe('42\n');
    }
    expect(workerExecArgv(['--input-type=module', '-pe', '1', '--expose-gc', '--import', 'tsx', '-p', '2', '--print=3'])).toEqual(['--expose-gc', '--import', 'tsx']);
  });

  it('refuses bad options and input it cannot send, before starting a thread', () => {
    expect(() => start_job(42 as never)).toThrow(new TypeError('Expected a module path or URL for module but received 42'));
    expect(() => start_job(LORA_JOB, { threads: 0 })).toThrow(RangeError);
    expect(() => start_job(LORA_JOB, { checkpoint_every: 5 })).toThrow(/checkpoint_dir beside checkpoint_every/);
    expect(() => start_job(LORA_JOB, { epochs: 3 } as never)).toThrow(/epochs/);
    expect(() => start_job(LORA_JOB, { input: { model: nn_linear(2, 2) } })).toThrow(/for input\.model but received/);
    expect(() => start_job(LORA_JOB, { input: { fn: () => 1 } })).toThrow(/for input\.fn/);
    const x = torch_randn(2);
    const parked = parkedTensors();
    expect(() => start_job(LORA_JOB, { input: { x, later: () => 1 } })).toThrow(TypeError);
    // A refused input parks nothing (x was parked before the function was found: released).
    expect(parkedTensors()).toBe(parked);
  });
});
