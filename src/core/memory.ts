// What the tests and users see of native memory.
import { native } from './native.js';

export interface MemoryStats {
  /** Tensor handles alive (not yet disposed or collected). */
  tensors: number;
  /** Storage bytes those handles hold (a view counts its whole storage). */
  bytes: number;
  /** Freed CPU buffers kept for reuse by the caching allocator (see torch_empty_cache). */
  cached_bytes: number;
}

/**
 * Live native tensors and their bytes, for this thread's copy of the addon.
 *
 * @example
 * const before = torch_memory_stats().tensors;
 * torch_scope(() => torch_randn(100).sum());
 * torch_memory_stats().tensors === before; // true
 */
export function torch_memory_stats(): MemoryStats {
  const stats = native.memoryStats();
  return { tensors: stats.tensors, bytes: stats.bytes, cached_bytes: stats.cachedBytes };
}

/**
 * Returns the freed CPU buffers that the caching allocator keeps for reuse to the system
 * (buffers of 64 KiB and more are cached by size, up to TORCHLORA_CPU_CACHE_BYTES,
 * 512 MiB by default). Returns the bytes released. Like `torch.cuda.empty_cache()`.
 *
 * @example torch_empty_cache();
 */
export function torch_empty_cache(): number {
  return native.emptyCache();
}
