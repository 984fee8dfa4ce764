// The messages between a job's caller (src/jobs/job.ts) and its worker thread
// (src/jobs/worker.ts). Internal: users see TrainingJob and JobContext.

/** What a job reports while it runs. */
export interface JobProgress {
  /** Steps done so far (each `job.step()` call is one). */
  step: number;
  /** The loss the job passed to its last `step()`, or null when it passes none. */
  loss: number | null;
  /** Examples seen so far (the sum of what `step()` was told). */
  examples: number;
  /** Examples per second over the time since the previous progress report. */
  examples_per_second: number;
  /** Steps per second over the same window. */
  steps_per_second: number;
  /** Milliseconds since the job's function started. */
  elapsed_ms: number;
}

/** What a job's events iterator yields and its emitter emits. */
export type JobEvent =
  | ({ type: 'progress' } & JobProgress)
  | { type: 'checkpoint'; step: number; dir: string };

/** The caller's settings, as the worker receives them. */
export interface WorkerSettings {
  id: string;
  module: string;
  input: unknown;
  threads: number | null;
  nice: number;
  checkpoint_dir: string | null;
  checkpoint_every: number | null;
  progress_interval_ms: number;
  /** Int32Array over a SharedArrayBuffer: [0] becomes 1 when the caller cancels. */
  control: SharedArrayBuffer;
}

/** An error as it crosses the thread boundary. */
export interface SerializedError { name: string; message: string; stack: string | undefined; code: unknown }

export type WorkerMessage =
  | { kind: 'started' }
  | { kind: 'event'; event: JobEvent }
  | { kind: 'done'; result: unknown }
  | { kind: 'cancelled'; step: number }
  | { kind: 'failed'; error: SerializedError };

export const CANCEL_FLAG = 0;

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    return { name: error.name, message: error.message, stack: error.stack, code: (error as { code?: unknown }).code };
  }
  return { name: 'Error', message: `the job threw a non-Error value: ${describeThrown(error)}`, stack: undefined, code: undefined };
}

// What was thrown, as text: String() throws for an object without a prototype (which is what
// a loader's error can arrive as when two copies of its hooks are chained in a worker).
function describeThrown(value: unknown): string {
  try {
    return String(value);
  } catch {
    try {
      return JSON.stringify(value) ?? typeof value;
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
}
