// The options of LoRA's public functions and the one place each is checked. An entry point
// (lora_apply, a layer's maker, add_adapter, merge; lora_load reads its config in files.ts)
// turns its options into frozen settings here, before anything changes; the plan and the
// layers take those settings as they are and check them no more.
import { checkBoolean, checkFinite, checkOptions, checkPositiveInteger, fail, failRange, optionKeys } from '../core/validate.js';
import { nn_linear } from '../nn/layers.js';
import type { nn_Module } from '../nn/module.js';
import { AdapterDict } from './adapter_dict.js';

// ---- options, as the public functions take them ----

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

export interface MergeOptions {
  /** Which adapter to merge (the active one). */
  adapter?: string;
  /** Compute the merged weight aside and refuse it, leaving the weight unchanged, if any value is not finite. */
  safe?: boolean;
}

const LORA_OPTION_NAMES = { r: true, alpha: true, dropout: true, init: true, use_rslora: true } as const;
const LORA_OPTION_KEYS = optionKeys<LoraOptions>(LORA_OPTION_NAMES);
const LAYER_OPTION_KEYS = optionKeys<LoraLayerOptions>({ ...LORA_OPTION_NAMES, adapter: true });
const APPLY_OPTION_KEYS = optionKeys<LoraApplyOptions>({ target_modules: true, adapter: true, rank_pattern: true, alpha_pattern: true, ...LORA_OPTION_NAMES });
const MERGE_OPTION_KEYS = optionKeys<MergeOptions>({ adapter: true, safe: true });
/** @internal */
export const ADAPTER_OPTION_KEYS = optionKeys<AdapterOptions>({ adapter: true });
const INITS = new Set<string>(['kaiming', 'gaussian', 'randn']);

// ---- settings, as the checks leave them ----

/** One adapter's settings on one layer: checked, defaulted and frozen. */
export interface AdapterSettings {
  readonly r: number;
  readonly alpha: number;
  readonly dropout: number;
  readonly init: LoraInit;
  readonly use_rslora: boolean;
}

/** @internal A test of target_modules against a layer's path and its plain base layer. */
export interface TargetTest {
  readonly matches: (path: string, base: nn_Module) => boolean;
  /** What the targets were, for messages. */
  readonly describe: string;
}

/**
 * @internal One adapter for a whole model, checked and frozen (lora_apply's options, or an
 * adapter_config.json): its name, the layers it targets, the settings of a layer no pattern
 * names, and the patterns. settingsAt gives each target layer its own settings.
 */
export interface LoraSettings extends AdapterSettings {
  readonly adapter: string;
  readonly target_modules: TargetTest;
  readonly rank_pattern: Readonly<Record<string, number>>;
  readonly alpha_pattern: Readonly<Record<string, number>>;
}

// ---- checks ----

/** A rank no larger than min(in, out) of the layer `where` names ('' for none). */
function checkMaxRank(r: number, maxRank: number, where: string): void {
  if (r > maxRank) failRange(`a rank of at most ${maxRank} (min(in, out)${where === '' ? '' : ` of ${where}`})`, 'r', r);
}

/** @internal A dropout probability: a number in [0, 1). */
export function checkDropout(value: unknown): number {
  if (checkFinite(value, 'dropout') < 0 || (value as number) >= 1) failRange('a probability in [0, 1)', 'dropout', value);
  return value as number;
}

/**
 * An adapter's values checked and defaulted, from options whose keys are checked. `maxRank`
 * is min(in, out) of the layer (an update of higher rank cannot exist), or Infinity before
 * the layers are known.
 */
function adapterValues(options: Partial<LoraOptions>, maxRank: number): AdapterSettings {
  const { r = 8, alpha = 8, dropout = 0, init = 'kaiming', use_rslora = false } = options;
  checkPositiveInteger(r, 'r');
  checkMaxRank(r, maxRank, '');
  checkFinite(alpha, 'alpha');
  checkDropout(dropout);
  if (typeof init !== 'string' || !INITS.has(init)) fail('"kaiming", "gaussian" or "randn"', 'init', init);
  return Object.freeze({ r, alpha, dropout, init, use_rslora: checkBoolean(use_rslora, 'use_rslora') });
}

/** @internal add_adapter's options (`caller` names the function), for a layer whose largest rank is `maxRank`. */
export function adapterSettings(options: LoraOptions | undefined, maxRank: number, caller: string): AdapterSettings {
  return adapterValues(checkOptions(options, LORA_OPTION_KEYS, caller), maxRank);
}

/** @internal A layer maker's options (`caller` names it): the first adapter's name and its settings for a base whose largest rank is `maxRank`. */
export function firstAdapter(options: LoraLayerOptions | undefined, maxRank: number, caller: string): { adapter: string; settings: AdapterSettings } {
  const { adapter = 'default', ...values } = checkOptions(options, LAYER_OPTION_KEYS, caller);
  return { adapter: checkAdapterName(adapter, 'name'), settings: adapterValues(values, maxRank) };
}

/**
 * @internal lora_apply's options, checked as far as they can be without the model: a layer's
 * largest rank, and a pattern's value (used only where its key matches), are checked by settingsAt.
 */
export function loraApplySettings(options: LoraApplyOptions): LoraSettings {
  const { target_modules, adapter = 'default', rank_pattern, alpha_pattern, ...values } = checkOptions(options, APPLY_OPTION_KEYS, 'lora_apply');
  const settings = adapterValues(values, Infinity);
  return Object.freeze({
    ...settings,
    target_modules: targetMatcher(target_modules),
    adapter: checkAdapterName(adapter),
    rank_pattern: checkPattern(rank_pattern, 'rank_pattern'),
    alpha_pattern: checkPattern(alpha_pattern, 'alpha_pattern'),
  });
}

/**
 * @internal The settings of the target layer at `path`, whose largest rank is `maxRank`: r and
 * alpha from the patterns where a key matches the path, else the adapter's.
 */
export function settingsAt(settings: LoraSettings, path: string, maxRank: number): AdapterSettings {
  const patternRank = patternValue(settings.rank_pattern, path);
  const r = patternRank === undefined ? settings.r : checkPositiveInteger(patternRank, 'r');
  checkMaxRank(r, maxRank, `"${path}"`);
  const patternAlpha = patternValue(settings.alpha_pattern, path);
  const alpha = patternAlpha === undefined ? settings.alpha : checkFinite(patternAlpha, 'alpha');
  return Object.freeze({ r, alpha, dropout: settings.dropout, init: settings.init, use_rslora: settings.use_rslora });
}

/** @internal Checks merge options (`caller` names the function) and fills the default of `safe`. */
export function mergeOptions(options: MergeOptions | undefined, caller: string): { adapter: string | undefined; safe: boolean } {
  const { adapter, safe = false } = checkOptions(options, MERGE_OPTION_KEYS, caller);
  return { adapter, safe: checkBoolean(safe, 'safe') };
}

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** An adapter name: a word that is not a property of a module (it becomes a registered name). */
export function checkAdapterName(name: unknown, label = 'adapter'): string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name) || name in AdapterDict.prototype || name === 'training') {
    fail('an adapter name (letters, digits, "_" or "-", not a module property such as "train")', label, name);
  }
  return name;
}

/** @internal PEFT's rule for target names: the whole path, or its last dotted parts. */
export function nameMatcher(names: readonly string[]): (path: string) => boolean {
  return (path) => names.some((name) => path === name || path.endsWith(`.${name}`));
}

/** @internal The test for target_modules as the API takes them. */
export function targetMatcher(target: unknown): TargetTest {
  if (target === 'all-linear') return targetTest((_, base) => base instanceof nn_linear, '"all-linear"');
  if (target instanceof RegExp) {
    const regex = new RegExp(target.source, target.flags.replace(/[gy]/g, '')); // no lastIndex state between tests
    return targetTest((path) => regex.test(path), String(target));
  }
  if (Array.isArray(target) && target.length > 0 && target.every((name) => typeof name === 'string' && name !== '')) {
    return targetTest(nameMatcher([...target]), JSON.stringify(target));
  }
  return fail('a non-empty array of module names, a RegExp or "all-linear"', 'target_modules', target);
}

/** @internal */
export function targetTest(matches: TargetTest['matches'], describe: string): TargetTest {
  return Object.freeze({ matches, describe });
}

/** PEFT's pattern lookup: the first key that matches the end of the path (as a dotted suffix) wins. */
export function patternValue(pattern: Readonly<Record<string, number>>, path: string): number | undefined {
  for (const [key, value] of Object.entries(pattern)) {
    if (new RegExp(`^(?:.*\\.)?(?:${key})$`).test(path)) return value;
  }
  return undefined;
}

/** @internal rank_pattern / alpha_pattern: numbers by regular expression (absent or null: none), as a frozen copy. */
export function checkPattern(value: unknown, name: string): Readonly<Record<string, number>> {
  if (value === undefined || value === null) return Object.freeze({});
  if (typeof value !== 'object' || Array.isArray(value)) fail('an object of numbers by module name', name, value);
  for (const [key, number] of Object.entries(value)) {
    try {
      new RegExp(key);
    } catch {
      fail('a valid regular expression as key', name, key);
    }
    if (typeof number !== 'number') fail('a number', `${name}[${JSON.stringify(key)}]`, number);
  }
  return Object.freeze({ ...(value as Record<string, number>) });
}
