// What the addon was built against and runs on.
import { readFileSync } from 'node:fs';
import { native } from './native.js';
import { dtypeCode, dtypeName, isFloatingDtype, type DType, type DTypeLike } from './dtype.js';
import { checkPositiveInteger, fail } from './validate.js';

export interface TorchConfig {
  /** libtorch's version, e.g. "1.13.0". */
  version: string;
  /** Whether this libtorch was built with CUDA and a device is present. */
  cuda: boolean;
  cuda_devices: number;
  /** The BLAS library matrix products run on, as loaded in this process. */
  blas: string;
  /**
   * The kernels OpenBLAS chose when it loaded ("Haswell": AVX2; "SkylakeX", "Cooperlake":
   * AVX-512), from the CPU or from OPENBLAS_CORETYPE; null when the BLAS is not OpenBLAS.
   */
  blas_core: string | null;
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
    blas_core: config.openblasCore === '' ? null : config.openblasCore,
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

/**
 * Sets the dtype that a JavaScript number and every creation function without a `dtype` give
 * (float32 at start; float64, float16 or bfloat16): R torch's and PyTorch's
 * `torch_set_default_dtype`. It is libtorch's own setting, shared by every worker thread.
 *
 * @example torch_set_default_dtype('float64'); torch_tensor([1.5]).dtype // "float64"
 */
export function torch_set_default_dtype(dtype: DTypeLike): void {
  const name = dtypeName(dtypeCode(dtype));
  if (!isFloatingDtype(name)) fail('a floating-point dtype (float32, float64, float16 or bfloat16)', 'dtype', dtype);
  native.setDefaultDtype(dtypeCode(name));
}

/** The dtype numbers and creation functions give by default. @example torch_get_default_dtype() // "float32" */
export function torch_get_default_dtype(): DType {
  return dtypeName(native.getDefaultDtype());
}
