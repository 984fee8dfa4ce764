// The example service (examples/service.ts), driven over real HTTP on a free loopback port, one
// server shared by the tests (a token required to train, cancel and delete): training through
// the API with its events, predictions equal to the saved adapter run here, mixed-adapter
// requests, hot swap, bad input and the adapter-name rule, a failed / cancelled / SIGKILLed
// retrain that leaves the old adapter served bit for bit, resume, SSE fan-out, the token.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nnf_mse_loss, torch_tensor, with_no_grad, type Tensor } from '../src/index.js';
import { load_base } from '../examples/service/model.js';
import {
  call as callOn, CONFIG, events as eventsOf, examples, exited, jobWhen, local as localIn, startService, worstDifference, type Service,
} from './fixtures/service.js';

const data = mkdtempSync(join(tmpdir(), 'torchlora-service-'));
const snapshots = mkdtempSync(join(tmpdir(), 'torchlora-service-copies-'));
const TOKEN = 'test-token-0123';
const FLAGS = ['--body-limit', '20000', '--checkpoint-min-ms', '0'];

let service: Service;
beforeAll(async () => { service = await startService(data, FLAGS, TOKEN); });
afterAll(() => {
  service?.child.kill('SIGKILL');
  rmSync(data, { recursive: true, force: true });
  rmSync(snapshots, { recursive: true, force: true });
});

const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => callOn(service, method, path, body, headers);
const events = (job: string) => eventsOf(service, job);
const local = (dir: string, inputs: number[][]) => localIn(dir, inputs, data);
const adapters = async (): Promise<Record<string, any>> => Object.fromEntries((await call('GET', '/adapters')).json.adapters.map((a: any) => [a.name, a]));
const predict = async (adapter: string | null, inputs = examples(4, 0).inputs) => call('POST', '/predict', { inputs, adapter });

async function trainToEnd(name: string, body: Record<string, unknown>): Promise<{ event: string; data: any }[]> {
  const started = await call('POST', `/adapters/${name}/train`, body);
  expect(started.status).toBe(202);
  return events(started.json.job);
}

function expectClose(actual: number[][], expected: number[][]): void {
  const scale = Math.max(...expected.flat().map(Math.abs));
  expect(worstDifference(actual, expected)).toBeLessThanOrEqual(1e-6 * scale);
}

describe('examples/service.ts', () => {
  it('trains an adapter through the API, streams its events, and serves it as soon as the job ends', async () => {
    const set = examples(64, 1);
    const stream = await trainToEnd('alpha', { ...set, steps: 120, checkpoint_every: 40, lr: 0.02 });
    const progress = stream.filter((e) => e.event === 'progress');
    expect(progress.at(-1)!.data.step).toBe(120);
    expect(stream.filter((e) => e.event === 'checkpoint').map((e) => e.data)).toEqual([{ type: 'checkpoint', step: 40 }, { type: 'checkpoint', step: 80 }]);
    const end = stream.at(-1)!;
    expect([end.event, end.data.state]).toEqual(['end', 'completed']);
    // Training lowered the loss on the whole set to under a tenth of the untrained model's (a new
    // LoRA's B is zero: before training the model is the base).
    const before = with_no_grad(() => nnf_mse_loss(load_base(data, CONFIG)(torch_tensor(set.inputs)) as Tensor, torch_tensor(set.targets)).item() as number);
    expect(end.data.result.loss).toBeLessThan(before / 10);
    expect((await adapters()).alpha).toMatchObject({ served: true, training: null, resumable: null });
    expect(existsSync(join(data, 'staging', 'alpha'))).toBe(false); // promoted, staging gone
    const predicted = await predict('alpha', set.inputs.slice(0, 4));
    expect(predicted.status).toBe(200);
    expectClose(predicted.json.outputs, local(join(data, 'adapters', 'alpha'), set.inputs.slice(0, 4)));
  });

  it('answers a mixed-adapter request as each row with its own adapter', async () => {
    await trainToEnd('beta', { ...examples(32, -2), steps: 60, lr: 0.02 });
    const inputs = examples(4, 0).inputs;
    const names = ['alpha', null, 'beta', 'alpha'];
    const mixed = await call('POST', '/predict', { inputs, adapters: names });
    expect(mixed.status).toBe(200);
    const separate = await Promise.all(inputs.map(async (row, i) => (await predict(names[i]!, [row])).json.outputs[0]));
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
    while (['queued', 'starting', 'running'].includes(state)) {
      const batch = await Promise.all(Array.from({ length: 8 }, () => predict('beta', inputs)));
      for (const answer of batch) { expect(answer.status).toBe(200); answers.push(answer.json.outputs); }
      state = (await call('GET', `/jobs/${started.json.job}`)).json.state;
    }
    expect(state).toBe('completed');
    answers.push((await predict('beta', inputs)).json.outputs); // served at once: no wait
    const fresh = local(join(data, 'adapters', 'beta'), inputs);
    const near = (a: number[][], b: number[][]): boolean => a.flat().every((v, i) => Math.abs(v - b.flat()[i]!) <= 1e-6 * Math.max(1, Math.abs(b.flat()[i]!)));
    for (const answer of answers) expect(near(answer, old) || near(answer, fresh)).toBe(true);
    expect(near(answers.at(-1)!, fresh)).toBe(true);
    expect(near(old, fresh)).toBe(false);
  });

  it('answers every bad input with a 4xx that says what was wrong, without paths or other adapters\' names', async () => {
    const row = examples(1, 0).inputs;
    const far = [[1, 2, 3, 1e39, 5, 6, 7, 8]];
    const cases: [string, string, unknown, number, RegExp, Record<string, string>?][] = [
      ['POST', '/predict', '{"inputs": [1,', 400, /does not parse/],
      ['POST', '/predict', { inputs: row, adapter: 'nobody' }, 404, /^Unknown adapter "nobody"$/],
      ['POST', '/predict', { inputs: [[1, 2, 3]], adapter: null }, 400, /inputs\[0\] to be 8 finite numbers/],
      ['POST', '/predict', { inputs: [row[0], ...far] }, 400, /Expected inputs\[1\]\[3\] to be a float32 number .* but received 1e\+39/],
      ['POST', '/adapters/gamma/train', { inputs: row, targets: [[1, -3.5e38, 0]] }, 400, /targets\[0\]\[1\] to be a float32 number/],
      ['POST', '/predict', { inputs: row, adapters: ['alpha', 'beta'] }, 400, /array of 1 names/],
      ['POST', '/predict', { inputs: row, adapter: 'alpha', extra: 1 }, 400, /Unknown field\(s\) extra/],
      ['POST', '/predict', { inputs: Array.from({ length: 400 }, () => row[0]) }, 413, /at most 20000 bytes/],
      ['POST', '/predict', 'inputs=1', 415, /application\/json/, { 'content-type': 'text/plain' }],
      ['POST', '/predict', [1, 2], 400, /JSON object/],
      ['GET', '/predict', undefined, 405, /Expected POST/],
      ['GET', '/jobs/none', undefined, 404, /Unknown job/],
      ['DELETE', '/adapters/nobody', undefined, 404, /^Unknown adapter "nobody"$/],
      ['POST', '/adapters/%ZZ/train', { inputs: row, targets: [[1, 2, 3]] }, 400, /percent-encoded/],
      ['GET', '/jobs/%E0%A4%A', undefined, 400, /percent-encoded/],
      ['POST', '/adapters/gamma/train', { inputs: row, targets: [[1, 2]] }, 400, /targets\[0\] to be 3 finite numbers/],
      ['POST', '/adapters/gamma/train', { inputs: row, targets: [[1, 2, 3]], steps: 0 }, 400, /steps to be an integer in \[1, 100000\]/],
      ['POST', '/adapters/gamma/train', { resume: true }, 404, /no checkpoint|none/i],
      ['GET', '/nowhere', undefined, 404, /No such route/],
    ];
    for (const [method, path, body, status, message, headers] of cases) {
      const answer = await call(method, path, body, headers);
      expect([path, answer.status, answer.json.error]).toEqual([path, status, expect.stringMatching(message)]);
      expect(answer.json.error).not.toMatch(/beta|\/tmp|torchlora-service|\n\s+at /);
    }
    const wrongMethod = await call('PUT', '/jobs/x');
    expect([wrongMethod.status, wrongMethod.headers.get('allow')]).toEqual([405, 'GET, DELETE']);
    expect((await call('POST', '/adapters')).headers.get('allow')).toBe('GET');
    expect(service.output.join('')).not.toMatch(/URIError|\n\s+at /); // no stack in the log either
  });

  it('refuses, before any job starts, every adapter name lora_server would refuse, saying the rule', async () => {
    const set = examples(1, 0);
    for (const name of ['123', '-x', 'train', 'eval', 'forward', 'constructor', '__proto__', 'toString', 'parameters', 'training', 'a.b', 'x'.repeat(65)]) {
      const answer = await call('POST', `/adapters/${encodeURIComponent(name)}/train`, { ...set, steps: 1 });
      expect([name, answer.status]).toEqual([name, 400]);
      expect(answer.json.error).toMatch(/adapter name \(letters, digits, "_" or "-", not a module property such as "train"\)|at most 64 characters/);
    }
    expect(Object.keys(await adapters())).toEqual(['alpha', 'beta']);
    expect((await call('GET', '/stats')).json.jobs).toMatchObject({ running: 0, queued: 0 });
  });

  it('a retrain that fails leaves the adapter served and on disk as it was, and its error names no path', async () => {
    const before = await predict('alpha');
    const stream = await trainToEnd('alpha', { inputs: examples(1, 0).inputs, targets: [[1e30, 1e30, 1e30]], steps: 5 });
    expect(stream.at(-1)!.data).toMatchObject({ state: 'failed', error: expect.stringMatching(/finite loss/) });
    expect(JSON.stringify(stream)).not.toMatch(/\/tmp|torchlora-service/);
    expect((await predict('alpha')).json.outputs).toEqual(before.json.outputs);
    expect((await adapters()).alpha).toMatchObject({ served: true, training: null, resumable: null }); // failed before a checkpoint
    expect(existsSync(join(data, 'staging', 'alpha'))).toBe(false);
  });

  it('requires the bearer token to train, cancel and delete: 401 without one, 403 with a wrong one', async () => {
    const open = { 'content-type': 'application/json' };
    for (const [method, path] of [['POST', '/adapters/zeta/train'], ['DELETE', '/adapters/alpha'], ['DELETE', '/jobs/job-1']] as const) {
      const none = await call(method, path, { ...examples(1, 0), steps: 1 }, open);
      expect([path, none.status, none.headers.get('www-authenticate')]).toEqual([path, 401, expect.stringMatching(/^Bearer/)]);
      const wrong = await call(method, path, { ...examples(1, 0), steps: 1 }, { ...open, authorization: `Bearer ${TOKEN}x` });
      expect([path, wrong.status]).toEqual([path, 403]);
    }
    expect((await call('GET', '/adapters', undefined, open)).status).toBe(200);
    expect((await call('POST', '/predict', { inputs: examples(1, 0).inputs, adapter: 'alpha' }, open)).status).toBe(200);
    expect((await adapters()).alpha.served).toBe(true);
  });

  it('cancels a first training (DELETE /jobs/:id), never serves it, and resumes it from its checkpoint', async () => {
    const started = await call('POST', '/adapters/epsilon/train', { ...examples(16, 2), steps: 100_000, checkpoint_every: 10 });
    const job = started.json.job;
    // Many clients on one job's events: one listener per job fans out (no MaxListenersExceededWarning).
    const streams = Array.from({ length: 14 }, () => events(job));
    await jobWhen(service, job, (view) => view.checkpoint >= 10);
    expect((await adapters()).epsilon).toMatchObject({ served: false, training: job });
    const busy = await call('DELETE', '/adapters/epsilon');
    expect([busy.status, busy.json.error]).toEqual([409, expect.stringContaining(`DELETE /jobs/${job}`)]);
    expect((await predict('epsilon')).status).toBe(404);
    const cancelled = await call('DELETE', `/jobs/${job}`);
    expect([cancelled.status, cancelled.json.state]).toEqual([200, 'cancelled']);
    for (const stream of await Promise.all(streams)) expect(stream.at(-1)).toMatchObject({ event: 'end', data: { state: 'cancelled' } });
    expect((await call('DELETE', `/jobs/${job}`)).status).toBe(409);
    const step = cancelled.json.checkpoint;
    expect((await adapters()).epsilon).toMatchObject({ served: false, training: null, resumable: { step, steps: 100_000 } });
    expect((await predict('epsilon')).status).toBe(404);
    const resumed = await call('POST', '/adapters/epsilon/train', { resume: true, steps: step + 30 });
    expect([resumed.status, resumed.json.start_step]).toEqual([202, step]);
    const stream = await events(resumed.json.job);
    expect(stream.at(-1)!.data).toMatchObject({ state: 'completed', result: { steps: step + 30 } });
    expect(stream.filter((e) => e.event === 'progress').at(-1)!.data.step).toBe(step + 30);
    expect((await adapters()).epsilon).toMatchObject({ served: true, resumable: null });
    expectClose((await predict('epsilon')).json.outputs, local(join(data, 'adapters', 'epsilon'), examples(4, 0).inputs));
    expect(service.output.join('')).not.toMatch(/MaxListenersExceeded/);
  });

  it('SIGKILL during a retrain: a restart serves the old adapter bit for bit, offers the retrain to resume, and removes stale temporaries', async () => {
    const before = await predict('alpha');
    cpSync(join(data, 'adapters', 'alpha'), join(snapshots, 'alpha-old'), { recursive: true });
    const started = await call('POST', '/adapters/alpha/train', { ...examples(32, 5), steps: 100_000, checkpoint_every: 10, lr: 0.05 });
    const view = await jobWhen(service, started.json.job, (v) => v.checkpoint >= 20);
    expect((await predict('alpha')).json.outputs).toEqual(before.json.outputs); // the running server serves the old one
    service.child.kill('SIGKILL');
    await exited(service);
    // What killed saves leave: temporaries of a dead process (pid 2^22 + 1 is above Linux's pid_max).
    const stale = [join(data, 'adapters', `.alpha.torchlora-${2 ** 22 + 1}-00ab12.tmp`), join(data, 'staging', 'alpha', `.checkpoint.torchlora-${2 ** 22 + 1}-00ab13.tmp`)];
    for (const path of stale) mkdirSync(path, { recursive: true });
    mkdirSync(join(data, 'staging', 'ghost')); // a staging with nothing to resume
    service = await startService(data, FLAGS, TOKEN);
    expect((await predict('alpha')).json.outputs).toEqual(before.json.outputs);
    expect(local(join(data, 'adapters', 'alpha'), examples(4, 0).inputs)).toEqual(local(join(snapshots, 'alpha-old'), examples(4, 0).inputs));
    const listed = await adapters();
    expect(listed.alpha).toMatchObject({ served: true, training: null, resumable: { step: expect.any(Number), steps: 100_000 } });
    expect(listed.alpha.resumable.step).toBeGreaterThanOrEqual(view.checkpoint);
    expect(listed.ghost).toBeUndefined();
    for (const path of [...stale, join(data, 'staging', 'ghost')]) expect([path, existsSync(path)]).toEqual([path, false]);
  });

  it('SIGTERM mid-way through a first training stops at a checkpoint and exits 0; a restart does not serve it', async () => {
    const started = await call('POST', '/adapters/long/train', { ...examples(32, 1), steps: 100_000, checkpoint_every: 100_000 });
    expect(started.status).toBe(202);
    await jobWhen(service, started.json.job, (view) => view.progress !== null);
    service.child.kill('SIGTERM');
    expect(await exited(service)).toBe(0);
    expect(service.output.join('')).toMatch(/stopped/);
    expect(existsSync(join(data, 'adapters', 'long'))).toBe(false);
    service = await startService(data, FLAGS, TOKEN);
    const listed = await adapters();
    expect(listed.long).toMatchObject({ served: false, resumable: { steps: 100_000 } });
    expect((await predict('long')).status).toBe(404);
    expect(listed.alpha.served && listed.beta.served).toBe(true);
    // DELETE of a resumable training removes its staging.
    expect((await call('DELETE', '/adapters/long')).status).toBe(200);
    expect((await adapters()).long).toBeUndefined();
    expect(existsSync(join(data, 'staging', 'long'))).toBe(false);
  });
});
