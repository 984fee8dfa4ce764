// Data types: names as PyTorch spells them, the codes libtorch uses (c10::ScalarType),
// and R torch's constructor functions (`torch_float()` ...).
import { fail } from './validate.js';

/**
 * A tensor element type. `float` is `float32`, `double` `float64`, `long` `int64`, `cfloat`
 * `complex64` and `cdouble` `complex128`, as in PyTorch.
 */
export type DType =
  | 'uint8' | 'int8' | 'int16' | 'int32' | 'int64' | 'float16' | 'float32' | 'float64' | 'bool' | 'bfloat16' | 'complex64' | 'complex128';

export type DTypeLike = DType | 'float' | 'double' | 'half' | 'long' | 'int' | 'short' | 'cfloat' | 'cdouble';

const CODES: Record<DType, number> = {
  uint8: 0, int8: 1, int16: 2, int32: 3, int64: 4, float16: 5, float32: 6, float64: 7, complex64: 9, complex128: 10, bool: 11, bfloat16: 15,
};
const ALIASES: Record<string, DType> = {
  float: 'float32', double: 'float64', half: 'float16', long: 'int64', int: 'int32', short: 'int16', cfloat: 'complex64', cdouble: 'complex128',
};
const NAMES: DType[] = [];
for (const [name, code] of Object.entries(CODES)) NAMES[code] = name as DType;

/** libtorch's code of a dtype (c10::ScalarType). @example dtypeCode('float32') // 6 */
export function dtypeCode(dtype: DTypeLike, name = 'dtype'): number {
  const code = typeof dtype === 'string' && Object.hasOwn(ALIASES, dtype) ? CODES[ALIASES[dtype]!]
    : typeof dtype === 'string' && Object.hasOwn(CODES, dtype) ? CODES[dtype as DType] : undefined;
  if (code === undefined) fail(`one of ${DTYPE_NAMES}${isDevice(dtype) ? ` (${JSON.stringify(dtype)} is a device: pass it as device)` : ''}`, name, dtype);
  return code;
}

const DTYPE_NAMES = [...Object.keys(CODES), ...Object.keys(ALIASES)].join(', ');
const isDevice = (value: unknown): boolean => typeof value === 'string' && /^(cpu|cuda|mps|meta)(:\d+)?$/.test(value);

/**
 * What a `to(target)` string is: a device or a dtype (a TypeError that lists both when it is
 * neither). @example deviceOrDtype('cuda:0') // { device: 'cuda:0' }
 */
export function deviceOrDtype(target: string, name = 'target'): { device: string } | { dtype: DTypeLike } {
  if (isDevice(target)) return { device: target };
  if (Object.hasOwn(CODES, target) || Object.hasOwn(ALIASES, target)) return { dtype: target as DTypeLike };
  return fail(`a device ("cpu", "cuda", "cuda:0", "mps" or "meta") or a dtype (${DTYPE_NAMES})`, name, target);
}

/** The dtype of libtorch's code. @example dtypeName(6) // "float32" */
export function dtypeName(code: number): DType {
  const name = typeof code === 'number' ? NAMES[code] : undefined;
  if (name === undefined) fail('a libtorch scalar type code of a supported dtype', 'code', code);
  return name;
}

export function isFloatingDtype(dtype: DType): boolean {
  return dtype === 'float16' || dtype === 'float32' || dtype === 'float64' || dtype === 'bfloat16';
}

export function isComplexDtype(dtype: DType): boolean {
  return dtype === 'complex64' || dtype === 'complex128';
}

/** `torch_float32()`, as in R torch. @example torch_zeros([2], { dtype: torch_float32() }) */
export const torch_float32 = (): DType => 'float32';
/** Alias of `torch_float32()`. */
export const torch_float = torch_float32;
/** `torch_float64()`. @example torch_ones([2], { dtype: torch_float64() }) */
export const torch_float64 = (): DType => 'float64';
/** Alias of `torch_float64()`. */
export const torch_double = torch_float64;
/** `torch_float16()`. */
export const torch_float16 = (): DType => 'float16';
/** `torch_bfloat16()`. */
export const torch_bfloat16 = (): DType => 'bfloat16';
/** `torch_int64()`. @example torch_arange(0, 3, 1, { dtype: torch_long() }) */
export const torch_int64 = (): DType => 'int64';
/** Alias of `torch_int64()`. */
export const torch_long = torch_int64;
/** `torch_int32()`. */
export const torch_int32 = (): DType => 'int32';
/** Alias of `torch_int32()`. */
export const torch_int = torch_int32;
/** `torch_int16()`. */
export const torch_int16 = (): DType => 'int16';
/** `torch_int8()`. */
export const torch_int8 = (): DType => 'int8';
/** `torch_uint8()`. */
export const torch_uint8 = (): DType => 'uint8';
/** `torch_bool()`. */
export const torch_bool = (): DType => 'bool';
/** Alias of `torch_float16()`. */
export const torch_half = torch_float16;
/** Alias of `torch_int16()`. */
export const torch_short = torch_int16;
/** `torch_cfloat()`: complex numbers of two float32 (complex64). @example torch_zeros([2], { dtype: torch_cfloat() }) */
export const torch_cfloat = (): DType => 'complex64';
/** Alias of `torch_cfloat()`. */
export const torch_cfloat32 = torch_cfloat;
/** `torch_cdouble()`: complex numbers of two float64 (complex128). */
export const torch_cdouble = (): DType => 'complex128';
/** Alias of `torch_cdouble()`. */
export const torch_cfloat64 = torch_cdouble;

/** What a floating-point dtype can represent, as PyTorch's `torch.finfo`. */
export interface FloatInfo {
  bits: number;
  /** The gap between 1 and the next larger value. */
  eps: number;
  max: number;
  min: number;
  /** The smallest positive normal value. */
  tiny: number;
  /** About 10^-(decimal digits it holds). */
  resolution: number;
}

// IEEE 754 and bfloat16: mantissa bits, exponent range.
const FLOATS: Partial<Record<DType, [bits: number, mantissa: number, maxExponent: number, resolution: number]>> = {
  float16: [16, 10, 15, 1e-3], bfloat16: [16, 7, 127, 1e-2], float32: [32, 23, 127, 1e-6], float64: [64, 52, 1023, 1e-15],
};

/** The limits of a floating-point dtype (float32 by default). @example torch_finfo('float16').max // 65504 */
export function torch_finfo(dtype: DTypeLike = 'float32'): FloatInfo {
  const name = dtypeName(dtypeCode(dtype));
  const layout = FLOATS[name];
  if (layout === undefined) fail('a floating-point dtype', 'dtype', dtype);
  const [bits, mantissa, maxExponent, resolution] = layout;
  const max = (2 - 2 ** -mantissa) * 2 ** maxExponent;
  return { bits, eps: 2 ** -mantissa, max, min: -max, tiny: 2 ** (1 - maxExponent), resolution };
}

/** What an integer dtype can represent, as PyTorch's `torch.iinfo`. */
export interface IntegerInfo {
  bits: number;
  max: number;
  min: number;
}

const INTEGERS: Partial<Record<DType, [bits: number, signed: boolean]>> = {
  uint8: [8, false], int8: [8, true], int16: [16, true], int32: [32, true], int64: [64, true],
};

/** The limits of an integer dtype (int64's are beyond 2^53: not exact as numbers). @example torch_iinfo('int32').max // 2147483647 */
export function torch_iinfo(dtype: DTypeLike): IntegerInfo {
  const name = dtypeName(dtypeCode(dtype));
  const layout = INTEGERS[name];
  if (layout === undefined) fail('an integer dtype', 'dtype', dtype);
  const [bits, signed] = layout;
  return signed ? { bits, max: 2 ** (bits - 1) - 1, min: -(2 ** (bits - 1)) } : { bits, max: 2 ** bits - 1, min: 0 };
}
