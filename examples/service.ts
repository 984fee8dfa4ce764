// An HTTP service over one base model that trains LoRA adapters in worker threads and serves
// them all at once (`npm run example:service -- --help`). Written as a user would, on the
// public API: node:http routes, a map of jobs, a folder of adapters in PEFT's format.
//
//   POST   /adapters/:name/train  {inputs, targets, steps?, lr?, r?, alpha?}  -> 202 {job}
//   GET    /jobs/:id                  state and progress
//   GET    /jobs/:id/events           server-sent events: progress, checkpoint, end
//   POST   /predict  {inputs, adapter? | adapters?}                   -> {outputs}
//   GET    /adapters                  -> {adapters: [{name, in_use, training}]}
//   DELETE /adapters/:name            waits for requests using it, deletes its folder
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  lora_server, start_job, torch_set_num_threads, torch_tensor, type JobEvent, type Tensor, type TrainingJob,
} from '../src/index.js';
import { HttpError, readJson, sendJson, startEvents } from './service/http.js';
import { load_base, type BaseConfig } from './service/model.js';
import type { TrainInput, TrainResult } from './service/train-job.js';

const USAGE = `Usage: npm run example:service -- [flags]

  --port N          port on 127.0.0.1 (0: any free one; 8080)
  --data DIR        folder for the base weights and adapters (service-data)
  --hidden N        the base MLP's hidden width (256)
  --in N / --out N  its input and output widths (32 / 8)
  --train-threads N libtorch threads per training job (1: the other cores serve)
  --max-jobs N      training jobs at once (2)
  --body-limit N    largest request body in bytes (1048576)`;

const { values: flags } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' }, data: { type: 'string', default: 'service-data' },
    hidden: { type: 'string', default: '256' }, in: { type: 'string', default: '32' }, out: { type: 'string', default: '8' },
    'train-threads': { type: 'string', default: '1' }, 'max-jobs': { type: 'string', default: '2' },
    'body-limit': { type: 'string', default: '1048576' }, help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}
const integer = (name: keyof typeof flags): number => {
  const value = Number(flags[name]);
  if (!Number.isInteger(value) || value < 0) { console.error(`--${name} must be a whole number\n\n${USAGE}`); process.exit(2); }
  return value;
};
const config: BaseConfig = { in_features: integer('in'), hidden: integer('hidden'), out_features: integer('out') };
const trainThreads = integer('train-threads');
const maxJobs = integer('max-jobs');
const bodyLimit = integer('body-limit');
const maxRank = Math.min(config.in_features, config.hidden, config.out_features);
const ADAPTER_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_ROWS = 4096;

torch_set_num_threads(1); // the event loop's thread serves; training jobs have their own
mkdirSync(join(flags.data, 'adapters'), { recursive: true });
const base = load_base(flags.data, config);
const baseWeights = base.state_dict(); // shared with every training job, never copied
const server = lora_server(base);
for (const name of readdirSync(join(flags.data, 'adapters')).filter((entry) => ADAPTER_NAME.test(entry))) {
  try {
    server.load(name, join(flags.data, 'adapters', name));
  } catch (error) {
    console.error(`adapter ${name} not loaded: ${(error as Error).message}`);
  }
}

interface JobRecord { id: string; adapter: string; job: TrainingJob<TrainResult>; result: TrainResult | null }
const jobs = new Map<string, JobRecord>();
const training = new Map<string, JobRecord>(); // by adapter name, while its job runs

// ---- request checks: each says what was expected and what came ----

function matrix(value: unknown, name: string, columns: number): number[][] {
  if (!Array.isArray(value) || value.length === 0) throw new HttpError(400, `Expected ${name} to be a non-empty array of rows`);
  if (value.length > MAX_ROWS) throw new HttpError(413, `Expected at most ${MAX_ROWS} rows in ${name} but received ${value.length}`);
  value.forEach((row: unknown, i) => {
    if (!Array.isArray(row) || row.length !== columns || !row.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new HttpError(400, `Expected ${name}[${i}] to be ${columns} finite numbers but received ${JSON.stringify(row)?.slice(0, 80)}`);
    }
  });
  return value as number[][];
}

function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'Expected a JSON object as the body');
  return body as Record<string, unknown>;
}

function numberField(body: Record<string, unknown>, name: string, fallback: number, low: number, high: number, integral: boolean): number {
  const value = body[name] ?? fallback;
  if (typeof value !== 'number' || !(value >= low && value <= high) || (integral && !Number.isInteger(value))) {
    throw new HttpError(400, `Expected ${name} to be ${integral ? 'an integer' : 'a number'} in [${low}, ${high}] but received ${JSON.stringify(value)}`);
  }
  return value;
}

function onlyKeys(body: Record<string, unknown>, allowed: string[]): void {
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) throw new HttpError(400, `Unknown field(s) ${unknown.join(', ')}; accepted: ${allowed.join(', ')}`);
}

function servedName(name: string | null): void {
  if (name !== null && !server.adapters().includes(name)) throw new HttpError(404, `Unknown adapter ${JSON.stringify(name)}; served: ${server.adapters().join(', ') || 'none'}`);
}

// ---- routes ----

async function train(name: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (!ADAPTER_NAME.test(name)) throw new HttpError(400, `Expected an adapter name of letters, digits, "_" or "-" but received ${JSON.stringify(name)}`);
  const body = objectBody(await readJson(request, bodyLimit));
  onlyKeys(body, ['inputs', 'targets', 'steps', 'lr', 'r', 'alpha', 'batch_size', 'seed', 'checkpoint_every']);
  const inputs = matrix(body.inputs, 'inputs', config.in_features);
  const targets = matrix(body.targets, 'targets', config.out_features);
  if (targets.length !== inputs.length) throw new HttpError(400, `Expected as many targets as inputs (${inputs.length}) but received ${targets.length}`);
  const input: TrainInput = {
    base: baseWeights, config,
    inputs: torch_tensor(inputs), targets: torch_tensor(targets),
    steps: numberField(body, 'steps', 200, 1, 100_000, true),
    lr: numberField(body, 'lr', 0.01, 1e-8, 10, false),
    r: numberField(body, 'r', Math.min(4, maxRank), 1, maxRank, true),
    alpha: numberField(body, 'alpha', 8, 1e-3, 1e4, false),
    batch_size: numberField(body, 'batch_size', 32, 1, MAX_ROWS, true),
    seed: numberField(body, 'seed', 0, 0, 2 ** 31, true),
  };
  const checkpointEvery = numberField(body, 'checkpoint_every', 50, 1, 100_000, true);
  if (training.has(name)) throw new HttpError(409, `Adapter ${JSON.stringify(name)} is being trained by job ${training.get(name)!.id}`);
  if (training.size >= maxJobs) throw new HttpError(429, `Expected at most ${maxJobs} training jobs at once; wait for one to end`);
  const job = start_job<TrainResult>(new URL('./service/train-job.js', import.meta.url), {
    input, threads: trainThreads, checkpoint_dir: join(flags.data, 'adapters', name), checkpoint_every: checkpointEvery,
  });
  const record: JobRecord = { id: job.id, adapter: name, job, result: null };
  jobs.set(job.id, record);
  training.set(name, record);
  void job.done.then(async () => {
    training.delete(name);
    if (job.state !== 'completed') return;
    record.result = await job.result;
    server.load(name, join(flags.data, 'adapters', name)); // hot swap: later requests get the new version
  }).catch((error: unknown) => console.error(`job ${job.id}: ${(error as Error).message}`));
  sendJson(response, 202, { job: job.id, adapter: name });
}

function jobView(record: JobRecord): unknown {
  const { job } = record;
  return { id: record.id, adapter: record.adapter, state: job.state, progress: job.progress, result: record.result, error: job.error?.message ?? null };
}

function jobEvents(record: JobRecord, response: ServerResponse): void {
  const send = startEvents(response);
  let open = true;
  response.on('close', () => { open = false; });
  void (async () => {
    for await (const event of record.job as AsyncIterable<JobEvent>) {
      if (!open) return;
      send(event.type, event);
    }
    await record.job.done;
    if (open) {
      send('end', jobView(record));
      response.end();
    }
  })();
}

async function predict(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const body = objectBody(await readJson(request, bodyLimit));
  onlyKeys(body, ['inputs', 'adapter', 'adapters']);
  const rows = matrix(body.inputs, 'inputs', config.in_features);
  let names: string | null | (string | null)[];
  if (body.adapters !== undefined) {
    if (body.adapter !== undefined) throw new HttpError(400, 'Expected adapter or adapters, not both');
    if (!Array.isArray(body.adapters) || body.adapters.length !== rows.length) throw new HttpError(400, `Expected adapters to be an array of ${rows.length} names (one per row, null for the base)`);
    names = body.adapters.map((name: unknown, i) => {
      if (name !== null && typeof name !== 'string') throw new HttpError(400, `Expected adapters[${i}] to be a name or null but received ${JSON.stringify(name)}`);
      return name as string | null;
    });
    names.forEach(servedName);
  } else {
    const name = body.adapter ?? null;
    if (name !== null && typeof name !== 'string') throw new HttpError(400, `Expected adapter to be a name or null but received ${JSON.stringify(name)}`);
    servedName(name);
    names = name;
  }
  const x = torch_tensor(rows);
  let y: Tensor | null = null;
  try {
    y = await server.predict(x, names);
    sendJson(response, 200, { outputs: y.to_array() });
  } finally {
    x.dispose();
    y?.dispose();
  }
}

async function removeAdapter(name: string, response: ServerResponse): Promise<void> {
  servedName(name);
  if (training.has(name)) throw new HttpError(409, `Adapter ${JSON.stringify(name)} is being trained by job ${training.get(name)!.id}; cancel it first`);
  await server.remove(name); // waits for the requests using it
  rmSync(join(flags.data, 'adapters', name), { recursive: true, force: true });
  sendJson(response, 200, { removed: name });
}

async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const method = request.method ?? 'GET';
  const allow = (methods: string[]): void => {
    if (!methods.includes(method)) throw new HttpError(405, `Expected ${methods.join(' or ')} for ${url.pathname} but received ${method}`);
  };
  if (parts[0] === 'predict' && parts.length === 1) { allow(['POST']); return predict(request, response); }
  if (parts[0] === 'adapters' && parts.length === 1) {
    allow(['GET']);
    const names = new Set([...server.adapters(), ...training.keys()]);
    return sendJson(response, 200, { adapters: [...names].sort().map((name) => ({ name, served: server.adapters().includes(name), in_use: server.in_use(name), training: training.get(name)?.id ?? null })) });
  }
  if (parts[0] === 'adapters' && parts.length === 2) { allow(['DELETE']); return removeAdapter(parts[1]!, response); }
  if (parts[0] === 'adapters' && parts.length === 3 && parts[2] === 'train') { allow(['POST']); return train(parts[1]!, request, response); }
  if (parts[0] === 'jobs' && (parts.length === 2 || (parts.length === 3 && parts[2] === 'events'))) {
    allow(['GET']);
    const record = jobs.get(parts[1]!);
    if (record === undefined) throw new HttpError(404, `Unknown job ${JSON.stringify(parts[1])}`);
    return parts.length === 2 ? sendJson(response, 200, jobView(record)) : jobEvents(record, response);
  }
  throw new HttpError(404, `No route for ${method} ${url.pathname}`);
}

const http = createServer((request, response) => {
  route(request, response).catch((error: unknown) => {
    const status = error instanceof HttpError ? error.status : error instanceof RangeError || error instanceof TypeError ? 400 : 500;
    if (status === 500) console.error(error);
    if (response.headersSent) { response.destroy(); return; }
    if (status === 413) response.setHeader('connection', 'close');
    sendJson(response, status, { error: (error as Error).message });
    request.resume(); // drain what the client is still sending
  });
});
http.listen(integer('port'), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(http.address() as AddressInfo).port} (adapters: ${server.adapters().join(', ') || 'none'})`);
});

// SIGTERM: stop taking requests, stop every job at a checkpoint, let requests in flight finish
// (10 s at most), then exit.
process.once('SIGTERM', () => {
  console.log('SIGTERM: stopping jobs at a checkpoint');
  const closed = new Promise<void>((resolve) => http.close(() => resolve()));
  http.closeIdleConnections();
  void (async () => {
    await Promise.all([...training.values()].map((record) => record.job.cancel({ timeout_ms: 30_000 })));
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    console.log('stopped');
    process.exit(0);
  })();
});
