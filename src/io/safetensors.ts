// safetensors files: the state-dict format of Hugging Face (and of PEFT adapters). An 8-byte
// little-endian header length N, N bytes of JSON naming each tensor's dtype, shape and byte
// range, then the raw little-endian row-major bytes. Reading checks every one of those facts
// before it makes a single tensor, so a bad file is an error that names the key, never a
// crash or a partial state dict.
import type { NodeBuffer } from '../core/symbols.js';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { writeFileAtomic } from './atomic.js';
import { torch_tensor } from '../ops/creation.js';
import type { DType } from '../core/dtype.js';
import { TorchError } from '../core/errors.js';
import { checkPath, fileError } from './filesystem.js';
import { Tensor } from '../ops/tensor.js';
import { checkDevice, checkOptions, describe, fail, optionKeys, type DeviceLike } from '../core/validate.js';

/** A malformed safetensors file or buffer, or a state dict that cannot be written as one. */
export class SafetensorsError extends TorchError {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

/** What a safetensors file holds: the tensors by name, and the `__metadata__` strings ({} when absent). */
export interface SafetensorsContents {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

export interface SafetensorsLoadOptions {
  /** Where the tensors are put, such as "cuda"; "cpu" when omitted. */
  device?: DeviceLike;
}

/** A state dict: tensors by name, as a plain object or a Map. */
export type SafetensorsTensors = Record<string, Tensor> | Map<string, Tensor>;

export interface FileDtype {
  dtype: DType;
  bytes: number;
  // The Rust library's Dtype enum order. It writes the largest alignment first so that
  // every tensor starts at a multiple of its element size; we write in the same order.
  rank: number;
}

export const FILE_DTYPES: Record<string, FileDtype> = {
  BOOL: { dtype: 'bool', bytes: 1, rank: 0 },
  U8: { dtype: 'uint8', bytes: 1, rank: 1 },
  I8: { dtype: 'int8', bytes: 1, rank: 2 },
  I16: { dtype: 'int16', bytes: 2, rank: 5 },
  F16: { dtype: 'float16', bytes: 2, rank: 7 },
  BF16: { dtype: 'bfloat16', bytes: 2, rank: 8 },
  I32: { dtype: 'int32', bytes: 4, rank: 9 },
  F32: { dtype: 'float32', bytes: 4, rank: 11 }, C64: { dtype: 'complex64', bytes: 8, rank: 11.5 }, // C64 after F32, as safetensors >= 0.5 orders them
  F64: { dtype: 'float64', bytes: 8, rank: 12 },
  I64: { dtype: 'int64', bytes: 8, rank: 13 },
};
// In the format, but with no libtorch 1.13 type to hold them.
const UNSUPPORTED_DTYPES = new Set(['U16', 'U32', 'U64', 'F8_E5M2', 'F8_E4M3']);
const FILE_DTYPE_OF = new Map(Object.entries(FILE_DTYPES).map(([name, info]) => [info.dtype, name]));

/** The Rust library refuses larger headers; so do we, before allocating one. */
const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';

export interface Entry {
  name: string;
  fileDtype: string;
  shape: number[];
  begin: number;
  end: number;
}

function checkLittleEndian(): void {
  if (endianness() !== 'LE') throw new SafetensorsError('safetensors data is little-endian and this machine is big-endian, which torchlora does not support');
}

// ---------------------------------------------------------------- reading

const quote = (name: string): string => JSON.stringify(name);

function checkSize(value: unknown, what: string, fault: (detail: string) => never): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fault(`${what} is ${JSON.stringify(value)}, not a non-negative integer`);
  return value as number;
}

function parseEntry(name: string, info: unknown, fault: (detail: string) => never): Entry {
  const at = (detail: string): never => fault(`tensor ${quote(name)}: ${detail}`);
  if (typeof info !== 'object' || info === null || Array.isArray(info)) at(`expected an object with dtype, shape and data_offsets but found ${JSON.stringify(info)}`);
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (typeof dtype !== 'string') at(`dtype is ${JSON.stringify(dtype)}, not a string`);
  const fileDtype = dtype as string;
  if (UNSUPPORTED_DTYPES.has(fileDtype)) at(`dtype ${fileDtype} has no libtorch 1.13 type to hold it`);
  const known = FILE_DTYPES[fileDtype];
  if (known === undefined) at(`unknown dtype ${JSON.stringify(fileDtype)} (expected one of ${Object.keys(FILE_DTYPES).join(', ')})`);
  if (!Array.isArray(shape)) at(`shape is ${JSON.stringify(shape)}, not an array`);
  const sizes = (shape as unknown[]).map((size, i) => checkSize(size, `shape[${i}]`, at));
  if (!Array.isArray(offsets) || offsets.length !== 2) at(`data_offsets is ${JSON.stringify(offsets)}, not [begin, end]`);
  const [begin, end] = (offsets as unknown[]).map((offset, i) => checkSize(offset, `data_offsets[${i}]`, at)) as [number, number];
  if (end < begin) at(`data_offsets [${begin}, ${end}] end before they begin`);
  const bytes = sizes.reduce((product, size) => product * size, known!.bytes);
  if (!Number.isSafeInteger(bytes)) at(`shape [${sizes.join(', ')}] is too large to address`);
  if (end - begin !== bytes) {
    at(`data_offsets [${begin}, ${end}] span ${end - begin} bytes but ${fileDtype} [${sizes.join(', ')}] needs ${bytes}`);
  }
  return { name, fileDtype, shape: sizes, begin, end };
}

function parseMetadata(value: unknown, fault: (detail: string) => never): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fault(`${METADATA_KEY} is ${JSON.stringify(value)}, not an object of strings`);
  const entries = Object.entries(value as object);
  for (const [key, text] of entries) {
    if (typeof text !== 'string') fault(`${METADATA_KEY}[${quote(key)}] is ${JSON.stringify(text)}, not a string`);
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

// Parses and checks the header against a data section of `dataBytes` bytes: every byte of
// the data belongs to exactly one tensor, in the order of the offsets.
function parseHeader(headerBytes: Uint8Array, dataBytes: number, fault: (detail: string) => never): { entries: Entry[]; metadata: Record<string, string> } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    return fault('the header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    return fault(`the header is not valid JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return fault(`the header is ${describe(header)}, not a JSON object`);

  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === METADATA_KEY) metadata = parseMetadata(info, fault);
    else entries.push(parseEntry(name, info, fault));
  }
  for (const entry of entries) {
    if (entry.end > dataBytes) {
      fault(`tensor ${quote(entry.name)}: data_offsets [${entry.begin}, ${entry.end}] run past the end of the data (${dataBytes} bytes); is the file truncated?`);
    }
  }
  const ordered = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  let previous: Entry | undefined;
  for (const entry of ordered) {
    if (entry.begin > expected) fault(`tensor ${quote(entry.name)}: data_offsets begin at ${entry.begin}, leaving a gap of ${entry.begin - expected} bytes after ${previous ? `tensor ${quote(previous.name)}` : 'the header'}`);
    if (entry.begin < expected) fault(`tensor ${quote(entry.name)}: data_offsets [${entry.begin}, ${entry.end}] overlap tensor ${quote(previous!.name)}, which ends at ${expected}`);
    expected = entry.end;
    previous = entry;
  }
  if (expected !== dataBytes) fault(`${dataBytes - expected} bytes of data after the last tensor belong to no tensor`);
  return { entries, metadata };
}

// An aligned copy of a tensor's bytes when the source is not aligned for its element type.
function typedView(bytes: Uint8Array, fileDtype: string): ArrayBufferView {
  const width = FILE_DTYPES[fileDtype]!.bytes;
  const source = bytes.byteOffset % width === 0 ? bytes : new Uint8Array(bytes); // a copy (Buffer#slice is a view)
  const { buffer, byteOffset, byteLength } = source;
  switch (fileDtype) {
    case 'F64': return new Float64Array(buffer, byteOffset, byteLength / 8);
    case 'F32': case 'C64': return new Float32Array(buffer, byteOffset, byteLength / 4); // C64: (re, im) pairs
    case 'I64': return new BigInt64Array(buffer, byteOffset, byteLength / 8);
    case 'I32': return new Int32Array(buffer, byteOffset, byteLength / 4);
    case 'I16': return new Int16Array(buffer, byteOffset, byteLength / 2);
    case 'F16': case 'BF16': return new Uint16Array(buffer, byteOffset, byteLength / 2);
    case 'I8': return new Int8Array(buffer, byteOffset, byteLength);
    default: return source; // U8, BOOL
  }
}

// Makes every tensor, or none: a failure half-way (a device out of memory) disposes the rest.
function makeTensors(entries: Entry[], bytesOf: (entry: Entry) => Uint8Array, device: string | undefined): Record<string, Tensor> {
  const made: [string, Tensor][] = [];
  try {
    for (const entry of entries) {
      const data = typedView(bytesOf(entry), entry.fileDtype) as Parameters<typeof torch_tensor>[0];
      made.push([entry.name, torch_tensor(data, { shape: entry.shape, dtype: FILE_DTYPES[entry.fileDtype]!.dtype, device: device ?? 'cpu' })]);
    }
  } catch (error) {
    for (const [, tensor] of made) tensor.dispose();
    throw error;
  }
  return Object.fromEntries(made);
}

const LOAD_KEYS = optionKeys<SafetensorsLoadOptions>({ device: true });

function loadOptions(options: SafetensorsLoadOptions | undefined, where: string): string | undefined {
  const { device } = checkOptions(options, LOAD_KEYS, where);
  return device === undefined ? undefined : checkDevice(device);
}

export function faultFor(source: string): (detail: string) => never {
  return (detail) => { throw new SafetensorsError(`${source}: ${detail}`); };
}

// Reads the 8-byte length and checks it against the total size.
function headerLength(first8: Uint8Array, total: number, fault: (detail: string) => never): number {
  if (total < 8) fault(`${total} bytes is too short to hold the 8-byte header length; is the file truncated?`);
  const length = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER_BYTES)) fault(`the header length ${length} is over the ${MAX_HEADER_BYTES}-byte limit; this is not a safetensors file, or it is corrupt`);
  if (Number(length) + 8 > total) fault(`the header length ${length} runs past the end (${total} bytes in all); is the file truncated?`);
  return Number(length);
}

/**
 * Reads a safetensors buffer (a whole file's bytes) into tensors.
 *
 * @example
 * const { tensors, metadata } = safetensors_deserialize(readFileSync('adapter_model.safetensors'));
 */
export function safetensors_deserialize(buffer: Uint8Array, options?: SafetensorsLoadOptions): SafetensorsContents {
  if (!(buffer instanceof Uint8Array)) fail('a Buffer or Uint8Array', 'buffer', buffer);
  const device = loadOptions(options, 'safetensors_deserialize');
  checkLittleEndian();
  const fault = faultFor('safetensors_deserialize');
  const n = headerLength(buffer.subarray(0, 8), buffer.byteLength, fault);
  const dataStart = 8 + n;
  const { entries, metadata } = parseHeader(buffer.subarray(8, dataStart), buffer.byteLength - dataStart, fault);
  const tensors = makeTensors(entries, (entry) => buffer.subarray(dataStart + entry.begin, dataStart + entry.end), device);
  return { tensors, metadata };
}

// readSync reads at most 2 GiB - 1 per call on some platforms; read in smaller steps.
const IO_CHUNK = 1 << 30;

export function readExactly(fd: number, into: Uint8Array, position: number, fault: (detail: string) => never): void {
  let done = 0;
  while (done < into.byteLength) {
    const read = readSync(fd, into, done, Math.min(IO_CHUNK, into.byteLength - done), position + done);
    if (read === 0) fault(`the file ended ${into.byteLength - done} bytes early while being read; did it change underneath?`);
    done += read;
  }
}

/**
 * Reads a safetensors file into tensors, checking the whole header against the file size
 * first. Each tensor's bytes are read straight into its own buffer, so files larger than one
 * Node Buffer load too.
 *
 * @example
 * const { tensors } = torch_load_safetensors('model.safetensors');
 * model.weight.copy_(tensors['weight']);
 */
export function torch_load_safetensors(path: string, options?: SafetensorsLoadOptions): SafetensorsContents {
  checkPath(path, 'path', 'a file path');
  const device = loadOptions(options, 'torch_load_safetensors');
  return readSafetensorsFile(path, device, `torch_load_safetensors(${quote(path)})`, 'path');
}

/**
 * @internal Reads safetensors file `path`; `source` starts the messages of a bad file, and a
 * file-system failure is an error naming argument `name`.
 */
export function readSafetensorsFile(path: string, device: string | undefined, source: string, name: string): SafetensorsContents {
  checkPath(path, typeof name === 'string' ? name : 'path', 'a file path');
  checkLittleEndian();
  try {
    return readFrom(path, device, faultFor(source));
  } catch (error) {
    throw fileError(error, name, path, 'a readable safetensors file');
  }
}

/** @internal The checked header of the open safetensors file `fd`, and where its data begins. */
export function readHeader(fd: number, fault: (detail: string) => never): { entries: Entry[]; metadata: Record<string, string>; dataStart: number } {
  const total = fstatSync(fd).size;
  const first8 = new Uint8Array(Math.min(8, total));
  readExactly(fd, first8, 0, fault);
  const n = headerLength(first8, total, fault);
  const headerBytes = new Uint8Array(n);
  readExactly(fd, headerBytes, 8, fault);
  return { ...parseHeader(headerBytes, total - 8 - n, fault), dataStart: 8 + n };
}

function readFrom(path: string, device: string | undefined, fault: (detail: string) => never): SafetensorsContents {
  const fd = openSync(path, 'r');
  try {
    const { entries, metadata, dataStart } = readHeader(fd, fault);
    const tensors = makeTensors(entries, (entry) => {
      const bytes = new Uint8Array(entry.end - entry.begin);
      readExactly(fd, bytes, dataStart + entry.begin, fault);
      return bytes;
    }, device);
    return { tensors, metadata };
  } finally {
    closeSync(fd);
  }
}

// ---------------------------------------------------------------- writing

interface Plan {
  header: Uint8Array;
  items: { name: string; tensor: Tensor; bytes: number }[];
}

function stateDictEntries(tensors: unknown, name: string): [string, Tensor][] {
  let entries: [unknown, unknown][];
  if (tensors instanceof Map) entries = [...tensors.entries()];
  else if (typeof tensors === 'object' && tensors !== null && !Array.isArray(tensors) && !(tensors instanceof Tensor)) entries = Object.entries(tensors);
  else return fail('an object or Map of Tensors', name, tensors);
  for (const [key, value] of entries) {
    if (typeof key !== 'string') fail('string keys', `${name} key`, key);
    if (key === METADATA_KEY) throw new TypeError(`Expected a tensor name other than "${METADATA_KEY}" for ${name} but received it: the format reserves it`);
    if (Buffer.from(key).toString() !== key) throw new TypeError(`Expected well-formed Unicode for ${name} key but received ${JSON.stringify(key)}`);
    if (!(value instanceof Tensor)) fail('a Tensor', `${name}[${quote(key)}]`, value);
    if (value.is_disposed) throw new TypeError(`Expected a live Tensor for ${name}[${quote(key)}] but received a disposed one`);
  }
  return entries as [string, Tensor][];
}

function checkMetadata(metadata: unknown): [string, string][] | undefined {
  if (metadata === undefined) return undefined;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) fail('an object of strings', 'metadata', metadata);
  const entries = Object.entries(metadata as object);
  for (const [key, value] of entries) if (typeof value !== 'string') fail('a string', `metadata[${quote(key)}]`, value);
  return entries.sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

// The header is built as text, not with JSON.stringify of an object: JavaScript objects put
// integer-like keys ("0", "1", as in sequential models) first, whatever the insertion order.
function plan(tensors: unknown, metadata: unknown): Plan {
  const entries = stateDictEntries(tensors, 'tensors');
  const metadataEntries = checkMetadata(metadata);
  const described = entries.map(([name, tensor]) => {
    const fileDtype = FILE_DTYPE_OF.get(tensor.dtype) ?? fail(`a dtype safetensors holds (not ${tensor.dtype}; torch_save keeps it)`, `tensors[${quote(name)}]`, tensor);
    const info = FILE_DTYPES[fileDtype]!;
    return { name, tensor, fileDtype, rank: info.rank, shape: tensor.shape, bytes: tensor.numel() * info.bytes, key: Buffer.from(name) };
  });
  described.sort((a, b) => b.rank - a.rank || Buffer.compare(a.key, b.key));
  const parts: string[] = [];
  if (metadataEntries !== undefined) {
    parts.push(`${quote(METADATA_KEY)}:{${metadataEntries.map(([key, value]) => `${quote(key)}:${quote(value)}`).join(',')}}`);
  }
  let offset = 0;
  for (const item of described) {
    parts.push(`${quote(item.name)}:{"dtype":"${item.fileDtype}","shape":[${item.shape.join(',')}],"data_offsets":[${offset},${offset + item.bytes}]}`);
    offset += item.bytes;
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const header = Buffer.alloc(8 + padded, 0x20); // padding with spaces, as the Rust library does
  header.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(header, 8);
  return { header, items: described.map(({ name, tensor, bytes }) => ({ name, tensor, bytes })) };
}

// A contiguous CPU copy of the tensor's bytes (to_typed_array copies CUDA and strided tensors).
function tensorBytes(item: Plan['items'][number], caller: string): Uint8Array {
  let values: ArrayBufferView;
  try {
    values = item.tensor.to_typed_array();
  } catch (error) {
    throw new SafetensorsError(`${caller}: could not read tensor ${quote(item.name)}: ${(error as Error).message}`);
  }
  if (values.byteLength !== item.bytes) throw new SafetensorsError(`${caller}: tensor ${quote(item.name)} gave ${values.byteLength} bytes, expected ${item.bytes}`);
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/**
 * A state dict as safetensors bytes (a Buffer; a Uint8Array to code without Node's types), as `torch_save_safetensors` writes.
 *
 * @example
 * const bytes = safetensors_serialize({ weight: torch_ones(2, 2) }, { format: 'pt' });
 */
export function safetensors_serialize(tensors: SafetensorsTensors, metadata?: Record<string, string>): NodeBuffer {
  checkLittleEndian();
  const { header, items } = plan(tensors, metadata);
  return Buffer.concat([header, ...items.map((item) => tensorBytes(item, 'safetensors_serialize'))]) as NodeBuffer;
}

/**
 * Writes a state dict as a safetensors file, in the Python library's order (largest element
 * size first, then by name; CUDA and non-contiguous tensors are copied to contiguous CPU
 * memory first). The file is
 * written under a temporary name in the same folder, flushed to disk, then renamed over
 * `path`, so a crash leaves either the old file or the new one, never half of one.
 *
 * @example
 * torch_save_safetensors({ 'lora_A.weight': A, 'lora_B.weight': B }, 'adapter_model.safetensors', { format: 'pt' });
 */
export function torch_save_safetensors(tensors: SafetensorsTensors, path: string, metadata?: Record<string, string>): void {
  checkPath(path, 'path', 'a file path');
  const fill = safetensorsWriter(tensors, metadata, `torch_save_safetensors(${quote(path)})`);
  try {
    writeFileAtomic(path, fill);
  } catch (error) {
    throw fileError(error, 'path', path, 'a file path in an existing folder');
  }
}

/**
 * @internal Checks a state dict and its metadata now, and returns what writes them as a
 * safetensors file when handed a byte sink (as writeFileAtomic's `fill`).
 */
export function safetensorsWriter(tensors: SafetensorsTensors, metadata: Record<string, string> | undefined, caller: string): (write: (bytes: Uint8Array) => void) => void {
  checkLittleEndian();
  const { header, items } = plan(tensors, metadata);
  return (write) => {
    write(header);
    for (const item of items) write(tensorBytes(item, caller));
  };
}
