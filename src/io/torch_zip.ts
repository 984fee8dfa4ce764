// A state dict in a torch.save zip archive (`pytorch_model.bin`), read lazily: the zip's central
// directory and `<archive>/data.pkl` first (names, dtypes, shapes; no tensor data), then each
// tensor from its `<archive>/data/<key>` record straight into the tensor that will hold it
// (src/io/read_into.ts), so a checkpoint is never held twice. The pickle goes through
// src/io/pickle.ts with hooks that accept what torch.load(weights_only=True) accepts for a state
// dict: dicts and OrderedDicts, torch._utils._rebuild_tensor_v2 and _rebuild_parameter over
// ('storage', torch.<Type>Storage, key, location, numel) persistent ids. Any other Python name
// is refused by name; nothing in a file is run. Every record's CRC-32 is checked once, as it is
// read; a big-endian archive is refused (checkRecords).
import { closeSync, openSync } from 'node:fs';
import type { DType } from '../core/dtype.js';
import { native } from '../core/native.js';
import { describe } from '../core/validate.js';
import { torch_empty } from '../ops/creation.js';
import { with_no_grad } from '../ops/autograd.js';
import { tensorFrom, type Tensor } from '../ops/tensor.js';
import { fileError } from './filesystem.js';
import { PyDict, PyGlobal, PyTuple, unpickle, type PyValue, type UnpickleHooks } from './pickle.js';
import { fileChecksum, readSpanInto, tensorBytes } from './read_into.js';
import { readExactly } from './safetensors.js';
import { archivePrefix, checkRecords, checkStart, fileSource, isEmpty, orderedDict, whatIs } from './serialization_read.js';
import { DTYPE_OF_STORAGE, FOREIGN_STORAGES, STORAGE_TYPES, isIndex } from './storages.js';
import { ZipReader } from './zip.js';

const quote = (text: string): string => JSON.stringify(text);

/** One storage record of the archive: where its bytes lie, and whether its CRC-32 was checked. */
export interface LazyStorage {
  readonly key: string;
  readonly dtype: DType;
  readonly numel: number;
  readonly record: string;
  /** The file offset of its first byte. */
  readonly start: number;
  readonly crc: number;
  checked: boolean;
}

/** A tensor of the state dict, not read yet: a view of `storage`, as _rebuild_tensor_v2 describes it. */
export interface LazyTensor {
  readonly dtype: DType;
  readonly shape: number[];
  readonly stride: number[];
  readonly offset: number;
  readonly storage: LazyStorage;
}

/** What the archive holds: its tensors by name, in the file's order. */
export interface LazyStateDict {
  readonly file: string;
  readonly tensors: [string, LazyTensor][];
}

const STATE_DICT_RULE = 'a state dict is read as torch.load(weights_only=True) reads one: tensors by name, and no code from the file is run';

/** The unpickler's hooks for a state dict: storages described (not read), tensors described over them. */
class StateDictHooks implements UnpickleHooks {
  private readonly storages = new Map<string, LazyStorage>();

  constructor(private readonly zip: ZipReader, private readonly prefix: string, readonly fault: (detail: string) => never) {}

  private refuse(global: PyGlobal, how: string): never {
    return this.fault(`data.pkl ${how} ${global.qualified}, ${whatIs(global)}, which is refused: ${STATE_DICT_RULE}`);
  }

  persistentLoad(id: PyValue): PyValue {
    if (!(id instanceof PyTuple) || id.items.length !== 5 || id.items[0] !== 'storage') return this.fault('data.pkl refers to a persistent object that is not a storage');
    const [, type, key, location, numel] = id.items;
    if (!(type instanceof PyGlobal)) return this.fault('a storage has no storage type');
    // torch.load reads an untyped storage as bytes.
    const untyped = type.qualified === 'torch.UntypedStorage' || type.qualified === 'torch.storage.UntypedStorage';
    const dtype = untyped ? 'uint8' : type.module === 'torch' ? DTYPE_OF_STORAGE.get(type.name) : undefined;
    if (dtype === undefined) {
      const foreign = type.module === 'torch' ? FOREIGN_STORAGES[type.name] : undefined;
      if (foreign !== undefined) this.fault(`data.pkl holds a storage of torch.${type.name}: ${foreign}, which torchlora cannot represent`);
      return this.refuse(type, 'names as a storage type');
    }
    if (typeof key !== 'string') return this.fault(`a storage key is ${describe(key)}, not a string`);
    if (typeof location !== 'string') this.fault(`storage ${quote(key)} has a location that is ${describe(location)}, not a device name`);
    if (!isIndex(numel)) this.fault(`storage ${quote(key)} has ${describe(numel)} elements`);
    const known = this.storages.get(key);
    if (known !== undefined) {
      if (known.dtype !== dtype || known.numel !== numel) this.fault(`storage ${quote(key)} is described twice, as ${known.numel} ${known.dtype} and ${String(numel)} ${dtype}`);
      return known;
    }
    const record = `${this.prefix}data/${key}`;
    const entry = this.zip.entries.get(record);
    if (entry === undefined) return this.fault(`storage ${quote(key)} has no record ${quote(record)}; the archive is damaged`);
    const bytes = (numel as number) * STORAGE_TYPES[dtype].bytes;
    if (entry.size !== bytes) this.fault(`record ${quote(record)} holds ${entry.size} bytes, but storage ${quote(key)} is ${String(numel)} ${dtype} elements (${bytes} bytes)`);
    const storage: LazyStorage = { key, dtype, numel: numel as number, record, start: this.zip.storedStart(entry), crc: entry.crc, checked: false };
    this.storages.set(key, storage);
    return storage;
  }

  call(callable: PyValue, args: PyValue[], opcode: string): PyValue {
    if (!(callable instanceof PyGlobal)) return this.fault(`${opcode} of something that is not a Python name`);
    if (opcode !== 'REDUCE') return this.refuse(callable, `makes an object (${opcode}) of`);
    switch (callable.qualified) {
      case 'collections.OrderedDict': return orderedDict(args, this.fault);
      case 'torch._utils._rebuild_tensor_v2': return this.rebuildTensor(args);
      case 'torch._utils._rebuild_parameter': return this.rebuildParameter(args, 3);
      case 'torch._utils._rebuild_parameter_with_state': return this.rebuildParameter(args, 4);
      default: return this.refuse(callable, 'calls');
    }
  }


  // _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks[, metadata]).
  private rebuildTensor(args: PyValue[]): LazyTensor {
    const [storage, offset, size, stride, requiresGrad, hooks, metadata] = args;
    if (args.length < 6 || args.length > 7) this.fault(`a tensor is rebuilt from ${args.length} arguments`);
    if (typeof storage !== 'object' || storage === null || !this.storages.has((storage as LazyStorage).key) || this.storages.get((storage as LazyStorage).key) !== storage) {
      return this.fault('a tensor is rebuilt from something that is not a storage');
    }
    const { numel, key, dtype } = storage as LazyStorage;
    if (!isIndex(offset)) this.fault(`a tensor's storage offset is ${describe(offset)}`);
    if (!(size instanceof PyTuple) || !size.items.every(isIndex)) return this.fault('a tensor\'s size is not a tuple of non-negative integers');
    if (!(stride instanceof PyTuple) || !stride.items.every(isIndex) || stride.items.length !== size.items.length) return this.fault(`a tensor's stride does not match its ${size.items.length} dimensions`);
    if (typeof requiresGrad !== 'boolean') this.fault(`a tensor's requires_grad is ${describe(requiresGrad)}`);
    if (!isEmpty(hooks)) this.fault('a tensor has backward hooks, which are Python functions');
    if (!isEmpty(metadata)) this.fault('a tensor has extra metadata (the seventh argument of _rebuild_tensor_v2), which is not read');
    const shape = size.items as number[];
    const steps = stride.items as number[];
    const needed = elementsNeeded(offset as number, shape, steps);
    if (needed > BigInt(numel)) this.fault(`a tensor of size [${shape.join(', ')}], stride [${steps.join(', ')}] at offset ${String(offset)} needs ${needed} elements of storage ${quote(key)}, which has ${numel}`);
    return { dtype, shape, stride: steps, offset: offset as number, storage: storage as LazyStorage };
  }

  // _rebuild_parameter(data, requires_grad, backward_hooks[, state]): the data is what loads.
  private rebuildParameter(args: PyValue[], count: number): LazyTensor {
    const [data, requiresGrad, hooks, state] = args;
    if (args.length !== count) this.fault(`a parameter is rebuilt from ${args.length} arguments`);
    if (!isLazyTensor(data)) return this.fault('a parameter is rebuilt from something that is not a tensor');
    if (typeof requiresGrad !== 'boolean') this.fault(`a parameter's requires_grad is ${describe(requiresGrad)}`);
    if (!isEmpty(hooks)) this.fault('a parameter has backward hooks, which are Python functions');
    if (!isEmpty(state)) this.fault('a parameter has Python attributes');
    return data;
  }

  build(target: PyValue, state: PyValue): PyValue {
    // A state dict's `_metadata` (versions for Python's load_state_dict hooks): not needed here.
    if (target instanceof PyDict && (state === null || state instanceof PyDict)) return target;
    return this.fault('data.pkl sets the state of a Python object (BUILD), which is refused: ' + STATE_DICT_RULE);
  }
}

const isLazyTensor = (value: unknown): value is LazyTensor => typeof value === 'object' && value !== null && 'storage' in value && 'stride' in value;

// How many storage elements a view needs: one past its last element (its offset when empty).
function elementsNeeded(offset: number, shape: number[], stride: number[]): bigint {
  if (shape.some((n) => n === 0)) return BigInt(offset);
  return shape.reduce((sum, n, i) => sum + BigInt(n - 1) * BigInt(stride[i]!), BigInt(offset)) + 1n;
}

function isContiguous(shape: number[], stride: number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) return false;
    expected *= shape[i]!;
  }
  return true;
}

/**
 * @internal Reads the names, dtypes and shapes of the state dict in torch.save archive `file`
 * (its directory and data.pkl only). `fault` throws, naming the file.
 */
export function readLazyStateDict(file: string, fault: (detail: string) => never): LazyStateDict {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    throw fileError(error, 'dir', file, 'a readable pytorch_model.bin');
  }
  try {
    const source = fileSource(fd, fault);
    checkStart(source, fault);
    const zip = new ZipReader(source, fault);
    const prefix = archivePrefix(zip, fault);
    checkRecords(zip, prefix, fault);
    const hooks = new StateDictHooks(zip, prefix, fault);
    const value = unpickle(zip.read(zip.entries.get(`${prefix}data.pkl`)!), hooks);
    if (!(value instanceof PyDict)) return fault(`data.pkl holds ${value instanceof PyGlobal ? value.qualified : describe(value)}, not a state dict (a dict of tensors by name)`);
    const tensors: [string, LazyTensor][] = [];
    for (const [name, tensor] of value.map) {
      if (typeof name !== 'string') fault(`the state dict has a key that is ${describe(name)}, not a tensor name`);
      if (!isLazyTensor(tensor)) fault(`the state dict's ${quote(name as string)} is ${tensor instanceof PyGlobal ? tensor.qualified : describe(tensor)}, not a tensor`);
      tensors.push([name as string, tensor as LazyTensor]);
    }
    return { file, tensors };
  } finally {
    closeSync(fd);
  }
}

// Checks a storage record's CRC-32 once, reading it through a small buffer unless `crc` (the
// checksum of the whole record, computed while reading it) is given.
function checkStorage(fd: number, storage: LazyStorage, fault: (detail: string) => never, crc?: number): void {
  if (storage.checked) return;
  const value = crc ?? fileChecksum(fd, storage.start, storage.numel * STORAGE_TYPES[storage.dtype].bytes, fault);
  const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;
  if (value !== storage.crc) fault(`record ${quote(storage.record)}: its CRC-32 is ${hex(value)}, the directory says ${hex(storage.crc)}; the file is damaged`);
  storage.checked = true;
}

/**
 * @internal Reads `tensor` from the archive open as `fd` into `target` (the same shape; any
 * dtype, any device), straight into its memory where the dtypes agree.
 */
export function readLazyTensor(fd: number, tensor: LazyTensor, target: Tensor, fault: (detail: string) => never): void {
  const { storage, shape, stride, offset, dtype } = tensor;
  const width = STORAGE_TYPES[dtype].bytes;
  if (shape.some((n) => n === 0)) return checkStorage(fd, storage, fault);
  if (isContiguous(shape, stride)) {
    const whole = offset === 0 && shape.reduce((a, b) => a * b, 1) === storage.numel && !storage.checked;
    const crc = readSpanInto(fd, { begin: storage.start + offset * width, dtype, shape }, target, fault, whole);
    return checkStorage(fd, storage, fault, whole ? crc : undefined);
  }
  // A strided view (a transpose, a slice): the storage elements it spans, then the view's copy.
  const span = Number(elementsNeeded(0, shape, stride));
  const part = torch_empty([span], { dtype, device: 'cpu' }); // read on the CPU, whatever with_device says
  try {
    readExactly(fd, tensorBytes(part), storage.start + offset * width, fault);
    const view = tensorFrom(native.setStorage(part.h, 0, shape, stride));
    with_no_grad(() => target.copy_(view));
    view.dispose();
  } finally {
    part.dispose();
  }
  checkStorage(fd, storage, fault);
}
