// What the addon was built against and runs on.
import { readFileSync } from 'node:fs';
import { native } from './native.js';
import { checkPositiveInteger } from './validate.js';

export interface TorchConfig {
  /** libtorch's version, e.g. "1.13.0". */
  version: string;
  /** Whether this libtorch was built with CUDA and a device is present. */
  cuda: boolean;
  cuda_devices: number;
  /** The BLAS library matrix products run on, as loaded in this process. */
  blas: string;
  threads: number;
  interop_threads: number;
  /** libtorch's own build summary (`torch.__config__.show()`). */
  build: string;
}

// Debian's libtorch links libblas.so.3, which the alternatives system points at OpenBLAS or
// the reference BLAS (14x slower): only the loaded file says which one runs.
function loadedBlas(): string {
  try {
    const maps = readFileSync('/proc/self/maps', 'utf8');
    const libraries = new Set(maps.split('\n').map((line) => line.split(/\s+/)[5] ?? '')
      .filter((path) => /lib(open)?blas|libmkl|libblis|libflexiblas|Accelerate/.test(path)));
    return libraries.size === 0 ? 'none loaded (built-in kernels or static BLAS)' : [...libraries].join(', ');
  } catch {
    return 'unknown (no /proc/self/maps)';
  }
}

/**
 * What libtorch this is and how it runs.
 *
 * @example
 * console.log(torch_config()); // { version: '1.13.0', cuda: false, blas: '.../libopenblas.so.0', ... }
 */
export function torch_config(): TorchConfig {
  const config = native.config();
  return {
    version: config.version,
    cuda: config.cuda && config.cudaDevices > 0,
    cuda_devices: config.cudaDevices,
    blas: loadedBlas(),
    threads: config.threads,
    interop_threads: config.interopThreads,
    build: config.buildConfig,
  };
}

/** Whether a CUDA device can be used. @example const device = cuda_is_available() ? 'cuda' : 'cpu'; */
export function cuda_is_available(): boolean {
  const config = native.config();
  return config.cuda && config.cudaDevices > 0;
}

/** Sets libtorch's intra-op thread count for this process. @example torch_set_num_threads(1) */
export function torch_set_num_threads(threads: number): void {
  native.setNumThreads(checkPositiveInteger(threads, 'threads'));
}

/** libtorch's intra-op thread count. */
export function torch_get_num_threads(): number {
  return native.config().threads;
}
