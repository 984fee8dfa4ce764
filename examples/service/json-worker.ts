// The service's JSON thread: parses big request bodies and checks their matrices into
// Float32Arrays, and writes big outputs as JSON, so that the event loop is not held by them.
import { parentPort } from 'node:worker_threads';
import { HttpError } from './http.js';
import { matrix } from './matrix.js';

export type JsonTask =
  | { id: number; kind: 'parse'; bytes: Uint8Array; matrices: Record<string, number>; maxRows: number }
  | { id: number; kind: 'outputs'; data: Float32Array; columns: number };

export type JsonReply =
  | { id: number; body: unknown; packed: Record<string, { rows: number; data: Float32Array }> }
  | { id: number; text: string }
  | { id: number; error: { status: number; message: string } };

/** The body of `bytes`, its `matrices` fields checked and packed (taken out of the body). */
export function parseBody(bytes: Uint8Array, matrices: Record<string, number>, maxRows: number): { body: unknown; packed: Record<string, { rows: number; data: Float32Array }> } {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (error) {
    throw new HttpError(400, `Expected a JSON body but received one that does not parse: ${(error as Error).message.slice(0, 200)}`);
  }
  const packed: Record<string, { rows: number; data: Float32Array }> = {};
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const fields = body as Record<string, unknown>;
    for (const [name, columns] of Object.entries(matrices)) {
      if (fields[name] === undefined) continue;
      packed[name] = matrix(fields[name], name, columns, maxRows);
      fields[name] = null; // the rows travel packed
    }
  }
  return { body, packed };
}

/** Rows of `columns` numbers as the JSON `{"outputs": [[...], ...]}`. */
export function outputsJson(data: Float32Array, columns: number): string {
  const rows: number[][] = [];
  for (let i = 0; i < data.length; i += columns) rows.push(Array.from(data.subarray(i, i + columns)));
  return JSON.stringify({ outputs: rows });
}

parentPort?.on('message', (task: JsonTask) => {
  try {
    if (task.kind === 'parse') {
      const { body, packed } = parseBody(task.bytes, task.matrices, task.maxRows);
      parentPort!.postMessage({ id: task.id, body, packed } satisfies JsonReply, Object.values(packed).map((m) => m.data.buffer as ArrayBuffer));
    } else {
      parentPort!.postMessage({ id: task.id, text: outputsJson(task.data, task.columns) } satisfies JsonReply);
    }
  } catch (error) {
    const status = error instanceof HttpError ? error.status : 500;
    parentPort!.postMessage({ id: task.id, error: { status, message: (error as Error).message } } satisfies JsonReply);
  }
});
