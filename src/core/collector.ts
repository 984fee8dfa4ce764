// The collector the addon runs when tensors left to the GC pile up (native/core/memory.cc). V8
// alone collects a loop's dropped tensors late: its young generation holds ~200,000 small
// tensor objects before a scavenge, and large tensors wait for 64 MB of external memory past
// the last collection, so their buffers are cold when they are reused and the process holds
// that garbage at its peak. So the addon runs a minor GC (a scavenge visits only the young
// objects still alive) after every few megabytes of growth, and a major one when the minor
// one finds little (MaybeCollect): closer to Python, which frees at the last reference. R
// torch calls R's gc the same way (its torch.threshold_call_gc).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Growth of the live tensors, in bytes, that triggers a minor GC; TORCHLORA_GC_BYTES overrides it (0: never). */
const DEFAULT_LIMIT_BYTES = 16 << 20;
/**
 * What each live tensor counts for besides its storage: its native objects (TensorImpl,
 * StorageImpl, box, weak reference: about 1 KiB) and its share of V8's young generation. 8 KiB
 * (a minor GC per ~2,000 dropped small tensors) measured fastest for a 1x1 add left to the GC
 * (1.36 us against 1.53 us at 1 KiB; bench/ops.ts's loop, TORCHLORA_GC_BYTES at 16 MB).
 */
const TENSOR_BYTES = 8192;

type GcFunction = (options?: { type?: 'minor' }) => void;

/** Node's gc function, taken from a fresh context so that the program's global object gets no `gc`. */
function gcFunction(): GcFunction | null {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === 'function') return exposed as GcFunction;
  const flags = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
  const alreadyOn = /--expose[-_]gc\b/.test(flags);
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? gc as GcFunction : null;
  } catch {
    return null;
  } finally {
    if (!alreadyOn) setFlagsFromString('--no-expose-gc');
  }
}

/** The settings handed to the addon's setCollector: the collector (or null) and its limits. */
export function collectorSettings(): [((major: boolean) => void) | null, number, number] {
  const configured = process.env.TORCHLORA_GC_BYTES;
  const limit = configured === undefined || configured === '' ? DEFAULT_LIMIT_BYTES : Number(configured);
  const gc = Number.isFinite(limit) && limit > 0 ? gcFunction() : null;
  if (gc === null) return [null, 0, 0];
  const minor = { type: 'minor' as const };
  // A major GC is gc() without options: Node 20's V8 (11.3) knows only 'minor' and 'async' in
  // the options object and runs any other object as a minor GC, so gc({ type: 'major' }) was
  // one (measured: three of them after the seed's LoRA phase left 296 MB of tensors alive,
  // gc() 176).
  return [(full: boolean) => (full ? gc() : gc(minor)), limit, TENSOR_BYTES];
}
