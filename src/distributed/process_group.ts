// torch.distributed's default process group on c10d itself (native/distributed/distributed.cc): the
// rendezvous, keys and barrier are those of the linked libtorch's own init_process_group
// (PyTorch 1.13's or 2's), so Node and Python ranks form one group. The group is per thread
// (per Node environment), like the addon.
import { TorchError } from '../core/errors.js';
import { libtorchAtLeast } from '../core/libtorch_version.js';
import { native, type Handle } from '../core/native.js';
import { checkOptions, fail, failRange, optionKeys } from '../core/validate.js';
import { CHECK_AGREEMENT_GRACE_SECONDS, announceChecks, disagreement, pause, type PeerChecks } from './check_agreement.js';

/** The communication backends: Gloo (CPU tensors) and NCCL (CUDA tensors). */
export type DistBackend = 'gloo' | 'nccl';

/** Options of `dist_init_process_group`. */
export interface InitProcessGroupOptions {
  /** 'gloo' (CPU) or 'nccl' (CUDA; this build has no NCCL: a TorchError says so). */
  backend: DistBackend;
  /** 'env://' (MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE; the default) or 'tcp://host:port'. */
  init_method?: string;
  /** This process's rank, 0 to world_size - 1 (env://: RANK when omitted). */
  rank?: number;
  /** The number of processes (env://: WORLD_SIZE when omitted). */
  world_size?: number;
  /** Seconds a rendezvous or a collective may wait for the other ranks (1800, PyTorch's 30 minutes). */
  timeout?: number;
  /**
   * Whether each collective called on this group first checks, on every rank, that all ranks
   * called the same op on tensors of the same dtypes and shapes (c10d's ProcessGroupWrapper,
   * what PyTorch's `TORCH_DISTRIBUTED_DEBUG=DETAIL` turns on): a mismatch is a TorchError on
   * every rank naming both sides, instead of gloo aborting the process. It costs two small
   * collectives per call; DDP's gradient buckets never pay it. Default: true, unless the
   * environment says `TORCH_DISTRIBUTED_DEBUG=OFF` or `INFO`. Every rank of a group must agree:
   * a Python rank joins a checked group with `TORCH_DISTRIBUTED_DEBUG=DETAIL`, an unchecked one
   * without it. Ranks that disagree (a Python rank without DETAIL in a checked group, say) get a
   * TorchError saying so from init within a 5 s grace after the rendezvous, instead of
   * waiting out the timeout (docs/distributed.md).
   */
  check_collectives?: boolean;
}

/** The default group: its c10d handles and what init_process_group was told. */
export interface ProcessGroupState {
  readonly backend: DistBackend;
  readonly rank: number;
  readonly world_size: number;
  readonly timeout: number;
  readonly group: Handle;
  /** The TCPStore and the prefix stores over it. */
  readonly stores: Handle[];
}

const INIT_KEYS = optionKeys<InitProcessGroupOptions>({
  backend: true, init_method: true, rank: true, world_size: true, timeout: true, check_collectives: true,
});
// distributed_c10d.py: the prefix of the default group's store, the name of its first group
// ("0") and _create_process_group_wrapper's store prefix (TORCH_DISTRIBUTED_DEBUG=DETAIL).
const DEFAULT_PG_PREFIX = 'default_pg';
const FIRST_GROUP_NAME = '0';
const WRAPPER_PREFIX = `pg_wrapper:${FIRST_GROUP_NAME}`;

let world: ProcessGroupState | null = null;

/** The default group, or the TorchError PyTorch raises when there is none. @internal */
export function defaultGroup(where: string): ProcessGroupState {
  if (world === null) throw new TorchError(`${where}: the default process group has not been initialized; call dist_init_process_group first`);
  return world;
}

function integerIn(value: unknown, name: string, low: number, high: number, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) fail('an integer', name, value);
  if ((value as number) < low || (value as number) > high) failRange(what, name, value);
  return value as number;
}

function fromEnvironment(name: string, what: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') fail(`${what} in the environment variable ${name} (init_method env://)`, name, value);
  return value as string;
}

function environmentInteger(name: string, what: string): number {
  const raw = fromEnvironment(name, what);
  const value = Number(raw);
  if (!Number.isInteger(value)) fail(`${what} in the environment variable ${name}`, name, raw);
  return value;
}

/** Where to rendezvous: host, port, rank and world size from the init method, options and environment. */
function rendezvous(initMethod: string, rank: number | undefined, worldSize: number | undefined): { host: string; port: number; rank: number; worldSize: number } {
  let host: string;
  let port: number;
  if (initMethod === 'env://') {
    host = fromEnvironment('MASTER_ADDR', 'the master\'s address');
    port = environmentInteger('MASTER_PORT', 'the master\'s port');
    rank ??= environmentInteger('RANK', 'this process\'s rank');
    worldSize ??= environmentInteger('WORLD_SIZE', 'the number of processes');
  } else {
    const match = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)$/.exec(initMethod);
    if (match === null) fail('\'env://\' or \'tcp://host:port\'', 'init_method', initMethod);
    host = match![1]!.replace(/^\[|\]$/g, '');
    port = Number(match![2]);
    if (rank === undefined) fail('a rank (init_method tcp://)', 'rank', rank);
    if (worldSize === undefined) fail('a world_size (init_method tcp://)', 'world_size', worldSize);
  }
  integerIn(port, 'port', 1, 65535, 'a port from 1 to 65535');
  const size = integerIn(worldSize, 'world_size', 1, 2 ** 31 - 1, 'a positive world_size');
  integerIn(rank, 'rank', 0, size - 1, `a rank from 0 to world_size - 1 = ${size - 1}`);
  return { host, port, rank: rank!, worldSize: size };
}

// The keys of the store-based barrier that ends init_process_group, up to PyTorch 2.0 (it
// counts the groups made so far) and from 2.1 (it names the group).
const BARRIER_KEY_1 = 'store_based_barrier_key:1';
const BARRIER_KEY_2 = `store_based_barrier_key:${FIRST_GROUP_NAME}`;

// PyTorch 1.13's distributed_c10d._store_based_barrier: every rank adds one to the key, then
// waits until it reads world_size.
function storeBasedBarrier(store: Handle, rank: number, worldSize: number, timeoutMs: number): void {
  const key = BARRIER_KEY_1;
  native.distStoreAdd(store, key, 1);
  const start = Date.now();
  for (let count = native.distStoreAdd(store, key, 0); count !== worldSize; count = native.distStoreAdd(store, key, 0)) {
    if (Date.now() - start > timeoutMs) {
      throw new TorchError(`Timed out initializing process group in store based barrier on rank: ${rank}, for key: ${key} `
        + `(world_size=${worldSize}, worker_count=${count}, timeout=${timeoutMs / 1000} s)`);
    }
    pause(10);
  }
}

// PyTorch 2.1's: the key names the group; the rank whose add makes world_size sets
// "<key>:last_worker", which every rank waits for.
function lastWorkerBarrier(store: Handle, rank: number, worldSize: number, timeoutMs: number): void {
  const key = BARRIER_KEY_2;
  arriveLast(store, worldSize);
  try {
    native.distStoreWait(store, `${key}:last_worker`, timeoutMs);
  } catch (error) {
    throw new TorchError(`Timed out initializing process group in store based barrier on rank ${rank}, for key: ${key} `
      + `(world_size=${worldSize}, num_workers_joined=${native.distStoreAdd(store, key, 0)}, timeout=${timeoutMs / 1000} s error=${(error as Error).message})`);
  }
}

function arriveLast(store: Handle, worldSize: number): void {
  if (native.distStoreAdd(store, BARRIER_KEY_2, 1) === worldSize) native.distStoreSet(store, `${BARRIER_KEY_2}:last_worker`, '1');
}

function prefixStore(store: Handle, prefix: string): Handle {
  const prefixed = {};
  native.distStorePrefix(prefixed, store, prefix);
  return prefixed;
}

/**
 * The stores of the default group, laid out as the linked libtorch's init_process_group lays
 * them out, over the "default_pg" prefix store: libtorch 1 runs Gloo on "0" and the collective
 * checks' Gloo on "pg_wrapper:0"; libtorch 2 makes the group on "0/" and gives each device's
 * backend its own prefix under it, so Gloo runs on "0/" + "cpu/" and the checks' Gloo under
 * that, on "pg_wrapper:0". (A prefix store joins with "/": "default_pg/0//cpu//0/1" is Gloo's
 * key "0/1" on libtorch 2.) The checks' store is made either way: an unchecked rank reads it
 * to learn whether the others check.
 */
function groupStores(prefixed: Handle): { group: Handle; backend: Handle; check: Handle } {
  const perDevice = libtorchAtLeast(2, 0);
  const group = prefixStore(prefixed, perDevice ? `${FIRST_GROUP_NAME}/` : FIRST_GROUP_NAME);
  const backend = perDevice ? prefixStore(group, 'cpu/') : group;
  return { group, backend, check: prefixStore(perDevice ? backend : prefixed, WRAPPER_PREFIX) };
}

/**
 * Before a rank that disagrees on the checks leaves: it lets the other ranks out of their init
 * so that they fail at their first collective (its Gloo is gone) instead of waiting the
 * timeout. It joins the checks' Gloo rendezvous, briefly, when a Python rank waits there, and
 * arrives at the store-based barrier that ends init_process_group where the peers run one.
 */
function releasePeers(group: Handle, layout: ReturnType<typeof groupStores>, prefixed: Handle, peers: PeerChecks[],
  rank: number, graceMs: number, interfaces: string[]): void {
  // Best effort: a peer this cannot release waits out its own timeout, and the disagreement
  // stays the error this rank reports.
  try {
    if (peers.includes('python, checked')) native.distGroupCheck(group, layout.group, layout.check, rank, peers.length, graceMs, interfaces);
  } catch { /* the rendezvous did not complete within the grace */ }
  try {
    // Python's barrier key, whatever this process's TORCH_DIST_INIT_BARRIER says: the peer's decides.
    if (!libtorchAtLeast(2, 1)) native.distStoreAdd(prefixed, BARRIER_KEY_1, 1);
    else arriveLast(prefixed, peers.length);
  } catch { /* the store is gone */ }
}

// The end of init_process_group: PyTorch 1.13 and 2.0 wait for every rank in a store-based
// barrier, then (1.13) agree on the group's sequence number; from 2.1 the barrier runs only
// when TORCH_DIST_INIT_BARRIER is 1 (int(os.getenv("TORCH_DIST_INIT_BARRIER", "0")) == 1).
function endOfInit(group: Handle, prefixed: Handle, rank: number, worldSize: number, timeoutMs: number): void {
  if (!libtorchAtLeast(2, 1)) storeBasedBarrier(prefixed, rank, worldSize, timeoutMs);
  else if (Number.parseInt(process.env.TORCH_DIST_INIT_BARRIER ?? '0', 10) === 1) lastWorkerBarrier(prefixed, rank, worldSize, timeoutMs);
  if (!libtorchAtLeast(2, 0)) native.distGroupSetSequenceNumber(group);
}

/**
 * torch.distributed's `init_process_group`: joins this process to the default group of
 * `world_size` processes. Rank 0 serves c10d's TCPStore at the master address; every rank
 * blocks until all have arrived (or `timeout` passes: a TorchError). Python ranks (the
 * `torch.distributed` of the same libtorch version) join the same group.
 *
 * @example
 * dist_init_process_group({ backend: 'gloo' });   // under torchlora-run (env://)
 * dist_init_process_group({ backend: 'gloo', init_method: 'tcp://127.0.0.1:29500', rank: 0, world_size: 2 });
 */
export function dist_init_process_group(options: InitProcessGroupOptions): void {
  if (typeof options !== 'object' || options === null) fail('an options object with a backend', 'dist_init_process_group options', options);
  const debug = process.env.TORCH_DISTRIBUTED_DEBUG?.toUpperCase();
  const {
    backend, init_method = 'env://', rank, world_size, timeout = 1800, check_collectives = debug !== 'OFF' && debug !== 'INFO',
  } = checkOptions(options, INIT_KEYS, 'dist_init_process_group');
  if (backend !== 'gloo' && backend !== 'nccl') fail('\'gloo\' or \'nccl\'', 'backend', backend);
  if (typeof init_method !== 'string') fail('a string', 'init_method', init_method);
  if (typeof timeout !== 'number' || Number.isNaN(timeout)) fail('a number of seconds', 'timeout', timeout);
  if (typeof check_collectives !== 'boolean') fail('a boolean', 'check_collectives', check_collectives);
  if (!(timeout > 0) || !Number.isFinite(timeout)) failRange('a positive finite number of seconds', 'timeout', timeout);
  if (rank !== undefined) integerIn(rank, 'rank', 0, 2 ** 31 - 1, 'a non-negative rank');
  if (world_size !== undefined) integerIn(world_size, 'world_size', 1, 2 ** 31 - 1, 'a positive world_size');
  const where = rendezvous(init_method, rank, world_size);
  if (world !== null) throw new TorchError('trying to initialize the default process group twice!');
  if (backend === 'nccl') throw new TorchError('Distributed package doesn\'t have NCCL built in (this build of torchlora runs Gloo only)');
  if (!native.distHasGloo()) throw new TorchError('Distributed package doesn\'t have Gloo built in (compiled without gloo\'s headers: apt-get install libgloo-dev, then rebuild)');

  const timeoutMs = Math.round(timeout * 1000);
  const store = {};
  native.distStoreTcp(store, where.host, where.port, where.rank === 0, where.worldSize, timeoutMs);
  native.distStoreSetTimeout(store, timeoutMs);
  const prefixed = prefixStore(store, DEFAULT_PG_PREFIX);
  // Unchecked, a rank whose tensor has another shape makes gloo abort the process (in Python
  // too, unless TORCH_DISTRIBUTED_DEBUG=DETAIL): the check is on unless asked off.
  const layout = groupStores(prefixed);
  const interfaces = (process.env.GLOO_SOCKET_IFNAME ?? '').split(',').filter((name) => name !== '');
  const stores = [...new Set([layout.check, layout.backend, layout.group]), prefixed, store];
  const group = {};
  try {
    // libtorch 2's _new_process_group_helper sets Gloo's sequence number as it makes it.
    native.distGroupGloo(group, layout.group, layout.backend, where.rank, where.worldSize, timeoutMs, interfaces, libtorchAtLeast(2, 0));
    const graceMs = Math.min(timeoutMs, CHECK_AGREEMENT_GRACE_SECONDS * 1000);
    const peers = announceChecks(layout, where.rank, where.worldSize, check_collectives, graceMs);
    const disagreed = disagreement(peers, where.rank, graceMs);
    if (disagreed !== null) {
      releasePeers(group, layout, prefixed, peers, where.rank, graceMs, interfaces);
      throw disagreed;
    }
    if (check_collectives) native.distGroupCheck(group, layout.group, layout.check, where.rank, where.worldSize, timeoutMs, interfaces);
    endOfInit(group, prefixed, where.rank, where.worldSize, timeoutMs);
  } catch (error) {
    release(group, stores);
    throw error;
  }
  world = { backend, rank: where.rank, world_size: where.worldSize, timeout, group, stores };
}

/** Whether `dist_init_process_group` has run (and the group was not destroyed). @example if (dist_is_initialized()) dist_barrier(); */
export function dist_is_initialized(): boolean {
  return world !== null;
}

/** Whether this build has the Gloo backend. @example dist_is_gloo_available() // true on Debian 12 */
export function dist_is_gloo_available(): boolean {
  return native.distHasGloo();
}

/** Whether this build has the NCCL backend (not yet: false). @example dist_is_nccl_available() */
export function dist_is_nccl_available(): boolean {
  return false;
}

/** This process's rank in the default group. @example if (dist_get_rank() === 0) console.log(loss.item()); */
export function dist_get_rank(): number {
  return defaultGroup('dist_get_rank').rank;
}

/** The number of processes in the default group. @example const shard = Math.ceil(n / dist_get_world_size()); */
export function dist_get_world_size(): number {
  return defaultGroup('dist_get_world_size').world_size;
}

/** The default group's backend. @example dist_get_backend() // 'gloo' */
export function dist_get_backend(): DistBackend {
  return defaultGroup('dist_get_backend').backend;
}

/**
 * Leaves the default group and frees it (its Gloo threads and, on rank 0, the store's server);
 * `dist_init_process_group` may run again afterwards.
 *
 * @example
 * dist_destroy_process_group();
 */
export function dist_destroy_process_group(): void {
  const state = defaultGroup('dist_destroy_process_group');
  world = null;
  release(state.group, state.stores);
}

function release(group: Handle, stores: Handle[]): void {
  native.distGroupDestroy(group);
  for (const store of stores) native.distStoreDestroy(store);
}
