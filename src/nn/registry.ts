// How a module registers what is assigned to it, as R torch does: an instance is a Proxy
// around a function: the function makes `model(x)` call `forward` (with its forward hooks
// around it, as PyTorch's __call__), the traps see `this.name = value` (and class field
// definitions) and keep the registries. Values live as ordinary own properties, so reading
// `this.linear` in `forward` costs no trap. Parameters and buffers are tensors marked by
// `nn_parameter()` and `nn_buffer()`.
import { torch_keep } from '../core/scope.js';
import { Tensor, checkTensor } from '../ops/tensor.js';
import { checkBoolean, fail } from '../core/validate.js';
import { HOOKS, callWithHooks, type Hooks } from './hooks.js';
import type { nn_Module } from './module.js';
import type { BUFFER_BRAND, PARAMETER_BRAND } from './state_keys.js';

/** Tensors made parameters by `nn_parameter()`. */
export const PARAMETERS = new WeakSet<Tensor>();
/** Buffers, with whether they are persistent (saved by state_dict). */
export const BUFFERS = new WeakMap<Tensor, boolean>();

export const REGISTRY: unique symbol = Symbol('torchlora.module.registry');
export const SELF: unique symbol = Symbol('torchlora.module.self');
export const CLASSNAME: unique symbol = Symbol('torchlora.module.classname');
// Set on nn_Module.prototype (module.ts), so that this file and clone.ts know a module without
// importing the class, which imports them.
export const MODULE_BRAND: unique symbol = Symbol('torchlora.module');

/** What a module has registered, by kind, in registration order. */
export interface Registry {
  parameters: Set<string>;
  buffers: Set<string>;
  nonPersistent: Set<string>;
  modules: Set<string>;
}

/** The function behind a module's Proxy: its values, registry, the Proxy itself and its hooks. */
export type Target = Record<string | symbol, unknown> & { [REGISTRY]: Registry; [SELF]: nn_Module; [HOOKS]?: Hooks };

/** A name and what is registered under it. */
export type Named<T> = [string, T][];

/** Whether `value` is a module (an instance of nn_Module). */
export function isModule(value: unknown): value is nn_Module {
  return (typeof value === 'function' || typeof value === 'object') && value !== null && (value as { [MODULE_BRAND]?: true })[MODULE_BRAND] === true;
}

/** What `module` has registered, by kind. */
export function registryOf(module: nn_Module): Registry {
  return (module as unknown as Target)[REGISTRY];
}

/** The values registered on `module` under `names`, skipping those that are null. */
export function registered<T>(module: nn_Module, names: Set<string>): Named<T> {
  const result: Named<T> = [];
  for (const name of names) {
    const value = (module as unknown as Record<string, unknown>)[name];
    if (value !== null && value !== undefined) result.push([name, value as T]);
  }
  return result;
}

/**
 * A tensor made a parameter by `nn_parameter()`: a Tensor, whose type tells a module's
 * `state_dict()` type that a field holding it is one of its keys.
 */
export type nn_parameter = Tensor & { readonly [PARAMETER_BRAND]?: true };

/** A tensor made a buffer by `nn_buffer()`, with whether it is persistent (saved by `state_dict()`), for the same use. */
export type nn_buffer<Persistent extends boolean = boolean> = Tensor & { readonly [BUFFER_BRAND]?: Persistent };

/**
 * Marks `x` as a parameter: a module registers it when it is assigned to `this`, and it
 * requires gradients unless `requires_grad` is false. A tensor that has a `grad_fn` is
 * detached first (a parameter is a leaf). Parameters are kept alive past `torch_scope`.
 *
 * @example
 * this.A = nn_parameter(torch_randn(linear.in_features, r));
 */
export function nn_parameter(x: Tensor, requires_grad = true): nn_parameter {
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
export function nn_buffer<Persistent extends boolean = true>(x: Tensor, persistent: Persistent = true as Persistent): nn_buffer<Persistent> {
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

// A name a module can register: no "." (dotted names are paths) and no method's or property's name.
export function checkName(name: unknown, target: Target): string {
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
export function enroll(registry: Registry, kind: 'parameters' | 'buffers' | 'modules', name: string): void {
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
    if (value.some(isModule)) {
      fail('nn_module_list(...) for a list of modules (modules in a plain array are not registered: no parameters, no to(), no state_dict)', name, value);
    }
  } else if (typeof value === 'object' && value !== null && !(value instanceof Tensor)) {
    const proto = Object.getPrototypeOf(value);
    if ((proto === Object.prototype || proto === null) && Object.values(value).some(isModule)) {
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
  if (isModule(value)) {
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
export function createModule(prototype: object, registry: Registry): [Target, nn_Module] {
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

// The name R torch prints for a module: its nn_module() class name, else its class's name.
export function classnameOf(module: object): string {
  for (let proto = Object.getPrototypeOf(module); proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    if (Object.prototype.hasOwnProperty.call(proto, CLASSNAME)) return proto[CLASSNAME] as string;
    const name = (proto as { constructor?: { name?: string } }).constructor?.name;
    if (Object.prototype.hasOwnProperty.call(proto, 'constructor') && name) return name;
  }
  return 'nn_module';
}
