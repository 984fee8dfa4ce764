// PyTorch's storage classes, as torch.save files name them: the class of each dtype torchlora
// has, with its element size, and the classes of those it has not.
import type { DType } from '../core/dtype.js';

export interface StorageType { name: string; bytes: number }

/** PyTorch's storage class of each dtype, and its element size. */
export const STORAGE_TYPES: Record<DType, StorageType> = {
  float32: { name: 'FloatStorage', bytes: 4 }, float64: { name: 'DoubleStorage', bytes: 8 },
  float16: { name: 'HalfStorage', bytes: 2 }, bfloat16: { name: 'BFloat16Storage', bytes: 2 },
  int64: { name: 'LongStorage', bytes: 8 }, int32: { name: 'IntStorage', bytes: 4 }, int16: { name: 'ShortStorage', bytes: 2 },
  int8: { name: 'CharStorage', bytes: 1 }, uint8: { name: 'ByteStorage', bytes: 1 }, bool: { name: 'BoolStorage', bytes: 1 },
  complex64: { name: 'ComplexFloatStorage', bytes: 8 }, complex128: { name: 'ComplexDoubleStorage', bytes: 16 },
};
export const DTYPE_OF_STORAGE = new Map(Object.entries(STORAGE_TYPES).map(([dtype, type]) => [type.name, dtype as DType]));
/** Storage classes PyTorch has that no torchlora dtype holds. */
export const FOREIGN_STORAGES: Record<string, string> = {
  ComplexHalfStorage: 'complex32',
  QInt8Storage: 'quantized qint8', QUInt8Storage: 'quantized quint8', QInt32Storage: 'quantized qint32',
  QUInt4x2Storage: 'quantized quint4x2', QUInt2x4Storage: 'quantized quint2x4',
  UntypedStorage: 'untyped bytes (PyTorch writes these only for dtypes torchlora does not have)',
};

/** A size, a stride, an offset or an index: a non-negative integer, exact as a number. */
export const isIndex = (value: unknown): boolean => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

export const isFloating = (dtype: DType): boolean => dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
