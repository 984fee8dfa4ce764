// The service's folder: finished adapters, each job's staging, and the clean-up at start-up.
//
//   DATA/base.safetensors
//   DATA/adapters/NAME/            finished adapters (PEFT format); replaced whole, atomically,
//                                  by lora_save, and only by a job that completed
//   DATA/staging/NAME/request.json the request of the job training NAME (for a resume), its
//                                  examples beside it (inputs.f32, targets.f32: raw float32)
//   DATA/staging/NAME/checkpoint/  its checkpoints (lora_save) and progress.json {step}
//
// A job that fails, is cancelled or killed leaves adapters/NAME as it was; its staging stays,
// resumable, until a new training of NAME or DELETE /adapters/NAME.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isAdapterName } from './checks.js';

/** A training request's settings, as the request gives them and the training job takes them. */
export interface TrainSettings {
  /** The training's steps in all. */
  steps: number;
  lr: number;
  r: number;
  alpha: number;
  batch_size: number;
  seed: number;
  /** A checkpoint every this many steps, and/or every this many seconds (0: not by time). */
  checkpoint_every: number;
  checkpoint_seconds: number;
}

/** What a training request asked for: kept in staging so that a resume can go on with it. */
export interface SavedRequest extends TrainSettings {
  /** Rows first, as many rows in each. */
  inputs: Float32Array;
  targets: Float32Array;
}

// `.NAME.torchlora-PID-HEX.tmp|old`: what an atomic save writes before its rename.
const TEMPORARY = /^\..*\.torchlora-(\d+)-[0-9a-f]+\.(?:tmp|old)$|^\..*\.(\d+)\.[0-9a-f]+\.tmp$/;

// A process that is gone cannot be writing. At start-up our own pid is not writing either
// (a container may give every run the same pid).
function isDead(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'EPERM';
  }
}

/** Writes `file` whole or not at all: a temporary flushed to disk, then renamed into place. */
export function writeFileDurable(file: string, text: string | Uint8Array): void {
  const temporary = `${file}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    if (typeof text === 'string') writeSync(fd, text);
    else writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
}

export class Store {
  readonly adapters: string;
  readonly staging: string;
  private readonly root: string;

  constructor(readonly data: string) {
    this.root = resolve(data);
    this.adapters = join(data, 'adapters');
    this.staging = join(data, 'staging');
    mkdirSync(this.adapters, { recursive: true });
    mkdirSync(this.staging, { recursive: true });
  }

  adapterDir(name: string): string { return join(this.adapters, name); }
  stagingDir(name: string): string { return join(this.staging, name); }
  checkpointDir(name: string): string { return join(this.staging, name, 'checkpoint'); }

  /**
   * Start-up, before anything is loaded: the names of adapters to load (folders, and names
   * whose save was killed between its two renames: lora_load finishes those). Temporaries of
   * dead processes are removed after the loads (call `removeLeftovers`).
   */
  adapterNames(): string[] {
    const names = new Set<string>();
    for (const entry of readdirSync(this.adapters)) {
      const leftover = /^\.(.+)\.torchlora-\d+-[0-9a-f]+\.(?:tmp|old)$/.exec(entry);
      const name = leftover?.[1] ?? entry;
      if (isAdapterName(name)) names.add(name);
    }
    return [...names].sort();
  }

  /** Removes temporaries of killed saves (dead processes) in the adapter and staging folders, two levels deep. */
  removeLeftovers(): string[] {
    const removed: string[] = [];
    const sweep = (folder: string, depth: number): void => {
      let entries;
      try { entries = readdirSync(folder, { withFileTypes: true }); } catch { return; }
      for (const entry of entries) {
        const found = TEMPORARY.exec(entry.name) ?? /^(?:.+)\.(\d+)\.tmp$/.exec(entry.name);
        const path = join(folder, entry.name);
        if (found !== null && isDead(Number(found[1] ?? found[2]))) {
          rmSync(path, { recursive: true, force: true });
          removed.push(path);
        } else if (entry.isDirectory() && depth > 0) sweep(path, depth - 1);
      }
    };
    sweep(this.adapters, 1);
    sweep(this.staging, 2);
    return removed;
  }

  /**
   * Start-up: the staged trainings that can be resumed (a request and a checkpoint), by name;
   * any other staging (no checkpoint yet, unreadable) is removed.
   */
  resumables(): Map<string, { step: number; steps: number }> {
    const found = new Map<string, { step: number; steps: number }>();
    for (const name of readdirSync(this.staging)) {
      const request = isAdapterName(name) ? this.readRequest(name) : null;
      const step = request === null ? 0 : this.checkpointStep(name);
      if (request !== null && step > 0 && step <= request.steps && existsSync(join(this.checkpointDir(name), 'adapter_config.json'))) {
        found.set(name, { step, steps: request.steps });
      } else rmSync(join(this.staging, name), { recursive: true, force: true });
    }
    return found;
  }

  /** A new staging for `name` (any earlier one removed) holding `request`. */
  stage(name: string, request: SavedRequest): void {
    this.removeStaging(name);
    const dir = this.stagingDir(name);
    mkdirSync(dir, { recursive: true });
    const { inputs, targets, ...settings } = request;
    writeFileDurable(join(dir, 'inputs.f32'), new Uint8Array(inputs.buffer, inputs.byteOffset, inputs.byteLength));
    writeFileDurable(join(dir, 'targets.f32'), new Uint8Array(targets.buffer, targets.byteOffset, targets.byteLength));
    writeFileDurable(join(dir, 'request.json'), JSON.stringify(settings)); // last: its presence says the staging is whole
  }

  /** A resume's new settings (steps, checkpoint intervals), so that a restart reads them. */
  restage(name: string, request: SavedRequest): void {
    const { inputs: _inputs, targets: _targets, ...settings } = request;
    writeFileDurable(join(this.stagingDir(name), 'request.json'), JSON.stringify(settings));
  }

  readRequest(name: string): SavedRequest | null {
    const dir = this.stagingDir(name);
    const floats = (file: string): Float32Array => {
      const bytes = readFileSync(join(dir, file));
      if (bytes.byteLength % 4 !== 0) throw new RangeError(`${file} is not whole`);
      return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    };
    try {
      const settings = JSON.parse(readFileSync(join(dir, 'request.json'), 'utf8')) as Omit<SavedRequest, 'inputs' | 'targets'>;
      return { ...settings, inputs: floats('inputs.f32'), targets: floats('targets.f32') };
    } catch {
      return null;
    }
  }

  /** The step of the last checkpoint in `name`'s staging (0: none). */
  checkpointStep(name: string): number {
    try {
      const { step } = JSON.parse(readFileSync(join(this.checkpointDir(name), 'progress.json'), 'utf8')) as { step: unknown };
      return typeof step === 'number' && Number.isInteger(step) && step > 0 ? step : 0;
    } catch {
      return 0;
    }
  }

  removeStaging(name: string): void { rmSync(this.stagingDir(name), { recursive: true, force: true }); }
  removeAdapter(name: string): void { rmSync(this.adapterDir(name), { recursive: true, force: true }); }

  /** `message` without the service's folder in it (a client never sees a server path). */
  scrub(message: string): string {
    let text = message;
    for (const path of [this.root, this.data]) if (path.length > 1) text = text.split(path).join('<data>');
    return text.replace(/(?:\/[\w.@+-]+){2,}/g, '<path>');
  }
}
