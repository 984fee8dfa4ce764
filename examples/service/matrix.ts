// The check of a matrix in a request (rows of numbers float32 can hold), on node alone: the
// JSON worker (json-worker.ts) runs it off the event loop for big bodies.
import { HttpError } from './http.js';

const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * `value` as rows of `columns` numbers, in one Float32Array (rows first): 400 naming the row
 * and column of a value that is not a finite number float32 can hold, 413 past `maxRows`.
 */
export function matrix(value: unknown, name: string, columns: number, maxRows: number): { rows: number; data: Float32Array } {
  if (!Array.isArray(value) || value.length === 0) throw new HttpError(400, `Expected ${name} to be a non-empty array of rows`);
  if (value.length > maxRows) throw new HttpError(413, `Expected at most ${maxRows} rows in ${name} but received ${value.length}`);
  const data = new Float32Array(value.length * columns);
  value.forEach((row: unknown, i) => {
    if (!Array.isArray(row) || row.length !== columns) {
      throw new HttpError(400, `Expected ${name}[${i}] to be ${columns} finite numbers but received ${JSON.stringify(row)?.slice(0, 80)}`);
    }
    for (let j = 0; j < columns; j++) {
      const v: unknown = row[j];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new HttpError(400, `Expected ${name}[${i}] to be ${columns} finite numbers but received ${JSON.stringify(v)?.slice(0, 40)} at ${name}[${i}][${j}]`);
      }
      if (Math.abs(v) > FLOAT32_MAX) {
        throw new HttpError(400, `Expected ${name}[${i}][${j}] to be a float32 number (at most ${FLOAT32_MAX} in magnitude) but received ${v}`);
      }
      data[i * columns + j] = v;
    }
  });
  return { rows: value.length, data };
}
