// The HTTP plumbing of the example service, on node:http alone: JSON bodies with a size limit,
// errors as { error } with a status, server-sent events, path decoding, a bearer token
// (bodies are read by json.ts).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An error the client caused or may see: its status, a message saying what was wrong, and headers for the answer. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) { super(message); }
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendJsonText(response, status, JSON.stringify(body), headers);
}

/** Answers with JSON text already written. */
export function sendJsonText(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** Starts a server-sent events stream; returns a function sending one event. */
export function startEvents(response: ServerResponse): (event: string, data: unknown) => void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  response.flushHeaders();
  return (event, data) => { response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`); };
}

/** The path's segments, percent-decoded; 400 for a malformed escape such as `%ZZ`. */
export function pathParts(pathname: string): string[] {
  return pathname.split('/').filter(Boolean).map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw new HttpError(400, `Expected a path of valid percent-encoded segments but received ${JSON.stringify(part.slice(0, 80))}`);
    }
  });
}

/**
 * A check of `Authorization: Bearer <token>`: 401 (with WWW-Authenticate) without one, 403
 * for a wrong one. The comparison is of SHA-256 digests with timingSafeEqual: its time tells
 * nothing of the token, not even its length. With no token configured, every request passes.
 */
export function bearerCheck(token: string | null): (request: IncomingMessage) => void {
  if (token === null) return () => undefined;
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  const expected = digest(token);
  return (request) => {
    const header = request.headers.authorization;
    const found = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (found === null) {
      throw new HttpError(401, 'Expected an Authorization: Bearer <token> header for this route', { 'www-authenticate': 'Bearer realm="torchlora"' });
    }
    if (!timingSafeEqual(digest(found[1]!), expected)) {
      throw new HttpError(403, 'Expected the service\'s token but received another', { 'www-authenticate': 'Bearer realm="torchlora", error="invalid_token"' });
    }
  };
}
