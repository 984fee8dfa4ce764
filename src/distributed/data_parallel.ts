// torch.nn.parallel.DistributedDataParallel on c10d's own Reducer (native/distributed/distributed.cc): at
// construction, every parameter and buffer is broadcast from rank 0; each forward arms the
// Reducer, whose autograd hooks copy gradients into buckets as backward produces them and
// all-reduce a bucket (averaged over the group) as soon as it is full, while backward goes on.
// Only parameters that require grad are reduced: under LoRA, A and B, not the frozen base.
import { torch_is_grad_enabled, with_no_grad } from '../ops/autograd.js';
import { native, type Handle } from '../core/native.js';
import { nn_Module } from '../nn/module.js';
import { nn_module } from '../nn/generator.js';
import { Tensor } from '../ops/tensor.js';
import { checkBoolean, checkFunction, checkOptions, fail, failRange, optionKeys } from '../core/validate.js';
import { defaultGroup } from './process_group.js';

/** Options of `nn_parallel_distributed_data_parallel` (PyTorch's names and defaults). */
export interface DistributedDataParallelOptions {
  /** Bucket size in MiB (25); the first bucket is 1 MiB so that communication starts early. */
  bucket_cap_mb?: number;
  /** Search each forward's output for parameters it does not reach, and mark them ready (false). */
  find_unused_parameters?: boolean;
  /** Broadcast rank 0's buffers (e.g. batch norm statistics) before every forward (true). */
  broadcast_buffers?: boolean;
}

const DDP_KEYS = optionKeys<DistributedDataParallelOptions>({ bucket_cap_mb: true, find_unused_parameters: true, broadcast_buffers: true });
// torch/nn/parallel/distributed.py: _DEFAULT_BUCKET... broadcast buffer size of _sync_module_states.
const BROADCAST_BUCKET_BYTES = 250 * 1024 * 1024;

/** Every tensor in a forward's output (arrays and plain objects searched), as DDP's _find_tensors. */
function tensorsIn(value: unknown, found: Tensor[] = []): Tensor[] {
  if (value instanceof Tensor) found.push(value);
  else if (Array.isArray(value)) for (const item of value) tensorsIn(item, found);
  else if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const item of Object.values(value)) tensorsIn(item, found);
  }
  return found;
}

/** A module replicated over the default group; made by `nn_parallel_distributed_data_parallel`. */
export class DistributedDataParallel extends nn_Module {
  /** The wrapped module (its parameters are this module's, under `module.`). */
  declare module: nn_Module;
  /** Whether the next backward averages gradients (false inside `no_sync`). */
  require_backward_grad_sync = true;
  private readonly reducer: Handle;
  private readonly group: Handle;
  private readonly find_unused_parameters: boolean;
  private readonly broadcast_buffers: boolean;

  constructor(module: nn_Module, options?: DistributedDataParallelOptions) {
    super();
    if (!(module instanceof nn_Module)) fail('an nn_module', 'module', module);
    const { bucket_cap_mb = 25, find_unused_parameters = false, broadcast_buffers = true } = checkOptions(options, DDP_KEYS, 'nn_parallel_distributed_data_parallel');
    if (typeof bucket_cap_mb !== 'number' || Number.isNaN(bucket_cap_mb)) fail('a number of MiB', 'bucket_cap_mb', bucket_cap_mb);
    if (!(bucket_cap_mb > 0) || !Number.isFinite(bucket_cap_mb)) failRange('a positive number of MiB', 'bucket_cap_mb', bucket_cap_mb);
    this.find_unused_parameters = checkBoolean(find_unused_parameters, 'find_unused_parameters');
    this.broadcast_buffers = checkBoolean(broadcast_buffers, 'broadcast_buffers');
    const { group } = defaultGroup('nn_parallel_distributed_data_parallel');
    const trainable = module.parameters.filter((p) => p.requires_grad);
    if (trainable.length === 0) fail('a module with a parameter that requires grad (DDP has nothing to reduce)', 'module', module);
    this.group = group;
    this.module = module;
    // DDP's _sync_module_states: every rank starts from rank 0's parameters and buffers.
    with_no_grad(() => native.distBroadcastCoalesced(group, [...module.parameters, ...module.buffers], BROADCAST_BUCKET_BYTES, 0));
    this.reducer = {};
    native.distReducerNew(this.reducer, group, trainable, Math.round(bucket_cap_mb * 1024 * 1024), this.find_unused_parameters);
  }

  override forward(...args: any[]): any {
    const sync = torch_is_grad_enabled() && this.require_backward_grad_sync;
    if (sync) native.distReducerPrepareForward(this.reducer);
    const buffers = this.module.buffers;
    if (this.broadcast_buffers && buffers.length > 0) {
      with_no_grad(() => native.distBroadcastCoalesced(this.group, buffers, BROADCAST_BUCKET_BYTES, 0));
    }
    const output = this.module(...args);
    if (sync) native.distReducerPrepareBackward(this.reducer, this.find_unused_parameters ? tensorsIn(output) : []);
    return output;
  }

  /**
   * Runs `fn` (forwards and backwards) without averaging gradients: they accumulate locally
   * until a backward after a forward outside `no_sync` averages the sum, as PyTorch's `no_sync()`.
   *
   * @example
   * ddp.no_sync(() => nnf_mse_loss(ddp(x1), y1).backward());   // accumulate
   * nnf_mse_loss(ddp(x2), y2).backward();                       // accumulate and average
   */
  no_sync<T>(fn: () => T): T {
    checkFunction(fn, 'fn');
    const previous = this.require_backward_grad_sync;
    this.require_backward_grad_sync = false;
    try {
      return fn();
    } finally {
      this.require_backward_grad_sync = previous;
    }
  }

  /** Frees the Reducer now (its autograd hooks go with it); the GC does it otherwise. @example ddp.dispose() */
  dispose(): void {
    native.distReducerDispose(this.reducer);
  }
}

/**
 * PyTorch's `torch.nn.parallel.DistributedDataParallel(model)`: a module whose forward runs
 * `model` and whose backward averages the gradients of `model`'s trainable parameters over the
 * default group, in buckets, overlapping backward. Each rank feeds its own share of the batch;
 * after `opt.step()` every rank holds the same parameters. Call `dist_init_process_group` first.
 *
 * @example
 * dist_init_process_group({ backend: 'gloo' });
 * lora_apply(model, { target_modules: ['fc'], r: 4 });
 * const ddp = nn_parallel_distributed_data_parallel(model);
 * const opt = optim_adam(lora_parameters(model));
 * nnf_mse_loss(ddp(x_shard), y_shard).backward();           // grads of A and B averaged over ranks
 * opt.step();
 */
export const nn_parallel_distributed_data_parallel = nn_module(DistributedDataParallel, 'nn_parallel_distributed_data_parallel');
export type nn_parallel_distributed_data_parallel = DistributedDataParallel;
