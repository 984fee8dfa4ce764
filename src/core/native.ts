// The one loader of the native addon, and the one declaration of what it exports.
// Everything above this file is typed; nothing below it is seen by users.
import { createRequire } from 'node:module';
import { collectorSettings } from './collector.js';
import { TorchError } from './errors.js';
import { addonCandidates, requireAddon } from './loader.js';

/**
 * A JavaScript object the addon attaches native state to: Tensors to fill where one call makes
 * several (the addon sets each one's `h`), an optimizer, a store; or, in arrays and other cold
 * paths, a whole Tensor (the addon reads its `h`). A call that makes one tensor returns its
 * TensorId, which the TypeScript layer keeps in a new Tensor (tensorFrom).
 */
export type Handle = object;
declare const TENSOR_ID: unique symbol;
/**
 * A tensor as the addon names it (native/core/tensor.cc): an opaque External naming a slot and
 * generation in its table, held in a Tensor's `h`. Ops take these rather than Tensor objects
 * and return the result's: cheaper to pass and to store from JavaScript than a field is to
 * read or write from C++. The slot is freed when the id itself is collected, so an id read
 * from a Tensor that died since still names its tensor; a disposed one is a TypeError.
 */
export type TensorId = { readonly [TENSOR_ID]: true };
declare const GENERATOR_ID: unique symbol;
/** A random generator as the addon holds it (native/core/generator.cc): a tagged External. */
export type GeneratorId = { readonly [GENERATOR_ID]: true };
/** A value the addon accepts where PyTorch takes a Tensor or a Python number. */
export type TensorIdOrScalar = TensorId | number | boolean;
/** An autograd node (a tensor's grad_fn), held by the addon. */
export type NodeHandle = { readonly __node: true };
type Optional<T> = T | null | undefined;
/** An index item as the addon decodes it (see native/ops/indexing.cc). */
export type NativeIndex = number | [number | null, number | null, number | null] | Handle | null | '...';

export interface NativeConfig {
  version: string;
  cuda: boolean;
  cudaDevices: number;
  threads: number;
  interopThreads: number;
  parallelInfo: string;
  buildConfig: string;
  /** OpenBLAS's name for the kernels it runs ("Haswell", "Cooperlake"...), "" when the BLAS is not OpenBLAS. */
  openblasCore: string;
  cxx11Abi?: boolean;
}

type Binary = (a: TensorId, b: TensorIdOrScalar) => TensorId;
export type NativeOptimizerKind = 'adam' | 'adamw' | 'sgd' | 'rmsprop' | 'adagrad';
/** A group's options by name; each kind's fields are its table's (src/optim/kind.ts). */
export type NativeOptimizerOptions = Record<string, number | boolean | [number, number]>;
export type NativeOptimizerStateTensor = 'exp_avg' | 'exp_avg_sq' | 'max_exp_avg_sq' | 'momentum_buffer' | 'square_avg' | 'grad_avg' | 'sum';

export interface NativeAddon {
  initialize(torchError: typeof TorchError): void;
  memoryStats(): { tensors: number; bytes: number; cachedBytes: number };
  emptyCache(): number;
  /** core/memory.cc: collect(major) runs once live tensors grew by limitBytes, each counting tensorBytes besides its storage. */
  setCollector(collect: ((major: boolean) => void) | null, limitBytes: number, tensorBytes: number): void;
  config(): NativeConfig;
  setDefaultDtype(code: number): void;
  getDefaultDtype(): number;
  setNumThreads(n: number): void;
  /** core/config.cc: the calling thread's nice value (Linux); 0 or the errno. */
  setThreadNice(nice: number): number;
  /** io/filesystem.cc: swaps two existing paths atomically (renameat2 RENAME_EXCHANGE); 0 or the errno. */
  exchangePaths(a: string, b: string): number;
  /** jobs/share.cc: parks a detached alias of a tensor for another thread of this process; its number. */
  shareTensor(tensor: TensorId): number;
  /** The id of the parked tensor `id`, which is forgotten; null when there is none. */
  takeShared(id: number): TensorId | null;
  releaseShared(id: number): boolean;
  parkedTensors(): number;

  // core/tensor.cc: creation from JavaScript data (the factories go through callOp)
  fromBuffer(data: ArrayBufferView, shape: number[], dtype: number, device: Optional<string>, requiresGrad: boolean): TensorId;
  manualSeed(seed: number): void;

  dispose(a: TensorId): boolean;
  isDisposed(a: TensorId): boolean;
  shape(a: TensorId): number[];
  dtype(a: TensorId): number;
  device(a: TensorId): string;
  numel(a: TensorId): number;
  dim(a: TensorId): number;
  item(a: TensorId): number | boolean;
  data(a: TensorId): ArrayBuffer;
  dataView(a: TensorId): ArrayBuffer;
  isContiguous(a: TensorId): boolean;
  to(a: TensorId, device: Optional<string>, dtype: Optional<number>, copy: boolean): TensorId;
  format(a: TensorId): string;

  // ops/functions.cc: the ops the op table cannot express (the rest go through callOp)
  remainder: Binary;
  raddAlpha(a: TensorId, b: number, alpha: number): TensorId;
  rdiv(a: TensorId, b: number | boolean): TensorId;
  where(condition: TensorId, a: TensorIdOrScalar, b: TensorIdOrScalar): TensorId;

  index(a: TensorId, indices: NativeIndex[]): TensorId;
  indexPut(a: TensorId, indices: NativeIndex[], value: TensorIdOrScalar, accumulate: boolean): void;

  backward(a: TensorId, gradient: Optional<TensorId>, retainGraph: Optional<boolean>, createGraph: boolean): void;
  grad(a: TensorId): TensorId | null;
  setGrad(a: TensorId, gradient: Optional<TensorId>): void;
  requiresGrad(a: TensorId): boolean;
  setRequiresGrad(a: TensorId, flag: boolean): void;
  isLeaf(a: TensorId): boolean;
  retainGrad(a: TensorId): void;
  gradFn(a: TensorId): string | null;
  gradFnNode(a: TensorId): NodeHandle | null;
  nodeName(node: NodeHandle): string;
  nodeNextFunctions(node: NodeHandle): [NodeHandle | null, number][];
  autogradGrad(outs: Handle[], outputs: Handle[], inputs: Handle[], gradOutputs: Optional<Handle[]>,
    retainGraph: Optional<boolean>, createGraph: boolean, allowUnused: boolean): boolean[];
  setGradEnabled(flag: boolean): boolean;
  isGradEnabled(): boolean;

  // core/function.cc: autograd in JavaScript
  attachFunction(make: () => Handle, outputs: Handle[], inputs: Handle[], backward: (grads: (Handle | null)[]) => (Handle | null)[], dirty?: number[]): Handle[];
  registerHook(a: Handle, make: () => Handle, hook: (grads: (Handle | null)[]) => (Handle | null)[]): number;
  removeHook(a: Handle, handle: number): void;
  autogradBackward(tensors: Handle[], grads: (Handle | null)[] | null, retainGraph: Optional<boolean>, createGraph: boolean): void;
  setAnomalyEnabled(enabled: boolean): boolean;

  // ops/dispatch.cc: any operator by schema name
  resolveOp(name: string, overload: string): number;
  opSchema(id: number): import('./dispatch.js').OpSchema;
  /** Tensors in, as ids or Tensor objects; tensors out as ids (a tuple as an array). */
  callOp(id: number, ...args: unknown[]): unknown;
  callOpInPlace(id: number, ...args: unknown[]): void;

  // lora/mixed.cc: base plus a mixed-adapter batch's terms, segment by segment (rows in `order`, counts[j] of adapter j; null: no term);
  // the result is `base` itself, added in place, unless autograd records
  loraMixedAdd(base: TensorId, input: TensorId, order: readonly number[], counts: readonly number[], A: (Handle | null)[], B: (Handle | null)[],
    scalings: number[]): TensorId;

  // optim/optimizers.cc: options objects are complete on creation, partial on update
  optimizerNew(out: Handle, kind: NativeOptimizerKind, groups: { params: Handle[]; options: NativeOptimizerOptions }[], defaults: NativeOptimizerOptions): void;
  optimizerAddParamGroup(optimizer: Handle, params: Handle[], options: NativeOptimizerOptions): void;
  optimizerStep(optimizer: Handle): void;
  optimizerZeroGrad(optimizer: Handle, setToNone: boolean): void;
  optimizerGroupCount(optimizer: Handle): number;
  optimizerGetOptions(optimizer: Handle, group: number): NativeOptimizerOptions;
  optimizerSetOptions(optimizer: Handle, group: number, options: NativeOptimizerOptions): void;
  optimizerGetState(optimizer: Handle, group: number, index: number, outs: Record<NativeOptimizerStateTensor, Handle>): { step?: number; names: NativeOptimizerStateTensor[] } | null;
  optimizerSetState(optimizer: Handle, group: number, index: number, state: ({ step?: number } & Partial<Record<NativeOptimizerStateTensor, Handle>>) | null): void;
  optimizerDispose(optimizer: Handle): void;
  /** optim/options.h's lists for a kind: libtorch's option fields, the group flags kept beside them, the state's tensors, whether it counts steps. */
  optimizerFields(kind: NativeOptimizerKind): { options: string[]; flags: string[]; state: NativeOptimizerStateTensor[]; step: boolean };

  // core/generator.cc: at::Generator objects; seeds are unsigned 64-bit integers
  /** A new CPU generator, as torch.Generator() (PyTorch's default seed unless `seed` is given). */
  newGenerator(seed?: bigint): GeneratorId;
  /** The default CPU generator (the one torch_manual_seed seeds). */
  defaultGenerator(): GeneratorId;
  generatorSeed(generator: GeneratorId): bigint;
  generatorSetSeed(generator: GeneratorId, seed: bigint): void;
  /** The generator's state as a uint8 tensor. */
  generatorGetState(generator: GeneratorId): TensorId;
  generatorSetState(generator: GeneratorId, state: TensorId): void;

  // data/data.cc: the draws of PyTorch's DataLoader and RandomSampler
  /** torch.empty((), dtype=torch.int64).random_().item() on the default generator. */
  randomSeed(): bigint;
  /** torch.randperm(n) (int64) on a fresh generator seeded with `seed`. */
  randpermSeeded(n: number, seed: bigint): TensorId;

  // ops/scalar_math.cc: the C library's cos and pow, which CPython's math.cos and ** call
  libmCos(x: number): number;
  libmPow(x: number, y: number): number;
  // io/serialization.cc: storages for torch_save / torch_load
  /** Wraps into `out` a 1-D tensor over all of `a`'s storage; `key` is equal for tensors that share one. */
  storageOf(out: Handle, a: TensorId): { key: bigint; offset: number; stride: number[] };
  /** A tensor over `source`'s storage (set_), as torch._utils._rebuild_tensor does. */
  setStorage(source: TensorId, offset: number, size: number[], stride: number[]): TensorId;

  // distributed/: c10d (TCPStore, ProcessGroupGloo, Work, DDP's Reducer); each wraps into `out`
  /** Whether the addon was compiled with gloo's headers (ProcessGroupGloo). */
  distHasGloo(): boolean;
  distStoreTcp(out: Handle, host: string, port: number, isServer: boolean, worldSize: number, timeoutMs: number): void;
  distStorePrefix(out: Handle, store: Handle, prefix: string): void;
  distStoreAdd(store: Handle, key: string, amount: number): number;
  distStoreSet(store: Handle, key: string, value: string): void;
  distStoreWait(store: Handle, key: string, timeoutMs: number): void;
  distStoreSetTimeout(store: Handle, timeoutMs: number): void;
  distStoreDestroy(store: Handle): void;
  /** Whether the key is set now (it does not wait). */
  distStoreCheck(store: Handle, key: string): boolean;
  /** `interfaces`: GLOO_SOCKET_IFNAME's names; empty for Gloo's default device. */
  distGroupGloo(out: Handle, groupStore: Handle, backendStore: Handle, rank: number, size: number, timeoutMs: number, interfaces: string[],
    sequenceNumberFirst: boolean): void;
  /** c10d's ProcessGroupWrapper in front of the group: a second Gloo, met on `checkStore`, checks every collective's shapes across ranks first. */
  distGroupCheck(group: Handle, groupStore: Handle, checkStore: Handle, rank: number, size: number, timeoutMs: number, interfaces: string[]): void;
  distGroupSetSequenceNumber(group: Handle): void;
  distGroupRank(group: Handle): number;
  distGroupSize(group: Handle): number;
  distGroupDestroy(group: Handle): void;
  /** `op`: c10d::ReduceOp's code (SUM 0, AVG 1, PRODUCT 2, MIN 3, MAX 4, BAND 5, BOR 6, BXOR 7). */
  distAllReduce(work: Handle, group: Handle, tensor: Handle, op: number): void;
  distBroadcast(work: Handle, group: Handle, tensor: Handle, src: number): void;
  distAllGather(work: Handle, group: Handle, outputs: Handle[], input: Handle): void;
  distReduceScatter(work: Handle, group: Handle, output: Handle, inputs: Handle[], op: number): void;
  distBarrier(work: Handle, group: Handle): void;
  /** Blocks until the work is done. */
  distWorkWait(work: Handle): void;
  /** Waits on a libuv worker; rejects with a TorchError. */
  distWorkPromise(work: Handle): Promise<void>;
  distBroadcastCoalesced(group: Handle, tensors: Handle[], bufferBytes: number, src: number): void;
  distReducerNew(out: Handle, group: Handle, params: Handle[], bucketCapBytes: number, findUnused: boolean): void;
  /** Returns whether the buckets were rebuilt (once, after the first backward). */
  distReducerPrepareForward(reducer: Handle): boolean;
  distReducerPrepareBackward(reducer: Handle, outputs: Handle[]): void;
  distReducerDispose(reducer: Handle): void;
}

function load(): NativeAddon {
  const require = createRequire(import.meta.url);
  const attempts: string[] = [];
  for (const candidate of addonCandidates()) {
    const { path, problem } = candidate;
    if (problem !== null) {
      attempts.push(`${path}: ${problem}`);
      continue;
    }
    try {
      const addon = requireAddon(candidate, require) as NativeAddon;
      addon.initialize(TorchError);
      addon.setCollector(...collectorSettings());
      return addon;
    } catch (error) {
      attempts.push(`${path}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error([
    'torchlora: the native addon could not be loaded. Tried:',
    ...attempts.map((line) => `  - ${line}`),
    'Fix one of these:',
    '  - install the libtorch a prebuild was made for: PyTorch 2.13 (pip install torch==2.13.0, in the',
    '    environment VIRTUAL_ENV, ./.venv or TORCHLORA_PYTHON names) or Debian 12\'s (apt-get install libtorch1.13 libopenblas0-openmp);',
    '  - build against the libtorch you have: npm rebuild torchlora --build-from-source',
    '    (Debian/Ubuntu: apt-get install libtorch-dev g++ first; your own libtorch, e.g. CUDA: LIBTORCH=/path/to/libtorch);',
    '  - in a checkout of torchlora itself: npm run setup.',
  ].join('\n'));
}

/** The raw addon. Only the typed layers in src/ call it. */
export const native: NativeAddon = load();
