// The options of LoRA's public functions and the checks that turn them into settings: an
// adapter's rank, alpha, dropout, init and rslora; the layer and merge options; adapter names.
import { checkBoolean, checkFinite, checkOptions, checkPositiveInteger, fail, failRange, optionKeys } from '../core/validate.js';
import { nn_linear } from '../nn/layers.js';
import type { nn_Module } from '../nn/module.js';
import { AdapterDict } from './adapter_dict.js';

/**
 * How A is initialised; B starts at zeros, so a new adapter changes nothing.
 * `"kaiming"`: PEFT's default, kaiming-uniform with a = √5 (as `nn_linear` does);
 * `"gaussian"`: N(0, (1/r)²) (PEFT's `init_lora_weights="gaussian"`);
 * `"randn"`: N(0, 1), the seed blog post's `torch_randn`.
 */
export type LoraInit = 'kaiming' | 'gaussian' | 'randn';

/** The options of one adapter. */
export interface LoraOptions {
  /** Rank of the update: A is r x in, B is out x r (8). */
  r?: number;
  /** The update is scaled by alpha / r (8, as PEFT's LoraConfig). */
  alpha?: number;
  /** Dropout probability on the adapter's input while training, in [0, 1) (0). */
  dropout?: number;
  /** How A is initialised ("kaiming"). */
  init?: LoraInit;
  /** Scale by alpha / √r instead of alpha / r (rank-stabilised LoRA) (false). */
  use_rslora?: boolean;
}

/** The options of a LoRA layer made around a plain one: its first adapter's, and that adapter's name. */
export interface LoraLayerOptions extends LoraOptions {
  /** The first adapter's name ("default"). */
  adapter?: string;
}

/** An adapter's settings once checked and defaulted. */
export interface AdapterSettings {
  r: number;
  alpha: number;
  dropout: number;
  init: LoraInit;
  use_rslora: boolean;
}

/** @internal The names of LoraOptions, for the option lists of functions that take them. */
export const LORA_OPTION_NAMES = { r: true, alpha: true, dropout: true, init: true, use_rslora: true } as const;
const LORA_OPTION_KEYS = optionKeys<LoraOptions>(LORA_OPTION_NAMES);
const LAYER_OPTION_KEYS = optionKeys<LoraLayerOptions>({ ...LORA_OPTION_NAMES, adapter: true });
const MERGE_OPTION_KEYS = optionKeys<MergeOptions>({ adapter: true, safe: true });
const INITS = new Set<string>(['kaiming', 'gaussian', 'randn']);

/**
 * Checks and defaults LoRA options. `maxRank` is min(in, out) of the layer (an update of
 * higher rank cannot exist); `where` names the layer in the message when there is one;
 * `caller` names the function whose options these are.
 */
export function adapterSettings(options: LoraOptions | undefined, maxRank: number, where = '', caller = 'add_adapter'): AdapterSettings {
  const { r = 8, alpha = 8, dropout = 0, init = 'kaiming', use_rslora = false } = checkOptions(options, LORA_OPTION_KEYS, caller);
  checkPositiveInteger(r, 'r');
  if (r > maxRank) failRange(`a rank of at most ${maxRank} (min(in, out)${where === '' ? '' : ` of ${where}`})`, 'r', r);
  checkFinite(alpha, 'alpha');
  if (checkFinite(dropout, 'dropout') < 0 || dropout >= 1) failRange('a probability in [0, 1)', 'dropout', dropout);
  if (typeof init !== 'string' || !INITS.has(init)) fail('"kaiming", "gaussian" or "randn"', 'init', init);
  return { r, alpha, dropout, init, use_rslora: checkBoolean(use_rslora, 'use_rslora') };
}

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** An adapter name: a word that is not a property of a module (it becomes a registered name). */
export function checkAdapterName(name: unknown, label = 'adapter'): string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name) || name in AdapterDict.prototype || name === 'training') {
    fail('an adapter name (letters, digits, "_" or "-", not a module property such as "train")', label, name);
  }
  return name;
}

export interface MergeOptions {
  /** Which adapter to merge (the active one). */
  adapter?: string;
  /** Compute the merged weight aside and refuse it, leaving the weight unchanged, if any value is not finite. */
  safe?: boolean;
}

/** @internal Checks merge options (`caller` names the function) and fills the default of `safe`. */
export function mergeOptions(options: MergeOptions | undefined, caller: string): { adapter: string | undefined; safe: boolean } {
  const { adapter, safe = false } = checkOptions(options, MERGE_OPTION_KEYS, caller);
  return { adapter, safe: checkBoolean(safe, 'safe') };
}

/** @internal A LoRA layer's options (`caller` names its maker): the first adapter's name and its options. */
export function layerOptions(options: LoraLayerOptions | undefined, caller: string): { adapter: string; rest: LoraOptions } {
  const { adapter = 'default', ...rest } = checkOptions(options, LAYER_OPTION_KEYS, caller);
  return { adapter, rest };
}

/**
 * Which layers get an adapter: names matched exactly or as the last parts of a dotted path
 * (`"q_proj"` matches `"layers.0.attn.q_proj"`), a RegExp tested against each dotted path,
 * or `"all-linear"` (every `nn_linear`).
 */
export type TargetModules = string[] | RegExp | 'all-linear';

export interface LoraApplyOptions extends LoraOptions {
  target_modules: TargetModules;
  /** The adapter's name ("default"). */
  adapter?: string;
  /** Per-layer ranks: a key (a regular expression) matching the end of a layer's path gives its r. */
  rank_pattern?: Record<string, number>;
  /** Per-layer alphas, as rank_pattern. */
  alpha_pattern?: Record<string, number>;
}

/** Options that name one adapter. */
export interface AdapterOptions {
  /** The adapter saved or listed (the active one when omitted), or the name lora_load gives the loaded one ("default"). */
  adapter?: string;
}

/** @internal */
export const ADAPTER_OPTION_KEYS = optionKeys<AdapterOptions>({ adapter: true });
/** @internal */
export const APPLY_OPTION_KEYS = optionKeys<LoraApplyOptions>({ target_modules: true, adapter: true, rank_pattern: true, alpha_pattern: true, ...LORA_OPTION_NAMES });

/** @internal A test of target_modules against a layer's path and its plain base layer. */
export interface TargetTest {
  matches: (path: string, base: nn_Module) => boolean;
  /** What the targets were, for messages. */
  describe: string;
}

/** @internal PEFT's rule for target names: the whole path, or its last dotted parts. */
export function nameMatcher(names: string[]): (path: string) => boolean {
  return (path) => names.some((name) => path === name || path.endsWith(`.${name}`));
}

/** @internal The test for target_modules as the API takes them. */
export function targetMatcher(target: unknown): TargetTest {
  if (target === 'all-linear') return { matches: (_, base) => base instanceof nn_linear, describe: '"all-linear"' };
  if (target instanceof RegExp) {
    const regex = new RegExp(target.source, target.flags.replace(/[gy]/g, '')); // no lastIndex state between tests
    return { matches: (path) => regex.test(path), describe: String(target) };
  }
  if (Array.isArray(target) && target.length > 0 && target.every((name) => typeof name === 'string' && name !== '')) {
    return { matches: nameMatcher(target), describe: JSON.stringify(target) };
  }
  return fail('a non-empty array of module names, a RegExp or "all-linear"', 'target_modules', target);
}

/** PEFT's pattern lookup: the first key that matches the end of the path (as a dotted suffix) wins. */
export function patternValue(pattern: Record<string, number>, path: string): number | undefined {
  for (const [key, value] of Object.entries(pattern)) {
    if (new RegExp(`^(?:.*\\.)?(?:${key})$`).test(path)) return value;
  }
  return undefined;
}

/** @internal rank_pattern / alpha_pattern: numbers by regular expression (absent or null: none). */
export function checkPattern(value: unknown, name: string): Record<string, number> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('an object of numbers by module name', name, value);
  for (const [key, number] of Object.entries(value)) {
    try {
      new RegExp(key);
    } catch {
      fail('a valid regular expression as key', name, key);
    }
    if (typeof number !== 'number') fail('a number', `${name}[${JSON.stringify(key)}]`, number);
  }
  return value as Record<string, number>;
}
