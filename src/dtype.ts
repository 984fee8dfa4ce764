// Data types: names as PyTorch spells them, the codes libtorch uses (c10::ScalarType),
// and R torch's constructor functions (`torch_float()` ...).
import { fail } from './validate.js';

/** A tensor element type. `float` is `float32`, `double` `float64`, `long` `int64`, as in PyTorch. */
export type DType =
  | 'uint8' | 'int8' | 'int16' | 'int32' | 'int64' | 'float16' | 'float32' | 'float64' | 'bool' | 'bfloat16';

export type DTypeLike = DType | 'float' | 'double' | 'half' | 'long' | 'int' | 'short';

const CODES: Record<DType, number> = {
  uint8: 0, int8: 1, int16: 2, int32: 3, int64: 4, float16: 5, float32: 6, float64: 7, bool: 11, bfloat16: 15,
};
const ALIASES: Record<string, DType> = { float: 'float32', double: 'float64', half: 'float16', long: 'int64', int: 'int32', short: 'int16' };
const NAMES: DType[] = [];
for (const [name, code] of Object.entries(CODES)) NAMES[code] = name as DType;

/** libtorch's code of a dtype (c10::ScalarType). @example dtypeCode('float32') // 6 */
export function dtypeCode(dtype: DTypeLike, name = 'dtype'): number {
  const code = typeof dtype === 'string' && Object.hasOwn(ALIASES, dtype) ? CODES[ALIASES[dtype]!]
    : typeof dtype === 'string' && Object.hasOwn(CODES, dtype) ? CODES[dtype as DType] : undefined;
  if (code === undefined) fail(`one of ${[...Object.keys(CODES), ...Object.keys(ALIASES)].join(', ')}`, name, dtype);
  return code;
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
