// Argument checks for the public API, with one message formula:
// "Expected <what> for <name> but received <value>". The native layer trusts its input.
import { torch_Device, type DeviceLike } from './device.js';

export type { DeviceLike };

/** Largest number of elements a shape may describe; beyond it no allocation can succeed. */
const MAX_ELEMENTS = 2 ** 53;

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'symbol') return 'a Symbol';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'function') return 'a function';
  const name = (value as object).constructor?.name;
  return name ? `an instance of ${name}` : 'an object';
}

/** String(value), except for a value that has none (a Symbol, Object.create(null)): its description. */
export function text(value: unknown): string {
  try {
    return String(value);
  } catch {
    return describe(value);
  }
}

// `name` is text the library wrote, but exported helpers (dtypeCode) let a caller pass it.
export function fail(what: string, name: string, value: unknown): never {
  throw new TypeError(`Expected ${what} for ${text(name)} but received ${describe(value)}`);
}

export function failRange(what: string, name: string, value: unknown): never {
  throw new RangeError(`Expected ${what} for ${text(name)} but received ${describe(value)}`);
}

export function checkNumber(value: unknown, name: string): number {
  if (typeof value !== 'number' || Number.isNaN(value)) fail('a number', name, value);
  return value;
}

export function checkFinite(value: unknown, name: string): number {
  checkNumber(value, name);
  if (!Number.isFinite(value)) failRange('a finite number', name, value);
  return value as number;
}

export function checkInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) fail('an integer', name, value);
  if (!Number.isSafeInteger(value)) failRange('a safe integer', name, value);
  return value;
}

export function checkNonNegativeInteger(value: unknown, name: string): number {
  checkInteger(value, name);
  if ((value as number) < 0) failRange('a non-negative integer', name, value);
  return value as number;
}

export function checkPositiveInteger(value: unknown, name: string): number {
  checkInteger(value, name);
  if ((value as number) <= 0) failRange('a positive integer', name, value);
  return value as number;
}

export function checkBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') fail('a boolean', name, value);
  return value;
}

export function checkScalar(value: unknown, name: string): number | boolean {
  if (typeof value === 'boolean') return value;
  return checkNumber(value, name);
}

/**
 * A shape: an array of non-negative integers whose product is not absurd. Returns a plain
 * copy (the addon reads only plain arrays, and a Proxy or a later change must not reach it).
 */
export function checkShape(value: unknown, name = 'size'): number[] {
  if (!Array.isArray(value)) fail('an array of non-negative integers', name, value);
  const shape = Array.from(value as unknown[]);
  let elements = 1;
  for (let i = 0; i < shape.length; i++) {
    const size = shape[i];
    if (typeof size !== 'number' || !Number.isInteger(size)) fail('an array of non-negative integers', `${name}[${i}]`, size);
    if (size < 0) failRange('a non-negative size', `${name}[${i}]`, size);
    // Checked one by one too: a zero elsewhere would hide a size libtorch cannot hold.
    if (size > MAX_ELEMENTS) failRange('a size of at most 2^53', `${name}[${i}]`, size);
    elements *= size;
  }
  if (elements > MAX_ELEMENTS) failRange(`at most 2^53 elements (got ${elements})`, name, value);
  return shape as number[];
}

/** Dimensions for view/reshape/expand: integers, where -1 is allowed. Returns a plain copy. */
export function checkDims(value: unknown, name: string): number[] {
  if (!Array.isArray(value)) fail('an array of integers', name, value);
  const dims = Array.from(value as unknown[]);
  for (let i = 0; i < dims.length; i++) checkInteger(dims[i], `${name}[${i}]`);
  return dims as number[];
}

/** Whether two shapes are equal. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

/** Shape arguments may be given as an array or spread: `torch_zeros([2, 3])` or `torch_zeros(2, 3)`. */
export function shapeFrom(args: unknown[], name = 'size'): number[] {
  return checkShape(args.length === 1 && Array.isArray(args[0]) ? args[0] : args, name);
}

export function checkDevice(value: unknown, name = 'device'): string {
  // A torch_device() object is its device string.
  if (value instanceof torch_Device) return String(value);
  if (typeof value !== 'string' || !/^(cpu|cuda|mps|meta)(:\d+)?$/.test(value)) {
    const dtype = typeof value === 'string' && /^(u?int(8|16|32|64)|b?float(16|32|64)?|bool|double|half|long|int|short|complex(64|128)|cfloat|cdouble)$/.test(value);
    fail(`a device such as "cpu", "cuda", "cuda:0" or a torch_device()${dtype ? ` (${JSON.stringify(value)} is a dtype: pass it as dtype)` : ''}`, name, value);
  }
  return value;
}

export function checkFunction(value: unknown, name: string): (...args: never[]) => unknown {
  if (typeof value !== 'function') fail('a function', name, value);
  return value as (...args: never[]) => unknown;
}

/**
 * The option names a function accepts, written as an object so that the compiler checks the
 * list against the options type: a missing or a misspelt name does not compile.
 * `optionKeys<LinearOptions>({ bias: true, dtype: true, device: true })`.
 */
export function optionKeys<T extends object>(keys: { [K in keyof Required<T>]: true }): ReadonlySet<string> {
  return new Set(Object.keys(keys));
}

/**
 * The one check of every options object: `undefined` is `{}`; anything but a plain object is
 * a TypeError; a key the function does not accept is a TypeError naming it and the accepted
 * ones, so a misspelt option is never silently ignored. Defaults are filled by the caller's
 * destructuring (`const { bias = true } = checkOptions(...)`).
 */
/** An object literal's kind of object (its prototype Object.prototype or null): not an array, a Tensor or another class's instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

export function checkOptions<T extends object>(options: T | undefined, accepted: ReadonlySet<string>, where: string, name = 'options'): Partial<T> {
  if (options === undefined) return {};
  // A class's instance (a Tensor where the options go) is not an options object: its own keys
  // are its internals, which the check below would name instead.
  if (!isPlainObject(options)) fail('an options object', name === 'options' ? `${where} options` : name, options);
  for (const key of Object.keys(options)) {
    if (!accepted.has(key)) {
      const list = accepted.size === 0 ? 'no options' : `one of ${[...accepted].join(', ')}`;
      throw new TypeError(`Expected ${list} for ${where} ${name} but received ${JSON.stringify(key)}`);
    }
  }
  return options;
}

/**
 * R's named arguments in place of positional ones: when `value`, a function's first optional
 * argument, is a plain object, it names that argument and the ones after it (`names`); they
 * are returned checked, else null. `x.logsumexp({ dim: 1, keepdim: true })` is R's
 * `x$logsumexp(dim = 2, keepdim = TRUE)`.
 */
export function namedArguments(value: unknown, names: ReadonlySet<string>, where: string): Record<string, any> | null {
  return isPlainObject(value) ? checkOptions(value, names, where, 'named arguments') : null;
}
