// Modules as R torch has them: `nn_module({ initialize, forward })` returns a generator whose
// instances are callable, and assigning a parameter, a buffer or a module to `this` registers
// it. An instance is a Proxy around a function: the function makes `model(x)` call
// `forward` (with its forward hooks around it, as PyTorch's __call__), the traps see `this.name = value` (and class field definitions) and keep the
// registries. Values live as ordinary own properties, so reading `this.linear` in `forward`
// costs no trap.
import { inspect } from 'node:util';
import { with_no_grad } from '../ops/autograd.js';
import { dtypeName, isFloatingDtype, type DType, type DTypeLike, dtypeCode } from '../core/dtype.js';
import { torch_keep } from '../core/scope.js';
import { Tensor, checkTensor } from '../ops/tensor.js';
import { checkBoolean, checkDevice, checkFunction, checkOptions, fail, optionKeys, sameShape } from '../core/validate.js';

const PARAMETERS = new WeakSet<Tensor>();
/** Buffers, with whether they are persistent (saved by state_dict). */
const BUFFERS = new WeakMap<Tensor, boolean>();

const REGISTRY: unique symbol = Symbol('torchlora.module.registry');
const SELF: unique symbol = Symbol('torchlora.module.self');
const CLASSNAME: unique symbol = Symbol('torchlora.module.classname');
const HOOKS: unique symbol = Symbol('torchlora.module.hooks');

/** What a module has registered, by kind, in registration order. */
interface Registry {
  parameters: Set<string>;
  buffers: Set<string>;
  nonPersistent: Set<string>;
  modules: Set<string>;
}

type Target = Record<string | symbol, unknown> & { [REGISTRY]: Registry; [SELF]: nn_Module; [HOOKS]?: Hooks };

/**
 * A forward pre-hook: called with the module and its arguments before `forward`; returning
 * an array replaces the arguments, any other value (but undefined) becomes the one argument.
 */
export type ForwardPreHook<M extends nn_Module = nn_Module> = (module: M, args: any[]) => unknown;
/** A forward hook: called with the module, its arguments and its output; returning a value (not undefined) replaces the output. */
export type ForwardHook<M extends nn_Module = nn_Module> = (module: M, args: any[], output: any) => unknown;

/** A module's hooks by id, in registration order (made on first registration). */
interface Hooks {
  pre: Map<number, ForwardPreHook<any>>;
  forward: Map<number, ForwardHook<any>>;
}

let nextHookId = 0;

/**
 * What `register_forward_hook` and `register_forward_pre_hook` return: `remove()` unregisters
 * the hook (again is a no-op), as PyTorch's RemovableHandle; `using` removes it at the end of
 * the block.
 */
export class RemovableHandle {
  readonly id = nextHookId++;

  constructor(private readonly hooks: Map<number, unknown>) {}

  /** Unregisters the hook. @example const handle = model.register_forward_hook(log); handle.remove(); */
  remove(): void {
    this.hooks.delete(this.id);
  }

  [Symbol.dispose](): void {
    this.remove();
  }
}

// PyTorch's Module._call_impl: the pre-hooks (each may replace the arguments), forward, then
// the forward hooks (each may replace the output). The hooks are read once before running, so
// a hook that removes itself or registers another changes the next call only.
function callWithHooks(module: nn_Module, hooks: Hooks, given: unknown[]): unknown {
  let args = given;
  for (const hook of [...hooks.pre.values()]) {
    const result = hook(module, args);
    if (result !== undefined) args = Array.isArray(result) ? result : [result];
  }
  const after = [...hooks.forward.values()];
  let output = module.forward(...args);
  for (const hook of after) {
    const result = hook(module, args, output);
    if (result !== undefined) output = result;
  }
  return output;
}

/**
 * Marks `x` as a parameter: a module registers it when it is assigned to `this`, and it
 * requires gradients unless `requires_grad` is false. A tensor that has a `grad_fn` is
 * detached first (a parameter is a leaf). Parameters are kept alive past `torch_scope`.
 *
 * @example
 * this.A = nn_parameter(torch_randn(linear.in_features, r));
 */
export function nn_parameter(x: Tensor, requires_grad = true): Tensor {
  checkTensor(x, 'x');
  checkBoolean(requires_grad, 'requires_grad');
  const leaf = x.is_leaf ? x : x.detach();
  leaf.requires_grad_(requires_grad);
  PARAMETERS.add(leaf);
  return torch_keep(leaf);
}

/**
 * Marks `x` as a buffer: module state that is not trained (running statistics, masks).
 * A module registers it when it is assigned to `this`; `to()` moves it and `state_dict()`
 * saves it unless `persistent` is false.
 *
 * @example
 * this.mask = nn_buffer(torch_ones(n, n).tril());
 */
export function nn_buffer(x: Tensor, persistent = true): Tensor {
  checkTensor(x, 'x');
  BUFFERS.set(x, checkBoolean(persistent, 'persistent'));
  return torch_keep(x);
}

/** Whether `x` was made a parameter by `nn_parameter()`. @example is_nn_parameter(model.weight) // true */
export function is_nn_parameter(x: unknown): x is Tensor {
  return x instanceof Tensor && PARAMETERS.has(x);
}

/** Whether `x` was made a buffer by `nn_buffer()`. @example is_nn_buffer(bn.running_mean) */
export function is_nn_buffer(x: unknown): x is Tensor {
  return x instanceof Tensor && BUFFERS.has(x);
}

/** Whether `x` is a module. @example is_nn_module(nn_linear(2, 3)) // true */
export function is_nn_module(x: unknown): x is nn_Module {
  return x instanceof nn_Module;
}

function checkName(name: unknown, target: Target): string {
  if (typeof name !== 'string' || name === '' || name.includes('.')) fail('a non-empty name without "."', 'name', name);
  if (name in Object.getPrototypeOf(target)) fail(`a name that is not a method or property of ${classnameOf(target)}`, 'name', name);
  return name;
}

function forget(registry: Registry, name: string): void {
  registry.parameters.delete(name);
  registry.buffers.delete(name);
  registry.nonPersistent.delete(name);
  registry.modules.delete(name);
}

// Registers `name` as `kind`. A name already of that kind keeps its place, as a key
// reassigned in PyTorch's _modules dict does: nn_sequential runs its children in this order,
// so replacing child "0" (as LoRA does) must not move it to the end.
function enroll(registry: Registry, kind: 'parameters' | 'buffers' | 'modules', name: string): void {
  if (registry[kind].has(name)) {
    registry.nonPersistent.delete(name);
    return;
  }
  forget(registry, name);
  registry[kind].add(name);
}

function store(target: Target, name: string, value: unknown): true {
  Reflect.defineProperty(target, name, { value, writable: true, enumerable: true, configurable: true });
  return true;
}

// Modules inside a plain array or object would not be registered (no parameters, not moved
// by to(), not saved): refused, pointing at the containers that register them. One level
// deep, which is where they are put in practice; plain values (numbers, strings, tensors) pass.
function refuseUnregisteredModules(name: string, value: unknown): void {
  if (Array.isArray(value)) {
    if (value.some((item) => item instanceof nn_Module)) {
      fail('nn_module_list(...) for a list of modules (modules in a plain array are not registered: no parameters, no to(), no state_dict)', name, value);
    }
  } else if (typeof value === 'object' && value !== null && !(value instanceof Tensor)) {
    const proto = Object.getPrototypeOf(value);
    if ((proto === Object.prototype || proto === null) && Object.values(value).some((item) => item instanceof nn_Module)) {
      fail('nn_module_dict({...}) for modules by name (modules in a plain object are not registered: no parameters, no to(), no state_dict)', name, value);
    }
  }
}

// The registration rule of R torch (and PyTorch's __setattr__): a parameter, buffer or module
// registers under its name, whatever was there before; any other value given to a registered
// name keeps the name's kind: null empties it, a plain tensor may replace a buffer, anything
// else is a TypeError. Returns false for plain values on unregistered names.
// `declaration` is a class field definition: its `undefined` must not erase what a base
// class's constructor registered.
function assign(target: Target, name: string, value: unknown, declaration: boolean): boolean {
  const registry = target[REGISTRY];
  if (value instanceof Tensor && PARAMETERS.has(value)) {
    checkName(name, target);
    enroll(registry, 'parameters', name);
    return store(target, name, value);
  }
  if (value instanceof Tensor && BUFFERS.has(value)) {
    checkName(name, target);
    enroll(registry, 'buffers', name);
    if (BUFFERS.get(value) === false) registry.nonPersistent.add(name);
    return store(target, name, value);
  }
  if (value instanceof nn_Module) {
    checkName(name, target);
    enroll(registry, 'modules', name);
    return store(target, name, value);
  }
  refuseUnregisteredModules(name, value);
  const kind = registry.parameters.has(name) ? 'parameter' : registry.buffers.has(name) ? 'buffer' : registry.modules.has(name) ? 'module' : null;
  if (kind === null) return false;
  if (value === undefined && declaration) return true;
  if (value === null || value === undefined) return store(target, name, null);
  if (kind === 'buffer' && value instanceof Tensor) return store(target, name, value);
  const expected = kind === 'parameter' ? 'an nn_parameter() or null' : kind === 'buffer' ? 'a Tensor or null' : 'an nn_module or null';
  return fail(`${expected} (${name} is a registered ${kind})`, name, value);
}

const handler: ProxyHandler<Target> = {
  apply(target, _this, args: unknown[]) {
    const hooks = target[HOOKS];
    if (hooks === undefined || (hooks.pre.size === 0 && hooks.forward.size === 0)) return target[SELF].forward(...args);
    return callWithHooks(target[SELF], hooks, args);
  },
  set(target, name, value, receiver) {
    if (typeof name === 'string' && assign(target, name, value, false)) return true;
    return Reflect.set(target, name, value, receiver);
  },
  defineProperty(target, name, descriptor) {
    if (typeof name === 'string' && 'value' in descriptor && assign(target, name, descriptor.value, true)) return true;
    return Reflect.defineProperty(target, name, descriptor);
  },
  deleteProperty(target, name) {
    if (typeof name === 'string') forget(target[REGISTRY], name);
    return Reflect.deleteProperty(target, name);
  },
};

// A module's function target and the Proxy that is the module. An arrow function has no
// `prototype` property; `name` and `length` are removed so that modules may use those names
// for their own fields.
function createModule(prototype: object, registry: Registry): [Target, nn_Module] {
  const target = (() => undefined) as unknown as Target;
  delete target.name;
  delete target.length;
  Object.setPrototypeOf(target, prototype);
  Object.defineProperty(target, REGISTRY, { value: registry });
  target.training = true;
  const proxy = new Proxy(target, handler);
  Object.defineProperty(target, SELF, { value: proxy });
  return [target, proxy as unknown as nn_Module];
}

function hooksOf(module: nn_Module): Hooks {
  const target = module as unknown as Target;
  let hooks = target[HOOKS];
  if (hooks === undefined) {
    hooks = { pre: new Map(), forward: new Map() };
    Object.defineProperty(target, HOOKS, { value: hooks, writable: true });
  }
  return hooks;
}

function addHook(hooks: Map<number, unknown>, hook: unknown): RemovableHandle {
  checkFunction(hook, 'hook');
  const handle = new RemovableHandle(hooks);
  hooks.set(handle.id, hook);
  return handle;
}

// A copy of `module` (R torch's module$clone()): the same class, registrations, plain values
// and hooks. Deep: parameters, buffers and other tensors are new tensors with the same values
// (parameters keep requires_grad, not grad, as PyTorch's deepcopy), submodules are copied, and
// arrays and plain objects are copied through; a tensor or module reachable twice is copied
// once (`memo`), so shared weights stay shared. Shallow: values are shared.
function copyModule(module: nn_Module, deep: boolean, memo: Map<object, unknown>): nn_Module {
  const known = memo.get(module);
  if (known !== undefined) return known as nn_Module;
  const source = module as unknown as Target;
  const registry = source[REGISTRY];
  const [target, copy] = createModule(Object.getPrototypeOf(source), {
    parameters: new Set(registry.parameters), buffers: new Set(registry.buffers), nonPersistent: new Set(registry.nonPersistent), modules: new Set(registry.modules),
  });
  memo.set(module, copy);
  const hooks = source[HOOKS];
  if (hooks !== undefined) Object.defineProperty(target, HOOKS, { value: { pre: new Map(hooks.pre), forward: new Map(hooks.forward) }, writable: true });
  for (const key of Reflect.ownKeys(source)) {
    if (key === REGISTRY || key === SELF || key === HOOKS) continue;
    const descriptor = Reflect.getOwnPropertyDescriptor(source, key)!;
    if (deep && 'value' in descriptor) descriptor.value = copyValue(descriptor.value, memo);
    Reflect.defineProperty(target, key, descriptor);
  }
  return copy;
}

function copyValue(value: unknown, memo: Map<object, unknown>): unknown {
  if (typeof value !== 'object' && typeof value !== 'function') return value;
  if (value === null) return value;
  const known = memo.get(value);
  if (known !== undefined) return known;
  let copy: unknown = value;
  if (value instanceof nn_Module) {
    copy = copyModule(value, true, memo);
  } else if (value instanceof Tensor) {
    if (value.is_disposed) return value;
    const tensor = value.detach().clone();
    if (PARAMETERS.has(value)) nn_parameter(tensor, value.requires_grad);
    else if (BUFFERS.has(value)) nn_buffer(tensor, BUFFERS.get(value));
    else torch_keep(value.is_leaf && value.requires_grad ? tensor.requires_grad_() : tensor);
    copy = tensor;
  } else if (Array.isArray(value)) {
    const array: unknown[] = [];
    memo.set(value, array);
    for (const item of value) array.push(copyValue(item, memo));
    return array;
  } else if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) {
    const object: Record<string, unknown> = Object.create(Object.getPrototypeOf(value));
    memo.set(value, object);
    for (const [key, item] of Object.entries(value)) object[key] = copyValue(item, memo);
    return object;
  }
  memo.set(value, copy);
  return copy;
}

function classnameOf(module: object): string {
  for (let proto = Object.getPrototypeOf(module); proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    if (Object.prototype.hasOwnProperty.call(proto, CLASSNAME)) return proto[CLASSNAME] as string;
    const name = (proto as { constructor?: { name?: string } }).constructor?.name;
    if (Object.prototype.hasOwnProperty.call(proto, 'constructor') && name) return name;
  }
  return 'nn_module';
}

/** A name and what is registered under it. */
type Named<T> = [string, T][];

/** What `to()` accepts: a device, a dtype, or both. */
export interface ModuleToOptions {
  device?: string;
  dtype?: DTypeLike;
}

const TO_KEYS = optionKeys<ModuleToOptions>({ device: true, dtype: true });

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

export interface nn_Module {
  /** Calls `forward` with the same arguments: `model(x)` is `model.forward(x)`. */
  (...args: Parameters<this['forward']>): ReturnType<this['forward']>;
}

/**
 * The base class of every module. Subclass it and assign parameters (`nn_parameter`),
 * buffers (`nn_buffer`) and modules to `this` to register them; instances are callable.
 * `nn_module(Class)` gives the class R torch's generator form.
 *
 * @example
 * class Mlp extends nn_Module {
 *   fc1 = nn_linear(4, 16);
 *   fc2 = nn_linear(16, 1);
 *   override forward(x: Tensor): Tensor { return this.fc2(nnf_relu(this.fc1(x))); }
 * }
 * const mlp = new Mlp();
 * const y = mlp(torch_randn(8, 4)); // a Tensor, typed
 */
export class nn_Module {
  /** Whether the module is in training mode (dropout active); set by `train()` and `eval()`. */
  declare training: boolean;
  declare private readonly [REGISTRY]: Registry;

  constructor() {
    return createModule(new.target.prototype, { parameters: new Set(), buffers: new Set(), nonPersistent: new Set(), modules: new Set() })[1];
  }

  /** The computation; subclasses and `nn_module()` definitions provide it. */
  forward(...args: any[]): any {
    throw new TypeError(`${classnameOf(this)} has no forward() method`);
  }

  // ---- registration ----

  /** Registers `param` (made a parameter if it is not one yet) under `name`; null reserves the name. @example this.register_parameter('bias', null) */
  register_parameter(name: string, param: Tensor | null): void {
    this.reserve('parameters', name);
    if (param !== null && !PARAMETERS.has(checkTensor(param, 'param'))) nn_parameter(param);
    (this as unknown as Record<string, unknown>)[name] = param;
  }

  /** Registers `tensor` as a buffer under `name`. @example this.register_buffer('running_mean', torch_zeros(n)) */
  register_buffer(name: string, tensor: Tensor | null, persistent = true): void {
    checkBoolean(persistent, 'persistent');
    if (tensor !== null) checkTensor(tensor, 'tensor');
    this.reserve('buffers', name);
    if (!persistent) this[REGISTRY].nonPersistent.add(name);
    if (tensor !== null) nn_buffer(tensor, persistent);
    (this as unknown as Record<string, unknown>)[name] = tensor;
  }

  /** Registers `module` under `name`. @example this.register_module('fc', nn_linear(2, 3)) */
  register_module(name: string, module: nn_Module | null): void {
    if (module !== null && !(module instanceof nn_Module)) fail('an nn_module or null', 'module', module);
    this.reserve('modules', name);
    (this as unknown as Record<string, unknown>)[name] = module;
  }

  // Makes `name` a registered name of `kind`, so that assigning null to it keeps it.
  private reserve(kind: 'parameters' | 'buffers' | 'modules', name: string): void {
    checkName(name, this as unknown as Target);
    enroll(this[REGISTRY], kind, name);
  }

  /** PyTorch's name for `register_module`. @example seq.add_module('2', nn_relu()) */
  add_module(name: string, module: nn_Module | null): void {
    this.register_module(name, module);
  }

  // ---- hooks and copies ----

  /**
   * Registers `hook(module, args)` to run before every call `model(...)`; returning an
   * array replaces the arguments, any other value (but undefined) becomes the one argument
   * (PyTorch's forward pre-hook). Calling `forward` directly runs no hooks, as in PyTorch.
   *
   * @example
   * const handle = model.register_forward_pre_hook((m, [x]) => [x.mul(2)]);
   * handle.remove();
   */
  register_forward_pre_hook(hook: ForwardPreHook<this>): RemovableHandle {
    return addHook(hooksOf(this).pre, hook);
  }

  /**
   * Registers `hook(module, args, output)` to run after every call `model(...)`; returning a
   * value (not undefined) replaces the output (PyTorch's forward hook).
   *
   * @example
   * const features: Tensor[] = [];
   * const handle = model.fc1.register_forward_hook((m, args, output) => { features.push(output.detach()); });
   * model(x); handle.remove();
   */
  register_forward_hook(hook: ForwardHook<this>): RemovableHandle {
    return addHook(hooksOf(this).forward, hook);
  }

  /**
   * A copy of this module, R torch's `module$clone()`. Deep (the default): new parameters
   * and buffers with the same values (and requires_grad), submodules copied, independent of
   * the original; weights shared within the module stay shared in the copy. Shallow: a new
   * module object holding the same parameters, buffers and submodules. Hooks are copied.
   *
   * @example
   * const target = policy.clone();          // e.g. a target network, trained apart
   * const view = policy.clone(false);       // shares policy's parameters
   */
  clone(deep = true): this {
    return copyModule(this, checkBoolean(deep, 'deep'), new Map()) as this;
  }

  // ---- walking the tree ----

  private own<T>(names: Set<string>): Named<T> {
    const result: Named<T> = [];
    for (const name of names) {
      const value = (this as unknown as Record<string, unknown>)[name];
      if (value !== null && value !== undefined) result.push([name, value as T]);
    }
    return result;
  }

  /** Every module below and including this one, each once, depth first (PyTorch's order). */
  private walk(prefix = '', seen = new Set<nn_Module>(), into: Named<nn_Module> = []): Named<nn_Module> {
    if (seen.has(this)) return into;
    seen.add(this);
    into.push([prefix, this]);
    for (const [name, child] of this.own<nn_Module>(this[REGISTRY].modules)) child.walk(prefix === '' ? name : `${prefix}.${name}`, seen, into);
    return into;
  }

  private members(kind: 'parameters' | 'buffers', recurse: boolean): Named<Tensor> {
    const seen = new Set<Tensor>();
    const result: Named<Tensor> = [];
    const modules: Named<nn_Module> = recurse ? this.walk() : [['', this]];
    for (const [prefix, module] of modules) {
      for (const [name, tensor] of module.own<Tensor>(module[REGISTRY][kind])) {
        if (seen.has(tensor)) continue;
        seen.add(tensor);
        result.push([prefix === '' ? name : `${prefix}.${name}`, tensor]);
      }
    }
    return result;
  }

  /**
   * Every parameter of this module and the modules inside it, each once, in registration
   * order (R's `model$parameters`).
   *
   * @example
   * const opt = optim_adam(model.parameters);
   * for (const p of model.linear.parameters) p.requires_grad_(false);
   */
  get parameters(): Tensor[] {
    return this.members('parameters', true).map(([, tensor]) => tensor);
  }

  /** Parameters by dotted name (`"fc1.weight"`). @example Object.keys(model.named_parameters()) */
  named_parameters(recurse = true): Record<string, Tensor> {
    return Object.fromEntries(this.members('parameters', checkBoolean(recurse, 'recurse')));
  }

  /** Every buffer of this module and the modules inside it. @example model.buffers.length */
  get buffers(): Tensor[] {
    return this.members('buffers', true).map(([, tensor]) => tensor);
  }

  /** Buffers by dotted name. @example model.named_buffers()['bn.running_mean'] */
  named_buffers(recurse = true): Record<string, Tensor> {
    return Object.fromEntries(this.members('buffers', checkBoolean(recurse, 'recurse')));
  }

  /** The modules registered directly on this one. @example seq.children.length */
  get children(): nn_Module[] {
    return this.own<nn_Module>(this[REGISTRY].modules).map(([, module]) => module);
  }

  /** The direct submodules by name. @example Object.keys(model.named_children()) */
  named_children(): Record<string, nn_Module> {
    return Object.fromEntries(this.own<nn_Module>(this[REGISTRY].modules));
  }

  /** This module and every module inside it, each once, depth first. @example model.modules.length */
  get modules(): nn_Module[] {
    return this.walk().map(([, module]) => module);
  }

  /** Every module by dotted name; this one is `""`. @example Object.keys(model.named_modules()) */
  named_modules(): Record<string, nn_Module> {
    return Object.fromEntries(this.walk());
  }

  /** Calls `fn` on every submodule, then on this one; returns this module. @example model.apply((m) => m.eval()) */
  apply(fn: (module: nn_Module) => void): this {
    checkFunction(fn, 'fn');
    for (const child of this.children) child.apply(fn);
    fn(this);
    return this;
  }

  // ---- modes and devices ----

  /** Sets training mode on this module and every module inside it; returns this. @example model.train() */
  train(mode = true): this {
    checkBoolean(mode, 'mode');
    this.training = mode;
    for (const child of this.children) child.train(mode);
    return this;
  }

  /** Evaluation mode (`train(false)`): dropout off. @example model.eval() */
  eval(): this {
    return this.train(false);
  }

  /**
   * Moves parameters and buffers to a device and/or casts the floating-point ones to a
   * dtype (integer buffers keep theirs, as in PyTorch); returns this module. Parameters are
   * replaced by new ones (as R torch does), so make the optimizer after moving the model.
   *
   * @example
   * model.to('cuda'); model.to('float64'); model.to({ device: 'cpu', dtype: 'float32' });
   */
  to(target: string | ModuleToOptions): this {
    if (typeof target !== 'string' && (typeof target !== 'object' || target === null || Array.isArray(target))) fail('a device, a dtype or { device, dtype }', 'target', target);
    const options: ModuleToOptions = typeof target === 'string'
      ? (/^(cpu|cuda|mps|meta)/.test(target) ? { device: target } : { dtype: target as DTypeLike })
      : checkOptions(target, TO_KEYS, 'to', 'target');
    const device = options.device === undefined ? undefined : checkDevice(options.device);
    const dtype: DType | undefined = options.dtype === undefined ? undefined : dtypeName(dtypeCode(options.dtype));
    const moved = new Map<Tensor, Tensor>();
    const convert = (tensor: Tensor): Tensor => {
      const castTo = dtype !== undefined && isFloatingDtype(tensor.dtype) && tensor.dtype !== dtype ? dtype : undefined;
      const moveTo = device !== undefined && tensor.device !== normalizeDevice(device) ? device : undefined;
      if (castTo === undefined && moveTo === undefined) return tensor;
      let result = moved.get(tensor);
      if (result === undefined) {
        result = with_no_grad(() => tensor.to({ device: moveTo, dtype: castTo }));
        if (PARAMETERS.has(tensor)) {
          const grad = tensor.grad;
          nn_parameter(result, tensor.requires_grad);
          if (grad !== undefined) result.grad = with_no_grad(() => grad.to({ device: moveTo, dtype: castTo }));
        } else {
          nn_buffer(result, BUFFERS.get(tensor) ?? true);
        }
        moved.set(tensor, result);
      }
      return result;
    };
    for (const [, module] of this.walk()) {
      const values = module as unknown as Record<string, unknown>;
      for (const [name, tensor] of module.own<Tensor>(module[REGISTRY].parameters)) values[name] = convert(tensor);
      for (const [name, tensor] of module.own<Tensor>(module[REGISTRY].buffers)) values[name] = convert(tensor);
    }
    return this;
  }

  /** `to('cpu')`. @example model.cpu() */
  cpu(): this { return this.to({ device: 'cpu' }); }
  /** `to('cuda:index')`. @example model.cuda() */
  cuda(index = 0): this { return this.to({ device: `cuda:${index}` }); }

  // ---- gradients and state ----

  /**
   * Clears the gradient of every parameter: drops it (PyTorch's default since 2.0,
   * `set_to_none = true`) or zeroes it in place.
   *
   * @example model.zero_grad()
   */
  zero_grad(set_to_none = true): void {
    checkBoolean(set_to_none, 'set_to_none');
    for (const param of this.parameters) {
      if (set_to_none) {
        param.grad = null;
      } else {
        const grad = param.grad;
        if (grad !== undefined) with_no_grad(() => grad.zero_());
      }
    }
  }

  /**
   * Parameters and persistent buffers by dotted name, detached (they share memory with the
   * module, so copy them to keep a snapshot).
   *
   * @example
   * const saved = model.state_dict();
   * other.load_state_dict(saved);
   */
  state_dict(): Record<string, Tensor> {
    const result: Record<string, Tensor> = {};
    for (const [name, tensor] of this.stateEntries()) result[name] = tensor.detach();
    return result;
  }

  private stateEntries(): Named<Tensor> {
    const entries: Named<Tensor> = [];
    const visit = (module: nn_Module, prefix: string): void => {
      const registry = module[REGISTRY];
      for (const [name, tensor] of module.own<Tensor>(registry.parameters)) entries.push([prefix + name, tensor]);
      for (const [name, tensor] of module.own<Tensor>(registry.buffers)) {
        if (!registry.nonPersistent.has(name)) entries.push([prefix + name, tensor]);
      }
      for (const [name, child] of module.own<nn_Module>(registry.modules)) visit(child, `${prefix}${name}.`);
    };
    visit(this, '');
    return entries;
  }

  /**
   * Copies values from `state_dict` into this module's parameters and buffers. Every key,
   * shape and value is checked before anything is copied, so a mismatch (a RangeError
   * listing all of them) changes nothing. With `strict: false`, missing and unexpected keys
   * are reported instead; shapes must still match.
   *
   * @example
   * model.load_state_dict(saved);
   * const { missing_keys } = lora.load_state_dict(base.state_dict(), { strict: false });
   */
  load_state_dict(state_dict: Record<string, Tensor> | Map<string, Tensor>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const { strict: strictOption = true, assign: assignOption = false } = checkOptions(options, LOAD_STATE_DICT_KEYS, 'load_state_dict');
    const assign = checkBoolean(assignOption, 'assign');
    const given = state_dict instanceof Map ? new Map(state_dict) : (typeof state_dict === 'object' && state_dict !== null && !Array.isArray(state_dict))
      ? new Map(Object.entries(state_dict)) : fail('a state_dict (an object or Map of Tensors)', 'state_dict', state_dict);
    const strict = checkBoolean(strictOption, 'strict');
    for (const [key, value] of given) if (!(value instanceof Tensor)) fail('a Tensor', `state_dict["${key}"]`, value);
    const own = this.stateEntries();
    const expected = new Map(own);
    const missing = own.map(([key]) => key).filter((key) => !given.has(key));
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
      throw new RangeError(`Expected a state_dict matching this ${classnameOf(this)} for state_dict but received one with ${problems.join('; ')}; nothing was loaded`);
    }
    with_no_grad(() => {
      for (const [key, tensor] of own) {
        const source = given.get(key);
        if (source === undefined) continue;
        if (assign) this.replaceState(key, tensor, source);
        else tensor.copy_(source);
      }
    });
    return { missing_keys: missing, unexpected_keys: unexpected };
  }

  // load_state_dict's assign: the entry `key` becomes an alias of `source` (same storage).
  private replaceState(key: string, current: Tensor, source: Tensor): void {
    const path = key.split('.');
    const leaf = path.pop()!;
    let owner: nn_Module = this;
    for (const name of path) owner = (owner as unknown as Record<string, nn_Module>)[name]!;
    const alias = source.detach();
    (owner as unknown as Record<string, Tensor>)[leaf] = PARAMETERS.has(current)
      ? nn_parameter(alias, current.requires_grad)
      : nn_buffer(alias, true);
  }

  // ---- printing ----

  /**
   * What R torch prints: the parameter count, then the submodules, parameters and buffers.
   *
   * @example
   * console.log(String(nn_linear(2, 3)));
   * // An `nn_module` containing 9 parameters.
   * // ...
   */
  toString(): string {
    const count = (module: nn_Module): number => module.parameters.reduce((total, p) => total + p.numel(), 0);
    const lines = [`An \`nn_module\` containing ${count(this).toLocaleString('en-US')} parameters.`];
    const section = (title: string, items: string[]): void => {
      if (items.length === 0) return;
      lines.push('', `── ${title} ${'─'.repeat(Math.max(3, 60 - title.length))}`, ...items);
    };
    const registry = this[REGISTRY];
    section('Modules', this.own<nn_Module>(registry.modules).map(([name, module]) =>
      `• ${name}: <${classnameOf(module)}> #${count(module).toLocaleString('en-US')} parameters`));
    section('Parameters', this.own<Tensor>(registry.parameters).map(([name, tensor]) => `• ${name}: ${describeTensor(tensor)}`));
    section('Buffers', this.own<Tensor>(registry.buffers).map(([name, tensor]) => `• ${name}: ${describeTensor(tensor)}`));
    return lines.join('\n');
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

function normalizeDevice(device: string): string {
  return device === 'cuda' ? 'cuda:0' : device;
}

const R_TYPE_NAMES: Partial<Record<DType, string>> = {
  float32: 'Float', float64: 'Double', float16: 'Half', bfloat16: 'BFloat16', int64: 'Long', int32: 'Int',
  int16: 'Short', int8: 'Char', uint8: 'Byte', bool: 'Bool',
};

// R torch's short form: `Float [1:1001, 1:1]`.
function describeTensor(tensor: Tensor): string {
  if (tensor.is_disposed) return '[ disposed ]';
  return `${R_TYPE_NAMES[tensor.dtype] ?? tensor.dtype} [${tensor.shape.map((size) => `1:${size}`).join(', ')}]`;
}

// ---- nn_module(): R's generator ----

/** What `this` is inside an `nn_module()` definition, and what its generator makes. */
export type nn_module_instance<F extends (...args: any[]) => any = (...args: any[]) => any> =
  nn_Module & { forward: F } & { [field: string]: any };

/** An R-style module definition: `initialize` sets the module up, `forward` computes, other members become methods. */
export type nn_module_definition<A extends any[], F extends (...args: any[]) => any> = {
  initialize?: (...args: A) => void;
  forward?: F;
  [method: string]: unknown;
} & ThisType<nn_module_instance<F>>;

/** Makes a module with the arguments of its `initialize` (or its constructor); `instanceof` works on it. */
export type nn_module_generator<A extends any[], M> = ((...args: A) => M) & { readonly prototype: M; readonly classname: string };

/**
 * R torch's `nn_module()`: returns a generator; each call makes a module, runs `initialize`
 * with `this` bound to it, and the module is callable (`model(x)` runs `forward`). Inside
 * `initialize`, assigning an `nn_parameter()`, an `nn_buffer()` or a module to `this`
 * registers it. Other members of the definition become methods. A class that extends
 * `nn_Module` may be passed instead, for full types.
 *
 * @example
 * const lora_nn_linear = nn_module({
 *   initialize(linear, r = 16, alpha = 1) {
 *     this.linear = linear;
 *     for (const p of this.linear.parameters) p.requires_grad_(false);
 *     this.A = nn_parameter(torch_randn(linear.in_features, r));
 *     this.B = nn_parameter(torch_zeros(r, linear.out_features));
 *     this.scaling = alpha / r;
 *   },
 *   forward(x) {
 *     return this.linear(x).add(torch_matmul(x, torch_matmul(this.A, this.B).mul(this.scaling)));
 *   },
 * });
 * const lora = lora_nn_linear(model, 1);
 * const y = lora(X);
 */
export function nn_module<A extends any[], F extends (...args: any[]) => any>(definition: nn_module_definition<A, F>): nn_module_generator<A, nn_module_instance<F>>;
export function nn_module<A extends any[], F extends (...args: any[]) => any>(classname: string, definition: nn_module_definition<A, F>): nn_module_generator<A, nn_module_instance<F>>;
export function nn_module<C extends new (...args: any[]) => nn_Module>(module: C, classname?: string): nn_module_generator<ConstructorParameters<C>, InstanceType<C>>;
export function nn_module(first: unknown, second?: unknown): nn_module_generator<any[], nn_Module> {
  if (typeof first === 'function') {
    if (!(first.prototype instanceof nn_Module)) fail('a class that extends nn_Module, or a definition object', 'module', first);
    const Class = first as new (...args: any[]) => nn_Module;
    if (second === undefined) return generatorFor(Class, Class.name || 'nn_module', (...args) => new Class(...args));
    // A named subclass, so that the class itself keeps its own name.
    const Named = class extends Class {};
    Object.defineProperty(Named.prototype, CLASSNAME, { value: checkClassname(second) });
    return generatorFor(Named, second as string, (...args) => new Named(...args));
  }
  const [classname, definition] = typeof first === 'string' ? [checkClassname(first), second] : ['nn_module', first];
  if (typeof definition !== 'object' || definition === null || Array.isArray(definition)) fail('a definition object', 'definition', definition);
  const { initialize } = definition as { initialize?: unknown };
  if (initialize !== undefined) checkFunction(initialize, 'initialize');
  const Generated = class extends nn_Module {};
  const members = Object.getOwnPropertyDescriptors(definition);
  delete members.initialize;
  for (const descriptor of Object.values(members)) descriptor.enumerable = false;
  Object.defineProperties(Generated.prototype, members);
  Object.defineProperty(Generated.prototype, CLASSNAME, { value: classname });
  return generatorFor(Generated, classname, (...args) => {
    const module = new Generated();
    (initialize as ((...args: unknown[]) => void) | undefined)?.apply(module, args);
    return module;
  });
}

function checkClassname(value: unknown): string {
  if (typeof value !== 'string' || value === '') fail('a non-empty class name', 'classname', value);
  return value;
}

function generatorFor(Class: abstract new (...args: any[]) => nn_Module, classname: string, make: (...args: any[]) => nn_Module): nn_module_generator<any[], nn_Module> {
  const generator = function (...args: any[]): nn_Module { return make(...args); };
  Object.defineProperty(generator, 'name', { value: classname });
  Object.defineProperty(generator, 'prototype', { value: Class.prototype });
  Object.defineProperty(generator, 'classname', { value: classname });
  return generator as unknown as nn_module_generator<any[], nn_Module>;
}
