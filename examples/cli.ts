// What the seed examples share: their command-line flags and per-phase timings.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { torch_manual_seed, torch_set_num_threads } from '../src/index.js';

type Options = NonNullable<ParseArgsConfig['options']>;

const COMMON: Options = {
  epochs: { type: 'string', default: '100' },
  rank: { type: 'string', default: '1' },
  alpha: { type: 'string', default: '1' },
  seed: { type: 'string', default: '1' },
  n: { type: 'string', default: '10000' },
  device: { type: 'string', default: 'cpu' },
  threads: { type: 'string' },
  timings: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
};

const COMMON_USAGE = `  --epochs N     training epochs of each phase (100)
  --rank R       LoRA rank (1)
  --alpha A      LoRA alpha; the update is scaled by alpha / rank (1)
  --seed S       torch_manual_seed (1)
  --n N          number of simulated rows (10000)
  --device D     cpu, cuda or cuda:1 (cpu)
  --threads T    libtorch intra-op threads (libtorch's default)
  --timings      print a JSON line of per-phase seconds and peak RSS at the end
  --help         this text`;

export interface ExampleSettings {
  /** Every flag as given; the strings of `extra` options, and booleans. */
  flags: Record<string, string | boolean | (string | boolean)[] | undefined>;
  epochs: number;
  rank: number;
  alpha: number;
  n: number;
  device: string;
}

/**
 * Parses the shared flags plus `extra`, prints `usage` (with the shared flags' lines) for
 * --help, exits 2 on a bad value, then sets the thread count and the seed.
 */
export function exampleSettings(usage: string, extra: Options = {}, extraUsage = ''): ExampleSettings {
  let flags: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values: flags } = parseArgs({ options: { ...COMMON, ...extra } }));
  } catch (error) {
    return flagError((error as Error).message.split('\n')[0]!);
  }
  if (flags.help) {
    console.log(`${usage}\n\n${COMMON_USAGE}${extraUsage ? `\n${extraUsage}` : ''}`);
    process.exit(0);
  }
  const integer = (name: string, min: number): number => numberFlag(flags, name, { min });
  const alpha = Number(flags.alpha);
  if (!Number.isFinite(alpha)) {
    console.error(`--alpha must be a number, got ${String(flags.alpha)}`);
    process.exit(2);
  }
  if (flags.threads !== undefined) torch_set_num_threads(integer('threads', 1));
  torch_manual_seed(integer('seed', 0));
  return { flags, epochs: integer('epochs', 1), rank: integer('rank', 1), alpha, n: integer('n', 2), device: String(flags.device) };
}

/** Flag `name` of `flags` as a number (an integer unless `integer` is false) >= `min`; on another value, says so and exits 2. */
/**
 * `args` as string flags (`defaults`: each flag's default, or undefined for none) and --help,
 * which prints `usage` and exits 0; a flag that does not parse is flagError's one line.
 */
export function parseStringFlags(args: string[], defaults: Record<string, string | undefined>, usage: string): Record<string, string | undefined> {
  const options: Options = { help: { type: 'boolean', default: false } };
  for (const [name, fallback] of Object.entries(defaults)) options[name] = { type: 'string', ...(fallback === undefined ? {} : { default: fallback }) };
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({ args, options }));
  } catch (error) {
    return flagError((error as Error).message.split('\n')[0]!);
  }
  if (values.help === true) {
    console.log(usage);
    process.exit(0);
  }
  delete values.help;
  return values as Record<string, string | undefined>;
}

/** A bad flag, as every example answers it: one line on stderr, exit code 2. */
export function flagError(message: string): never {
  console.error(`${message} (--help lists the flags)`);
  return process.exit(2);
}

export function numberFlag(flags: Record<string, unknown>, name: string, { integer = true, min = 0 } = {}): number {
  const value = Number(flags[name]);
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min) {
    console.error(`--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${String(flags[name])}`);
    process.exit(2);
  }
  return value;
}

/** Times phases; `report()` prints them as one JSON line with the peak RSS. */
export class PhaseTimer {
  private readonly seconds: Record<string, number> = {};

  time<T>(phase: string, fn: () => T): T {
    const start = performance.now();
    const result = fn();
    this.seconds[phase] = (performance.now() - start) / 1000;
    return result;
  }

  report(): void {
    console.log(JSON.stringify({ ...this.seconds, peak_rss_mb: process.resourceUsage().maxRSS / 1024 }));
  }
}
