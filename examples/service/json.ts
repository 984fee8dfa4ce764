// JSON bodies in and out: small ones on the event loop, big ones (past 64 kB) on the JSON
// thread (json-worker.ts), whose parse and checks would otherwise hold every other client.
import type { IncomingMessage } from 'node:http';
import { Worker } from 'node:worker_threads';
import { HttpError } from './http.js';
import { outputsJson, parseBody, type JsonReply, type JsonTask } from './json-worker.js';

const BIG = 64 * 1024;

export type Packed = Record<string, { rows: number; data: Float32Array }>;

/** The request's body bytes; 415 without a JSON content type, 413 past `limit` bytes. */
async function readBytes(request: IncomingMessage, limit: number): Promise<Buffer> {
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new HttpError(415, `Expected Content-Type: application/json but received ${type === '' ? 'none' : JSON.stringify(type.slice(0, 80))}`);
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) throw new HttpError(413, `Expected a body of at most ${limit} bytes but received ${declared}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `Expected a body of at most ${limit} bytes but received more`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export class JsonThread {
  private readonly worker = new Worker(new URL('./json-worker.js', import.meta.url));
  private readonly waiting = new Map<number, (reply: JsonReply) => void>();
  private next = 0;

  constructor() {
    this.worker.on('message', (reply: JsonReply) => {
      const settle = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      settle?.(reply);
    });
    // A JSON thread that dies fails what it was doing (500s) and is not replaced: the log says why.
    this.worker.on('error', (error) => {
      console.error(`the JSON thread failed: ${error.stack ?? String(error)}`);
      for (const [id, settle] of this.waiting) settle({ id, error: { status: 500, message: 'the JSON thread failed' } });
      this.waiting.clear();
    });
    this.worker.unref();
  }

  private ask(task: JsonTask, transfer: ArrayBuffer[]): Promise<JsonReply> {
    return new Promise((resolve) => {
      this.waiting.set(task.id, resolve);
      this.worker.postMessage(task, transfer);
    });
  }

  /**
   * The request's JSON body (400 when it does not parse), with the fields of `matrices`
   * (name: columns) checked and packed into Float32Arrays when present (set to null in the body).
   */
  async readJson(request: IncomingMessage, limit: number, matrices: Record<string, number>, maxRows: number): Promise<{ body: unknown; packed: Packed }> {
    const bytes = await readBytes(request, limit);
    if (bytes.length < BIG) return parseBody(bytes, matrices, maxRows);
    const copy = new Uint8Array(bytes); // its own buffer, to transfer
    const reply = await this.ask({ id: ++this.next, kind: 'parse', bytes: copy, matrices, maxRows }, [copy.buffer]);
    if ('error' in reply) throw new HttpError(reply.error.status, reply.error.message);
    return reply as { body: unknown; packed: Packed };
  }

  /** `{"outputs": rows}` of `data` (rows of `columns` numbers). */
  async outputs(data: Float32Array, columns: number): Promise<string> {
    if (data.length * 12 < BIG) return outputsJson(data, columns);
    const reply = await this.ask({ id: ++this.next, kind: 'outputs', data, columns }, [data.buffer as ArrayBuffer]);
    if ('error' in reply) throw new Error(reply.error.message);
    return (reply as { text: string }).text;
  }
}
