// Values sent between threads of this process with Tensors in them. A Tensor travels as a
// number (native/jobs/share.cc parks a detached alias under it): the receiver gets a Tensor over
// the same storage, so a 1 GB frozen base costs its bytes once however many threads hold it.
// Everything else goes through the structured clone, which this walk checks first so a value
// the clone would mangle (a class instance loses its prototype, a function throws an engine
// message) is a TypeError naming where it sits.
import { native } from '../core/native.js';
import { tensorFrom, Tensor } from '../ops/tensor.js';
import { fail, isPlainObject } from '../core/validate.js';

const MARK = '__torchlora_shared_tensor__';

interface Marker { [MARK]: number; requires_grad: boolean }

function isMarker(value: object): value is Marker {
  return typeof (value as Record<string, unknown>)[MARK] === 'number';
}


// Leaves the structured clone copies faithfully.
function isCloneableLeaf(value: object): boolean {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer ||
    value instanceof Date || value instanceof RegExp || value instanceof Error;
}

/**
 * A copy of `value` for `postMessage` in which each Tensor is parked natively; `ids` receives
 * every parked number so the sender can release the ones no receiver took.
 */
export function encodeShared(value: unknown, ids: number[], where: string): unknown {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'function' || typeof value === 'symbol') fail('data a worker thread can receive (numbers, strings, arrays, plain objects, Maps, Sets, typed arrays, Tensors)', where, value);
    return value;
  }
  if (value instanceof Tensor) {
    if (value.is_disposed) fail('a live Tensor', where, value);
    const id = native.shareTensor(value.h);
    ids.push(id);
    return { [MARK]: id, requires_grad: value.requires_grad } satisfies Marker;
  }
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    for (let i = 0; i < value.length; i++) copy.push(encodeShared(value[i], ids, `${where}[${i}]`));
    return copy;
  }
  if (value instanceof Map) {
    const copy = new Map<unknown, unknown>();
    for (const [key, item] of value) copy.set(encodeShared(key, ids, `${where} key`), encodeShared(item, ids, `${where}.get(${String(key)})`));
    return copy;
  }
  if (value instanceof Set) return new Set([...value].map((item, i) => encodeShared(item, ids, `${where} item ${i}`)));
  if (isCloneableLeaf(value)) return value;
  if (!isPlainObject(value)) {
    fail('data a worker thread can receive (numbers, strings, arrays, plain objects, Maps, Sets, typed arrays, Tensors)', where, value);
  }
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = encodeShared(item, ids, `${where}.${key}`);
  return copy;
}

/** The value `encodeShared` made, with each parked Tensor taken into this thread. */
export function decodeShared(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(decodeShared);
  if (value instanceof Map) return new Map([...value].map(([key, item]) => [decodeShared(key), decodeShared(item)]));
  if (value instanceof Set) return new Set([...value].map(decodeShared));
  if (!isPlainObject(value)) return value;
  if (isMarker(value)) {
    const id = native.takeShared(value[MARK]);
    if (id === null) throw new Error(`internal: shared tensor ${value[MARK]} was taken or released already`);
    const tensor = tensorFrom(id);
    if (value.requires_grad) tensor.requires_grad_(true);
    return tensor;
  }
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = decodeShared(item);
  return copy;
}

/** Drops parked tensors nobody took (a receiver that died first); taken ones are skipped. */
export function releaseShared(ids: readonly number[]): void {
  for (const id of ids) native.releaseShared(id);
}

/** How many tensors are parked and not yet taken, process-wide (for tests of cleanup). */
export function parkedTensors(): number {
  return native.parkedTensors();
}
