// The job's side of a training job: what its function receives in the worker thread.
import { Tensor } from '../ops/tensor.js';
import { checkFinite, checkOptions, fail, optionKeys, text } from '../core/validate.js';
import { CANCEL_FLAG, type JobEvent, type JobProgress, type WorkerSettings } from './protocol.js';

/** @internal The worker entry's key to JobContext's constructor. */
export const MADE_BY_WORKER = Symbol('job worker');

/** Thrown by `job.step()` once the caller has cancelled; the job's function should let it pass. */
export class JobCancelled extends Error {
  override name = 'JobCancelled';
  constructor(readonly step: number) { super(`the job was cancelled at step ${text(step)}`); }
}

/** What `job.step()` accepts. */
export interface StepReport {
  /** The step's loss: a number or a one-element Tensor (read with item()). */
  loss?: number | Tensor;
  /** How many examples the step trained on (for examples per second). */
  examples?: number;
}
const STEP_KEYS = optionKeys<StepReport>({ loss: true, examples: true });

/**
 * A training job's handle inside its worker thread: its input (Tensors in it share storage
 * with the caller's, no copy), `step()` to report progress and honour cancellation, and
 * checkpoints of whatever `on_checkpoint` saves.
 */
export class JobContext<Input = unknown> {
  private steps = 0;
  private examples = 0;
  private loss: number | null = null;
  private readonly started = performance.now();
  private window = { at: performance.now(), steps: 0, examples: 0 };
  private saver: ((dir: string) => void) | null = null;
  private savedAt = -1;
  private readonly cancelFlag: Int32Array;

  /** @internal Made by the worker entry (src/jobs/worker.ts). */
  constructor(token: typeof MADE_BY_WORKER, readonly id: string, readonly input: Input, private readonly settings: WorkerSettings,
    private readonly post: (event: JobEvent) => void) {
    if (token !== MADE_BY_WORKER) throw new TypeError("Expected a JobContext from start_job's worker (the job function's argument) but received new JobContext(...)");
    this.cancelFlag = new Int32Array(settings.control);
  }

  /** Whether the caller asked the job to stop (`step()` throws JobCancelled from then on). */
  get cancelled(): boolean { return Atomics.load(this.cancelFlag, CANCEL_FLAG) === 1; }

  /** Steps counted so far. */
  get step_count(): number { return this.steps; }

  /** Where checkpoints go (the caller's `checkpoint_dir`), or null when it gave none. */
  get checkpoint_dir(): string | null { return this.settings.checkpoint_dir; }

  /**
   * Registers what a checkpoint saves, e.g. the adapter: `job.on_checkpoint((dir) => lora_save(model, dir))`.
   * It runs every `checkpoint_every` steps, when the job is cancelled, and on `checkpoint()`.
   * `dir` is the caller's `checkpoint_dir`; lora_save and torch_save replace it whole.
   *
   * @example
   * job.on_checkpoint((dir) => lora_save(model, dir));
   */
  on_checkpoint(save: (dir: string) => void): void {
    if (typeof save !== 'function') fail('a function (dir) => void', 'save', save);
    this.saver = save;
  }

  /**
   * Saves a checkpoint now (when `on_checkpoint` and `checkpoint_dir` were given), unless one
   * was saved at this step already. @example job.checkpoint()
   */
  checkpoint(): void {
    const dir = this.settings.checkpoint_dir;
    if (this.saver === null || dir === null || this.savedAt === this.steps) return;
    this.saver(dir);
    this.savedAt = this.steps;
    this.post({ type: 'checkpoint', step: this.steps, dir });
  }

  /**
   * Counts one training step: records its loss and examples, reports progress to the caller
   * (at most every `progress_interval_ms`), saves a checkpoint every `checkpoint_every` steps,
   * and, once the caller has cancelled, saves a checkpoint and throws JobCancelled.
   *
   * @example
   * for (let i = 0; i < steps; i++) { const loss = train_step(); job.step({ loss, examples: 64 }); }
   */
  step(report: StepReport = {}): void {
    const { loss, examples = 0 } = checkOptions(report, STEP_KEYS, 'step');
    this.steps += 1;
    this.examples += checkFinite(examples, 'examples');
    if (loss !== undefined) this.loss = loss instanceof Tensor ? Number(loss.item()) : checkFinite(loss, 'loss');
    if (this.cancelled) {
      this.report();
      this.checkpoint();
      throw new JobCancelled(this.steps);
    }
    const every = this.settings.checkpoint_every;
    if (every !== null && this.steps % every === 0) this.checkpoint();
    if (performance.now() - this.window.at >= this.settings.progress_interval_ms) this.report();
  }

  /** @internal Sends a progress event now (also at the end of the job). */
  report(): void {
    const now = performance.now();
    const seconds = Math.max(now - this.window.at, 1e-3) / 1000;
    const progress: JobProgress = {
      step: this.steps,
      loss: this.loss,
      examples: this.examples,
      examples_per_second: (this.examples - this.window.examples) / seconds,
      steps_per_second: (this.steps - this.window.steps) / seconds,
      elapsed_ms: now - this.started,
    };
    this.window = { at: now, steps: this.steps, examples: this.examples };
    this.post({ type: 'progress', ...progress });
  }
}

/** A job's function: what a job module exports as default (see `define_job`). */
export type JobFunction<Input = unknown, Result = unknown> = (job: JobContext<Input>) => Result | Promise<Result>;

/**
 * Declares a job module's function with its input and result types; the module exports it as
 * default and `start_job` runs it in a worker thread.
 *
 * @example
 * // train-adapter.ts
 * export default define_job<{ base: Record<string, Tensor>; steps: number }, { loss: number }>(async (job) => {
 *   const model = make_model();
 *   model.load_state_dict(job.input.base, { assign: true }); // shares the caller's weights
 *   // ... lora_apply, optimizer, and job.step({ loss }) each step
 *   return { loss: last_loss };
 * });
 */
export function define_job<Input = unknown, Result = unknown>(fn: JobFunction<Input, Result>): JobFunction<Input, Result> {
  if (typeof fn !== 'function') fail('a function (job) => result', 'fn', fn);
  return fn;
}
