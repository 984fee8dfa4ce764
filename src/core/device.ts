// Devices as R torch has them: `torch_device("cuda", 0)` objects with `type` and `index`,
// accepted wherever a device string is; and `with_device(code, device)`, the default device
// of the tensors made inside `code`.
import { INSPECT_CUSTOM } from './symbols.js';
import { checkDevice, checkFunction, checkNonNegativeInteger, fail } from './validate.js';

const TYPES = ['cpu', 'cuda', 'mps', 'meta'];

/** What a `device` option takes: a device string ("cpu", "cuda:0") or a torch_device(). */
export type DeviceLike = string | torch_Device;

/**
 * A device: `type` ("cpu", "cuda", "mps", "meta") and `index` (null when none was given).
 * `String(device)` is its device string ("cuda:0"), so it goes wherever one does.
 *
 * @example const d = torch_device('cuda', 0); d.type // "cuda"; d.index // 0
 */
export class torch_Device {
  /** @internal Use torch_device(). */
  constructor(readonly type: string, readonly index: number | null) {}

  /** The device string, as the `device` options take it: "cpu", "cuda:1". */
  toString(): string {
    return this.index === null ? this.type : `${this.type}:${this.index}`;
  }

  /** As R torch prints it: `torch_device(type='cuda', index=0)`. */
  [INSPECT_CUSTOM](): string {
    return this.index === null ? `torch_device(type='${this.type}')` : `torch_device(type='${this.type}', index=${this.index})`;
  }
}

/**
 * A device object, as R torch's `torch_device(type, index = NULL)`: `type` is "cpu", "cuda",
 * "mps" or "meta", or a whole device string such as "cuda:1" (then without `index`).
 * Making one does not check that the device is present; putting a tensor there does
 * (a TorchError saying no CUDA device is present).
 *
 * @example torch_zeros(2, { device: torch_device('cpu') })
 */
export function torch_device(type: string | torch_Device, index?: number | null): torch_Device {
  if (type instanceof torch_Device) {
    if (index !== undefined && index !== null) fail('no index with a torch_device', 'index', index);
    return type;
  }
  const text = checkDevice(type, 'type');
  const [name, given] = text.split(':') as [string, string | undefined];
  if (given !== undefined) {
    if (index !== undefined && index !== null) fail(`no index with "${text}", which names one`, 'index', index);
    return new torch_Device(name, Number(given));
  }
  if (!TYPES.includes(name)) fail(`one of ${TYPES.join(', ')}`, 'type', type);
  return new torch_Device(name, index === undefined || index === null ? null : checkNonNegativeInteger(index, 'index'));
}

let defaultDevice: string | null = null;

/** The device of tensors made with no `device` option: null for the CPU, else what with_device set. @internal */
export function currentDefaultDevice(): string | null {
  return defaultDevice;
}

/**
 * Runs `code` with `device` as the default device of the tensors it makes (the creation
 * functions, and so the layers' parameters), then restores the previous default, as R
 * torch's `with_device(code, device)`. `code` runs synchronously: a Promise it returns is not
 * awaited, and the default is restored when `code` returns.
 *
 * @example const x = with_device(() => torch_zeros(2, 2), torch_device('cpu'));
 */
export function with_device<T>(code: () => T, device: DeviceLike): T {
  checkFunction(code, 'code');
  const text = checkDevice(device);
  const previous = defaultDevice;
  defaultDevice = text === 'cpu' ? null : text;
  try {
    return code();
  } finally {
    defaultDevice = previous;
  }
}
