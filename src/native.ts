// The one loader of the native addon, and the one declaration of what it exports.
// Everything above this file is typed; nothing below it is seen by users.
import { createRequire } from 'node:module';
import { collectorSettings } from './collector.js';
import { TorchError } from './errors.js';
import { addonCandidates } from './loader.js';

/** A JavaScript object the addon attaches a tensor to. */
export type Handle = object;
/** A value the addon accepts where PyTorch takes a Tensor or a Python number. */
export type HandleOrScalar = Handle | number | boolean;
type Optional<T> = T | null | undefined;
/** An index item as the addon decodes it (see native/indexing.cc). */
export type NativeIndex = number | [number | null, number | null, number | null] | Handle | null | '...';

export interface NativeConfig {
  version: string;
  cuda: boolean;
  cudaDevices: number;
  threads: number;
  interopThreads: number;
  parallelInfo: string;
  buildConfig: string;
  cxx11Abi?: boolean;
}

type Unary = (out: Handle, a: Handle) => void;
type Binary = (out: Handle, a: Handle, b: HandleOrScalar) => void;
type TensorBinary = (out: Handle, a: Handle, b: Handle) => void;
type Creation = (out: Handle, shape: number[], dtype: Optional<number>, device: Optional<string>, requiresGrad: boolean) => void;
type Reduction = (out: Handle, a: Handle, dims: Optional<number[]>, keepdim: boolean, dtype: Optional<number>) => void;
type DimReduction = (values: Handle, indices: Handle, a: Handle, dim: number, keepdim: boolean) => void;
type InPlaceBinary = (a: Handle, b: HandleOrScalar) => void;

type Convolution = (out: Handle, input: Handle, weight: Handle, bias: Optional<Handle>, stride: number[],
  padding: number[] | 'same' | 'valid', dilation: number[], groups: number) => void;
export type NativeOptimizerKind = 'adam' | 'adamw' | 'sgd' | 'rmsprop' | 'adagrad';
/**
 * Adam/AdamW: lr, betas, eps, weight_decay, amsgrad; SGD: lr, momentum, dampening, weight_decay, nesterov;
 * RMSprop: lr, alpha, eps, weight_decay, momentum, centered; Adagrad: lr, lr_decay, weight_decay, initial_accumulator_value, eps.
 */
export type NativeOptimizerOptions = Record<string, number | boolean | [number, number]>;
export type NativeOptimizerStateTensor = 'exp_avg' | 'exp_avg_sq' | 'max_exp_avg_sq' | 'momentum_buffer' | 'square_avg' | 'grad_avg' | 'sum';

export interface NativeAddon {
  initialize(torchError: typeof TorchError): void;
  memoryStats(): { tensors: number; bytes: number; cachedBytes: number };
  emptyCache(): number;
  /** memory.cc: collect(major) runs once live tensors grew by limitBytes, each counting tensorBytes besides its storage. */
  setCollector(collect: ((major: boolean) => void) | null, limitBytes: number, tensorBytes: number): void;
  config(): NativeConfig;
  setDefaultDtype(code: number): void;
  getDefaultDtype(): number;
  setNumThreads(n: number): void;
  /** config.cc: the calling thread's nice value (Linux); 0 or the errno. */
  setThreadNice(nice: number): number;
  /** files.cc: swaps two existing paths atomically (renameat2 RENAME_EXCHANGE); 0 or the errno. */
  exchangePaths(a: string, b: string): number;
  /** shared.cc: parks a detached alias of a tensor for another thread of this process; its number. */
  shareTensor(tensor: Handle): number;
  /** Wraps the parked tensor `id` into `out` and forgets it; false when there is none. */
  takeShared(out: Handle, id: number): boolean;
  releaseShared(id: number): boolean;
  parkedTensors(): number;

  randn: Creation; rand: Creation; zeros: Creation; ones: Creation; empty: Creation;
  full(out: Handle, shape: number[], value: number | boolean, dtype: Optional<number>, device: Optional<string>, requiresGrad: boolean): void;
  arange(out: Handle, start: number, end: number, step: number, dtype: Optional<number>, device: Optional<string>, requiresGrad: boolean): void;
  randint(out: Handle, low: number, high: number, shape: number[], dtype: Optional<number>, device: Optional<string>, requiresGrad: boolean): void;
  randperm(out: Handle, n: number, dtype: Optional<number>, device: Optional<string>, requiresGrad: boolean): void;
  eye(out: Handle, n: number, m: number, dtype: Optional<number>, device: Optional<string>, requiresGrad: boolean): void;
  fromBuffer(out: Handle, data: ArrayBufferView, shape: number[], dtype: number, device: Optional<string>, requiresGrad: boolean): void;
  manualSeed(seed: number): void;

  dispose(a: Handle): boolean;
  isDisposed(a: Handle): boolean;
  shape(a: Handle): number[];
  dtype(a: Handle): number;
  device(a: Handle): string;
  numel(a: Handle): number;
  dim(a: Handle): number;
  item(a: Handle): number | boolean;
  data(a: Handle): ArrayBuffer;
  dataView(a: Handle): ArrayBuffer;
  isContiguous(a: Handle): boolean;
  to(out: Handle, a: Handle, device: Optional<string>, dtype: Optional<number>, copy: boolean): void;
  format(a: Handle): string;

  neg: Unary; exp: Unary; log: Unary; sqrt: Unary; abs: Unary; relu: Unary; sigmoid: Unary; tanh: Unary;
  sin: Unary; cos: Unary; square: Unary; reciprocal: Unary; floor: Unary; ceil: Unary; round: Unary;
  sign: Unary; isnan: Unary; isfinite: Unary; logical_not: Unary;
  t: Unary; contiguous: Unary; clone: Unary; detach: Unary;
  mul: Binary; div: Binary; pow: Binary; remainder: Binary;
  eq: Binary; ne: Binary; lt: Binary; le: Binary; gt: Binary; ge: Binary;
  matmul: TensorBinary; maximum: TensorBinary; minimum: TensorBinary; logical_and: TensorBinary; logical_or: TensorBinary;
  baddbmm(out: Handle, self: Handle, batch1: Handle, batch2: Handle, beta: number, alpha: number): void;
  add(out: Handle, a: Handle, b: HandleOrScalar, alpha?: number): void;
  sub(out: Handle, a: Handle, b: HandleOrScalar, alpha?: number): void;
  rsub(out: Handle, a: Handle, b: number, alpha?: number): void;
  raddAlpha(out: Handle, a: Handle, b: number, alpha: number): void;
  rdiv(out: Handle, a: Handle, b: number | boolean): void;
  clamp(out: Handle, a: Handle, min: Optional<number>, max: Optional<number>): void;
  softmax(out: Handle, a: Handle, dim: number): void;
  log_softmax(out: Handle, a: Handle, dim: number): void;
  sum: Reduction; mean: Reduction;
  norm(out: Handle, a: Handle, p: number, dims: Optional<number[]>, keepdim: boolean): void;
  maxAll: Unary; minAll: Unary; maxDim: DimReduction; minDim: DimReduction;
  argmax(out: Handle, a: Handle, dim: Optional<number>, keepdim: boolean): void;
  argmin(out: Handle, a: Handle, dim: Optional<number>, keepdim: boolean): void;
  transpose(out: Handle, a: Handle, dim0: number, dim1: number): void;
  permute(out: Handle, a: Handle, dims: number[]): void;
  reshape(out: Handle, a: Handle, shape: number[]): void;
  view(out: Handle, a: Handle, shape: number[]): void;
  expand(out: Handle, a: Handle, shape: number[]): void;
  flatten(out: Handle, a: Handle, startDim: number, endDim: number): void;
  squeeze(out: Handle, a: Handle, dim: Optional<number>): void;
  unsqueeze(out: Handle, a: Handle, dim: number): void;
  cat(out: Handle, tensors: Handle[], dim: number): void;
  stack(out: Handle, tensors: Handle[], dim: number): void;
  where(out: Handle, condition: Handle, a: HandleOrScalar, b: HandleOrScalar): void;
  allclose(a: Handle, b: Handle, rtol: number, atol: number, equalNan: boolean): boolean;
  equal(a: Handle, b: Handle): boolean;
  add_(a: Handle, b: HandleOrScalar, alpha?: number): void;
  sub_(a: Handle, b: HandleOrScalar, alpha?: number): void;
  mul_: InPlaceBinary; div_: InPlaceBinary; pow_: InPlaceBinary;
  zero_(a: Handle): void;
  fill_(a: Handle, value: number | boolean): void;
  copy_(a: Handle, source: Handle): void;
  normal_(a: Handle, mean: number, std: number): void;
  uniform_(a: Handle, from: number, to: number): void;
  clamp_(a: Handle, min: Optional<number>, max: Optional<number>): void;

  index(out: Handle, a: Handle, indices: NativeIndex[]): void;
  indexPut(a: Handle, indices: NativeIndex[], value: HandleOrScalar, accumulate: boolean): void;

  backward(a: Handle, gradient: Optional<Handle>, retainGraph: Optional<boolean>, createGraph: boolean): void;
  grad(out: Handle, a: Handle): boolean;
  setGrad(a: Handle, gradient: Optional<Handle>): void;
  requiresGrad(a: Handle): boolean;
  setRequiresGrad(a: Handle, flag: boolean): void;
  isLeaf(a: Handle): boolean;
  retainGrad(a: Handle): void;
  gradFn(a: Handle): string | null;
  autogradGrad(outs: Handle[], outputs: Handle[], inputs: Handle[], gradOutputs: Optional<Handle[]>,
    retainGraph: Optional<boolean>, createGraph: boolean, allowUnused: boolean): boolean[];
  setGradEnabled(flag: boolean): boolean;
  isGradEnabled(): boolean;

  // nn.cc: reduction is 0 none, 1 mean, 2 sum
  linear(out: Handle, input: Handle, weight: Handle, bias: Optional<Handle>): void;
  gelu(out: Handle, input: Handle, approximate: 'none' | 'tanh'): void;
  dropout(out: Handle, input: Handle, p: number, train: boolean): void;
  embedding(out: Handle, weight: Handle, indices: Handle, paddingIdx: number, scaleGradByFreq: boolean, sparse: boolean): void;
  embeddingRenorm_(weight: Handle, indices: Handle, maxNorm: number, normType: number): void;
  conv1d: Convolution; conv2d: Convolution;
  layer_norm(out: Handle, input: Handle, normalizedShape: number[], weight: Optional<Handle>, bias: Optional<Handle>, eps: number): void;
  mse_loss(out: Handle, input: Handle, target: Handle, reduction: number): void;
  l1_loss(out: Handle, input: Handle, target: Handle, reduction: number): void;
  cross_entropy(out: Handle, input: Handle, target: Handle, weight: Optional<Handle>, reduction: number, ignoreIndex: number, labelSmoothing: number): void;
  binary_cross_entropy_with_logits(out: Handle, input: Handle, target: Handle, weight: Optional<Handle>, posWeight: Optional<Handle>, reduction: number): void;
  calculateGain(nonlinearity: string, param: number): number;
  fanInAndFanOut(a: Handle): [number, number];
  kaimingUniform_(a: Handle, negativeSlope: number, mode: 'fan_in' | 'fan_out', nonlinearity: string): void;
  kaimingNormal_(a: Handle, negativeSlope: number, mode: 'fan_in' | 'fan_out', nonlinearity: string): void;
  xavierUniform_(a: Handle, gain: number): void;
  xavierNormal_(a: Handle, gain: number): void;
  uniformInit_(a: Handle, from: number, to: number): void;
  normalInit_(a: Handle, mean: number, std: number): void;
  constantInit_(a: Handle, value: number): void;

  // function.cc: autograd in JavaScript
  attachFunction(make: () => Handle, outputs: Handle[], inputs: Handle[], backward: (grads: (Handle | null)[]) => (Handle | null)[]): Handle[];
  registerHook(a: Handle, make: () => Handle, hook: (grads: (Handle | null)[]) => (Handle | null)[]): number;
  removeHook(a: Handle, handle: number): void;
  autogradBackward(tensors: Handle[], grads: (Handle | null)[] | null, retainGraph: Optional<boolean>, createGraph: boolean): void;
  setAnomalyEnabled(enabled: boolean): boolean;

  // dispatch.cc: any operator by schema name
  resolveOp(name: string, overload: string): number;
  callOp(make: () => Handle, id: number, args: unknown[], results: boolean): unknown;

  // lora.cc: base plus a mixed-adapter batch's terms, segment by segment (rows in `order`, counts[j] of adapter j; null: no term);
  // `out` is `base` itself, added in place, unless autograd records
  loraMixedAdd(out: Handle, base: Handle, input: Handle, order: readonly number[], counts: readonly number[], A: (Handle | null)[], B: (Handle | null)[],
    scalings: number[]): void;

  // optim.cc: options objects are complete on creation, partial on update
  optimizerNew(out: Handle, kind: NativeOptimizerKind, groups: { params: Handle[]; options: NativeOptimizerOptions }[]): void;
  optimizerAddParamGroup(optimizer: Handle, params: Handle[], options: NativeOptimizerOptions): void;
  optimizerStep(optimizer: Handle): void;
  optimizerZeroGrad(optimizer: Handle, setToNone: boolean): void;
  optimizerGroupCount(optimizer: Handle): number;
  optimizerGetOptions(optimizer: Handle, group: number): NativeOptimizerOptions;
  optimizerSetOptions(optimizer: Handle, group: number, options: NativeOptimizerOptions): void;
  optimizerGetState(optimizer: Handle, group: number, index: number, outs: Record<NativeOptimizerStateTensor, Handle>): { step?: number; names: NativeOptimizerStateTensor[] } | null;
  optimizerSetState(optimizer: Handle, group: number, index: number, state: ({ step?: number } & Partial<Record<NativeOptimizerStateTensor, Handle>>) | null): void;
  optimizerDispose(optimizer: Handle): void;

  // data.cc: the draws of PyTorch's DataLoader and RandomSampler
  /** torch.empty((), dtype=torch.int64).random_().item() on the default generator. */
  randomSeed(): bigint;
  /** torch.randperm(n) (int64) on a fresh generator seeded with `seed`. */
  randpermSeeded(out: Handle, n: number, seed: bigint): void;

  // scalar_math.cc: the C library's cos and pow, which CPython's math.cos and ** call
  libmCos(x: number): number;
  libmPow(x: number, y: number): number;
  // serialization.cc: storages for torch_save / torch_load
  /** Wraps into `out` a 1-D tensor over all of `a`'s storage; `key` is equal for tensors that share one. */
  storageOf(out: Handle, a: Handle): { key: bigint; offset: number; stride: number[] };
  /** Wraps into `out` a tensor over `source`'s storage (set_), as torch._utils._rebuild_tensor does. */
  setStorage(out: Handle, source: Handle, offset: number, size: number[], stride: number[]): void;

  // distributed.cc: c10d (TCPStore, ProcessGroupGloo, Work, DDP's Reducer); each wraps into `out`
  /** Whether the addon was compiled with gloo's headers (ProcessGroupGloo). */
  distHasGloo(): boolean;
  distStoreTcp(out: Handle, host: string, port: number, isServer: boolean, worldSize: number, timeoutMs: number): void;
  distStorePrefix(out: Handle, store: Handle, prefix: string): void;
  distStoreAdd(store: Handle, key: string, amount: number): number;
  distStoreSetTimeout(store: Handle, timeoutMs: number): void;
  distStoreDestroy(store: Handle): void;
  /**
   * `interfaces`: GLOO_SOCKET_IFNAME's names; empty for Gloo's default device. With `checkStore`,
   * c10d's ProcessGroupWrapper checks every collective's shapes across ranks first.
   */
  distGroupGloo(out: Handle, store: Handle, rank: number, size: number, timeoutMs: number, interfaces: string[], checkStore: Handle | null): void;
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
  for (const { path, problem } of addonCandidates()) {
    if (problem !== null) {
      attempts.push(`${path}: ${problem}`);
      continue;
    }
    try {
      const addon = require(path) as NativeAddon;
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
    '  - install the libtorch a prebuild was made for (Debian 12: apt-get install libtorch1.13 libopenblas0-openmp);',
    '  - build against the libtorch you have: npm rebuild torchlora --build-from-source',
    '    (Debian/Ubuntu: apt-get install libtorch-dev g++ first; your own libtorch, e.g. CUDA: LIBTORCH=/path/to/libtorch);',
    '  - in a checkout of torchlora itself: npm run setup.',
  ].join('\n'));
}

/** The raw addon. Only the typed layers in src/ call it. */
export const native: NativeAddon = load();
