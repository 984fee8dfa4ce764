// What the tests and users see of native memory.
import { native } from './native.js';

export interface MemoryStats {
  /** Tensor handles alive (not yet disposed or collected). */
  tensors: number;
  /** Storage bytes those handles reported to V8 (a view counts its whole storage). */
  bytes: number;
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
  return native.memoryStats();
}
