// Copying a module, for nn_Module's clone().
import { torch_keep } from '../core/scope.js';
import { Tensor } from '../ops/tensor.js';
import { HOOKS } from './hooks.js';
import type { nn_Module } from './module.js';
import { BUFFERS, PARAMETERS, REGISTRY, SELF, createModule, isModule, nn_buffer, nn_parameter, type Target } from './registry.js';

// A copy of `module` (R torch's module$clone()): the same class, registrations, plain values
// and hooks. Deep: parameters, buffers and other tensors are new tensors with the same values
// (parameters keep requires_grad, not grad, as PyTorch's deepcopy), submodules are copied, and
// arrays and plain objects are copied through; a tensor or module reachable twice is copied
// once (`memo`), so shared weights stay shared. Shallow: values are shared.
export function copyModule(module: nn_Module, deep: boolean, memo: Map<object, unknown>): nn_Module {
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
  if (isModule(value)) {
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
