// Which modules an adapter touches, by PEFT 0.21's rules (peft/tuners/tuners_utils.py's
// check_target_module_exists and peft/utils/other.py's _set_trainable), quirks included, so that
// a config means the same layers here and there: exclude_modules first, then modules under a
// module to save, then target_modules, then layers_to_transform for layers matched by suffix.
import { fail } from '../core/validate.js';
import { Conv1D } from '../nn/hf_conv1d.js';
import { nn_linear } from '../nn/layers.js';
import type { nn_Module } from '../nn/module.js';

/** @internal A test of target_modules (or exclude_modules) against a layer's path and its plain base layer. */
export interface TargetTest {
  /** Whether the path matches, and how: 'exact' (a name is the whole path), 'suffix', or false. */
  readonly matches: (path: string, base: nn_Module) => 'exact' | 'suffix' | false;
  /** What the targets were, for messages. */
  readonly describe: string;
  /** A list of names (layers_to_transform applies to suffix matches), or a pattern / "all-linear". */
  readonly list: boolean;
  /** "all-linear", which leaves out a model's output layer (its get_output_embeddings()), as PEFT does. */
  readonly all_linear: boolean;
}

/** @internal layers_to_transform and layers_pattern, checked: which numbered layers a suffix match may be in. */
export interface LayerFilter {
  readonly indices: readonly number[];
  readonly patterns: readonly string[] | null;
}

/** @internal PEFT's rule for target names: the whole path ('exact'), or its last dotted parts ('suffix'). */
export function nameMatcher(names: readonly string[]): (path: string) => 'exact' | 'suffix' | false {
  return (path) => (names.includes(path) ? 'exact' : names.some((name) => path.endsWith(`.${name}`)) ? 'suffix' : false);
}

/** @internal */
export function targetTest(matches: TargetTest['matches'], describe: string, list: boolean, all_linear = false): TargetTest {
  return Object.freeze({ matches, describe, list, all_linear });
}

/** @internal A regular expression that must match the whole path (PEFT's re.fullmatch of a string). */
export function fullMatcher(pattern: string, describe: string): TargetTest {
  const regex = new RegExp(`^(?:${pattern})$`);
  return targetTest((path) => (regex.test(path) ? 'exact' : false), describe, false);
}

/**
 * @internal target_modules (or exclude_modules, `name`) as the API takes them: names, a RegExp
 * tested against each path, or "all-linear" (every nn_linear and transformers Conv1D; PEFT
 * makes that a list of whole paths, so layers_to_transform does not apply to it).
 */
export function targetMatcher(target: unknown, name = 'target_modules'): TargetTest {
  if (target === 'all-linear') return targetTest((_, base) => (base instanceof nn_linear || base instanceof Conv1D ? 'exact' : false), '"all-linear"', false, true);
  if (target instanceof RegExp) {
    const regex = new RegExp(target.source, target.flags.replace(/[gy]/g, '')); // no lastIndex state between tests
    return targetTest((path) => (regex.test(path) ? 'exact' : false), String(target), false);
  }
  if (Array.isArray(target) && target.length > 0 && target.every((entry) => typeof entry === 'string' && entry !== '')) {
    return targetTest(nameMatcher([...target]), JSON.stringify(target), true);
  }
  return fail(`a non-empty array of module names, a RegExp${name === 'target_modules' ? ' or "all-linear"' : ''}`, name, target);
}

/** @internal layers_to_transform and layers_pattern checked together (absent: null); `label` prefixes the names in messages. */
export function layerFilter(indices: unknown, patterns: unknown, target: TargetTest, label = ''): LayerFilter | null {
  const none = (value: unknown): boolean => value === undefined || value === null;
  if (none(indices)) {
    if (!none(patterns) && !(Array.isArray(patterns) && patterns.length === 0) && patterns !== '') fail('layers_to_transform with it (PEFT requires both)', `${label}layers_pattern`, patterns);
    return null;
  }
  const list = typeof indices === 'number' ? [indices] : indices;
  if (!Array.isArray(list) || !list.every((i) => Number.isInteger(i) && i >= 0)) fail('a layer index or an array of them', `${label}layers_to_transform`, indices);
  if (list.length === 0) return null; // PEFT: an empty list transforms every layer
  if (!target.list) fail('target_modules as a list of names (PEFT refuses layers_to_transform with a pattern)', `${label}layers_to_transform`, indices);
  let names: string[] | null = null;
  if (!none(patterns)) {
    names = typeof patterns === 'string' ? [patterns] : (patterns as string[]);
    if (!Array.isArray(names) || !names.every((p) => typeof p === 'string')) fail('a name or an array of names', `${label}layers_pattern`, patterns);
    if (names.length === 0 || (names.length === 1 && names[0] === '')) names = null;
  }
  return Object.freeze({ indices: Object.freeze([...list]), patterns: names === null ? null : Object.freeze([...names]) });
}

/** PEFT's layer index of a path: the first number after `<pattern>.` (any segment when no pattern), or null. */
function layerIndex(path: string, patterns: readonly string[] | null): number | null {
  const found = patterns === null
    ? /^.*?\.[^.]*\.(\d+)\./.exec(path)
    : patterns.map((pattern) => new RegExp(`^(?:|.*?\\.)${pattern}\\.(\\d+)\\.`).exec(path)).find((match) => match !== null) ?? null;
  return found === null ? null : Number(found[1]);
}

/** @internal A module to save's name as PEFT tests it against target paths: the name as a whole segment run, a regular expression. */
export function underModuleToSave(names: readonly string[], path: string): boolean {
  return names.some((name) => new RegExp(`^(?:.*\\.)?(?:${name})(?:$|\\.)`).test(path));
}

/** @internal PEFT's wrapping rule for modules_to_save: the path ends with the name (plain text: "head" also takes "lm_head"). */
export function isModuleToSave(names: readonly string[], path: string): boolean {
  return path !== '' && names.some((name) => path.endsWith(name));
}

/** @internal What an adapter selects, as LoraSettings hold it. */
export interface Selection {
  readonly target_modules: TargetTest;
  readonly exclude_modules: TargetTest | null;
  readonly layers: LayerFilter | null;
  readonly modules_to_save: readonly string[];
}

/**
 * @internal The path of the layer "all-linear" leaves out: a language model's output layer, as
 * its `get_output_embeddings()` names it (transformers' models have one), else null.
 */
export function outputLayerPath(model: nn_Module): string | null {
  const output = (model as { get_output_embeddings?: () => nn_Module | null }).get_output_embeddings?.() ?? null;
  if (output === null) return null;
  return Object.entries(model.named_modules()).find(([, module]) => module === output)?.[0] ?? null;
}

/** @internal Whether the layer at `path` (plain base `base`) gets the adapter: check_target_module_exists. */
export function selects(selection: Selection, path: string, base: nn_Module): boolean {
  if (selection.exclude_modules?.matches(path, base)) return false;
  if (underModuleToSave(selection.modules_to_save, path)) return false;
  const found = selection.target_modules.matches(path, base);
  if (found !== 'suffix' || selection.layers === null) return found !== false;
  const index = layerIndex(path, selection.layers.patterns);
  return index !== null && selection.layers.indices.includes(index);
}
