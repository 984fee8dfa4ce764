// Containers, as PyTorch's torch/nn/modules/container.py has them: modules held by a module
// are registered children (their parameters are the container's, `to()` moves them,
// `state_dict()` saves them as "layers.0.weight"), which a plain array or object is not.
// Children live under their names as ordinary own properties, so `list[0]` and `dict.encoder`
// are plain reads; the methods keep the names "0", "1", ... dense, as PyTorch does.
import { checkInteger, fail, failRange } from '../core/validate.js';
import { nn_Module } from './module.js';
import { nn_module } from './generator.js';
import type { ContainerState, nn_state } from './state_keys.js';

function checkModule(value: unknown, name: string): nn_Module {
  if (!(value instanceof nn_Module)) fail('an nn_module', name, value);
  return value;
}

// ---- sequential ----

/** The class behind `nn_sequential`, for `instanceof` and for types (`class MyLayer extends Sequential`). */
export class Sequential extends nn_Module {
  constructor(...modules: nn_Module[]) {
    super();
    modules.forEach((module, i) => this.add_module(String(i), checkModule(module, `modules[${i}]`)));
  }

  override forward(input: any): any {
    let output = input;
    for (const module of this.children) output = module(output);
    return output;
  }
}

/**
 * Runs modules one after another, each on the previous one's output; they are registered
 * as `"0"`, `"1"`, ... (so `seq[0]` is the first).
 *
 * @example
 * const mlp = nn_sequential(nn_linear(4, 16), nn_relu(), nn_linear(16, 1));
 * const y = mlp(x);
 */
export const nn_sequential = nn_module(Sequential, 'nn_sequential') as unknown as {
  <const M extends nn_Module[]>(...modules: M & SequentialChain<M>): SequentialOf<M>;
  readonly prototype: Sequential;
  readonly classname: string;
};
export type nn_sequential<M extends nn_Module[] = nn_Module[]> = SequentialOf<M>;

type InputOf<M> = M extends { forward(...args: infer P): any } ? P extends [infer X, ...any[]] ? X : any : never;
type OutputOf<M> = M extends { forward(...args: any[]): infer R } ? R : never;
type LastOf<M extends unknown[]> = M extends [...unknown[], infer L] ? L : M[number];

/**
 * `modules` when each one takes the previous one's output, else the modules with the first
 * that does not, typed as what it should have been (so the error points at it).
 */
export type SequentialChain<M extends unknown[], Done extends unknown[] = []> = M extends [infer A, infer B, ...infer Rest]
  ? [OutputOf<A>] extends [InputOf<B>] ? SequentialChain<[B, ...Rest], [...Done, A]> : [...Done, A, { forward(input: OutputOf<A>): unknown }, ...unknown[]]
  : [...Done, ...M];

/** An `nn_sequential` of the modules `M`: `seq[i]` is the i-th, and `seq(x)` takes the first's input and gives the last's output. */
export type SequentialOf<M extends nn_Module[]> = Sequential & { readonly [K in keyof M & `${number}`]: M[K] }
  & { forward(input: M extends [] ? any : InputOf<M[0]>): M extends [] ? any : OutputOf<LastOf<M>> };

// ---- module list ----

/** The class behind `nn_module_list`, for `instanceof` and for types. */
export class ModuleList<M extends nn_Module = nn_Module> extends nn_Module {
  /** The module at `index` (0-based), a plain property read. */
  [index: number]: M;
  /** For state_dict's type: each module's keys under its index. */
  declare readonly [nn_state]?: ContainerState<`${number}`, M>;

  constructor(modules: Iterable<M> = []) {
    super();
    this.extend(modules);
  }

  /** How many modules the list holds (PyTorch's `len()`). */
  override get length(): number {
    return this.children.length;
  }

  /** The module at `index`; negative counts from the end. @example layers.at(-1) */
  at(index: number): M {
    return this[this.position(index, 'index', this.length - 1)]!;
  }

  /** Adds `module` at the end; returns the list. @example layers.append(nn_linear(8, 8)) */
  append(module: M): this {
    this.add_module(String(this.length), checkModule(module, 'module'));
    return this;
  }

  /** Adds every module of `modules` at the end; returns the list. @example layers.extend([nn_relu(), nn_linear(8, 2)]) */
  extend(modules: Iterable<M>): this {
    if (typeof (modules as Partial<Iterable<M>> | null)?.[Symbol.iterator] !== 'function') fail('an iterable of nn_modules', 'modules', modules);
    const items = [...modules];
    items.forEach((module, i) => checkModule(module, `modules[${i}]`));
    for (const module of items) this.append(module);
    return this;
  }

  /** Puts `module` before the one at `index` (`length` appends); later ones move up one. @example layers.insert(0, nn_linear(4, 8)) */
  insert(index: number, module: M): this {
    const at = this.position(index, 'index', this.length);
    checkModule(module, 'module');
    const modules = [...this];
    modules.splice(at, 0, module);
    this.renumber(modules);
    return this;
  }

  /** Removes and returns the module at `index` (the last by default); later ones move down one. @example const last = layers.pop() */
  pop(index = -1): M {
    const at = this.position(index, 'index', this.length - 1);
    const modules = [...this];
    const [removed] = modules.splice(at, 1);
    this.renumber(modules);
    return removed!;
  }

  /** The modules in order: `for (const layer of layers) x = layer(x)`. */
  *[Symbol.iterator](): IterableIterator<M> {
    const length = this.length;
    for (let i = 0; i < length; i++) yield this[i]!;
  }

  // Re-registers `modules` as "0".."n-1": names that stay keep their place (see module.ts's
  // enroll), so the order of children is the order of the list.
  private renumber(modules: M[]): void {
    const length = this.length;
    for (let i = modules.length; i < length; i++) delete (this as unknown as Record<string, unknown>)[String(i)];
    modules.forEach((module, i) => this.add_module(String(i), module));
  }

  // A 0-based position in [-(last + 1), last], negative counting from the end.
  private position(index: number, name: string, last: number): number {
    checkInteger(index, name);
    const length = this.length;
    const at = index < 0 ? index + length : index;
    if (at < 0 || at > last) failRange(last < 0 ? 'an index into a non-empty list' : `an index in [${-length}, ${last}]`, name, index);
    return at;
  }
}

/**
 * A list of modules, registered as children `"0"`, `"1"`, ... (PyTorch's `nn.ModuleList`):
 * their parameters are the owner's, and `to()`, `train()`, `state_dict()` reach them
 * (`"layers.0.weight"`). Indexable (`layers[0]`, `layers.at(-1)`), iterable, with `length`,
 * `append`, `extend`, `insert` and `pop`. It has no forward: loop over it in yours.
 *
 * @example
 * class Mlp extends nn_Module {
 *   layers = nn_module_list([nn_linear(4, 16), nn_linear(16, 16), nn_linear(16, 1)]);
 *   override forward(x: Tensor): Tensor {
 *     for (const layer of this.layers) x = layer(x);
 *     return x;
 *   }
 * }
 */
export const nn_module_list = nn_module(ModuleList, 'nn_module_list') as unknown as {
  <M extends nn_Module = nn_Module>(modules?: Iterable<M>): ModuleList<M>;
  readonly prototype: ModuleList;
  readonly classname: string;
};
export type nn_module_list<M extends nn_Module = nn_Module> = ModuleList<M>;

// ---- module dict ----

/** What `nn_module_dict` and `update` take: an object, a Map, or [key, module] pairs. */
export type ModuleDictInput<M extends nn_Module> = Record<string, M> | Map<string, M> | Iterable<readonly [string, M]>;

function entriesOf<M extends nn_Module>(modules: unknown, name: string): [string, M][] {
  let entries: unknown[];
  if (modules instanceof Map) entries = [...modules.entries()];
  else if (typeof (modules as Partial<Iterable<unknown>> | null)?.[Symbol.iterator] === 'function') entries = [...(modules as Iterable<unknown>)];
  else if (typeof modules === 'object' && modules !== null && !(modules instanceof nn_Module)) entries = Object.entries(modules);
  else return fail('an object, a Map or [key, module] pairs', name, modules);
  return entries.map((entry, i) => {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') fail('a [key, module] pair', `${name}[${i}]`, entry);
    return [entry[0], checkModule(entry[1], `${name}[${JSON.stringify(entry[0])}]`) as M];
  });
}

/** The class behind `nn_module_dict`, for `instanceof` and for types. */
export class ModuleDict<M extends nn_Module = nn_Module> extends nn_Module {
  /** For state_dict's type: each module's keys under its key. */
  declare readonly [nn_state]?: ContainerState<string, M>;

  constructor(modules: ModuleDictInput<M> = {}) {
    super();
    this.update(modules);
  }

  /** How many modules the dict holds (PyTorch's `len()`). */
  override get length(): number {
    return this.children.length;
  }

  /** The module under `key` (a RangeError if there is none). @example blocks.get('encoder') */
  get(key: string): M {
    if (!this.has(key)) failRange(`a key of this nn_module_dict (${this.keys().map((k) => JSON.stringify(k)).join(', ') || 'it is empty'})`, 'key', key);
    return this.named_children()[key] as M;
  }

  /** Registers `module` under `key`, replacing (in place) any module there; returns the dict. @example blocks.set('decoder', nn_linear(8, 4)) */
  set(key: string, module: M): this {
    this.add_module(key, checkModule(module, 'module'));
    return this;
  }

  /** Whether a module is registered under `key`. @example blocks.has('encoder') */
  has(key: string): boolean {
    return typeof key === 'string' && Object.prototype.hasOwnProperty.call(this.named_children(), key);
  }

  /** Removes and returns the module under `key`. @example const old = blocks.pop('encoder') */
  pop(key: string): M {
    const module = this.get(key);
    delete (this as unknown as Record<string, unknown>)[key];
    return module;
  }

  /** Removes every module. @example blocks.clear() */
  clear(): void {
    for (const key of this.keys()) delete (this as unknown as Record<string, unknown>)[key];
  }

  /** The keys, in insertion order. @example blocks.keys() // ['encoder', 'decoder'] */
  keys(): string[] {
    return Object.keys(this.named_children());
  }

  /** The modules, in insertion order. @example blocks.values().length */
  values(): M[] {
    return this.children as M[];
  }

  /** [key, module] pairs, in insertion order. @example for (const [name, block] of blocks.items()) ... */
  items(): [string, M][] {
    return Object.entries(this.named_children()) as [string, M][];
  }

  /**
   * Registers every module of `modules` (an object, a Map or [key, module] pairs) under its
   * key; existing keys are replaced in place. Returns the dict.
   *
   * @example blocks.update({ head: nn_linear(8, 2) })
   */
  update(modules: ModuleDictInput<M>): this {
    for (const [key, module] of entriesOf<M>(modules, 'modules')) this.add_module(key, module);
    return this;
  }

  /** The keys, as iterating a PyTorch ModuleDict gives: `for (const key of blocks)`. */
  *[Symbol.iterator](): IterableIterator<string> {
    yield* this.keys();
  }
}

/**
 * A dict of modules, registered as children under their keys (PyTorch's `nn.ModuleDict`):
 * their parameters are the owner's and `state_dict()` names them `"blocks.encoder.weight"`.
 * Read a module as `blocks.encoder` or `blocks.get('encoder')`; `keys()`, `values()`,
 * `items()`, `set`, `update`, `pop`, `has`, `length`; iterating gives the keys, as in
 * PyTorch. Keys may not contain "." nor be a method's name (`keys`, `train`, ...).
 *
 * @example
 * const heads = nn_module_dict({ sentiment: nn_linear(64, 2), topic: nn_linear(64, 10) });
 * const logits = heads.topic(features);
 * for (const [name, head] of heads.items()) console.log(name, head.parameters.length);
 */
export const nn_module_dict = nn_module(ModuleDict, 'nn_module_dict') as unknown as {
  <T extends Record<string, nn_Module>>(modules: T): ModuleDict<T[keyof T]> & Readonly<T>;
  <M extends nn_Module = nn_Module>(modules?: ModuleDictInput<M>): ModuleDict<M>;
  readonly prototype: ModuleDict;
  readonly classname: string;
};
export type nn_module_dict<M extends nn_Module = nn_Module> = ModuleDict<M>;
