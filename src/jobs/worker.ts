// The entry of a training job's worker thread: sets the thread count, takes the shared input,
// imports the job module, runs its default export with a JobContext, and sends back events,
// then the result (its Tensors shared, not copied) or the error.
import { parentPort, workerData } from 'node:worker_threads';
import { torch_set_num_threads } from '../core/config.js';
import { native } from '../core/native.js';
import { JobCancelled, JobContext, MADE_BY_WORKER, type JobFunction } from './context.js';
import { serializeError, type JobEvent, type WorkerMessage, type WorkerSettings } from './protocol.js';
import { decodeShared, encodeShared, releaseShared } from './share.js';

const settings = workerData as WorkerSettings;
const port = parentPort!;
const send = (message: WorkerMessage): void => port.postMessage(message);

async function run(): Promise<void> {
  let context: JobContext | null = null;
  try {
    if (settings.nice !== 0) {
      const errno = native.setThreadNice(settings.nice);
      if (errno !== 0) throw new Error(`could not set the job thread's nice value to ${settings.nice} (errno ${errno}); start_job({ nice: 0 }) runs it at normal priority`);
    }
    if (settings.threads !== null) torch_set_num_threads(settings.threads);
    const input = decodeShared(settings.input);
    const typescript = /\.(c|m)?tsx?$/i.test(settings.module.replace(/[?#].*$/, ''));
    if (typescript) await takeLoaders();
    const loaded = (await import(settings.module).catch((error: unknown) => {
      // The caller's flags named a loader (start_job checked), but none of them reads TypeScript.
      if (!typescript || (error as { code?: unknown } | null)?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
      throw new TypeError(`Expected a TypeScript loader in the caller's flags (tsx, node --import tsx, node --loader ts-node/esm, or node --experimental-strip-types on Node 22.6 or later) for module but received ${settings.module}, which no loader of this process reads (${(error as Error).message}); or compile the job module and pass the .js`);
    })) as { default?: unknown };
    if (typeof loaded.default !== 'function') {
      throw new TypeError(`Expected a job module whose default export is a function (define_job(async (job) => ...)) for module but received ${settings.module}, whose default export is ${typeof loaded.default}`);
    }
    context = new JobContext(MADE_BY_WORKER, settings.id, input, settings, (event: JobEvent) => send({ kind: 'event', event }));
    send({ kind: 'started' });
    const result = await (loaded.default as JobFunction)(context);
    context.report();
    const ids: number[] = [];
    try {
      send({ kind: 'done', result: encodeShared(result, ids, 'result') });
    } catch (error) {
      releaseShared(ids);
      throw error;
    }
  } catch (error) {
    if (error instanceof JobCancelled) send({ kind: 'cancelled', step: error.step });
    else send({ kind: 'failed', error: serializeError(error) });
  }
}

// A TypeScript job module needs the caller's loader. The worker gets the caller's flags, and
// Node 20 runs a `--loader X` or `--import X` in the worker as in the caller (ts-node's loader
// included; registering it once more breaks it), but tsx's `--import tsx` registers its hooks
// on the main thread only: take tsx's through its API (it refuses module.register), whether
// the caller named it in its flags or in NODE_OPTIONS (which execArgv does not list).
const TSX_API = 'tsx/esm/api'; // a variable: torchlora does not depend on tsx

async function takeLoaders(): Promise<void> {
  const argv = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean)];
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    if (flag !== '--import' && flag !== '--loader' && flag !== '--experimental-loader') continue;
    const value = inline ?? argv[++i] ?? '';
    if (/(^|[\\/])tsx([\\/]|$)/.test(value)) {
      ((await import(TSX_API)) as { register(): unknown }).register();
      return;
    }
  }
}

await run();
