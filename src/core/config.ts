// What the addon was built against and runs on.
import { readFileSync } from 'node:fs';
import { native } from './native.js';
import { dtypeCode, dtypeName, isFloatingDtype, type DType, type DTypeLike } from './dtype.js';
import { checkPositiveInteger, fail } from './validate.js';

export interface TorchConfig {
  /** libtorch's version, e.g. "2.13.0". */
  version: string;
  /** The libtorch_cpu shared library this process loaded (a pip wheel's, Debian's...). */
  libtorch: string;
  /** The CUDA version this libtorch was built with ("13.0"), or null for a CPU build. */
  cuda_build: string | null;
  /** Whether this libtorch was built with CUDA and a device is present. */
  cuda: boolean;
  cuda_devices: number;
  /**
   * The BLAS matrix products run on: the library loaded in this process (Debian's OpenBLAS), or
   * the one linked into libtorch itself ("mkl (linked into libtorch_cpu)": PyTorch's x86 wheels).
   */
  blas: string;
  /**
   * The kernels OpenBLAS chose when it loaded ("Haswell": AVX2; "SkylakeX", "Cooperlake":
   * AVX-512), from the CPU or from OPENBLAS_CORETYPE; null when the BLAS is not OpenBLAS.
   */
  blas_core: string | null;
  /** The widest CPU kernels libtorch chose for this CPU ("AVX512", "AVX2"), as `torch.backends.cpu.get_cpu_capability()`. */
  cpu_capability: string | null;
  threads: number;
  interop_threads: number;
  /** libtorch's own build summary (`torch.__config__.show()`). */
  build: string;
}

// The shared libraries this process mapped whose file names match `pattern`.
function loadedLibraries(pattern: RegExp): string[] | null {
  try {
    const maps = readFileSync('/proc/self/maps', 'utf8');
    return [...new Set(maps.split('\n').map((line) => line.split(/\s+/)[5] ?? '').filter((path) => pattern.test(path)))];
  } catch {
    return null;
  }
}

// Debian's libtorch links libblas.so.3, which the alternatives system points at OpenBLAS or
// the reference BLAS (14x slower): only the loaded file says which one runs. PyTorch's x86
// wheels link MKL statically: the build summary says so.
function loadedBlas(build: string): string {
  const libraries = loadedLibraries(/lib(open)?blas|libmkl|libblis|libflexiblas|Accelerate/);
  if (libraries === null) return 'unknown (no /proc/self/maps)';
  if (libraries.length > 0) return libraries.join(', ');
  const linked = /BLAS_INFO=(\w+)/.exec(build)?.[1];
  return linked !== undefined && linked !== 'generic' ? `${linked} (linked into libtorch_cpu)` : 'none loaded (built-in kernels)';
}

/**
 * What libtorch this is and how it runs.
 *
 * @example
 * console.log(torch_config()); // { version: '2.13.0', libtorch: '.../torch/lib/libtorch_cpu.so', blas: 'mkl (linked into libtorch_cpu)', ... }
 */
export function torch_config(): TorchConfig {
  const config = native.config();
  const build = config.buildConfig;
  return {
    version: config.version,
    libtorch: loadedLibraries(/\/libtorch_cpu\.so/)?.[0] ?? 'unknown',
    cuda_build: /CUDA_VERSION=(\d[\d.]*)/.exec(build)?.[1] ?? null,
    cuda: config.cuda && config.cudaDevices > 0,
    cuda_devices: config.cudaDevices,
    blas: loadedBlas(build),
    blas_core: config.openblasCore === '' ? null : config.openblasCore,
    cpu_capability: /CPU capability usage: (\w+)/.exec(build)?.[1] ?? null,
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
