// The service's request checks: each says what was expected and what came.
import { lora_check_adapter_name } from '../../src/index.js';
import { HttpError } from './http.js';

export { matrix } from './matrix.js';

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
