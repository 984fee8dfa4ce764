// Scopes: every tensor created inside `torch_scope(fn)` is disposed when fn ends, except
// what fn returns and what was kept. Works across `await` (AsyncLocalStorage), and costs
// one integer comparison per new tensor when no scope is open.
import { AsyncLocalStorage } from 'node:async_hooks';
import { checkFunction } from './validate.js';

/** Marks objects the scope machinery treats as tensors (set on Tensor.prototype). */
export const TENSOR_BRAND: unique symbol = Symbol('torchlora.tensor');

interface ScopedTensor {
  readonly [TENSOR_BRAND]: true;
  dispose(): void;
}

interface Scope {
  tensors: ScopedTensor[];
  parent: Scope | undefined;
}

const storage = new AsyncLocalStorage<Scope>();
const kept = new WeakSet<object>();
let openScopes = 0;

/** Called by every tensor constructor. */
export function track(tensor: ScopedTensor): void {
  if (openScopes === 0) return;
  storage.getStore()?.tensors.push(tensor);
}

function isTensor(value: unknown): value is ScopedTensor {
  return typeof value === 'object' && value !== null && (value as Partial<ScopedTensor>)[TENSOR_BRAND] === true;
}

// Collects the tensors reachable from a returned value: a tensor, or arrays, Maps, Sets
// and plain objects holding them, to any depth.
function collect(value: unknown, into: Set<object>, seen = new Set<unknown>()): void {
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  seen.add(value);
  if (isTensor(value)) {
    into.add(value);
    return;
  }
  if (Array.isArray(value) || value instanceof Set) {
    for (const item of value) collect(item, into, seen);
  } else if (value instanceof Map) {
    for (const item of value.values()) collect(item, into, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const item of Object.values(value)) collect(item, into, seen);
  }
}

function close(scope: Scope, result: unknown): void {
  openScopes -= 1;
  const survivors = new Set<object>();
  collect(result, survivors);
  for (const tensor of scope.tensors) {
    if (survivors.has(tensor) || kept.has(tensor)) {
      scope.parent?.tensors.push(tensor); // a nested scope's result belongs to the outer one
    } else {
      tensor.dispose();
    }
  }
  scope.tensors.length = 0;
}

/** @internal Runs `fn` outside every open scope: what it makes belongs to no caller's scope. */
export function outside_scopes<T>(fn: () => T): T {
  return storage.exit(fn);
}

/**
 * Runs `fn` and disposes every tensor created inside it, except those it returns (also
 * inside arrays, Maps, Sets and plain objects) and those passed to `torch_keep`. If `fn`
 * returns a Promise, disposal waits for it.
 *
 * @example
 * const loss = torch_scope(() => nnf_mse_loss(model.forward(x), y).detach());
 */
export function torch_scope<T>(fn: () => T): T {
  checkFunction(fn, 'fn');
  const scope: Scope = { tensors: [], parent: storage.getStore() };
  openScopes += 1;
  let result: T;
  try {
    result = storage.run(scope, fn);
  } catch (error) {
    close(scope, undefined);
    throw error;
  }
  if (result instanceof Promise) {
    return result.then(
      (value) => { close(scope, value); return value; },
      (error: unknown) => { close(scope, undefined); throw error; },
    ) as T;
  }
  close(scope, result);
  return result;
}

/**
 * Keeps `tensor` alive past the scopes it was created in; returns it.
 *
 * @example
 * torch_scope(() => { best = torch_keep(weights.clone()); });
 */
export function torch_keep<T extends object>(tensor: T): T {
  if (!isTensor(tensor)) throw new TypeError('Expected a Tensor for tensor but received another value');
  kept.add(tensor);
  return tensor;
}
