// Reading torch.save files (see src/io/serialization.ts for the layout). Nothing in a file runs:
// the unpickler (src/io/pickle.ts) only names Python globals, and the hooks here turn the few a
// tensor file uses (OrderedDict, torch._utils._rebuild_tensor_v2, _rebuild_parameter, storage
// classes) into values, and refuse every other one, saying what it most likely is.
import { fstatSync, readSync } from 'node:fs';
import { torch_empty } from '../ops/creation.js';
import type { DType } from '../core/dtype.js';
import { native } from '../core/native.js';
import { nn_parameter } from '../nn/registry.js';
import { PyBytes, PyDict, PyGlobal, PySet, PyTuple, unpickle, type PyValue, type UnpickleHooks } from './pickle.js';
import type { TorchKey } from './serialization.js';
import { DTYPE_OF_STORAGE, FOREIGN_STORAGES, STORAGE_TYPES, isFloating, isIndex } from './storages.js';
import { Tensor, tensorFrom } from '../ops/tensor.js';
import { describe } from '../core/validate.js';
import { ZipReader, type ByteSource } from './zip.js';

const quote = (text: string): string => JSON.stringify(text);

/** One storage of the file, read once, however many tensors view it. */
class LoadedStorage {
  constructor(readonly key: string, readonly dtype: DType, readonly numel: number, readonly tensor: Tensor) {}
}

// Python cannot pickle values nested deeper than its recursion limit (1000).
const MAX_DEPTH = 1000;

/** What a refused Python name most likely is, for the message. */
/** @internal `collections.OrderedDict(pairs)` of a pickle: a list of (key, value) tuples, or nothing. */
export function orderedDict(args: PyValue[], fault: (detail: string) => never): PyDict {
  const dict = new PyDict(true);
  if (args.length === 0) return dict;
  const [pairs] = args;
  if (args.length !== 1 || !Array.isArray(pairs)) return fault('OrderedDict of something that is not a list of pairs');
  for (const pair of pairs as PyValue[]) {
    if (!(pair instanceof PyTuple) || pair.items.length !== 2) fault('OrderedDict of something that is not a list of pairs');
    dict.map.set((pair as PyTuple).items[0]!, (pair as PyTuple).items[1]!);
  }
  return dict;
}

/** @internal Whether a pickled tensor's hooks, metadata or state are absent: None or an empty dict. */
export function isEmpty(value: PyValue | undefined): boolean {
  return value === undefined || value === null || (value instanceof PyDict && value.map.size === 0);
}

export function whatIs(global: PyGlobal): string {
  const { module, name } = global;
  if ((module === 'torch._utils' && /sparse/.test(name)) || (module === 'torch.serialization' && name === '_get_layout')) return 'a sparse tensor (or another non-strided layout)';
  if (module === 'torch._utils' && /qtensor/.test(name)) return 'a quantized tensor';
  if (module === 'torch._utils' && /nested/.test(name)) return 'a nested tensor';
  if (module === 'torch._utils' && /meta_tensor/.test(name)) return 'a meta tensor';
  if (module === 'torch._utils' && /rebuild_tensor_v3/.test(name)) return 'a tensor of a dtype with no storage class (PyTorch 2.x)';
  if (module === 'torch._tensor' || /wrapper_subclass/.test(name)) return 'a Tensor subclass, or a tensor with Python attributes';
  if (module === 'torch' && /^(complex|cfloat|cdouble|uint16|uint32|uint64|float8|qint|quint)/.test(name)) return 'a dtype torchlora does not have';
  if (module === 'torch' && name === 'device') return 'a torch.device';
  if (module === 'torch' && Object.hasOwn(STORAGE_TYPES, name)) return 'a torch.dtype, which torch_load reads only as the dtype of a tensor';
  if (module.split('.')[0] === 'numpy') return 'a NumPy value';
  if (module === 'builtins' || module === '__builtin__') return `Python's ${name}`;
  if (module.startsWith('torch.nn')) return 'a whole nn.Module (save its state_dict() instead)';
  if (module.startsWith('torch.optim')) return 'a whole optimizer (save its state_dict() instead)';
  return 'a Python object';
}

/** The unpickler's hooks: storages from the archive, tensors rebuilt over them, nothing else. */
class Loader implements UnpickleHooks {
  private readonly storages = new Map<string, LoadedStorage>();
  private readonly made: Tensor[] = [];
  private readonly converted = new Map<object, unknown>();

  constructor(private readonly zip: ZipReader, private readonly prefix: string, private readonly device: string, readonly fault: (detail: string) => never) {}

  private refuse(global: PyGlobal, how: string): never {
    return this.fault(`data.pkl ${how} ${global.qualified}, ${whatIs(global)}, which torchlora cannot represent `
      + '(torch_load reads tensors, lists, tuples, dicts, OrderedDicts, numbers, strings, booleans and None, and runs no code from a file)');
  }

  persistentLoad(id: PyValue): PyValue {
    if (!(id instanceof PyTuple) || id.items.length !== 5 || id.items[0] !== 'storage') this.fault('data.pkl refers to a persistent object that is not a storage');
    const [, type, key, , numel] = (id as PyTuple).items;
    if (!(type instanceof PyGlobal)) return this.fault('a storage has no storage type');
    const dtype = type.module === 'torch' ? DTYPE_OF_STORAGE.get(type.name) : undefined;
    if (dtype === undefined) {
      const foreign = type.module === 'torch' ? FOREIGN_STORAGES[type.name] : undefined;
      if (foreign !== undefined) this.fault(`data.pkl holds a storage of torch.${type.name}: ${foreign}, which torchlora cannot represent`);
      this.refuse(type, 'names as a storage type');
    }
    if (typeof key !== 'string') this.fault(`a storage key is ${describe(key)}, not a string`);
    if (!isIndex(numel)) this.fault(`storage ${quote(key as string)} has ${describe(numel)} elements`);
    const known = this.storages.get(key as string);
    if (known !== undefined) {
      if (known.dtype !== dtype || known.numel !== numel) this.fault(`storage ${quote(key as string)} is described twice, as ${known.numel} ${known.dtype} and ${numel} ${dtype}`);
      return known;
    }
    const storage = this.readStorage(key as string, dtype!, numel as number);
    this.storages.set(storage.key, storage);
    return storage;
  }

  private readStorage(key: string, dtype: DType, numel: number): LoadedStorage {
    const record = `${this.prefix}data/${key}`;
    const entry = this.zip.entries.get(record);
    if (entry === undefined) this.fault(`storage ${quote(key)} has no record ${quote(record)}`);
    const bytes = numel * STORAGE_TYPES[dtype].bytes;
    if (entry!.size !== bytes) this.fault(`record ${quote(record)} holds ${entry!.size} bytes, but storage ${quote(key)} is ${numel} ${dtype} elements (${bytes} bytes)`);
    // Read straight into the tensor's memory.
    const cpu = torch_empty([numel], { dtype, device: 'cpu' }); // read on the CPU, whatever with_device says
    try {
      const values = cpu.to_typed_array({ copy: false });
      this.zip.read(entry!, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    } catch (error) {
      cpu.dispose();
      throw error;
    }
    if (this.device === 'cpu') return new LoadedStorage(key, dtype, numel, cpu);
    try {
      return new LoadedStorage(key, dtype, numel, cpu.to({ device: this.device }));
    } finally {
      cpu.dispose();
    }
  }

  call(callable: PyValue, args: PyValue[], opcode: string): PyValue {
    if (!(callable instanceof PyGlobal)) return this.fault(`${opcode} of something that is not a Python name`);
    switch (callable.qualified) {
      case 'collections.OrderedDict': return orderedDict(args, this.fault);
      case 'torch._utils._rebuild_tensor': return this.rebuildTensor(args, 4);
      case 'torch._utils._rebuild_tensor_v2': return this.rebuildTensor(args, 6);
      case 'torch._utils._rebuild_parameter': return this.rebuildParameter(args, 3);
      case 'torch._utils._rebuild_parameter_with_state': return this.rebuildParameter(args, 4);
      case 'torch.Size': {
        const [sizes] = args;
        if (args.length !== 1 || !(sizes instanceof PyTuple) || !sizes.items.every(isIndex)) this.fault('torch.Size of something that is not a tuple of sizes');
        return sizes!;
      }
      default: return this.refuse(callable, 'calls');
    }
  }


  // _rebuild_tensor(storage, offset, size, stride), _v2 adds requires_grad, backward_hooks
  // and (from 1.13) metadata: a new tensor over the storage, as set_ makes it.
  private rebuildTensor(args: PyValue[], count: number): Tensor {
    const [storage, offset, size, stride, requiresGrad = false, hooks, metadata] = args;
    if (args.length < count || args.length > count + 1) this.fault(`a tensor is rebuilt from ${args.length} arguments`);
    if (!(storage instanceof LoadedStorage)) return this.fault('a tensor is rebuilt from something that is not a storage');
    if (!isIndex(offset)) this.fault(`a tensor's storage offset is ${describe(offset)}`);
    const sizes = size instanceof PyTuple ? size.items : [];
    const strides = stride instanceof PyTuple ? stride.items : [];
    if (!(size instanceof PyTuple) || !sizes.every(isIndex)) this.fault('a tensor\'s size is not a tuple of non-negative integers');
    if (!(stride instanceof PyTuple) || !strides.every(isIndex) || strides.length !== sizes.length) this.fault(`a tensor's stride does not match its ${sizes.length} dimensions`);
    if (typeof requiresGrad !== 'boolean') this.fault(`a tensor's requires_grad is ${describe(requiresGrad)}`);
    if (!isEmpty(hooks)) this.fault('a tensor has backward hooks, which are Python functions');
    if (!isEmpty(metadata)) this.fault('a tensor has extra metadata (the seventh argument of _rebuild_tensor_v2), which torch_load does not read');
    // Every element must lie within the storage: set_ would grow a storage that is too small.
    const shape = sizes as number[];
    const steps = strides as number[];
    const elements = shape.reduce((product, n) => product * BigInt(n), 1n);
    const last = elements === 0n ? 0n : shape.reduce((sum, n, i) => sum + BigInt(n - 1) * BigInt(steps[i]!), 0n);
    const needed = elements === 0n ? BigInt(offset as number) : BigInt(offset as number) + last + 1n;
    if (needed > BigInt(storage.numel)) {
      this.fault(`a tensor of size [${shape.join(', ')}], stride [${steps.join(', ')}] at offset ${offset} needs ${needed} elements of storage ${quote(storage.key)}, which has ${storage.numel}`);
    }
    if (requiresGrad === true && !isFloating(storage.dtype)) this.fault(`a ${storage.dtype} tensor requires grad; only floating-point tensors can`);
    const tensor = tensorFrom(native.setStorage(storage.tensor.h, offset as number, shape, steps));
    this.made.push(tensor);
    if (requiresGrad === true) tensor.requires_grad_(true);
    return tensor;
  }

  private rebuildParameter(args: PyValue[], count: number): Tensor {
    const [data, requiresGrad, hooks, state] = args;
    if (args.length !== count) this.fault(`a parameter is rebuilt from ${args.length} arguments`);
    if (!(data instanceof Tensor)) return this.fault('a parameter is rebuilt from something that is not a tensor');
    if (typeof requiresGrad !== 'boolean') this.fault(`a parameter's requires_grad is ${describe(requiresGrad)}`);
    if (!isEmpty(hooks)) this.fault('a parameter has backward hooks, which are Python functions');
    if (!isEmpty(state)) this.fault('a parameter has Python attributes');
    if (requiresGrad === true && !isFloating(data.dtype)) this.fault(`a ${data.dtype} parameter requires grad; only floating-point tensors can`);
    return nn_parameter(data, requiresGrad as boolean);
  }

  build(target: PyValue, state: PyValue): PyValue {
    // An OrderedDict's attributes: a state dict's `_metadata` (versions for Python's
    // load_state_dict hooks), which has no use here.
    if (target instanceof PyDict && (state === null || state instanceof PyDict)) return target;
    return this.fault('data.pkl sets the state of a Python object (BUILD), which torch_load does not do');
  }

  /** The value as torchlora returns it; tuples become arrays, dicts objects or Maps. */
  convert(value: PyValue, depth = 0): unknown {
    if (value === null || typeof value !== 'object' || value instanceof Tensor) return value;
    if (depth > MAX_DEPTH) this.fault(`values are nested more than ${MAX_DEPTH} deep`);
    const done = this.converted.get(value);
    if (done !== undefined) return done;
    if (Array.isArray(value) || value instanceof PyTuple) {
      const result: unknown[] = [];
      this.converted.set(value, result);
      for (const item of Array.isArray(value) ? value : value.items) result.push(this.convert(item as PyValue, depth + 1));
      return result;
    }
    if (value instanceof PyDict) return this.dict(value, depth);
    if (value instanceof PyGlobal) return this.refuse(value, 'holds');
    if (value instanceof LoadedStorage) return this.fault('data.pkl holds a storage itself, not a tensor, which torch_load does not return');
    if (value instanceof PyBytes) return this.fault('data.pkl holds Python bytes, which torch_load does not read');
    if (value instanceof PySet) return this.fault('data.pkl holds a Python set, which torch_load does not read');
    return this.fault('data.pkl holds a value of an unknown kind');
  }

  // String keys make an object; any other key a Map. An optimizer's state dict keeps the
  // layout of Optimizer.state_dict(): `state` keyed by index strings.
  private dict(dict: PyDict, depth: number): unknown {
    const entries = [...dict.map.entries()];
    if (!entries.every(([key]) => typeof key === 'string')) {
      const result = new Map<TorchKey, unknown>();
      this.converted.set(dict, result);
      for (const [key, value] of entries) result.set(this.key(key), this.convert(value, depth + 1));
      return result;
    }
    const result: Record<string, unknown> = {};
    this.converted.set(dict, result);
    const optimizer = isOptimizerLayout(dict);
    for (const [key, value] of entries) {
      const converted = optimizer && key === 'state' ? this.indexed(value as PyDict, depth + 1) : this.convert(value, depth + 1);
      // defineProperty: a key "__proto__" is a key like any other.
      Object.defineProperty(result, key as string, { value: converted, enumerable: true, writable: true, configurable: true });
    }
    return result;
  }

  private indexed(state: PyDict, depth: number): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    for (const [key, value] of state.map) result[String(key)] = this.convert(value, depth + 1);
    return result;
  }

  private key(key: PyValue): TorchKey {
    if (key === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof key)) return key as TorchKey;
    return this.fault(`data.pkl has a dict key that is ${key instanceof PyTuple ? 'a tuple' : 'not a string, number, boolean or None'}, which torch_load does not read`);
  }

  /** Disposes what was made when loading fails; on success only the storages' own handles. */
  release(failed: boolean): void {
    if (failed) for (const tensor of this.made) tensor.dispose();
    for (const storage of this.storages.values()) storage.tensor.dispose();
  }
}

function isOptimizerLayout(dict: PyDict): boolean {
  if (dict.map.size !== 2 || !dict.map.has('state') || !dict.map.has('param_groups')) return false;
  const state = dict.map.get('state');
  const groups = dict.map.get('param_groups');
  return state instanceof PyDict && [...state.map.keys()].every(isIndex)
    && Array.isArray(groups) && groups.every((group) => group instanceof PyDict && Array.isArray(group.map.get('params'))
      && (group.map.get('params') as PyValue[]).every(isIndex));
}

// readSync reads at most 2 GiB - 1 per call on some platforms; read in smaller steps.
const IO_CHUNK = 1 << 30;

export function fileSource(fd: number, fault: (detail: string) => never): ByteSource {
  return {
    size: fstatSync(fd).size,
    read(into, position) {
      let done = 0;
      while (done < into.byteLength) {
        const read = readSync(fd, into, done, Math.min(IO_CHUNK, into.byteLength - done), position + done);
        if (read === 0) fault(`the file ended ${into.byteLength - done} bytes early while being read; is it truncated, or did it change underneath?`);
        done += read;
      }
    },
  };
}

const ascii = (bytes: Uint8Array, from: number, to: number): string => Buffer.from(bytes.subarray(from, to)).toString('latin1');

/** Says what a file is when it is not a torch.save zip archive. */
export function checkStart(source: ByteSource, fault: (detail: string) => never): void {
  if (source.size === 0) fault('the file is empty');
  const head = new Uint8Array(Math.min(source.size, 512));
  source.read(head, 0);
  const magic = ascii(head, 0, 4);
  if (magic === 'PK\x03\x04' || magic === 'PK\x05\x06') return;
  if (head[0] === 0x80 && head.length > 1 && head[1]! <= 5) {
    fault('it is in PyTorch\'s legacy format (torch.save before PyTorch 1.6, or with _use_new_zipfile_serialization=False), '
      + 'which torchlora does not read; load it in Python and save it again with torch.save');
  }
  if (ascii(head, 257, 262) === 'ustar') fault('it is a tar archive, PyTorch\'s oldest legacy format, which torchlora does not read; load it in Python and save it again with torch.save');
  if (head.length > 9 && head[8] === 0x7b && head[9] === 0x22) fault('it is a safetensors file; read it with torch_load_safetensors');
  fault(`it is not a file torch.save wrote (those are zip archives, which begin with "PK"; this begins with bytes ${[...head.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')})`);
}

/** The archive's folder ("archive/", or the file's name when PyTorch 1.x wrote it). */
export function archivePrefix(zip: ZipReader, fault: (detail: string) => never): string {
  const names = [...zip.entries.keys()];
  if (names.some((name) => /^[^/]*\/constants\.pkl$/.test(name))) fault('it is a TorchScript archive (torch.jit.save); torchlora reads files written by torch.save');
  const pickles = names.filter((name) => /^[^/]*\/data\.pkl$/.test(name));
  if (pickles.length !== 1) {
    const listed = names.slice(0, 5).map(quote).join(', ') + (names.length > 5 ? `, ... (${names.length} in all)` : '');
    fault(`it is a zip archive but not one torch.save wrote: ${pickles.length === 0 ? 'it has no <archive>/data.pkl record' : 'it has several data.pkl records'} (records: ${listed || 'none'})`);
  }
  return pickles[0]!.slice(0, -'data.pkl'.length);
}

/** Checks the format version and byte order records (big-endian archives are refused). */
export function checkRecords(zip: ZipReader, prefix: string, fault: (detail: string) => never): void {
  const record = (name: string): string | undefined => {
    const entry = zip.entries.get(prefix + name);
    return entry === undefined ? undefined : Buffer.from(zip.read(entry)).toString('latin1').trim();
  };
  const version = record('.data/version') ?? record('version');
  if (version === undefined) fault('it has no version record');
  if (!/^\d+$/.test(version!) || Number(version) < 1) fault(`its version record is ${quote(version!)}, not a format version`);
  const byteorder = record('byteorder');
  if (byteorder !== undefined && byteorder !== 'little') {
    fault(byteorder === 'big' ? 'its tensors are big-endian (byteorder "big"), which torchlora does not convert' : `its byteorder record is ${quote(byteorder)}`);
  }
}

/** Reads a torch.save archive from `source`: the value, its tensors on `device`. */
export function readTorchFile(source: ByteSource, device: string, fault: (detail: string) => never): unknown {
  checkStart(source, fault);
  const zip = new ZipReader(source, fault);
  const prefix = archivePrefix(zip, fault);
  checkRecords(zip, prefix, fault);
  const pickle = zip.read(zip.entries.get(`${prefix}data.pkl`)!);
  const loader = new Loader(zip, prefix, device, fault);
  let failed = true;
  try {
    const value = loader.convert(unpickle(pickle, loader));
    failed = false;
    return value;
  } finally {
    loader.release(failed);
  }
}
