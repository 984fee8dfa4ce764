/**
 * An error raised by libtorch itself (a shape mismatch, an unknown device, an allocation
 * that failed). Argument mistakes caught before libtorch is reached are `TypeError` or
 * `RangeError` instead.
 *
 * @example
 * try { torch_matmul(torch_ones([2, 3]), torch_ones([2, 3])); }
 * catch (error) { if (error instanceof TorchError) console.log(error.message); }
 */
export class TorchError extends Error {
  constructor(message: string) {
    super(text(message).trimEnd());
    this.name = 'TorchError';
  }
}

// String(value), except for a value that has no string form (Object.create(null)).
function text(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
