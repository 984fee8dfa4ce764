// The options of LoRA's public functions and the one place each is checked. An entry point
// (lora_apply, a layer's maker, add_adapter, merge; lora_load reads its config in config.ts)
// turns its options into frozen settings here, before anything changes; the plan and the
// layers take those settings as they are and check them no more.
import { checkBoolean, checkFinite, checkOptions, checkPositiveInteger, fail, failRange, optionKeys } from '../core/validate.js';
import { AdapterDict } from './adapter_dict.js';
import { layerFilter, targetMatcher, type Selection } from './select.js';

/** PEFT's TaskType values: what AutoPeftModel and PeftModel.from_pretrained build the model as. */
export const PEFT_TASK_TYPES = ['SEQ_CLS', 'SEQ_2_SEQ_LM', 'CAUSAL_LM', 'TOKEN_CLS', 'QUESTION_ANS', 'FEATURE_EXTRACTION'] as const;
export type PeftTaskType = typeof PEFT_TASK_TYPES[number];

/** The heads PEFT's PeftModelForSequenceClassification, ...ForTokenClassification and ...ForQuestionAnswering add to modules_to_save. */
const TASK_HEADS: Partial<Record<PeftTaskType, readonly string[]>> = { SEQ_CLS: ['classifier', 'score'], TOKEN_CLS: ['classifier', 'score'], QUESTION_ANS: ['qa_outputs'] };

/** @internal A task type: one of PEFT's, or null. */
export function checkTaskType(value: unknown, name = 'task_type'): PeftTaskType | null {
  if (value === null || PEFT_TASK_TYPES.includes(value as PeftTaskType)) return value as PeftTaskType | null;
  return fail(`one of PEFT's task types (${PEFT_TASK_TYPES.join(', ')}) or null`, name, value);
}

// ---- options, as the public functions take them ----

/**
 * How A and B are initialised. With the first three B starts at zeros, so a new adapter
 * changes nothing. `"kaiming"`: PEFT's default (`init_lora_weights: true`), A kaiming-uniform
 * with a = √5 (as `nn_linear` does); `"gaussian"`: A ~ N(0, (1/r)²) (PEFT's
 * `init_lora_weights: "gaussian"`); `"randn"`: A ~ N(0, 1), the seed blog post's `torch_randn`;
 * `"none"`: A and B keep their layers' own initialisation, so the adapter starts non-zero
 * (PEFT's `init_lora_weights: false`, for tests).
 */
export type LoraInit = 'kaiming' | 'gaussian' | 'randn' | 'none';

/**
 * The options of one adapter. PEFT's names (`lora_alpha`, `lora_dropout`, `init_lora_weights`)
 * are accepted beside torchlora's (`alpha`, `dropout`, `init`); giving both of a pair is a TypeError.
 */
export interface LoraOptions {
  /** Rank of the update: A is r x in, B is out x r (8). */
  r?: number;
  /** The update is scaled by alpha / r (8, as PEFT's LoraConfig). */
  alpha?: number;
  /** PEFT's name for alpha. */
  lora_alpha?: number;
  /** Dropout probability on the adapter's input while training, in [0, 1) (0). */
  dropout?: number;
  /** PEFT's name for dropout. */
  lora_dropout?: number;
  /** How A and B are initialised ("kaiming"). */
  init?: LoraInit;
  /** PEFT's name for init: true ("kaiming"), "gaussian", or false ("none"). */
  init_lora_weights?: boolean | 'gaussian';
  /** Scale by alpha / √r instead of alpha / r (rank-stabilised LoRA) (false). */
  use_rslora?: boolean;
  /**
   * DoRA (weight-decomposed LoRA): a trainable magnitude per output, starting at the row norms
   * of W + ΔW, rescales the adapted weight, as PEFT for each layer kind (false).
   */
  use_dora?: boolean;
  /** B has a bias (trainable, scaled as B is; merged into the base bias); linear and conv2d layers (false). */
  lora_bias?: boolean;
  /**
   * PEFT's bias: "lora_only" also trains the base bias of each adapted layer (saved as
   * `<path>.base_layer.bias`; shared by the adapters of the layer, as in PEFT), "none" does not ("none").
   * PEFT's "all" (every bias of the model) is not implemented.
   */
  bias?: 'none' | 'lora_only';
}

/** The options of a LoRA layer made around a plain one: its first adapter's, and that adapter's name. */
export interface LoraLayerOptions extends LoraOptions {
  /** The first adapter's name ("default"). */
  adapter?: string;
}

/**
 * Which layers get an adapter: names matched exactly or as the last parts of a dotted path
 * (`"q_proj"` matches `"layers.0.attn.q_proj"`), a RegExp tested against each dotted path,
 * or `"all-linear"` (every `nn_linear` and `hf_conv1d`).
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
  /** Layers never adapted though target_modules names them: names (whole path or last parts) or a RegExp. */
  exclude_modules?: string[] | RegExp;
  /**
   * Only layers under these numbered blocks (`layers.3.…`), for targets matched by name suffix,
   * as PEFT: the first number after a `<name>.` segment, or after `<layers_pattern>.` when given.
   */
  layers_to_transform?: number | number[];
  /** The name of the block list layers_to_transform counts in (`"layers"`, `"h"`). */
  layers_pattern?: string | string[];
  /**
   * Modules trained whole besides the adapter (a classifier head): each module whose path ends
   * with a name gets a trainable copy per adapter (PEFT's ModulesToSaveWrapper; PEFT tests the
   * path's plain ending, so "head" also takes "lm_head"); lora_save writes the copy.
   */
  modules_to_save?: string[];
  /**
   * PEFT's task type, which lora_save writes (unless it is given one): "SEQ_CLS" and "TOKEN_CLS"
   * also save the `classifier` or `score` head whole, "QUESTION_ANS" `qa_outputs`, as PEFT's
   * PeftModelForSequenceClassification (and kin) add them to modules_to_save.
   */
  task_type?: PeftTaskType | null;
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

const LORA_OPTION_NAMES = {
  r: true, alpha: true, lora_alpha: true, dropout: true, lora_dropout: true, init: true, init_lora_weights: true, use_rslora: true, use_dora: true, lora_bias: true,
  bias: true,
} as const;
const LORA_OPTION_KEYS = optionKeys<LoraOptions>(LORA_OPTION_NAMES);
const LAYER_OPTION_KEYS = optionKeys<LoraLayerOptions>({ ...LORA_OPTION_NAMES, adapter: true });
const APPLY_OPTION_KEYS = optionKeys<LoraApplyOptions>({
  target_modules: true, adapter: true, rank_pattern: true, alpha_pattern: true, exclude_modules: true, layers_to_transform: true, layers_pattern: true,
  modules_to_save: true, task_type: true, ...LORA_OPTION_NAMES,
});
const MERGE_OPTION_KEYS = optionKeys<MergeOptions>({ adapter: true, safe: true });
/** @internal */
export const ADAPTER_OPTION_KEYS = optionKeys<AdapterOptions>({ adapter: true });
const INITS = new Set<string>(['kaiming', 'gaussian', 'randn', 'none']);

// ---- settings, as the checks leave them ----

/** One adapter's settings on one layer: checked, defaulted and frozen. */
export interface AdapterSettings {
  readonly r: number;
  readonly alpha: number;
  readonly dropout: number;
  readonly init: LoraInit;
  readonly use_rslora: boolean;
  readonly use_dora: boolean;
  readonly lora_bias: boolean;
  readonly bias: 'none' | 'lora_only';
}

/**
 * @internal One adapter for a whole model, checked and frozen (lora_apply's options, or an
 * adapter_config.json): its name, the modules it selects, the settings of a layer no pattern
 * names, and the patterns. settingsAt gives each target layer its own settings.
 */
export interface LoraSettings extends AdapterSettings, Selection {
  readonly adapter: string;
  readonly rank_pattern: Readonly<Record<string, number>>;
  readonly alpha_pattern: Readonly<Record<string, number>>;
  readonly task_type: PeftTaskType | null;
}

// ---- checks ----

/** A rank no larger than min(in, out) of the layer `where` names ('' for none). */
function checkMaxRank(r: number, maxRank: number, where: string): void {
  if (r > maxRank) failRange(`a rank of at most ${maxRank} (min(in, out)${where === '' ? '' : ` of ${where}`})`, 'r', r);
}

/** @internal A dropout probability: a number in [0, 1). */
export function checkDropout(value: unknown, name = 'dropout'): number {
  if (checkFinite(value, name) < 0 || (value as number) >= 1) failRange('a probability in [0, 1)', name, value);
  return value as number;
}

/** torchlora's name or PEFT's for one option, not both. */
function either<T>(options: Partial<LoraOptions>, ours: keyof LoraOptions, peft: keyof LoraOptions): T | undefined {
  if (options[ours] !== undefined && options[peft] !== undefined) {
    throw new TypeError(`Expected one of ${ours} and ${peft} (PEFT's name for it) for options but received both: ${ours} = ${JSON.stringify(options[ours])}, ${peft} = ${JSON.stringify(options[peft])}`);
  }
  return (options[ours] ?? options[peft]) as T | undefined;
}

/** PEFT's init_lora_weights as an init. */
function initFromPeft(value: unknown): LoraInit | undefined {
  if (value === undefined) return undefined;
  if (value === true) return 'kaiming';
  if (value === false) return 'none';
  if (value === 'gaussian') return 'gaussian';
  return fail('true, false or "gaussian" (torchlora implements these of PEFT\'s inits)', 'init_lora_weights', value);
}

/**
 * An adapter's values checked and defaulted, from options whose keys are checked. `maxRank`
 * is min(in, out) of the layer (an update of higher rank cannot exist), or Infinity before
 * the layers are known.
 */
function adapterValues(options: Partial<LoraOptions>, maxRank: number): AdapterSettings {
  const { r = 8, use_rslora = false, use_dora = false, lora_bias = false, bias = 'none' } = options;
  const alpha = either<number>(options, 'alpha', 'lora_alpha') ?? 8;
  const dropout = either<number>(options, 'dropout', 'lora_dropout') ?? 0;
  either(options, 'init', 'init_lora_weights');
  const init = options.init ?? initFromPeft(options.init_lora_weights) ?? 'kaiming';
  checkPositiveInteger(r, 'r');
  checkMaxRank(r, maxRank, '');
  checkFinite(alpha, 'alpha');
  checkDropout(dropout);
  if (typeof init !== 'string' || !INITS.has(init)) fail('"kaiming", "gaussian", "randn" or "none"', 'init', init);
  checkBoolean(use_dora, 'use_dora');
  checkBoolean(lora_bias, 'lora_bias');
  // PEFT's LoraConfig refuses the pair too.
  if (use_dora && lora_bias) fail('lora_bias false with use_dora (PEFT does not support a LoRA bias with DoRA)', 'lora_bias', lora_bias);
  if (bias !== 'none' && bias !== 'lora_only') fail('"none" or "lora_only" (PEFT\'s "all" is not implemented)', 'bias', bias);
  return Object.freeze({ r, alpha, dropout, init, use_rslora: checkBoolean(use_rslora, 'use_rslora'), use_dora, lora_bias, bias });
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

/** @internal modules_to_save: absent, null or a list of names. */
export function checkModulesToSave(value: unknown, name = 'modules_to_save'): readonly string[] {
  if (value === undefined || value === null) return Object.freeze([]);
  if (!Array.isArray(value) || !value.every((entry) => typeof entry === 'string' && entry !== '')) fail('an array of module names', name, value);
  return Object.freeze([...value]);
}

/**
 * @internal lora_apply's options, checked as far as they can be without the model: a layer's
 * largest rank, and a pattern's value (used only where its key matches), are checked by settingsAt.
 */
export function loraApplySettings(options: LoraApplyOptions): LoraSettings {
  const {
    target_modules, adapter = 'default', rank_pattern, alpha_pattern, exclude_modules, layers_to_transform, layers_pattern, modules_to_save, task_type = null,
    ...values
  } = checkOptions(options, APPLY_OPTION_KEYS, 'lora_apply');
  const targets = targetMatcher(target_modules);
  const heads = TASK_HEADS[checkTaskType(task_type) ?? 'CAUSAL_LM'] ?? [];
  const saved = checkModulesToSave(modules_to_save);
  return Object.freeze({
    ...adapterValues(values, Infinity),
    adapter: checkAdapterName(adapter),
    target_modules: targets,
    exclude_modules: exclude_modules === undefined ? null : targetMatcher(exclude_modules, 'exclude_modules'),
    layers: layerFilter(layers_to_transform, layers_pattern, targets),
    modules_to_save: Object.freeze([...saved, ...heads.filter((head) => !saved.includes(head))]),
    task_type,
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
  const { dropout, init, use_rslora, use_dora, lora_bias, bias } = settings;
  return Object.freeze({ r, alpha, dropout, init, use_rslora, use_dora, lora_bias, bias });
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
