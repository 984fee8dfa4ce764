// The service's jobs: at most `maxJobs` running, at most `maxQueue` waiting (more: 429 with
// Retry-After), cancel at any time, records of ended jobs kept for a bounded count and time,
// events fanned out to any number of SSE clients through one listener per job.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { JobEvent, JobProgress, TrainingJob } from '../../src/index.js';
import { HttpError, startEvents } from './http.js';

export type RecordState = 'queued' | 'starting' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface JobRecord<Result = unknown> {
  id: string;
  adapter: string;
  state: RecordState;
  /** Steps in all, and the step it started from (a resume starts from its checkpoint's). */
  steps: number;
  start_step: number;
  progress: JobProgress | null;
  /** The step of its last checkpoint (counted from the training's start), 0: none. */
  checkpoint: number;
  result: Result | null;
  error: string | null;
  ended_at: number | null;
  job: TrainingJob<Result> | null;
  /** What starts it, while it waits. */
  launch: ((id: string) => TrainingJob<Result>) | null;
  /** The last events (bounded): a client that connects late gets these first. */
  recent: { event: string; data: unknown }[];
  clients: Map<(event: string, data: unknown) => void, ServerResponse>;
  /** Who waits for the record to end (a cancel). */
  waiters: (() => void)[];
}

export interface BoardOptions<Result> {
  maxJobs: number;
  maxQueue: number;
  maxRecords: number;
  ttlMs: number;
  /** Called as a job ends, before its clients hear 'end' (the hot swap); returns the final state, and an error message. */
  settle: (record: JobRecord<Result>, state: 'completed' | 'failed' | 'cancelled', result: Result | null, error: Error | null) => { state: RecordState; error: string | null };
}

const RECENT = 32;

export class JobBoard<Result = unknown> {
  private readonly records = new Map<string, JobRecord<Result>>();
  private readonly queue: JobRecord<Result>[] = [];

  constructor(private readonly options: BoardOptions<Result>) {}

  /** The queued or running job of adapter `name`. */
  active(name: string): JobRecord<Result> | undefined {
    for (const record of this.records.values()) if (record.adapter === name && record.ended_at === null) return record;
    return undefined;
  }

  activeNames(): Map<string, string> {
    const names = new Map<string, string>();
    for (const record of this.records.values()) if (record.ended_at === null) names.set(record.adapter, record.id);
    return names;
  }

  counts(): { running: number; queued: number; records: number } {
    this.evict();
    return { running: this.running().length, queued: this.queue.length, records: this.records.size };
  }

  get(id: string): JobRecord<Result> {
    this.evict();
    const record = this.records.get(id);
    if (record === undefined) throw new HttpError(404, 'Unknown job (or one ended long enough ago to be forgotten)');
    return record;
  }

  /** 429 with Retry-After when no job can be queued now. */
  checkCapacity(): void {
    this.evict();
    if (this.running().length >= this.options.maxJobs && this.queue.length >= this.options.maxQueue) {
      const wait = this.retryAfter();
      throw new HttpError(429, `Expected at most ${this.options.maxJobs} running and ${this.options.maxQueue} waiting training jobs; retry in ${wait} s`, { 'retry-after': String(wait) });
    }
  }

  /** Queues a job for adapter `adapter`, started at once when a slot is free; 429 with Retry-After when the queue is full. */
  submit(adapter: string, steps: number, startStep: number, launch: (id: string) => TrainingJob<Result>): JobRecord<Result> {
    this.checkCapacity();
    const record: JobRecord<Result> = {
      id: `job-${randomUUID()}`, adapter, state: 'queued', steps, start_step: startStep, progress: null, checkpoint: startStep, result: null, error: null,
      ended_at: null, job: null, launch, recent: [], clients: new Map(), waiters: [],
    };
    this.records.set(record.id, record);
    this.queue.push(record);
    this.next();
    return record;
  }

  /** Cancels a job: a queued one at once, a running one at its next step (after a checkpoint). Resolves with the final state. */
  async cancel(record: JobRecord<Result>): Promise<RecordState> {
    if (record.ended_at !== null) return record.state;
    const waiting = this.queue.indexOf(record);
    if (waiting >= 0) {
      this.queue.splice(waiting, 1);
      this.end(record, this.options.settle(record, 'cancelled', null, null));
      return record.state;
    }
    const job = record.job!;
    await job.cancel({ timeout_ms: 30_000 });
    await new Promise<void>((resolve) => { if (record.ended_at !== null) resolve(); else record.waiters.push(resolve); });
    return record.state;
  }

  /** Cancels every job (SIGTERM). */
  cancelAll(): Promise<RecordState[]> {
    for (const record of this.queue.splice(0)) this.end(record, this.options.settle(record, 'cancelled', null, null));
    return Promise.all(this.running().map((record) => this.cancel(record)));
  }

  view(record: JobRecord<Result>): Record<string, unknown> {
    const { id, adapter, state, steps, progress, checkpoint, result, error } = record;
    const position = this.queue.indexOf(record);
    return { id, adapter, state, steps, progress, checkpoint, result, error, ...(position >= 0 ? { queue_position: position + 1 } : {}) };
  }

  /** Streams `record`'s events to `response` as server-sent events: the recent ones, then each new one, then 'end'. */
  stream(record: JobRecord<Result>, response: ServerResponse): void {
    const send = startEvents(response);
    for (const { event, data } of record.recent) send(event, data);
    if (record.ended_at !== null) {
      send('end', this.view(record));
      response.end();
      return;
    }
    record.clients.set(send, response);
    response.on('close', () => record.clients.delete(send));
  }

  private running(): JobRecord<Result>[] {
    return [...this.records.values()].filter((record) => record.job !== null && record.ended_at === null);
  }

  // Seconds until a slot is likely free: the soonest end of a running job, from its speed.
  private retryAfter(): number {
    // progress.step counts from the training's start, as steps does.
    const left = this.running().map(({ progress, steps }) => (progress === null || progress.steps_per_second <= 0
      ? 5 : (steps - progress.step) / progress.steps_per_second));
    return Math.min(3600, Math.max(1, Math.ceil(Math.min(...left, 3600))));
  }

  private next(): void {
    while (this.queue.length > 0 && this.running().length < this.options.maxJobs) {
      const record = this.queue.shift()!;
      let job: TrainingJob<Result>;
      try {
        job = record.launch!(record.id);
      } catch (error) {
        this.end(record, this.options.settle(record, 'failed', null, error as Error));
        continue;
      }
      record.launch = null;
      record.job = job;
      record.state = 'starting';
      job.on('event', (event: JobEvent) => {
        if (record.state === 'starting') record.state = 'running';
        // Steps counted from the training's start; no server path in what a client sees.
        if (event.type === 'progress') {
          const { type: _type, ...progress } = event;
          record.progress = { ...progress, step: record.start_step + progress.step };
          this.publish(record, 'progress', { type: 'progress', ...record.progress });
        } else {
          record.checkpoint = record.start_step + event.step;
          this.publish(record, 'checkpoint', { type: 'checkpoint', step: record.checkpoint });
        }
      });
      void job.done.then(async (state) => {
        const result = state === 'completed' ? await job.result : null;
        let outcome: { state: RecordState; error: string | null };
        try {
          outcome = this.options.settle(record, state as 'completed' | 'failed' | 'cancelled', result, job.error);
        } catch (error) {
          outcome = { state: 'failed', error: (error as Error).message };
        }
        record.result = outcome.state === 'completed' ? result : null;
        this.end(record, outcome);
      });
    }
  }

  private publish(record: JobRecord<Result>, event: string, data: unknown): void {
    record.recent.push({ event, data });
    if (record.recent.length > RECENT) record.recent.shift();
    for (const send of record.clients.keys()) send(event, data);
  }

  private end(record: JobRecord<Result>, { state, error }: { state: RecordState; error: string | null }): void {
    record.state = state;
    record.error = error;
    record.ended_at = Date.now();
    for (const resolve of record.waiters.splice(0)) resolve();
    record.job = null; // its events and worker go with it
    record.launch = null;
    for (const [send, response] of record.clients) {
      send('end', this.view(record));
      response.end();
    }
    record.clients.clear();
    this.next();
    this.evict();
  }

  // Ended records: at most maxRecords (the oldest go first), none older than the TTL.
  private evict(): void {
    const ended = [...this.records.values()].filter((record) => record.ended_at !== null).sort((a, b) => a.ended_at! - b.ended_at!);
    const now = Date.now();
    ended.forEach((record, i) => {
      if (ended.length - i > this.options.maxRecords || now - record.ended_at! > this.options.ttlMs) this.records.delete(record.id);
    });
  }
}
