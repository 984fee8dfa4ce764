// The example service's job control and overload defences, on one server with small limits
// (one job at a time, a queue of one, two records, six connections, short timeouts): the queue
// and its 429 with Retry-After, cancel, bounded records, checkpoint spacing, a 4,096-row
// prediction that lets other requests through while it runs, the connection cap, the header
// timeout, and start-up errors said in one line.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { torch_tensor, with_no_grad, type Tensor } from '../src/index.js';
import { load_base } from '../examples/service/model.js';
import { call as callOn, CONFIG, events, examples, jobWhen, ROOT, startService, worstDifference, type Service } from './fixtures/service.js';

const data = mkdtempSync(join(tmpdir(), 'torchlora-service-control-'));
let service: Service;
beforeAll(async () => {
  service = await startService(data, ['--max-jobs', '1', '--max-queue', '1', '--max-records', '2', '--max-connections', '6',
    '--headers-timeout-ms', '400', '--request-timeout-ms', '20000', '--predict-chunk-rows', '64']);
});
afterAll(() => {
  service?.child.kill('SIGKILL');
  rmSync(data, { recursive: true, force: true });
});
const call = (method: string, path: string, body?: unknown) => callOn(service, method, path, body);
const port = (): number => Number(new URL(service.url).port);

describe('examples/service.ts: job control and overload', () => {
  it('queues one job behind the running one, answers 429 with Retry-After past that, cancels either, and forgets old records', async () => {
    const long = { ...examples(16, 1), steps: 100_000, checkpoint_every: 100_000 };
    const first = await call('POST', '/adapters/a1/train', long);
    expect(first.status).toBe(202);
    const second = await call('POST', '/adapters/a2/train', long);
    expect([second.status, second.json.state]).toEqual([202, 'queued']);
    expect((await call('GET', `/jobs/${second.json.job}`)).json.queue_position).toBe(1);
    const full = await call('POST', '/adapters/a3/train', long);
    expect(full.status).toBe(429);
    expect(Number(full.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(full.json.error).toMatch(/at most 1 running and 1 waiting/);
    expect((await call('GET', '/adapters')).json.adapters.map((a: any) => [a.name, a.training])).toEqual([['a1', first.json.job], ['a2', second.json.job]]);
    const queued = await call('DELETE', `/jobs/${second.json.job}`);
    expect([queued.status, queued.json.state]).toEqual([200, 'cancelled']);
    await jobWhen(service, first.json.job, (view) => view.state === 'running');
    const running = await call('DELETE', `/jobs/${first.json.job}`);
    expect([running.status, running.json.state]).toEqual([200, 'cancelled']);
    // A third ended job pushes the oldest record out (--max-records 2).
    const third = await call('POST', '/adapters/a3/train', long);
    expect((await call('DELETE', `/jobs/${third.json.job}`)).json.state).toBe('cancelled');
    expect((await call('GET', `/jobs/${second.json.job}`)).status).toBe(404);
    expect((await call('GET', `/jobs/${first.json.job}`)).status).toBe(200);
    expect((await call('GET', '/stats')).json.jobs).toEqual({ running: 0, queued: 0, records: 2 });
  });

  it('spaces checkpoints by --checkpoint-min-ms however small checkpoint_every is', async () => {
    const started = await call('POST', '/adapters/b1/train', { ...examples(16, 1), steps: 400, checkpoint_every: 1 });
    const stream = await events(service, started.json.job);
    expect(stream.at(-1)!.data.state).toBe('completed');
    const elapsed = stream.filter((e) => e.event === 'progress').at(-1)!.data.elapsed_ms;
    const checkpoints = stream.filter((e) => e.event === 'checkpoint').length;
    expect(checkpoints).toBeGreaterThanOrEqual(1); // the first comes at step 1
    expect(checkpoints).toBeLessThanOrEqual(1 + Math.floor(elapsed / 1000));
  });

  it('answers other requests while a 4,096-row prediction runs (accepted by the default body limit), and its answer is right', async () => {
    const inputs = Array.from({ length: 4096 }, (_, i) => Array.from({ length: 8 }, (_, j) => Math.sin(i * 0.37 + j)));
    const expected = with_no_grad(() => (load_base(data, CONFIG).eval()(torch_tensor(inputs)) as Tensor).to_array() as number[][]);
    // GET /stats while it runs sees its rows partly done: the event loop served it between two batches.
    let seenMidway = false;
    for (let attempt = 0; attempt < 5 && !seenMidway; attempt++) {
      let done = false;
      const big = call('POST', '/predict', { inputs }).finally(() => { done = true; });
      while (!done) {
        const waiting = (await call('GET', '/stats')).json.predict_rows_waiting;
        if (waiting > 0 && waiting < 4096) seenMidway = true;
      }
      const answer = await big;
      expect(answer.status).toBe(200);
      expect(worstDifference(answer.json.outputs, expected)).toBeLessThanOrEqual(1e-5);
    }
    expect(seenMidway).toBe(true);
    // A big body is parsed and checked on the JSON thread, with the same messages.
    const far = inputs.map((row, i) => (i === 4000 ? row.map((v, j) => (j === 5 ? 1e39 : v)) : row));
    const refused = await call('POST', '/predict', { inputs: far });
    expect([refused.status, refused.json.error]).toEqual([400, expect.stringMatching(/^Expected inputs\[4000\]\[5\] to be a float32 number/)]);
    // A training request of 4,096 rows fits the default body limit too.
    const train = await call('POST', '/adapters/big/train', { inputs, targets: inputs.map((x) => x.slice(0, 3)), steps: 1 });
    expect(train.status).toBe(202);
    expect((await events(service, train.json.job)).at(-1)!.data.state).toBe('completed');
  });

  it('closes connections past --max-connections, and those that do not send their headers in time', async () => {
    const open = (): Promise<Socket> => new Promise((resolve, reject) => { const s = connect(port(), '127.0.0.1', () => resolve(s)); s.on('error', reject); });
    const closed = (socket: Socket): Promise<string> => new Promise((resolve) => {
      let text = '';
      socket.on('data', (chunk) => { text += chunk; });
      socket.on('close', () => resolve(text));
    });
    // Six connections held with a request whose body never ends (past the header timeout, inside the request timeout).
    const held = await Promise.all(Array.from({ length: 6 }, open));
    for (const socket of held) socket.write('POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
    const seventh = await open();
    expect(await closed(seventh)).toBe(''); // closed at once, unanswered
    for (const socket of held) socket.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect((await call('GET', '/stats')).status).toBe(200);
    // Headers never finished: 408 after --headers-timeout-ms (400), then closed.
    const slow = await open();
    slow.write('GET /stats HTTP/1.1\r\nHost: x\r\n');
    const started = Date.now();
    expect(await closed(slow)).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('says a start-up error in one line with an exit code: a port in use, a bad flag', async () => {
    const run = (args: string[]): Promise<{ code: number | null; stderr: string }> => new Promise((resolve) => {
      const child = spawn(process.execPath, ['dist/examples/service.js', '--data', data, '--in', '8', '--hidden', '16', '--out', '3', ...args], { cwd: ROOT });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => { stderr += chunk; });
      child.on('exit', (code) => resolve({ code, stderr }));
    });
    const cases: [string[], number, RegExp][] = [
      [['--port', String(port())], 1, /^error: cannot listen on 127\.0\.0\.1:\d+: port \d+ is in use\n$/],
      [['--max-jobs', 'x'], 2, /^--max-jobs must be an integer >= 1, got x\n$/],
      [['--frobnicate'], 2, /^Unknown option '--frobnicate'.*\(--help lists the flags\)\n$/],
    ];
    for (const [args, code, message] of await Promise.all(cases.map(async ([args, ...rest]) => [await run(args), ...rest] as const))) {
      expect([args.code, args.stderr]).toEqual([code, expect.stringMatching(message)]);
    }
  });
});
