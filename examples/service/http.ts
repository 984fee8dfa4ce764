// The HTTP plumbing of the example service, on node:http alone: JSON bodies with a size limit,
// errors as { error } with a status, server-sent events.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An error the client caused or may see: its status and a message saying what was wrong. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

/** The request's JSON body; 413 past `limit` bytes, 415 without a JSON content type, 400 when it does not parse. */
export async function readJson(request: IncomingMessage, limit: number): Promise<unknown> {
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new HttpError(415, `Expected Content-Type: application/json but received ${type === '' ? 'none' : JSON.stringify(type)}`);
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) throw new HttpError(413, `Expected a body of at most ${limit} bytes but received ${declared}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `Expected a body of at most ${limit} bytes but received more`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new HttpError(400, `Expected a JSON body but received one that does not parse: ${(error as Error).message}`);
  }
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** Starts a server-sent events stream; returns a function sending one event. */
export function startEvents(response: ServerResponse): (event: string, data: unknown) => void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  response.flushHeaders();
  return (event, data) => { response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`); };
}
