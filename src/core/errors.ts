import { text } from './validate.js';

/**
 * An error raised by libtorch itself (a shape mismatch, an unknown device, an allocation
 * that failed), or by the file system under a save or a load. Argument mistakes caught
 * before libtorch is reached are `TypeError` or `RangeError` instead.
 *
 * @example
 * try { torch_matmul(torch_ones([2, 3]), torch_ones([2, 3])); }
 * catch (error) { if (error instanceof TorchError) console.log(error.message); }
 */
export class TorchError extends Error {
  /** Node's error code when a file-system call failed ('EACCES', 'ENOSPC', ...). */
  declare code?: string;
  /** The path the caller gave, when a file-system call failed. */
  declare path?: string;

  constructor(message: string) {
    super(text(message).trimEnd());
    this.name = 'TorchError';
  }
}

