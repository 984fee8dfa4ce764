// A Hugging Face model folder's weight files, read one tensor at a time into the tensors that
// will hold them: `model.safetensors`, a sharded `model.safetensors.index.json`, or
// `pytorch_model.bin` (and its sharded `pytorch_model.bin.index.json`), whose zip archives are
// read lazily (src/io/torch_zip.ts). A tensor of the target's dtype is read straight into the
// target's memory; any other is converted through a small buffer of rows (src/io/read_into.ts),
// so loading never holds a second copy of the model.
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DType } from '../core/dtype.js';
import type { Tensor } from '../ops/tensor.js';
import { TorchError } from '../core/errors.js';
import { FILE_DTYPES, faultFor, readHeader } from '../io/safetensors.js';
import { readSpanInto, releaseScratch } from '../io/read_into.js';
import { readLazyStateDict, readLazyTensor } from '../io/torch_zip.js';
import { fileError } from '../io/filesystem.js';

/** One tensor of a checkpoint: its name, dtype and shape, and how to read it into a tensor of that shape. */
export interface CheckpointTensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Copies the values into `target` (same shape, any dtype, any device). */
  readInto(target: Tensor): void;
}

/** A checkpoint's weight files, and the tensor names its index lists (null without an index). */
export interface CheckpointFiles {
  format: 'safetensors' | 'bin';
  files: string[];
  names: string[] | null;
}

const INDEXES = { safetensors: 'model.safetensors.index.json', bin: 'pytorch_model.bin.index.json' } as const;
const SINGLE = { safetensors: 'model.safetensors', bin: 'pytorch_model.bin' } as const;

/** @internal The weight files of model folder `dir`, safetensors first, as transformers looks for them. */
export function checkpointFiles(dir: string): CheckpointFiles {
  for (const format of ['safetensors', 'bin'] as const) {
    if (existsSync(join(dir, SINGLE[format]))) return { format, files: [join(dir, SINGLE[format])], names: null };
    const index = join(dir, INDEXES[format]);
    if (!existsSync(index)) continue;
    const map = readJson(index).weight_map as Record<string, unknown> | undefined;
    if (typeof map !== 'object' || map === null || Object.values(map).some((file) => typeof file !== 'string' || file.includes('/') || file.includes('\\'))) {
      throw new TypeError(`Expected a weight_map of tensor names to file names in ${index} but received ${JSON.stringify(map)?.slice(0, 200)}`);
    }
    return { format, files: [...new Set(Object.values(map) as string[])].map((file) => join(dir, file)), names: Object.keys(map) };
  }
  throw new TypeError(`Expected a model folder with ${Object.values(SINGLE).join(', ')} or ${Object.values(INDEXES).join(', ')} for dir but received ${JSON.stringify(dir)}, which has none`);
}

/** @internal A JSON file as an object, or a TypeError naming the file. */
export function readJson(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw fileError(error, 'path', path, 'a readable JSON file');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TypeError(`Expected valid JSON in ${path} but it is not: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(`Expected a JSON object in ${path} but received ${Array.isArray(value) ? 'an array' : String(value)}`);
  return value as Record<string, unknown>;
}

// A .bin's faults name the file, as torch_load's do.
const binFault = (file: string) => (detail: string): never => { throw new TorchError(`hf_load(${JSON.stringify(file)}): ${detail}`); };

/**
 * @internal Visits every tensor of the checkpoint: `names` first gets every name in the files
 * and its shape where known (safetensors headers and indexes tell them before any data is
 * read), then `visit` each tensor.
 */
export function readCheckpoint(checkpoint: CheckpointFiles, names: (all: [string, readonly number[] | null][]) => void, visit: (tensor: CheckpointTensor) => void): void {
  try {
    readFiles(checkpoint, names, visit);
  } finally {
    releaseScratch();
  }
}

function readFiles(checkpoint: CheckpointFiles, names: (all: [string, readonly number[] | null][]) => void, visit: (tensor: CheckpointTensor) => void): void {
  if (checkpoint.format === 'bin') {
    const dicts = checkpoint.files.map((file) => readLazyStateDict(file, binFault(file)));
    names(dicts.flatMap(({ tensors }) => tensors.map(([name, tensor]): [string, number[]] => [name, tensor.shape])));
    for (const { file, tensors } of dicts) {
      const fd = openSync(file, 'r');
      try {
        for (const [name, tensor] of tensors) {
          visit({ name, dtype: tensor.dtype, shape: tensor.shape, readInto: (target) => readLazyTensor(fd, tensor, target, binFault(file)) });
        }
      } finally {
        closeSync(fd);
      }
    }
    return;
  }
  const headers = checkpoint.files.map((file) => {
    const fault = faultFor(`hf_load(${JSON.stringify(file)})`);
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (error) {
      throw fileError(error, 'dir', file, 'a readable safetensors file');
    }
    try {
      return { file, fault, ...readHeader(fd, fault) };
    } finally {
      closeSync(fd);
    }
  });
  names(headers.flatMap((header) => header.entries.map((entry): [string, number[]] => [entry.name, entry.shape])));
  for (const { file, fault, dataStart, entries } of headers) {
    const fd = openSync(file, 'r');
    try {
      for (const entry of entries) {
        const { dtype } = FILE_DTYPES[entry.fileDtype]!;
        visit({ name: entry.name, dtype, shape: entry.shape, readInto: (target) => void readSpanInto(fd, { begin: dataStart + entry.begin, dtype, shape: entry.shape }, target, fault) });
      }
    } finally {
      closeSync(fd);
    }
  }
}
