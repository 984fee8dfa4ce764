// R torch's nn_module(): a module generator made from a definition object (`initialize`,
// `forward`, other methods) or from a class that extends nn_Module.
import { checkFunction, fail } from '../core/validate.js';
import { nn_Module } from './module.js';
import { CLASSNAME } from './registry.js';

/** The fields `initialize` returns, or, when it returns nothing (R's style), any field. */
export type nn_module_fields<F> = [F] extends [void] ? { [field: string]: any } : F;

/** What a definition's generator makes (and what `this` is in its methods): a module with its fields and methods; callable as its `forward`. */
export type nn_module_instance<F = void, D = { forward(...args: any[]): any }> = nn_Module & nn_module_fields<F> & Omit<D, 'initialize'>;

/**
 * An R-style module definition: `initialize` sets the module up, `forward` computes, other
 * members become methods. `initialize` may return the module's fields (`return { fc: nn_linear(4, 2) }`),
 * which registers them as assigning them would and gives them their types in every method.
 */
export type nn_module_definition<A extends any[], F, D> = D & {
  initialize?: (this: nn_Module & Omit<D, 'initialize'> & { [field: string]: any }, ...args: A) => F;
} & ThisType<nn_module_instance<F, D>>;

/** Makes a module with the arguments of its `initialize` (or its constructor); `instanceof` works on it. */
export type nn_module_generator<A extends any[], M> = ((...args: A) => M) & { readonly prototype: M; readonly classname: string };

/**
 * R torch's `nn_module()`: returns a generator; each call makes a module, runs `initialize`
 * with `this` bound to it, and the module is callable (`model(x)` runs `forward`). Inside
 * `initialize`, assigning an `nn_parameter()`, an `nn_buffer()` or a module to `this`
 * registers it; so does returning an object of them, which also types them. Other members
 * of the definition become methods. In TypeScript, `model(x)` takes forward's parameters and
 * returns its result type: annotate the return type of methods that use `this` (TypeScript
 * cannot infer it while it infers `this`). A class that extends `nn_Module` may be passed
 * instead (the form the README teaches for TypeScript).
 *
 * @example
 * const lora_nn_linear = nn_module({
 *   initialize(linear: Linear, r = 16, alpha = 1) {
 *     for (const p of linear.parameters) p.requires_grad_(false);
 *     return {
 *       linear,
 *       A: nn_parameter(torch_randn(linear.in_features, r)),
 *       B: nn_parameter(torch_zeros(r, linear.out_features)),
 *       scaling: alpha / r,
 *     };
 *   },
 *   forward(x: Tensor): Tensor {
 *     return this.linear(x).add(torch_matmul(x, torch_matmul(this.A, this.B).mul(this.scaling)));
 *   },
 * });
 * const lora = lora_nn_linear(model, 1);
 * const y = lora(X); // a Tensor
 */
export function nn_module<A extends any[], F extends object | void = void, D extends { forward?(...args: any[]): any } = { forward?(...args: any[]): any }>(definition: nn_module_definition<A, F, D>): nn_module_generator<A, nn_module_instance<F, D>>;
export function nn_module<A extends any[], F extends object | void = void, D extends { forward?(...args: any[]): any } = { forward?(...args: any[]): any }>(classname: string, definition: nn_module_definition<A, F, D>): nn_module_generator<A, nn_module_instance<F, D>>;
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
    const fields = (initialize as ((...args: unknown[]) => unknown) | undefined)?.apply(module, args);
    if (fields !== undefined) {
      const prototype = typeof fields === 'object' && fields !== null ? Object.getPrototypeOf(fields) : undefined;
      if (prototype !== Object.prototype && prototype !== null) fail('nothing or a plain object of fields from initialize', 'initialize()', fields);
      Object.assign(module, fields);
    }
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
