// An optimizer kind, described once: a table of its options (each one's default and check),
// the checks that involve several, the state its parameters keep, and what PyTorch's groups
// of the kind say that torchlora's lack. The Optimizer (optimizer.ts) derives everything from
// it: validation, defaults, the settings handed to the addon, each group's accessors, and the
// fields of a state_dict. native/optim/options.h lists the same fields for libtorch's
// options; test/optim.description.test.ts holds the two lists equal.
import type { NativeOptimizerKind, NativeOptimizerOptions, NativeOptimizerStateTensor } from '../core/native.js';
import { checkBoolean, checkFinite, checkOptions, fail, failRange } from '../core/validate.js';
import { positionalOptions } from '../nn/options.js';

/** One option of an optimizer kind. */
export interface Field<T> {
  /** Its value where neither the group nor the optimizer's options set it; absent: it must be given. */
  readonly default?: T;
  /** The value, checked: a TypeError or RangeError otherwise. */
  readonly check: (value: unknown, name: string) => T;
  /** What it is, for the error when it must be given and is not. */
  readonly noun: string;
  /**
   * It chooses how the update is computed, not what it is (`foreach`, `fused`): a state_dict
   * loaded into the optimizer leaves the group's choice as it is.
   */
  readonly path?: boolean;
}

export type Fields = Readonly<Record<string, Field<any>>>;

/** The options object a table of fields accepts: each field optional, of its type. */
export type OptionsOf<F extends Fields> = { -readonly [K in keyof F]?: F[K] extends Field<infer T> ? T : never };

/** A group's complete, checked options, as the addon takes them. */
export type Settings = NativeOptimizerOptions;

export interface OptimizerKind<F extends Fields = Fields> {
  /** The addon's name for the kind; the public function is `optim_<name>`. */
  readonly name: NativeOptimizerKind;
  readonly fields: F;
  /** Checks that involve several options, on a group's complete options. */
  readonly together?: (options: Settings) => void;
  readonly state: {
    /** Every tensor the state may hold, in libtorch's order. */
    readonly tensors: readonly NativeOptimizerStateTensor[];
    /** Those a parameter's state must hold under its group's options. */
    readonly needed: (options: Settings) => readonly NativeOptimizerStateTensor[];
    /** Whether the state counts steps. */
    readonly step: boolean;
  };
  /**
   * Keys of PyTorch's groups of this kind that change the update but that this kind keeps at
   * one value: a saved group loads only where each is absent, None or that value.
   */
  readonly fixed?: Readonly<Record<string, { value: unknown; why: string }>>;
}

function checkLearningRate(value: unknown, name: string): number {
  if (checkFinite(value, name) < 0) failRange('a non-negative learning rate', name, value);
  return value as number;
}

function checkNonNegative(value: unknown, name: string): number {
  if (checkFinite(value, name) < 0) failRange('a non-negative number', name, value);
  return value as number;
}

function checkBetas(value: unknown, name: string): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) fail('an array of two numbers', name, value);
  value.forEach((beta, i) => {
    if (checkFinite(beta, `${name}[${i}]`) < 0 || beta >= 1) failRange('a number in [0, 1)', `${name}[${i}]`, beta);
  });
  return [value[0], value[1]];
}

/** A learning rate, >= 0; without a default it must be given. */
export const learningRate = (value?: number): Field<number> => ({ default: value, check: checkLearningRate, noun: 'learning rate' });
/** A number >= 0. */
export const nonNegative = (value: number): Field<number> => ({ default: value, check: checkNonNegative, noun: 'number' });
/** Any finite number. */
export const finite = (value: number): Field<number> => ({ default: value, check: checkFinite, noun: 'number' });
/** Two decay rates in [0, 1). */
export const betas = (value: [number, number]): Field<[number, number]> => ({ default: value, check: checkBetas, noun: 'pair of betas' });
/** A boolean that changes the update. */
export const flag = (value = false): Field<boolean> => ({ default: value, check: checkBoolean, noun: 'boolean' });
/** A boolean that chooses how the update is computed. */
export const path = (): Field<boolean> => ({ default: false, check: checkBoolean, noun: 'boolean', path: true });

/** `foreach` and `fused` both true: one group takes one path, as PyTorch's optimizers refuse. */
export function onePath(options: Settings): void {
  if (options.foreach === true && options.fused === true) failRange('false where fused is true (a group takes one path)', 'foreach', true);
}

/**
 * What the option helpers below read of a kind: its name, fields and joint checks. The
 * optimizers written over tensor ops (tensor_optimizer.ts) have tables of this shape too.
 */
export type KindTable = Pick<OptimizerKind, 'fields' | 'together' | 'fixed'> & { readonly name: string };

/** The kind's own defaults: every field that has one. */
export function defaultsOf(kind: KindTable): Settings {
  return Object.fromEntries(Object.entries(kind.fields).filter(([, field]) => field.default !== undefined).map(([key, field]) => [key, field.default]));
}

/**
 * `options` over `defaults`, every value checked, every field present: what the addon takes.
 * Unknown keys are a TypeError naming the accepted ones.
 */
export function resolveOptions(kind: KindTable, options: unknown, defaults: Settings, name: string): Settings {
  const resolved: Settings = { ...defaults };
  const given = checkOptions(options as Record<string, unknown>, new Set(Object.keys(kind.fields)), `optim_${kind.name}`, name);
  for (const [key, value] of Object.entries(given)) {
    if (value !== undefined) resolved[key] = kind.fields[key]!.check(value, key);
  }
  for (const [key, field] of Object.entries(kind.fields)) {
    if (resolved[key] === undefined) throw new TypeError(`Expected a ${typeof field.default === 'boolean' ? 'boolean' : 'number'} for ${key} but received undefined (optim_${kind.name} has no default ${field.noun})`);
  }
  kind.together?.(resolved);
  return resolved;
}

/** Only the kind's fields of `options` (the addon reports every flag it keeps), in the table's order. */
export function fieldsOf(kind: KindTable, options: Settings): Settings {
  return Object.fromEntries(Object.keys(kind.fields).map((key) => [key, options[key]!]));
}

// Keys PyTorch's groups carry that only choose how the same update is computed (a loop or
// one kernel for all, CUDA graphs, autograd through the step) and `initial_lr`, which its
// schedulers add. Where a kind has `foreach` or `fused` itself, its table says what to do.
const PYTORCH_ONLY = new Set(['foreach', 'fused', 'capturable', 'differentiable', 'initial_lr']);

/**
 * The options of a group saved by `state_dict()` here or by PyTorch (read with `torch_load`),
 * as this kind takes them: PyTorch's keys that only choose an implementation are dropped, the
 * group's own `path` choices (`current`) stay, and a key the kind keeps at one value (`fixed`)
 * must have it. The rest is checked by resolveOptions.
 */
export function savedOptions(kind: KindTable, saved: Record<string, unknown>, current: Settings, name: string): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(saved)) {
    const field = kind.fields[key];
    const fixed = kind.fixed?.[key];
    if (field?.path === true) continue; // the group's own choice, below
    if (field !== undefined) {
      // A boolean PyTorch holds as None acts as false there: the default here.
      if (value !== null || typeof field.default !== 'boolean') kept[key] = value;
    } else if (fixed !== undefined) {
      if (value !== undefined && value !== null && value !== fixed.value) failRange(`${key} ${String(fixed.value)} (${fixed.why})`, `${name}.${key}`, value);
    } else if (!PYTORCH_ONLY.has(key)) {
      kept[key] = value; // resolveOptions names the keys it accepts
    }
  }
  for (const [key, field] of Object.entries(kind.fields)) {
    if (field.path === true) kept[key] = current[key];
  }
  return kept;
}

/**
 * The options of an `optim_*(params, ...)` call: R and PyTorch take the first options
 * positionally, in the same order (`optim_adam(params, 0.01, [0.9, 0.99])`, `optim_sgd(params,
 * 0.1, 0.9)`), then keyword ones; an options object last holds the rest.
 */
export function optimizerOptions<O extends object>(fields: object, args: readonly unknown[], names: readonly (keyof O & string)[], where: string): O {
  return positionalOptions<O>(args, names, new Set(Object.keys(fields)), where) as O;
}
