// An HTTP service over one base model that trains LoRA adapters in worker threads and serves
// them all at once (`npm run example:service -- --help`; docs/service.md). Written as a user
// would, on the public API: node:http routes, a board of jobs, a folder of adapters in PEFT's
// format that a failed, cancelled or killed training never touches.
//
//   POST   /adapters/:name/train  {inputs, targets, steps?, ...} or {resume: true}  -> 202 {job}   (token)
//   GET    /jobs/:id                  state and progress
//   GET    /jobs/:id/events           server-sent events: progress, checkpoint, end
//   DELETE /jobs/:id                  cancels the job (a checkpoint first: it can be resumed)        (token)
//   POST   /predict  {inputs, adapter? | adapters?}                   -> {outputs}
//   GET    /adapters                  -> {adapters: [{name, served, in_use, training, resumable}]}
//   DELETE /adapters/:name            waits for requests using it, deletes its folders             (token)
//   GET    /stats                     jobs, rows waiting to run, open connections, event-loop delay
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  lora_server, start_job, torch_set_num_threads, torch_tensor, type Tensor, type TrainingJob,
} from '../src/index.js';
import { adapterName, matrix, numberField, objectBody, onlyKeys } from './service/checks.js';
import { parseFlags } from './service/flags.js';
import { bearerCheck, HttpError, pathParts, sendJson, sendJsonText } from './service/http.js';
import { JsonThread } from './service/json.js';
import { JobBoard, type JobRecord } from './service/jobs.js';
import { load_base } from './service/model.js';
import { Store, type SavedRequest } from './service/store.js';
import type { TrainInput, TrainResult } from './service/train-job.js';

const flags = parseFlags(process.argv.slice(2));
const { config, maxRows } = flags;
const maxRank = Math.min(config.in_features, config.hidden, config.out_features);
const authorize = bearerCheck(flags.token);
const oneLine = (error: unknown): string => String((error as Error)?.message ?? error).split('\n')[0]!;

torch_set_num_threads(1); // the event loop's thread serves; training jobs have their own
let store: Store;
let base: ReturnType<typeof load_base>;
try {
  store = new Store(flags.data);
  base = load_base(flags.data, config);
} catch (error) {
  console.error(`error: cannot use --data ${flags.data}: ${oneLine(error)}`);
  process.exit(1);
}
const baseWeights = base.state_dict(); // shared with every training job, never copied
const server = lora_server(base, { max_batch_rows: flags.chunkRows });
// Start-up: finished adapters are served; staged trainings are resumable, never served;
// temporaries of killed saves are removed once the loads have finished any interrupted swap.
for (const name of store.adapterNames()) {
  try {
    server.load(name, store.adapterDir(name));
  } catch (error) {
    console.error(`adapter ${name} not loaded: ${oneLine(error)}`);
  }
}
for (const path of store.removeLeftovers()) console.log(`removed ${path}, left by a killed save`);
const resumable = store.resumables();

const json = new JsonThread(); // big bodies are parsed, checked and written there
const board = new JobBoard<TrainResult>({
  maxJobs: flags.maxJobs, maxQueue: flags.maxQueue, maxRecords: flags.maxRecords, ttlMs: flags.recordTtlMs,
  settle: (record, state, _result, error) => {
    const name = record.adapter;
    if (state === 'completed') {
      resumable.delete(name);
      try {
        server.load(name, store.adapterDir(name)); // hot swap: later requests get the new version
      } catch (failure) {
        return { state: 'failed', error: store.scrub(`the trained adapter did not load: ${oneLine(failure)}`) };
      }
      return { state, error: null };
    }
    if (record.checkpoint > 0) resumable.set(name, { step: record.checkpoint, steps: record.steps });
    else store.removeStaging(name); // nothing to resume from
    return { state, error: error === null ? null : store.scrub(oneLine(error)) };
  },
});

// ---- routes ----

function servedName(name: string | null, served = new Set(server.adapters())): void {
  if (name !== null && !served.has(name)) throw new HttpError(404, `Unknown adapter ${JSON.stringify(name.slice(0, 64))}`);
}

// The job's input, its tensors made when it starts (a queued job holds only its arrays).
function launcher(name: string, request: SavedRequest, startStep: number, inputs: Float32Array, targets: Float32Array): (id: string) => TrainingJob<TrainResult> {
  return (id) => {
    const tensors = [torch_tensor(inputs, { shape: [inputs.length / config.in_features, config.in_features] }),
      torch_tensor(targets, { shape: [targets.length / config.out_features, config.out_features] })];
    const { inputs: _i, targets: _t, ...settings } = request;
    const input: TrainInput = {
      ...settings, base: baseWeights, config, inputs: tensors[0]!, targets: tensors[1]!, start_step: startStep, checkpoint_min_ms: flags.checkpointMinMs,
      resume_from: startStep > 0 ? store.checkpointDir(name) : null, adapter_dir: store.adapterDir(name), staging_dir: store.stagingDir(name),
    };
    try {
      const job = start_job<TrainResult>(new URL('./service/train-job.js', import.meta.url), {
        id, input, threads: flags.trainThreads, checkpoint_dir: store.checkpointDir(name), history: 0, // the board keeps its own few
      });
      void job.done.then(() => { for (const tensor of tensors) tensor.dispose(); });
      return job;
    } catch (error) {
      for (const tensor of tensors) tensor.dispose();
      throw error;
    }
  };
}

async function train(name: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  authorize(request);
  adapterName(name);
  const read = await json.readJson(request, flags.bodyLimit, { inputs: config.in_features, targets: config.out_features }, maxRows);
  const body = objectBody(read.body);
  const running = board.active(name);
  if (running !== undefined) throw new HttpError(409, `Adapter ${JSON.stringify(name)} is being trained by job ${running.id}; cancel it first with DELETE /jobs/${running.id}`);
  let saved: SavedRequest;
  let startStep = 0;
  let inputs: Float32Array;
  let targets: Float32Array;
  if (body.resume !== undefined) {
    onlyKeys(body, ['resume', 'steps', 'checkpoint_every', 'checkpoint_seconds']);
    if (body.resume !== true) throw new HttpError(400, `Expected resume to be true but received ${JSON.stringify(body.resume)?.slice(0, 40)}`);
    const staged = resumable.get(name);
    const stored = staged === undefined ? null : store.readRequest(name);
    if (staged === undefined || stored === null) throw new HttpError(404, `Expected a checkpoint of adapter ${JSON.stringify(name)} to resume but there is none; train it anew`);
    startStep = staged.step;
    saved = {
      ...stored,
      steps: numberField(body, 'steps', stored.steps, startStep, 100_000, true),
      checkpoint_every: numberField(body, 'checkpoint_every', stored.checkpoint_every, 0, 100_000, true),
      checkpoint_seconds: numberField(body, 'checkpoint_seconds', stored.checkpoint_seconds, 0, 86_400, false),
    };
    inputs = saved.inputs;
    targets = saved.targets;
    if (inputs.length % config.in_features !== 0 || targets.length / config.out_features !== inputs.length / config.in_features) {
      throw new HttpError(409, `Expected a checkpoint of adapter ${JSON.stringify(name)} made for this base's widths; train it anew`);
    }
  } else {
    onlyKeys(body, ['inputs', 'targets', 'steps', 'lr', 'r', 'alpha', 'batch_size', 'seed', 'checkpoint_every', 'checkpoint_seconds']);
    const x = read.packed.inputs ?? matrix(body.inputs, 'inputs', config.in_features, maxRows);
    const y = read.packed.targets ?? matrix(body.targets, 'targets', config.out_features, maxRows);
    if (y.rows !== x.rows) throw new HttpError(400, `Expected as many targets as inputs (${x.rows}) but received ${y.rows}`);
    saved = {
      inputs: x.data, targets: y.data,
      steps: numberField(body, 'steps', 200, 1, 100_000, true),
      lr: numberField(body, 'lr', 0.01, 1e-8, 10, false),
      r: numberField(body, 'r', Math.min(4, maxRank), 1, maxRank, true),
      alpha: numberField(body, 'alpha', 8, 1e-3, 1e4, false),
      batch_size: numberField(body, 'batch_size', 32, 1, maxRows, true),
      seed: numberField(body, 'seed', 0, 0, 2 ** 31, true),
      checkpoint_every: numberField(body, 'checkpoint_every', 50, 0, 100_000, true),
      checkpoint_seconds: numberField(body, 'checkpoint_seconds', 0, 0, 86_400, false),
    };
    inputs = x.data;
    targets = y.data;
  }
  board.checkCapacity(); // 429 before anything changes
  if (startStep === 0) {
    // A new training replaces any earlier staging of the name; a resume goes on with it.
    resumable.delete(name);
    store.stage(name, saved);
  } else store.restage(name, saved);
  const record = board.submit(name, saved.steps, startStep, launcher(name, saved, startStep, inputs, targets));
  sendJson(response, 202, { job: record.id, adapter: name, state: record.state, start_step: startStep });
}

async function predict(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const read = await json.readJson(request, flags.bodyLimit, { inputs: config.in_features }, maxRows);
  const body = objectBody(read.body);
  onlyKeys(body, ['inputs', 'adapter', 'adapters']);
  const { rows, data } = read.packed.inputs ?? matrix(body.inputs, 'inputs', config.in_features, maxRows);
  let names: string | null | (string | null)[];
  if (body.adapters !== undefined) {
    if (body.adapter !== undefined) throw new HttpError(400, 'Expected adapter or adapters, not both');
    if (!Array.isArray(body.adapters) || body.adapters.length !== rows) throw new HttpError(400, `Expected adapters to be an array of ${rows} names (one per row, null for the base)`);
    names = body.adapters.map((name: unknown, i) => {
      if (name !== null && typeof name !== 'string') throw new HttpError(400, `Expected adapters[${i}] to be a name or null but received ${JSON.stringify(name)?.slice(0, 40)}`);
      return name as string | null;
    });
    const served = new Set(server.adapters());
    for (const name of names) servedName(name, served);
  } else {
    const name = body.adapter ?? null;
    if (name !== null && typeof name !== 'string') throw new HttpError(400, `Expected adapter to be a name or null but received ${JSON.stringify(name)?.slice(0, 40)}`);
    servedName(name);
    names = name;
  }
  const x = torch_tensor(data, { shape: [rows, config.in_features] });
  let y: Tensor | null = null;
  try {
    // lora_server runs it in batches of --predict-chunk-rows rows, one per turn of the event loop.
    y = await server.predict(x, names).catch((error: unknown) => {
      // Removed between the check and the batch: the library's message would list the others.
      if (error instanceof RangeError) throw new HttpError(404, 'Unknown adapter (removed while the request waited)');
      throw error;
    });
    const outputs = y.to_typed_array() as Float32Array; // a copy, handed to the JSON thread
    sendJsonText(response, 200, await json.outputs(outputs, config.out_features));
  } finally {
    x.dispose();
    y?.dispose();
  }
}

function adapterList(): unknown {
  const served = server.adapters();
  const active = board.activeNames();
  const names = new Set([...served, ...active.keys(), ...resumable.keys()]);
  return {
    adapters: [...names].sort().map((name) => ({
      name, served: served.includes(name), in_use: server.in_use(name), training: active.get(name) ?? null, resumable: resumable.get(name) ?? null,
    })),
  };
}

async function removeAdapter(name: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  authorize(request);
  const running = board.active(name);
  if (running !== undefined) throw new HttpError(409, `Adapter ${JSON.stringify(name)} is being trained by job ${running.id}; cancel it first with DELETE /jobs/${running.id}`);
  const served = server.adapters().includes(name);
  if (!served && !resumable.has(name)) throw new HttpError(404, `Unknown adapter ${JSON.stringify(name.slice(0, 64))}`);
  resumable.delete(name);
  store.removeStaging(name);
  if (served) {
    await server.remove(name); // waits for the requests using it
    store.removeAdapter(name);
  }
  sendJson(response, 200, { removed: name });
}

async function cancelJob(record: JobRecord<TrainResult>, response: ServerResponse): Promise<void> {
  if (record.ended_at !== null) throw new HttpError(409, `Expected a queued or running job but job ${record.id} has ended (${record.state})`);
  await board.cancel(record);
  sendJson(response, 200, board.view(record));
}

let connections = 0;
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();

// What GET /stats answers; the event loop's delay is over the time since the previous GET /stats.
function stats(): unknown {
  const delay = { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
  loopDelay.reset();
  return { jobs: board.counts(), predict_rows_waiting: server.pending_rows(), connections, event_loop_delay_ms: delay };
}

async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const parts = pathParts(url.pathname);
  const method = request.method ?? 'GET';
  const allow = (methods: string[]): void => {
    if (!methods.includes(method)) throw new HttpError(405, `Expected ${methods.join(' or ')} for this route but received ${method}`, { allow: methods.join(', ') });
  };
  if (parts[0] === 'predict' && parts.length === 1) { allow(['POST']); return predict(request, response); }
  if (parts[0] === 'stats' && parts.length === 1) {
    allow(['GET']);
    return sendJson(response, 200, stats());
  }
  if (parts[0] === 'adapters' && parts.length === 1) { allow(['GET']); return sendJson(response, 200, adapterList()); }
  if (parts[0] === 'adapters' && parts.length === 2) { allow(['DELETE']); return removeAdapter(parts[1]!, request, response); }
  if (parts[0] === 'adapters' && parts.length === 3 && parts[2] === 'train') { allow(['POST']); return train(parts[1]!, request, response); }
  if (parts[0] === 'jobs' && parts.length === 2) {
    allow(['GET', 'DELETE']);
    if (method === 'DELETE') authorize(request); // before saying whether the job exists
    const record = board.get(parts[1]!);
    return method === 'GET' ? sendJson(response, 200, board.view(record)) : cancelJob(record, response);
  }
  if (parts[0] === 'jobs' && parts.length === 3 && parts[2] === 'events') { allow(['GET']); return board.stream(board.get(parts[1]!), response); }
  throw new HttpError(404, 'No such route');
}

const http = createServer({
  headersTimeout: flags.headersTimeoutMs, requestTimeout: flags.requestTimeoutMs,
  connectionsCheckingInterval: Math.min(1000, flags.headersTimeoutMs / 2),
}, (request, response) => {
  route(request, response).catch((error: unknown) => {
    const known = error instanceof HttpError;
    const status = known ? error.status : error instanceof RangeError || error instanceof TypeError ? 400 : 500;
    if (status === 500) console.error(`${request.method} ${(request.url ?? '').slice(0, 200)}: ${(error as Error)?.stack ?? String(error)}`);
    if (response.headersSent) { response.destroy(); return; }
    if (status === 413) response.setHeader('connection', 'close');
    // The service's own messages name no path; the library's may (a file it could not read).
    const message = status === 500 ? 'Internal error (the server log has the details)' : known ? error.message : store.scrub((error as Error).message);
    sendJson(response, status, { error: message }, known ? error.headers : {});
    request.resume(); // drain what the client is still sending
  });
});
http.maxConnections = flags.maxConnections;
http.on('connection', (socket) => {
  connections += 1;
  socket.once('close', () => { connections -= 1; });
});
http.once('error', (error: NodeJS.ErrnoException) => {
  const why = error.code === 'EADDRINUSE' ? `port ${flags.port} is in use` : error.code === 'EACCES' ? `port ${flags.port} needs privileges` : oneLine(error);
  console.error(`error: cannot listen on 127.0.0.1:${flags.port}: ${why}`);
  process.exit(1);
});
http.listen(flags.port, '127.0.0.1', () => {
  const served = server.adapters();
  console.log(`listening on http://127.0.0.1:${(http.address() as AddressInfo).port} (adapters: ${served.join(', ') || 'none'}; resumable: ${[...resumable.keys()].join(', ') || 'none'})`);
});

// SIGTERM: stop taking requests, stop every job at a checkpoint, let requests in flight finish
// (10 s at most), then exit.
process.once('SIGTERM', () => {
  console.log('SIGTERM: stopping jobs at a checkpoint');
  const closed = new Promise<void>((resolve) => http.close(() => resolve()));
  http.closeIdleConnections();
  void (async () => {
    await board.cancelAll();
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    console.log('stopped');
    process.exit(0);
  })();
});
