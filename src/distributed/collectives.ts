// torch.distributed's collectives on the default group. Each starts a c10d Work: the plain
// form waits for it on this thread, as PyTorch does; the `_async` form waits on a libuv
// worker and returns a promise, so the event loop runs meanwhile. Tensors change in place.
// Arguments are checked when the collective starts; a rank that is not given them (another
// shape, another op) is found out by the backend, whose error is a TorchError.
import { native, type Handle } from '../core/native.js';
import { Tensor, checkTensor } from '../ops/tensor.js';
import { fail, failRange } from '../core/validate.js';
import { defaultGroup } from './process_group.js';

/** A reduction of `dist_all_reduce` and `dist_reduce_scatter` (PyTorch's `ReduceOp`; Gloo has no 'avg'). */
export type DistReduceOp = 'sum' | 'product' | 'min' | 'max' | 'band' | 'bor' | 'bxor' | 'avg';

// c10d::ReduceOp::RedOpType
const REDUCE_OPS: Record<DistReduceOp, number> = { sum: 0, avg: 1, product: 2, min: 3, max: 4, band: 5, bor: 6, bxor: 7 };

function reduceOp(op: unknown): number {
  if (typeof op !== 'string' || !Object.hasOwn(REDUCE_OPS, op)) fail(`one of ${Object.keys(REDUCE_OPS).map((k) => `'${k}'`).join(', ')}`, 'op', op);
  return REDUCE_OPS[op as DistReduceOp];
}

function rankOf(value: unknown, name: string, worldSize: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) fail('an integer rank', name, value);
  if ((value as number) < 0 || (value as number) >= worldSize) failRange(`a rank from 0 to ${worldSize - 1}`, name, value);
  return value as number;
}

function tensorList(value: unknown, name: string, length: number): Tensor[] {
  if (!Array.isArray(value)) fail('an array of Tensors', name, value);
  const list = value as unknown[];
  if (list.length !== length) failRange(`an array of world_size = ${length} Tensors`, name, value);
  return list.map((item, i) => checkTensor(item, `${name}[${i}]`));
}

type Start = (work: Handle, group: Handle, worldSize: number) => void;

function started(where: string, start: Start): Handle {
  const { group, world_size } = defaultGroup(where);
  const work = {};
  start(work, group, world_size);
  return work;
}

function collective(where: string, start: Start): void {
  native.distWorkWait(started(where, start));
}

// Bad arguments throw here and now; what goes wrong on the wire rejects the promise.
function collectiveAsync(where: string, start: Start): Promise<void> {
  return native.distWorkPromise(started(where, start));
}

const allReduce = (tensor: Tensor, op: DistReduceOp): Start => {
  checkTensor(tensor, 'tensor');
  const code = reduceOp(op);
  return (work, group) => native.distAllReduce(work, group, tensor, code);
};

/**
 * Reduces `tensor` over every rank (sum by default) and leaves the result in `tensor` on all.
 * @example
 * const g = torch_tensor([dist_get_rank() + 1]);
 * dist_all_reduce(g);            // every rank: 1 + 2 + ... + world_size
 */
export function dist_all_reduce(tensor: Tensor, op: DistReduceOp = 'sum'): void {
  collective('dist_all_reduce', allReduce(tensor, op));
}

/** `dist_all_reduce` without blocking: resolves when the result is in `tensor`. @example await dist_all_reduce_async(g, 'max'); */
export function dist_all_reduce_async(tensor: Tensor, op: DistReduceOp = 'sum'): Promise<void> {
  return collectiveAsync('dist_all_reduce_async', allReduce(tensor, op));
}

const broadcast = (tensor: Tensor, src: number): Start => {
  checkTensor(tensor, 'tensor');
  return (work, group, worldSize) => native.distBroadcast(work, group, tensor, rankOf(src, 'src', worldSize));
};

/** Copies rank `src`'s `tensor` into `tensor` on every rank. @example dist_broadcast(weights, 0); */
export function dist_broadcast(tensor: Tensor, src: number): void {
  collective('dist_broadcast', broadcast(tensor, src));
}

/** `dist_broadcast` without blocking. @example await dist_broadcast_async(weights, 0); */
export function dist_broadcast_async(tensor: Tensor, src: number): Promise<void> {
  return collectiveAsync('dist_broadcast_async', broadcast(tensor, src));
}

const allGather = (tensor_list: Tensor[], tensor: Tensor): Start => {
  checkTensor(tensor, 'tensor');
  return (work, group, worldSize) => native.distAllGather(work, group, tensorList(tensor_list, 'tensor_list', worldSize), tensor);
};

/**
 * Gathers every rank's `tensor` into `tensor_list` (world_size tensors of its shape), rank i's at i.
 * @example
 * const parts = Array.from({ length: dist_get_world_size() }, () => torch_zeros(3));
 * dist_all_gather(parts, mine);
 */
export function dist_all_gather(tensor_list: Tensor[], tensor: Tensor): void {
  collective('dist_all_gather', allGather(tensor_list, tensor));
}

/** `dist_all_gather` without blocking. @example await dist_all_gather_async(parts, mine); */
export function dist_all_gather_async(tensor_list: Tensor[], tensor: Tensor): Promise<void> {
  return collectiveAsync('dist_all_gather_async', allGather(tensor_list, tensor));
}

const reduceScatter = (output: Tensor, input_list: Tensor[], op: DistReduceOp): Start => {
  checkTensor(output, 'output');
  const code = reduceOp(op);
  return (work, group, worldSize) => native.distReduceScatter(work, group, output, tensorList(input_list, 'input_list', worldSize), code);
};

/**
 * Reduces `input_list[i]` over all ranks into rank i's `output`. Where the backend has it:
 * Gloo in libtorch 1.13 does not (a TorchError says so).
 * @example dist_reduce_scatter(out, chunks);
 */
export function dist_reduce_scatter(output: Tensor, input_list: Tensor[], op: DistReduceOp = 'sum'): void {
  collective('dist_reduce_scatter', reduceScatter(output, input_list, op));
}

/** `dist_reduce_scatter` without blocking. @example await dist_reduce_scatter_async(out, chunks); */
export function dist_reduce_scatter_async(output: Tensor, input_list: Tensor[], op: DistReduceOp = 'sum'): Promise<void> {
  return collectiveAsync('dist_reduce_scatter_async', reduceScatter(output, input_list, op));
}

const barrier: Start = (work, group) => native.distBarrier(work, group);

/** Waits until every rank has reached it. @example dist_barrier(); */
export function dist_barrier(): void {
  collective('dist_barrier', barrier);
}

/** `dist_barrier` without blocking. @example await dist_barrier_async(); */
export function dist_barrier_async(): Promise<void> {
  return collectiveAsync('dist_barrier_async', barrier);
}
