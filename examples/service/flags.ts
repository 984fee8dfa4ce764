// The service's command-line flags: each checked, a bad one said in one line (exit 2).
import { flagError, numberFlag, parseStringFlags } from '../cli.js';

export const USAGE = `Usage: npm run example:service -- [flags]

  --port N                 port on 127.0.0.1 (0: any free one; 8080)
  --data DIR               folder for the base weights, adapters and staging (service-data)
  --hidden N               the base MLP's hidden width (256)
  --in N / --out N         its input and output widths (32 / 8)
  --train-threads N        libtorch threads per training job (1: the other cores serve)
  --max-jobs N             training jobs running at once (2)
  --max-queue N            jobs waiting for a slot; more get 429 with Retry-After (8)
  --max-records N          ended jobs remembered for GET /jobs/:id (100)
  --record-ttl-s S         ...and for at most this many seconds after they end (3600)
  --checkpoint-min-ms MS   least time between two checkpoints of a job (1000)
  --max-rows N             most rows in one request (4096)
  --predict-chunk-rows N   rows per forward of a prediction; the event loop serves others between (256)
  --body-limit N           largest request body in bytes (default: what --max-rows rows of
                           inputs and targets take in JSON)
  --max-connections N      open connections at once; more are closed (256)
  --headers-timeout-ms MS  time a client has to send its request's headers (10000)
  --request-timeout-ms MS  time a client has to send its whole request (60000)
  --token T                a bearer token the routes that train, cancel and delete require
                           (default: the environment's TORCHLORA_TOKEN; none: open)`;

export interface Flags {
  port: number;
  data: string;
  config: { in_features: number; hidden: number; out_features: number };
  trainThreads: number;
  maxJobs: number;
  maxQueue: number;
  maxRecords: number;
  recordTtlMs: number;
  checkpointMinMs: number;
  maxRows: number;
  chunkRows: number;
  bodyLimit: number;
  maxConnections: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  token: string | null;
}

const fail = flagError;

/** The flags of `args`; --help prints the usage and exits 0; a bad flag exits 2 with one line. */
export function parseFlags(args: string[]): Flags {
  const values = parseStringFlags(args, {
    port: '8080', data: 'service-data', hidden: '256', in: '32', out: '8', 'train-threads': '1', 'max-jobs': '2', 'max-queue': '8',
    'max-records': '100', 'record-ttl-s': '3600', 'checkpoint-min-ms': '1000', 'max-rows': '4096', 'predict-chunk-rows': '256',
    'body-limit': undefined, 'max-connections': '256', 'headers-timeout-ms': '10000', 'request-timeout-ms': '60000', token: undefined,
  }, USAGE);
  const int = (name: string, min: number): number => numberFlag(values, name, { min });
  const config = { in_features: int('in', 1), hidden: int('hidden', 1), out_features: int('out', 1) };
  const maxRows = int('max-rows', 1);
  // JSON numbers take at most 24 characters and a comma; rows their brackets; and a margin.
  const needed = maxRows * ((config.in_features + config.out_features) * 25 + 6) + 4096;
  const bodyLimit = values['body-limit'] === undefined ? needed : int('body-limit', 2);
  const headersTimeoutMs = int('headers-timeout-ms', 100);
  const requestTimeoutMs = int('request-timeout-ms', 100);
  if (requestTimeoutMs < headersTimeoutMs) fail(`--request-timeout-ms must be >= --headers-timeout-ms (${headersTimeoutMs}), got ${requestTimeoutMs}`);
  const token = (values.token as string | undefined) ?? (process.env.TORCHLORA_TOKEN || null);
  if (token !== null && token.length < 8) fail('--token (or TORCHLORA_TOKEN) must be at least 8 characters');
  const port = int('port', 0);
  if (port > 65535) fail(`--port must be at most 65535, got ${port}`);
  return {
    port, data: String(values.data), config, maxRows, bodyLimit, headersTimeoutMs, requestTimeoutMs, token,
    trainThreads: int('train-threads', 1), maxJobs: int('max-jobs', 1), maxQueue: int('max-queue', 0),
    maxRecords: int('max-records', 1), recordTtlMs: int('record-ttl-s', 1) * 1000, checkpointMinMs: int('checkpoint-min-ms', 0),
    chunkRows: int('predict-chunk-rows', 1), maxConnections: int('max-connections', 1),
  };
}
