// The example service (examples/service.ts), driven over real HTTP on a free loopback port:
// training through the API with its events, predictions equal to the saved adapter run here,
// mixed-adapter requests, hot swap under concurrent requests, every bad-input case, SIGTERM
// mid-job leaving a loadable adapter that a restart serves again.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lora_load, nnf_mse_loss, torch_tensor, with_adapter, with_no_grad, type Tensor } from '../src/index.js';
import { load_base } from '../examples/service/model.js';

const ROOT = join(import.meta.dirname, '..');
const CONFIG = { in_features: 8, hidden: 16, out_features: 3 };
const data = mkdtempSync(join(tmpdir(), 'torchlora-service-'));
const snapshots = mkdtempSync(join(tmpdir(), 'torchlora-service-copies-'));

interface Service { child: ChildProcess; url: string; output: string[] }

async function startService(dir = data, extra: string[] = []): Promise<Service> {
  const child = spawn(process.execPath, ['dist/examples/service.js', '--port', '0', '--data', dir, '--in', '8', '--hidden', '16', '--out', '3', '--body-limit', '20000', ...extra], { cwd: ROOT });
  const output: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start: ${output.join('')}`)), 30_000);
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      output.push(chunk.toString());
      const found = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output.join(''));
      if (found) { clearTimeout(timer); resolve(found[1]!); }
    });
    child.on('exit', (code) => reject(new Error(`service exited with ${code}: ${output.join('')}`)));
  });
  return { child, url, output };
}

function exited(service: Service): Promise<number | null> {
  return new Promise((resolve) => {
    if (service.child.exitCode !== null) resolve(service.child.exitCode);
    else service.child.once('exit', (code) => resolve(code));
  });
}

let service: Service;
beforeAll(async () => { service = await startService(); });
afterAll(() => {
  service?.child.kill('SIGKILL');
  rmSync(data, { recursive: true, force: true });
  rmSync(snapshots, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<{ status: number; json: any }> {
  const response = await fetch(service.url + path, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

// A deterministic training set: targets a fixed function of the inputs.
function examples(rows: number, shift: number): { inputs: number[][]; targets: number[][] } {
  const inputs = Array.from({ length: rows }, (_, i) => Array.from({ length: 8 }, (_, j) => Math.sin(i * 8 + j)));
  return { inputs, targets: inputs.map((x) => [x[0]! + shift, x[1]! * x[2]!, shift]) };
}

// The server's events for a job until 'end'.
async function events(job: string): Promise<{ event: string; data: any }[]> {
  const response = await fetch(`${service.url}/jobs/${job}/events`);
  expect(response.headers.get('content-type')).toBe('text/event-stream');
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true });
  return text.split('\n\n').filter(Boolean).map((block) => {
    const [eventLine, dataLine] = block.split('\n');
    return { event: eventLine!.slice('event: '.length), data: JSON.parse(dataLine!.slice('data: '.length)) };
  });
}

async function trainToEnd(name: string, body: Record<string, unknown>): Promise<{ event: string; data: any }[]> {
  const started = await call('POST', `/adapters/${name}/train`, body);
  expect(started.status).toBe(202);
  return events(started.json.job);
}

// The hot swap happens as a job ends, just after its last event: poll briefly (2.5 s at most).
async function servedSoon(name: string): Promise<void> {
  for (let i = 0; i < 50 && !(await call('GET', '/adapters')).json.adapters.some((a: any) => a.name === name && a.served); i++) await new Promise((r) => setTimeout(r, 50));
}

// What the adapter saved in `dir` gives for `inputs`, computed here on the saved base.
function local(dir: string, inputs: number[][], dataDir = data): number[][] {
  return with_no_grad(() => {
    const model = load_base(dataDir, CONFIG).eval();
    lora_load(model, dir, { adapter: 'x' });
    return with_adapter(model, 'x', () => (model(torch_tensor(inputs)) as Tensor).to_array() as number[][]);
  });
}

function expectClose(actual: number[][], expected: number[][]): void {
  const scale = Math.max(...expected.flat().map(Math.abs));
  const worst = Math.max(...actual.flat().map((v, i) => Math.abs(v - expected.flat()[i]!)));
  expect(actual.length).toBe(expected.length);
  expect(worst).toBeLessThanOrEqual(1e-6 * scale);
}

describe('examples/service.ts', () => {
  it('trains an adapter through the API, streams its events, and serves it', async () => {
    const set = examples(64, 1);
    const stream = await trainToEnd('alpha', { ...set, steps: 120, checkpoint_every: 40, lr: 0.02 });
    const progress = stream.filter((e) => e.event === 'progress');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)!.data.step).toBe(120);
    expect(stream.filter((e) => e.event === 'checkpoint').map((e) => e.data.step)).toEqual([40, 80, 120]);
    const end = stream.at(-1)!;
    expect(end.event).toBe('end');
    expect(end.data.state).toBe('completed');
    const job = await call('GET', `/jobs/${end.data.id}`);
    expect(job.json.state).toBe('completed');
    // Training lowered the loss on the whole set to under a tenth of the untrained model's (a new
    // LoRA's B is zero, so before training the model is the base). Not compared with the first
    // progress event: events come at most every 100 ms, so on a fast machine the first one already
    // reports a late step's minibatch loss.
    const before = with_no_grad(() => nnf_mse_loss(load_base(data, CONFIG)(torch_tensor(set.inputs)) as Tensor, torch_tensor(set.targets)).item() as number);
    expect(job.json.result.loss).toBeLessThan(before / 10);
    await servedSoon('alpha');
    const predicted = await call('POST', '/predict', { inputs: set.inputs.slice(0, 4), adapter: 'alpha' });
    expect(predicted.status).toBe(200);
    expectClose(predicted.json.outputs, local(join(data, 'adapters', 'alpha'), set.inputs.slice(0, 4)));
  });

  it('answers a mixed-adapter request as each row with its own adapter', async () => {
    await trainToEnd('beta', { ...examples(32, -2), steps: 60, lr: 0.02 });
    await servedSoon('beta');
    const inputs = examples(4, 0).inputs;
    const names = ['alpha', null, 'beta', 'alpha'];
    const mixed = await call('POST', '/predict', { inputs, adapters: names });
    expect(mixed.status).toBe(200);
    const one = async (row: number[], adapter: string | null): Promise<number[]> => (await call('POST', '/predict', { inputs: [row], adapter })).json.outputs[0];
    const separate = await Promise.all(inputs.map((row, i) => one(row, names[i]!)));
    expectClose(mixed.json.outputs, separate);
    expect(Math.abs(separate[0]![0]! - separate[1]![0]!)).toBeGreaterThan(1e-3); // the adapters matter
  });

  it('hot swap: concurrent requests during a retrain see the old adapter or the new one, never a mix', async () => {
    const inputs = examples(2, 0).inputs;
    cpSync(join(data, 'adapters', 'beta'), join(snapshots, 'beta-old'), { recursive: true });
    const old = local(join(snapshots, 'beta-old'), inputs);
    const started = await call('POST', '/adapters/beta/train', { ...examples(32, 3), steps: 150, lr: 0.05, seed: 1 });
    expect(started.status).toBe(202);
    expect((await call('POST', '/adapters/beta/train', { ...examples(32, 3), steps: 5 })).status).toBe(409);
    const answers: number[][][] = [];
    let state = 'running';
    while (state === 'running' || state === 'starting') {
      const batch = await Promise.all(Array.from({ length: 8 }, () => call('POST', '/predict', { inputs, adapter: 'beta' })));
      for (const answer of batch) { expect(answer.status).toBe(200); answers.push(answer.json.outputs); }
      state = (await call('GET', `/jobs/${started.json.job}`)).json.state;
    }
    expect(state).toBe('completed');
    await new Promise((r) => setTimeout(r, 100));
    answers.push((await call('POST', '/predict', { inputs, adapter: 'beta' })).json.outputs);
    const fresh = local(join(data, 'adapters', 'beta'), inputs);
    const near = (a: number[][], b: number[][]): boolean => a.flat().every((v, i) => Math.abs(v - b.flat()[i]!) <= 1e-6 * Math.max(1, Math.abs(b.flat()[i]!)));
    for (const answer of answers) expect(near(answer, old) || near(answer, fresh)).toBe(true);
    expect(near(answers.at(-1)!, fresh)).toBe(true);
    expect(near(old, fresh)).toBe(false);
  });

  it('answers every bad input with a 4xx that says what was wrong, and keeps serving', async () => {
    const row = examples(1, 0).inputs;
    const cases: [string, string, unknown, number, RegExp, Record<string, string>?][] = [
      ['POST', '/predict', '{"inputs": [1,', 400, /does not parse/],
      ['POST', '/predict', { inputs: row, adapter: 'nobody' }, 404, /Unknown adapter "nobody"/],
      ['POST', '/predict', { inputs: [[1, 2, 3]], adapter: null }, 400, /inputs\[0\] to be 8 finite numbers/],
      ['POST', '/predict', { inputs: row, adapters: ['alpha', 'beta'] }, 400, /array of 1 names/],
      ['POST', '/predict', { inputs: row, adapter: 'alpha', extra: 1 }, 400, /Unknown field\(s\) extra/],
      ['POST', '/predict', { inputs: Array.from({ length: 400 }, () => row[0]) }, 413, /at most 20000 bytes/],
      ['POST', '/predict', 'inputs=1', 415, /application\/json/, { 'content-type': 'text/plain' }],
      ['POST', '/predict', [1, 2], 400, /JSON object/],
      ['GET', '/predict', undefined, 405, /Expected POST/],
      ['GET', '/jobs/none', undefined, 404, /Unknown job/],
      ['DELETE', '/adapters/nobody', undefined, 404, /Unknown adapter/],
      ['POST', '/adapters/bad%20name/train', { inputs: row, targets: [[1, 2, 3]] }, 400, /adapter name/],
      ['POST', '/adapters/gamma/train', { inputs: row, targets: [[1, 2]] }, 400, /targets\[0\] to be 3 finite numbers/],
      ['POST', '/adapters/gamma/train', { inputs: row, targets: [[1, 2, 3]], steps: 0 }, 400, /steps to be an integer in \[1, 100000\]/],
      ['GET', '/nowhere', undefined, 404, /No route/],
    ];
    for (const [method, path, body, status, message, headers] of cases) {
      const answer = await call(method, path, body, headers);
      expect([path, answer.status]).toEqual([path, status]);
      expect(answer.json.error).toMatch(message);
    }
    // A job that throws (its loss overflows float32) fails alone; the server goes on.
    const stream = await trainToEnd('gamma', { inputs: row, targets: [[1e30, 1e30, 1e30]], steps: 5 });
    expect(stream.at(-1)!.data.state).toBe('failed');
    expect(stream.at(-1)!.data.error).toMatch(/loss/);
    expect((await call('POST', '/predict', { inputs: row, adapter: 'alpha' })).status).toBe(200);
  });

  it('DELETE removes an adapter and its folder', async () => {
    await trainToEnd('delta', { ...examples(8, 0), steps: 5 });
    await servedSoon('delta');
    expect((await call('DELETE', '/adapters/delta')).status).toBe(200);
    expect((await call('POST', '/predict', { inputs: examples(1, 0).inputs, adapter: 'delta' })).status).toBe(404);
    expect((await call('GET', '/adapters')).json.adapters.map((a: any) => a.name)).not.toContain('delta');
  });

  it('SIGTERM mid-job stops at a checkpoint and exits 0; a restart serves the adapter', async () => {
    const started = await call('POST', '/adapters/long/train', { ...examples(32, 1), steps: 100_000, checkpoint_every: 100_000 });
    expect(started.status).toBe(202);
    for (let i = 0; i < 100 && (await call('GET', `/jobs/${started.json.job}`)).json.progress === null; i++) await new Promise((r) => setTimeout(r, 50));
    service.child.kill('SIGTERM');
    expect(await exited(service)).toBe(0);
    expect(service.output.join('')).toMatch(/stopped/);
    // The checkpoint written on the way out loads as an adapter.
    expect(() => local(join(data, 'adapters', 'long'), examples(1, 0).inputs)).not.toThrow();
    service = await startService();
    const listed = (await call('GET', '/adapters')).json.adapters.map((a: any) => a.name);
    expect(listed).toEqual(expect.arrayContaining(['alpha', 'beta', 'long']));
    const answer = await call('POST', '/predict', { inputs: examples(2, 0).inputs, adapter: 'long' });
    expectClose(answer.json.outputs, local(join(data, 'adapters', 'long'), examples(2, 0).inputs));
  });
});
