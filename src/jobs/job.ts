// The caller's side of a training job: start_job runs a job module in a worker thread and
// returns a TrainingJob (events, async iteration, cancel, the result). The event loop of the
// caller only receives messages; the training runs on the worker's thread and libtorch's.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TorchError } from '../core/errors.js';
import { packageRoot } from '../core/loader.js';
import { checkNonNegativeInteger, checkOptions, checkPositiveInteger, fail, failRange, optionKeys, text } from '../core/validate.js';
import { CANCEL_FLAG, type JobEvent, type JobProgress, type SerializedError, type WorkerMessage, type WorkerSettings } from './protocol.js';
import { decodeShared, encodeShared, releaseShared } from './share.js';
import type { JobFunction } from './context.js';

const MADE_BY_START_JOB = Symbol('start_job');

function checkMilliseconds(value: unknown, name: string): number {
  if (typeof value !== 'number' || !(value >= 0)) fail('a number of milliseconds >= 0', name, value);
  return value;
}

/** Where a job is: running until it ends as completed, failed or cancelled. */
export type JobState = 'starting' | 'running' | 'completed' | 'failed' | 'cancelled';

/** What `start_job` accepts; `Input` is the job's input type (see `start_job`). */
export interface StartJobOptions<Input = unknown> {
  /**
   * What the job's function receives as `job.input`: numbers, strings, arrays, plain objects,
   * Maps, Sets, typed arrays, and Tensors, which are shared with the worker, not copied (a
   * model's `state_dict()` shares its weights).
   */
  input?: Input;
  /** libtorch's intra-op threads in the worker (default: libtorch's default, one per core). */
  threads?: number;
  /**
   * The worker's scheduling priority as a Linux nice value, 0 (normal) to 19 (lowest); its
   * libtorch threads inherit it. Default 10: a busy machine serves the event loop's thread
   * (requests) before training, while an idle one trains at full speed.
   */
  nice?: number;
  /** The folder `job.on_checkpoint`'s saver writes (lora_save replaces it whole each time). */
  checkpoint_dir?: string;
  /** Checkpoint every this many steps (needs checkpoint_dir); default: only on cancel. */
  checkpoint_every?: number;
  /** At most one progress event per this many milliseconds (default 100). */
  progress_interval_ms?: number;
  /** A name for the job (default: a random UUID); `job.id`. */
  id?: string;
  /**
   * How many of its latest events the job keeps for `for await` loops that start late or fall
   * behind (default 1000; 0: none, a loop sees only events after it started waiting). A
   * long job's memory stays bounded; a loop further behind goes on from the oldest kept.
   */
  history?: number;
}
const START_KEYS = optionKeys<StartJobOptions>({
  input: true, threads: true, nice: true, checkpoint_dir: true, checkpoint_every: true, progress_interval_ms: true, id: true, history: true,
});

/** The caller's error when a job was cancelled; `result` rejects with it. */
export class JobCancelledError extends Error {
  override name = 'JobCancelledError';
  constructor(readonly id: string, readonly step: number) {
    super(`job ${text(id)} was cancelled at step ${text(step)}`);
  }
}

const WORKER = (): string => {
  const compiled = join(packageRoot(), 'dist', 'src', 'jobs', 'worker.js');
  if (!existsSync(compiled)) throw new Error(`torchlora's job worker is not built: ${compiled} is missing (run npm run build)`);
  return compiled;
};

function rebuildError(error: SerializedError, id: string): Error {
  const Class = error.name === 'TypeError' ? TypeError : error.name === 'RangeError' ? RangeError
    : error.name === 'TorchError' ? TorchError : Error;
  const rebuilt = new Class(error.message);
  if (Class === Error && error.name !== 'Error') rebuilt.name = error.name;
  rebuilt.stack = `${rebuilt.name}: ${error.message}\n    in job ${id}'s worker thread:\n${(error.stack ?? '').split('\n').slice(1).join('\n')}`;
  if (error.code !== undefined) (rebuilt as { code?: unknown }).code = error.code;
  return rebuilt;
}

/** The events a TrainingJob emits, with their listener's arguments. */
export interface TrainingJobEvents {
  progress: [event: Extract<JobEvent, { type: 'progress' }>];
  checkpoint: [event: Extract<JobEvent, { type: 'checkpoint' }>];
  /** Every progress and checkpoint event. */
  event: [event: JobEvent];
  end: [state: JobState];
}

/** The EventEmitter methods a TrainingJob has, typed by its events (declared here so that its types need no Node types). */
export interface TrainingJobEmitter {
  on<E extends keyof TrainingJobEvents>(event: E, listener: (...args: TrainingJobEvents[E]) => void): this;
  once<E extends keyof TrainingJobEvents>(event: E, listener: (...args: TrainingJobEvents[E]) => void): this;
  off<E extends keyof TrainingJobEvents>(event: E, listener: (...args: TrainingJobEvents[E]) => void): this;
  addListener<E extends keyof TrainingJobEvents>(event: E, listener: (...args: TrainingJobEvents[E]) => void): this;
  removeListener<E extends keyof TrainingJobEvents>(event: E, listener: (...args: TrainingJobEvents[E]) => void): this;
  removeAllListeners(event?: keyof TrainingJobEvents): this;
  listenerCount(event: keyof TrainingJobEvents): number;
  emit<E extends keyof TrainingJobEvents>(event: E, ...args: TrainingJobEvents[E]): boolean;
}
const JobEmitter = EventEmitter as unknown as new () => TrainingJobEmitter;

/**
 * A job running in a worker thread (a Node EventEmitter). Listen with `on('progress' | 'checkpoint' | 'end', ...)` or
 * iterate its events with `for await`; `cancel()` stops it at its next step after a
 * checkpoint; `result` settles when it ends (rejecting with the job's error, or with
 * JobCancelledError); `done` always resolves, with the final state.
 */
export class TrainingJob<Result = unknown> extends JobEmitter {
  state: JobState = 'starting';
  /** The latest progress report, null before the first. */
  progress: JobProgress | null = null;
  /** The job's error when it failed. */
  error: Error | null = null;
  readonly result: Promise<Result>;
  readonly done: Promise<JobState>;
  private readonly control = new SharedArrayBuffer(4);
  private readonly worker: Worker;
  private readonly history: JobEvent[] = [];
  /** Events let go from the front of `history` (the absolute index of its first). */
  private dropped = 0;
  private terminated = false;
  private settle!: { resolve: (value: Result) => void; reject: (error: Error) => void; end: (state: JobState) => void };

  /** @internal Use start_job. */
  constructor(token: typeof MADE_BY_START_JOB, readonly id: string, module: string, input: unknown, options: Omit<WorkerSettings, 'id' | 'module' | 'input' | 'control'>,
    private readonly historyLimit = 1000) {
    if (token !== MADE_BY_START_JOB) throw new TypeError('Expected start_job(module, options) to make a TrainingJob but received new TrainingJob(...)');
    super();
    this.result = new Promise<Result>((resolve, reject) => {
      this.settle = { resolve, reject, end: () => undefined };
    });
    this.result.catch(() => undefined);  // the state and 'end' carry it; an unobserved rejection is not a crash
    this.done = new Promise((resolve) => { this.settle.end = resolve; });
    const ids: number[] = [];
    try {
      const settings: WorkerSettings = { id, module, input: encodeShared(input, ids, 'input'), control: this.control, ...options };
      this.worker = newWorker(settings);
    } catch (error) {
      releaseShared(ids);
      throw error;
    }
    let finished = false;
    this.worker.on('message', (message: WorkerMessage) => {
      if (message.kind === 'started') this.state = 'running';
      else if (message.kind === 'event') this.record(message.event);
      else if (message.kind === 'done') {
        finished = true;
        let result: Result;
        try {
          result = decodeShared(message.result) as Result;
        } catch (error) {
          this.finish('failed', error as Error);
          return;
        }
        this.finish('completed', result);
      }
      else if (message.kind === 'cancelled') { finished = true; this.finish('cancelled', new JobCancelledError(id, message.step)); }
      else { finished = true; this.finish('failed', rebuildError(message.error, id)); }
    });
    this.worker.on('error', (error) => { finished = true; this.finish('failed', error); });
    this.worker.on('exit', (code) => {
      releaseShared(ids);
      if (!finished && this.terminated) this.finish('cancelled', new JobCancelledError(id, this.progress?.step ?? 0));
      else if (!finished) this.finish('failed', new Error(`job ${id}'s worker thread exited with code ${code} before the job ended`));
    });
  }

  /** Whether the job has ended (completed, failed or cancelled). */
  get ended(): boolean { return this.state === 'completed' || this.state === 'failed' || this.state === 'cancelled'; }

  /**
   * Asks the job to stop: its next `job.step()` saves a checkpoint and ends it. Resolves with
   * the final state. With `timeout_ms`, a job that has not reached a step by then is
   * terminated (no checkpoint) and ends as cancelled.
   *
   * @example
   * await job.cancel();
   */
  async cancel(options: { timeout_ms?: number } = {}): Promise<JobState> {
    const { timeout_ms } = checkOptions(options, CANCEL_KEYS, 'cancel');
    if (timeout_ms !== undefined) checkMilliseconds(timeout_ms, 'timeout_ms');
    if (this.ended) return this.state;
    Atomics.store(new Int32Array(this.control), CANCEL_FLAG, 1);
    if (timeout_ms === undefined) return this.done;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), timeout_ms); });
    const first = await Promise.race([this.done, late]);
    clearTimeout(timer);
    if (first !== 'late') return first;
    this.terminated = true;
    await this.worker.terminate();
    return this.done;
  }

  /** The events kept so far (start_job's `history`), then each new one until the job ends. @example for await (const e of job) console.log(e) */
  async *[Symbol.asyncIterator](): AsyncGenerator<JobEvent, void, undefined> {
    let seen = 0; // counted from the job's first event
    for (;;) {
      for (;;) {
        seen = Math.max(seen, this.dropped);
        if (seen >= this.dropped + this.history.length) break;
        yield this.history[seen - this.dropped]!;
        seen += 1;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        const wake = (): void => { this.off('event', wake); this.off('end', wake); resolve(); };
        this.on('event', wake);
        this.on('end', wake);
      });
    }
  }

  private record(event: JobEvent): void {
    this.history.push(event);
    if (this.history.length > this.historyLimit) {
      this.history.shift();
      this.dropped += 1;
    }
    if (event.type === 'progress') {
      const { type: _type, ...progress } = event;
      this.progress = progress;
    }
    this.emit('event', event);
    if (event.type === 'progress') this.emit('progress', event);
    else this.emit('checkpoint', event);
  }

  private finish(state: JobState, outcome: Result | Error): void {
    if (this.ended) return;
    this.state = state;
    if (state === 'completed') this.settle.resolve(outcome as Result);
    else {
      this.error = state === 'failed' ? outcome as Error : null;
      this.settle.reject(outcome as Error);
    }
    this.settle.end(state);
    this.emit('end', state);
  }
}
const CANCEL_KEYS = optionKeys<{ timeout_ms?: number }>({ timeout_ms: true });

let jobs = 0;

/** A URL (`new URL('./job.js', import.meta.url)`), as far as start_job reads it; typed so that the declarations need no DOM or Node types. */
export interface ModuleUrl { readonly href: string }

type JobOf<Job> = Job extends { default: infer F } ? F : Job;
/** A job's input type, from its module's type or its default export's (`JobFunction`); unknown for anything else. */
export type JobInput<Job> = JobOf<Job> extends JobFunction<infer Input, any> ? Input : unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
/** A job's result type, from its module's type or its default export's; any other type is taken as the result type itself (the older `start_job<Result>`). */
export type JobResult<Job> = JobOf<Job> extends (job: never) => infer Result ? Awaited<Result> : Job;
/** `start_job`'s options argument: required, with `input`, when the job's input cannot be undefined. */
export type StartJobArguments<Input> = unknown extends Input ? [options?: StartJobOptions<Input>]
  : undefined extends Input ? [options?: StartJobOptions<Input>] : [options: StartJobOptions<Input> & { input: Input }];

/**
 * The caller's Node flags for the job's worker, which inherits them (its loader among them),
 * less those that describe the caller's own entry point: `node --input-type=module -e CODE`
 * lists all three in execArgv, and a worker given `--input-type` without `-e` refuses to start.
 * @internal
 */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const flag = execArgv[i]!;
    if (/^(-e|--eval|-p|-pe|--print|--input-type)$/.test(flag)) i++;  // the flag and its value
    else if (!/^--(eval|print|input-type)=/.test(flag)) kept.push(flag);
  }
  return kept;
}

// The job's worker. It inherits the caller's flags unless some are the caller's entry point's;
// then it gets the rest, less the process-wide ones (--expose-gc, --max-old-space-size, ...)
// that a worker inherits silently but refuses when named, as Node's error lists them.
function newWorker(settings: WorkerSettings): Worker {
  let execArgv = workerExecArgv(process.execArgv);
  if (execArgv.length === process.execArgv.length) return new Worker(WORKER(), { workerData: settings });
  try {
    return new Worker(WORKER(), { workerData: settings, execArgv });
  } catch (error) {
    const refused = (error as { code?: unknown }).code === 'ERR_WORKER_INVALID_EXEC_ARGV' ? /flags: (.*)$/.exec((error as Error).message)?.[1]?.split(', ') : undefined;
    if (refused === undefined) throw error;
    execArgv = execArgv.filter((flag) => !refused.includes(flag));
    return new Worker(WORKER(), { workerData: settings, execArgv });
  }
}

// A TypeScript job module needs the loader the caller runs with (the worker inherits the
// caller's execArgv and NODE_OPTIONS); without a sign of one, say so here rather than fail in
// the worker with "Unknown file extension".
function checkLoader(specifier: string): void {
  if (!/\.(c|m)?tsx?$/i.test(specifier.replace(/[?#].*$/, ''))) return;
  const flags = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
  const features = process.features as { typescript?: unknown };
  if (/--(import|loader|experimental-loader|require|experimental-strip-types|experimental-transform-types)\b|(^|\s)-r\b/.test(flags) || (features.typescript !== undefined && features.typescript !== false)) return;
  fail('a JavaScript job module, or a TypeScript one in a process that runs under a TypeScript loader (run it with tsx, node --import tsx, '
    + 'node --loader ts-node/esm, or node --experimental-strip-types on Node 22.6 or later: the worker takes the same one; '
    + 'or compile the job module and pass the .js)', 'module', specifier);
}

/**
 * Runs a job module (its default export, made with `define_job`) in a worker thread, so
 * training never blocks the caller's event loop. Tensors in `input` are shared, not copied.
 * The type argument ties `input` and `result` to the job's `define_job` types: the module's
 * type (`typeof import('./train-adapter.js')`) or its default export's (`import type train from
 * './train-adapter.js'`, then `typeof train`); a type-only import runs nothing in the caller.
 * A job module in TypeScript runs under the loader the caller runs with (tsx, ts-node,
 * Node's type stripping), which the worker inherits; without one, start_job says how to fix it.
 *
 * @example
 * const job = start_job<typeof import('./train-adapter.js')>(new URL('./train-adapter.js', import.meta.url), {
 *   input: { base: model.state_dict(), steps: 500 }, checkpoint_dir: 'adapters/tuned', checkpoint_every: 100,
 * });
 * job.on('progress', (p) => console.log(p.step, p.loss, p.examples_per_second));
 * const result = await job.result;
 */
export function start_job<Job = JobFunction>(module: string | ModuleUrl, ...options: StartJobArguments<JobInput<Job>>): TrainingJob<JobResult<Job>>;
export function start_job(module: string | ModuleUrl, options: StartJobOptions = {}): TrainingJob<unknown> {
  const { input, threads, nice = 10, checkpoint_dir, checkpoint_every, progress_interval_ms = 100, id, history = 1000 } = checkOptions(options, START_KEYS, 'start_job');
  let specifier: string;
  if (typeof module === 'object' && module !== null && typeof (module as Partial<ModuleUrl>).href === 'string') specifier = module.href;
  else if (typeof module === 'string' && module.length > 0) specifier = /^[a-z][a-z0-9+.-]*:/i.test(module) ? module : pathToFileURL(module).href;
  else return fail('a module path or URL', 'module', module);
  checkLoader(specifier);
  if (threads !== undefined) checkPositiveInteger(threads, 'threads');
  if (checkNonNegativeInteger(nice, 'nice') > 19) failRange('a nice value from 0 to 19', 'nice', nice);
  if (checkpoint_dir !== undefined && (typeof checkpoint_dir !== 'string' || checkpoint_dir === '')) fail('a folder path', 'checkpoint_dir', checkpoint_dir);
  if (checkpoint_every !== undefined) {
    checkPositiveInteger(checkpoint_every, 'checkpoint_every');
    if (checkpoint_dir === undefined) fail('checkpoint_dir beside checkpoint_every', 'options', options);
  }
  checkMilliseconds(progress_interval_ms, 'progress_interval_ms');
  if (id !== undefined && (typeof id !== 'string' || id === '')) fail('a non-empty string', 'id', id);
  checkNonNegativeInteger(history, 'history');
  const name = id ?? `job-${++jobs}-${crypto.randomUUID().slice(0, 8)}`;
  return new TrainingJob(MADE_BY_START_JOB, name, specifier, input, {
    threads: threads ?? null,
    nice,
    checkpoint_dir: checkpoint_dir ?? null,
    checkpoint_every: checkpoint_every ?? null,
    progress_interval_ms,
  }, history);
}
