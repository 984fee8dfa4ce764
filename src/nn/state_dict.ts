// A module's state: its parameters and persistent buffers by dotted name, as state_dict()
// gives them and load_state_dict() takes them.
import { with_no_grad } from '../ops/autograd.js';
import { Tensor } from '../ops/tensor.js';
import { checkBoolean, checkOptions, fail, optionKeys, sameShape } from '../core/validate.js';
import type { nn_Module } from './module.js';
import { PARAMETERS, classnameOf, nn_buffer, nn_parameter, registered, registryOf, type Named } from './registry.js';

/** What `load_state_dict()` accepts. */
export interface LoadStateDictOptions {
  /** Demand exactly the module's keys (true). */
  strict?: boolean;
  /**
   * Use the given tensors themselves (their storage, dtype and device) instead of copying into
   * the module's (false), as PyTorch's `assign=True`: parameters keep their requires_grad.
   * Loading one base's `state_dict()` this way into models in several worker threads
   * (`start_job`) shares its weights instead of copying them.
   */
  assign?: boolean;
}

const LOAD_STATE_DICT_KEYS = optionKeys<LoadStateDictOptions>({ strict: true, assign: true });

/** What `load_state_dict()` reports when `strict` is false. */
export interface LoadStateDictResult {
  missing_keys: string[];
  unexpected_keys: string[];
}

/**
 * A module's list of its own state names that an older checkpoint may lack: load_state_dict
 * keeps the module's value for them, as PyTorch's `_load_from_state_dict` fills in a batch
 * norm's `num_batches_tracked`.
 */
export const KEPT_WHEN_MISSING: unique symbol = Symbol('torchlora.keptWhenMissing');

// The dotted names of the entries that may be missing, over the whole tree.
function keptWhenMissing(root: nn_Module): Set<string> {
  const kept = new Set<string>();
  const visit = (module: nn_Module, prefix: string): void => {
    const names = (module as unknown as { [KEPT_WHEN_MISSING]?: string[] })[KEPT_WHEN_MISSING] ?? [];
    for (const name of names) kept.add(prefix + name);
    for (const [name, child] of registered<nn_Module>(module, registryOf(module).modules)) visit(child, `${prefix}${name}.`);
  };
  visit(root, '');
  return kept;
}

/** Parameters and persistent buffers by dotted name, in registration order, depth first. */
export function stateEntries(root: nn_Module): Named<Tensor> {
  const entries: Named<Tensor> = [];
  const visit = (module: nn_Module, prefix: string): void => {
    const registry = registryOf(module);
    for (const [name, tensor] of registered<Tensor>(module, registry.parameters)) entries.push([prefix + name, tensor]);
    for (const [name, tensor] of registered<Tensor>(module, registry.buffers)) {
      if (!registry.nonPersistent.has(name)) entries.push([prefix + name, tensor]);
    }
    for (const [name, child] of registered<nn_Module>(module, registry.modules)) visit(child, `${prefix}${name}.`);
  };
  visit(root, '');
  return entries;
}

// nn_Module's load_state_dict(): every key, shape and value is checked before anything is copied.
export function loadStateDict(module: nn_Module, state_dict: Record<string, Tensor> | Map<string, Tensor>, options: LoadStateDictOptions): LoadStateDictResult {
  const { strict: strictOption = true, assign: assignOption = false } = checkOptions(options, LOAD_STATE_DICT_KEYS, 'load_state_dict');
  const assign = checkBoolean(assignOption, 'assign');
  const given = state_dict instanceof Map ? new Map(state_dict) : (typeof state_dict === 'object' && state_dict !== null && !Array.isArray(state_dict))
    ? new Map(Object.entries(state_dict)) : fail('a state_dict (an object or Map of Tensors)', 'state_dict', state_dict);
  const strict = checkBoolean(strictOption, 'strict');
  for (const [key, value] of given) if (!(value instanceof Tensor)) fail('a Tensor', `state_dict["${key}"]`, value);
  const own = stateEntries(module);
  const expected = new Map(own);
  const kept = keptWhenMissing(module);
  const missing = own.map(([key]) => key).filter((key) => !given.has(key) && !kept.has(key));
  const unexpected = [...given.keys()].filter((key) => !expected.has(key));
  const problems: string[] = [];
  if (strict && missing.length > 0) problems.push(`missing keys ${missing.map((k) => JSON.stringify(k)).join(', ')}`);
  if (strict && unexpected.length > 0) problems.push(`unexpected keys ${unexpected.map((k) => JSON.stringify(k)).join(', ')}`);
  for (const [key, tensor] of own) {
    const source = given.get(key);
    if (source === undefined) continue;
    if (source.is_disposed) problems.push(`"${key}" is a disposed Tensor`);
    else if (!sameShape(source.shape, tensor.shape)) problems.push(`"${key}" has shape [${source.shape.join(', ')}], the module [${tensor.shape.join(', ')}]`);
  }
  if (problems.length > 0) {
    throw new RangeError(`Expected a state_dict matching this ${classnameOf(module)} for state_dict but received one with ${problems.join('; ')}; nothing was loaded`);
  }
  with_no_grad(() => {
    for (const [key, tensor] of own) {
      const source = given.get(key);
      if (source === undefined) continue;
      if (assign) replaceState(module, key, tensor, source);
      else tensor.copy_(source);
    }
  });
  return { missing_keys: missing, unexpected_keys: unexpected };
}

// load_state_dict's assign: the entry `key` becomes an alias of `source` (same storage).
function replaceState(module: nn_Module, key: string, current: Tensor, source: Tensor): void {
  const path = key.split('.');
  const leaf = path.pop()!;
  let owner: nn_Module = module;
  for (const name of path) owner = (owner as unknown as Record<string, nn_Module>)[name]!;
  const alias = source.detach();
  (owner as unknown as Record<string, Tensor>)[leaf] = PARAMETERS.has(current)
    ? nn_parameter(alias, current.requires_grad)
    : nn_buffer(alias, true);
}
