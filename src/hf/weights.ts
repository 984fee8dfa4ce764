// A Hugging Face model folder's weight files, read one tensor at a time into the tensors that
// will hold them: `model.safetensors`, a sharded `model.safetensors.index.json`, or
// `pytorch_model.bin` (and its sharded index) through torch_load. A safetensors tensor of the
// target's dtype is read straight into the target's memory; any other is converted through a
// small buffer of rows, so loading never holds a second copy of the model.
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DType } from '../core/dtype.js';
import { torch_tensor } from '../ops/creation.js';
import { Tensor } from '../ops/tensor.js';
import { with_no_grad } from '../ops/autograd.js';
import { FILE_DTYPES, faultFor, readExactly, readHeader, type Entry } from '../io/safetensors.js';
import { torch_load } from '../io/serialization.js';
import { fileError } from '../io/filesystem.js';

/** One tensor of a checkpoint: its name, dtype and shape, and how to read it into a tensor of that shape. */
export interface CheckpointTensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Copies the values into `target` (same shape, any floating dtype, any device). */
  readInto(target: Tensor): void;
  /** The file's own tensor, when reading made one (torch_load), to use as it is. */
  readonly loaded?: Tensor;
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

// Converting reads go through one buffer of this many bytes (or one row, if larger), whole
// rows at a time; it is let go when the checkpoint has been read.
const CHUNK_BYTES = 4 << 20;
let chunk = new Uint8Array(0);

function readEntry(fd: number, dataStart: number, entry: Entry, target: Tensor, fault: (detail: string) => never): void {
  const { dtype, bytes: width } = FILE_DTYPES[entry.fileDtype]!;
  const begin = dataStart + entry.begin;
  if (target.dtype === dtype && target.device === 'cpu' && target.is_contiguous()) {
    const view = target.to_typed_array({ copy: false });
    readExactly(fd, new Uint8Array(view.buffer, view.byteOffset, view.byteLength), begin, fault);
    return;
  }
  const shape = entry.shape.length === 0 ? [1] : entry.shape;
  const flat = entry.shape.length === 0 ? target.view(1) : target;
  const rowBytes = (shape.slice(1).reduce((a, b) => a * b, 1)) * width;
  const rowsPerChunk = Math.max(1, Math.floor(CHUNK_BYTES / Math.max(rowBytes, 1)));
  if (chunk.byteLength < Math.min(rowsPerChunk, shape[0]!) * rowBytes) chunk = new Uint8Array(Math.min(rowsPerChunk, shape[0]!) * rowBytes);
  for (let row = 0; row < shape[0]!; row += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, shape[0]! - row);
    const bytes = chunk.subarray(0, rows * rowBytes);
    readExactly(fd, bytes, begin + row * rowBytes, fault);
    const data = width === 1 ? bytes : width === 2 ? new Uint16Array(bytes.buffer, 0, bytes.byteLength / 2)
      : width === 4 ? (dtype === 'int32' ? new Int32Array(bytes.buffer, 0, bytes.byteLength / 4) : new Float32Array(bytes.buffer, 0, bytes.byteLength / 4))
        : dtype === 'int64' ? new BigInt64Array(bytes.buffer, 0, bytes.byteLength / 8) : new Float64Array(bytes.buffer, 0, bytes.byteLength / 8);
    const part = torch_tensor(data as Float32Array, { shape: [rows, ...shape.slice(1)], dtype });
    with_no_grad(() => flat.narrow(0, row, rows).copy_(part));
    part.dispose();
  }
}

// A pytorch_model.bin: a flat dict of tensors.
function stateDict(file: string): Record<string, Tensor> {
  const value = torch_load<unknown>(file);
  const entries = value instanceof Map ? [...value.entries()] : typeof value === 'object' && value !== null ? Object.entries(value) : null;
  if (entries === null || entries.some(([name, tensor]) => typeof name !== 'string' || !(tensor instanceof Tensor))) {
    throw new TypeError(`Expected a state dict (tensors by name) in ${file} but received another value`);
  }
  return Object.fromEntries(entries) as Record<string, Tensor>;
}

/**
 * @internal Visits every tensor of the checkpoint: `names` first gets every name in the files
 * and its shape where known (safetensors headers and indexes tell them before any data is
 * read), then `visit` each tensor.
 */
export function readCheckpoint(checkpoint: CheckpointFiles, names: (all: [string, readonly number[] | null][]) => void, visit: (tensor: CheckpointTensor) => void): void {
  if (checkpoint.format === 'bin') {
    let first = checkpoint.names === null ? stateDict(checkpoint.files[0]!) : null;
    names(checkpoint.names?.map((name) => [name, null]) ?? Object.entries(first!).map(([name, tensor]) => [name, tensor.shape]));
    for (const file of checkpoint.files) {
      const tensors = first ?? stateDict(file);
      first = null;
      for (const [name, tensor] of Object.entries(tensors)) {
        visit({ name, dtype: tensor.dtype, shape: tensor.shape, loaded: tensor, readInto: (target) => with_no_grad(() => target.copy_(tensor)) });
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
        visit({ name: entry.name, dtype, shape: entry.shape, readInto: (target) => readEntry(fd, dataStart, entry, target, fault) });
      }
    } finally {
      closeSync(fd);
      chunk = new Uint8Array(0);
    }
  }
}
