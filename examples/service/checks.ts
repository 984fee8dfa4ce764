// The service's request checks: each says what was expected and what came.
import { lora_check_adapter_name } from '../../src/index.js';
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

export function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'Expected a JSON object as the body');
  return body as Record<string, unknown>;
}

export function numberField(body: Record<string, unknown>, name: string, fallback: number, low: number, high: number, integral: boolean): number {
  const value = body[name] ?? fallback;
  if (typeof value !== 'number' || !(value >= low && value <= high) || (integral && !Number.isInteger(value))) {
    throw new HttpError(400, `Expected ${name} to be ${integral ? 'an integer' : 'a number'} in [${low}, ${high}] but received ${JSON.stringify(value)?.slice(0, 40)}`);
  }
  return value;
}

export function onlyKeys(body: Record<string, unknown>, allowed: string[]): void {
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) throw new HttpError(400, `Unknown field(s) ${unknown.map((key) => key.slice(0, 40)).join(', ')}; accepted: ${allowed.join(', ')}`);
}

/**
 * An adapter name the service accepts: the library's rule (lora_check_adapter_name, the one
 * lora_server applies) and at most 64 characters (it names a folder). 400 saying the rule.
 */
export function adapterName(name: string): string {
  try {
    lora_check_adapter_name(name, 'the adapter name');
  } catch (error) {
    throw new HttpError(400, (error as Error).message.slice(0, 300));
  }
  if (name.length > 64) throw new HttpError(400, `Expected an adapter name of at most 64 characters but received one of ${name.length}`);
  return name;
}

/** Whether `name` is one adapterName accepts (for folder names found on disk). */
export function isAdapterName(name: string): boolean {
  try {
    adapterName(name);
    return true;
  } catch {
    return false;
  }
}
