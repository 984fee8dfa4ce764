// torch_save and torch_load in PyTorch's own format (torch.save since 1.6), so that files
// cross between torchlora and Python both ways. A file is a zip archive (src/io/zip.ts) of
//   <archive>/data.pkl      the value, pickled (protocol 2, src/io/pickle.ts)
//   <archive>/byteorder     "little"
//   <archive>/data/<key>    each storage's raw little-endian bytes
//   <archive>/version       "3"
// A tensor is pickled as torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
// requires_grad, OrderedDict()), its storage a persistent id ('storage', torch.FloatStorage,
// key, location, numel), so tensors that share memory share one storage record.
// Reading runs no code from the file: the few Python names a tensor file uses are recognised
// by name and everything else is refused, saying what was found.
import { type DeviceLike } from '../core/device.js';
import { closeSync, openSync } from 'node:fs';
import { endianness } from 'node:os';
import { writeFileAtomic } from './atomic.js';
import type { DType } from '../core/dtype.js';
import { TorchError } from '../core/errors.js';
import { checkPath, fileError } from './filesystem.js';
import { native } from '../core/native.js';
import { is_nn_parameter } from '../nn/registry.js';
import { PickleWriter } from './pickle.js';
import { fileSource, readTorchFile } from './serialization_read.js';
import { STORAGE_TYPES, isIndex } from './storages.js';
import { Tensor, newTensor } from '../ops/tensor.js';
import { checkDevice, checkOptions, describe, fail, isPlainObject, optionKeys } from '../core/validate.js';
import { ZipWriter } from './zip.js';

/** A key of a Python dict that is not a string: a Map key. */
export type TorchKey = string | number | bigint | boolean | null;

/**
 * What torch_save writes and torch_load returns: tensors; numbers (Python int or float),
 * bigints (large ints), strings, booleans and null (None); arrays (lists; tuples are read as
 * arrays too); plain objects (dicts with string keys); Maps (dicts with other keys).
 */
export type TorchValue = Tensor | number | bigint | string | boolean | null | TorchValue[] | { [key: string]: TorchValue } | Map<TorchKey, TorchValue>;

export interface TorchLoadOptions {
  /** Where the tensors are put ("cpu" when omitted, whatever device they were saved from). */
  device?: DeviceLike;
}

const quote = (text: string): string => JSON.stringify(text);

function checkLittleEndian(): void {
  if (endianness() !== 'LE') throw new TorchError('torch.save files are little-endian and this machine is big-endian, which torchlora does not support');
}

// ---------------------------------------------------------------- writing

interface SavedStorage { key: string; whole: Tensor; dtype: DType; numel: number; location: string }

const EXPECTED_VALUE = 'a Tensor, number, bigint, string, boolean, null, array, plain object or Map';
const INDEX_KEY = /^(0|[1-9]\d{0,15})$/;

/**
 * `Optimizer.state_dict()`'s layout, which PyTorch's optimizers share: exactly `state` and
 * `param_groups`, each group listing its parameters' indices in `params`, `state` keyed by
 * those indices. In the file the keys of `state` are Python ints, as PyTorch writes them and
 * as its `load_state_dict` looks them up; in JavaScript they are an object's keys ("0", "1").
 */
function isOptimizerStateDict(value: Record<string, unknown>): boolean {
  const keys = Object.keys(value);
  if (keys.length !== 2 || !keys.includes('state') || !keys.includes('param_groups')) return false;
  const { state, param_groups: groups } = value;
  return isPlainObject(state) && Object.keys(state).every((key) => INDEX_KEY.test(key) && Number.isSafeInteger(Number(key)))
    && Array.isArray(groups) && groups.every((group) => isPlainObject(group) && Array.isArray(group.params) && group.params.every(isIndex));
}

function checkText(value: string, name: string): string {
  if (Buffer.from(value, 'utf8').toString('utf8') !== value) throw new TypeError(`Expected well-formed Unicode for ${name} but received ${quote(value)}`);
  return value;
}

const member = (name: string, key: string): string => (/^[A-Za-z_$][\w$]*$/.test(key) ? `${name}.${key}` : `${name}[${quote(key)}]`);

/** The pickle of a value and the storages its tensors use, made before anything is written. */
class SavePlan {
  readonly pickle = new PickleWriter();
  readonly storages: SavedStorage[] = [];
  private readonly byIdentity = new Map<string, SavedStorage>();
  private readonly ancestors = new Set<object>();

  value(value: unknown, name: string): void {
    const p = this.pickle;
    if (value === null) return p.none();
    switch (typeof value) {
      case 'boolean': return p.bool(value);
      case 'number': return Number.isSafeInteger(value) && !Object.is(value, -0) ? p.int(value) : p.float(value);
      case 'bigint': return p.int(value);
      case 'string': return p.string(checkText(value, name));
      case 'object': break;
      default: fail(EXPECTED_VALUE, name, value);
    }
    if (value instanceof Tensor) return this.tensor(value, name);
    if (this.ancestors.has(value)) throw new TypeError(`Expected a value without cycles for ${name} but received one that contains itself`);
    this.ancestors.add(value);
    try {
      if (Array.isArray(value)) this.list(value, name);
      else if (value instanceof Map) this.dict([...value.entries()], name);
      else if (isPlainObject(value)) {
        const entries: [unknown, unknown][] = Object.keys(value).map((key) => [key, value[key]]);
        if (isOptimizerStateDict(value)) {
          const state = value.state as Record<string, unknown>;
          entries[entries.findIndex(([key]) => key === 'state')]![1] = new Map(Object.keys(state).map((key) => [Number(key), state[key]]));
        }
        this.dict(entries, name);
      } else fail(EXPECTED_VALUE, name, value);
    } finally {
      this.ancestors.delete(value);
    }
  }

  private list(items: unknown[], name: string): void {
    this.pickle.emptyList();
    if (items.length === 0) return;
    this.pickle.mark();
    for (let i = 0; i < items.length; i++) this.value(items[i], `${name}[${i}]`);
    this.pickle.appends();
  }

  // A dict whose keys are all strings and whose values are all tensors is a state dict,
  // written as the OrderedDict that torch.save(model.state_dict()) writes.
  private dict(entries: [unknown, unknown][], name: string): void {
    const p = this.pickle;
    const stateDict = entries.length > 0 && entries.every(([key, value]) => typeof key === 'string' && value instanceof Tensor);
    if (stateDict) this.orderedDict();
    else p.emptyDict();
    if (entries.length === 0) return;
    p.mark();
    for (const [key, value] of entries) {
      if (key !== null && !['string', 'number', 'bigint', 'boolean'].includes(typeof key)) fail('a string, number, bigint, boolean or null key', `${name} key`, key);
      this.value(key, `${name} key`);
      this.value(value, typeof key === 'string' ? member(name, key) : `${name}[${describe(key)}]`);
    }
    p.setitems();
  }

  private orderedDict(): void {
    this.pickle.global('collections', 'OrderedDict');
    this.pickle.tuple(0, () => {});
    this.pickle.reduce();
  }

  // A parameter (nn_parameter) is written as torch.save writes an nn.Parameter.
  private tensor(tensor: Tensor, name: string): void {
    if (tensor.is_disposed) throw new TypeError(`Expected a live Tensor for ${name} but received a disposed one`);
    if (tensor.device === 'meta') throw new TypeError(`Expected a Tensor with data for ${name} but received one on the meta device`);
    const requiresGrad = tensor.requires_grad;
    if (is_nn_parameter(tensor)) {
      this.pickle.global('torch._utils', '_rebuild_parameter');
      this.pickle.tuple(3, () => {
        this.rebuild(tensor, false, name);
        this.pickle.bool(requiresGrad);
        this.orderedDict();
      });
      this.pickle.reduce();
    } else {
      this.rebuild(tensor, requiresGrad, name);
    }
  }

  private rebuild(tensor: Tensor, requiresGrad: boolean, name: string): void {
    const p = this.pickle;
    const storage = this.storageOf(tensor, name);
    p.global('torch._utils', '_rebuild_tensor_v2');
    p.tuple(6, () => {
      p.tuple(5, () => {
        p.string('storage');
        p.global('torch', STORAGE_TYPES[storage.dtype].name);
        p.string(storage.key);
        p.string(storage.location);
        p.int(storage.numel);
      });
      p.binpersid();
      p.int(storage.offset);
      p.tuple(tensor.shape.length, () => tensor.shape.forEach((size) => p.int(size)));
      p.tuple(storage.stride.length, () => storage.stride.forEach((step) => p.int(step)));
      p.bool(requiresGrad);
      this.orderedDict();
    });
    p.reduce();
  }

  // Tensors that share memory share a storage record, as they do in PyTorch's files; the
  // whole storage is written, also where a view covers only part of it.
  private storageOf(tensor: Tensor, name: string): SavedStorage & { offset: number; stride: number[] } {
    const whole = newTensor();
    let info: ReturnType<typeof native.storageOf>;
    try {
      info = native.storageOf(whole, tensor.h);
    } catch (error) {
      throw new TorchError(`torch_save: could not save ${name}: ${(error as Error).message}`);
    }
    const dtype = tensor.dtype;
    const identity = `${info.key}:${dtype}`; // a storage viewed as two dtypes is written twice
    let storage = this.byIdentity.get(identity);
    if (storage === undefined) {
      storage = { key: String(this.storages.length), whole, dtype, numel: whole.numel(), location: tensor.device };
      this.storages.push(storage);
      this.byIdentity.set(identity, storage);
    } else {
      whole.dispose();
    }
    return { ...storage, offset: info.offset, stride: info.stride };
  }

  /** Writes the archive through `write`: data.pkl, byteorder, the storages, version. */
  write(write: (bytes: Uint8Array) => void): void {
    const zip = new ZipWriter(write);
    zip.add('archive/data.pkl', this.pickle.result());
    zip.add('archive/byteorder', Buffer.from('little'));
    const byKey = [...this.storages].sort((a, b) => (a.key < b.key ? -1 : 1)); // PyTorch's order: keys as strings
    for (const storage of byKey) zip.add(`archive/data/${storage.key}`, storageBytes(storage));
    zip.add('archive/version', Buffer.from('3\n'));
    zip.finish();
  }

  dispose(): void {
    for (const storage of this.storages) storage.whole.dispose();
  }
}

function storageBytes({ whole }: SavedStorage): Uint8Array {
  // A CPU storage is read in place; others are copied to the CPU.
  const values = whole.device === 'cpu' ? whole.to_typed_array({ copy: false }) : whole.to_typed_array();
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/**
 * Saves `value` in PyTorch's file format, which Python's `torch.load` reads: a tensor, or
 * arrays, plain objects and Maps of tensors, numbers, strings, booleans and null, such as a
 * module's `state_dict()` (written as the OrderedDict PyTorch writes), an optimizer's
 * `state_dict()` (its state keyed by Python ints, as PyTorch's optimizers expect), or a
 * checkpoint holding both. Tensors that share memory (views, tied weights) share it again
 * when loaded. The file is written under a temporary name, flushed, then renamed over
 * `path`, so a crash leaves the old file or the new one.
 *
 * @example
 * torch_save({ model: model.state_dict(), optimizer: opt.state_dict(), epoch: 3 }, 'checkpoint.pt');
 * // Python: ckpt = torch.load('checkpoint.pt'); model.load_state_dict(ckpt['model'])
 */
export function torch_save(value: unknown, path: string): void {
  checkPath(path, 'path', 'a file path');
  checkLittleEndian();
  const plan = new SavePlan();
  try {
    plan.value(value, 'value');
    plan.pickle.stop();
    try {
      writeFileAtomic(path, (write) => plan.write(write));
    } catch (error) {
      throw fileError(error, 'path', path, 'a file path in an existing folder');
    }
  } finally {
    plan.dispose();
  }
}

// ---------------------------------------------------------------- reading

/**
 * Loads a file written by `torch_save` or by Python's `torch.save` (PyTorch 1.6 and later):
 * tensors (on `device`, "cpu" by default), lists and tuples as arrays, dicts with string
 * keys as plain objects and dicts with other keys as Maps, numbers, strings, booleans and
 * null. Tensors that shared a storage when saved (views, tied weights) share one again.
 * An optimizer's `state_dict()` comes back as `optimizer.load_state_dict()` takes it. It
 * runs no code from the file: anything but tensors and plain data (a whole nn.Module, a
 * NumPy array, a sparse or complex tensor) is refused with an error that names it.
 * The type parameter is what the caller expects; it is not checked.
 *
 * @example
 * const ckpt = torch_load<{ model: Record<string, Tensor>; optimizer: OptimizerStateDict<AdamOptions> }>('checkpoint.pt');
 * model.load_state_dict(ckpt.model);
 * opt.load_state_dict(ckpt.optimizer);
 */
export function torch_load<T = TorchValue>(path: string, options?: TorchLoadOptions): T {
  checkPath(path, 'path', 'a file path');
  const { device } = checkOptions(options, LOAD_KEYS, 'torch_load');
  const target = device === undefined ? 'cpu' : checkDevice(device);
  checkLittleEndian();
  const fault = (detail: string): never => { throw new TorchError(`torch_load(${quote(path)}): ${detail}`); };
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    return readTorchFile(fileSource(fd, fault), target, fault) as T;
  } catch (error) {
    throw fileError(error, 'path', path, 'a readable file written by torch_save or torch.save');
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const LOAD_KEYS = optionKeys<TorchLoadOptions>({ device: true });
