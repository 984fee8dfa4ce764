// Forward hooks as PyTorch has them: functions run around every call `model(...)`, before
// forward (they may replace the arguments) and after it (they may replace the output).
import { checkFunction } from '../core/validate.js';
import type { nn_Module } from './module.js';
import type { Target } from './registry.js';

/** Where a module keeps its hooks (made on first registration). */
export const HOOKS: unique symbol = Symbol('torchlora.module.hooks');

/**
 * A forward pre-hook: called with the module and its arguments before `forward`; returning
 * an array replaces the arguments, any other value (but undefined) becomes the one argument.
 */
export type ForwardPreHook<M extends nn_Module = nn_Module> = (module: M, args: any[]) => unknown;
/** A forward hook: called with the module, its arguments and its output; returning a value (not undefined) replaces the output. */
export type ForwardHook<M extends nn_Module = nn_Module> = (module: M, args: any[], output: any) => unknown;

/** A module's hooks by id, in registration order (made on first registration). */
export interface Hooks {
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
export function callWithHooks(module: nn_Module, hooks: Hooks, given: unknown[]): unknown {
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

// A module's hooks, made on first registration.
export function hooksOf(module: nn_Module): Hooks {
  const target = module as unknown as Target;
  let hooks = target[HOOKS];
  if (hooks === undefined) {
    hooks = { pre: new Map(), forward: new Map() };
    Object.defineProperty(target, HOOKS, { value: hooks, writable: true });
  }
  return hooks;
}

// Registers `hook` in `hooks`; the handle removes it.
export function addHook(hooks: Map<number, unknown>, hook: unknown): RemovableHandle {
  checkFunction(hook, 'hook');
  const handle = new RemovableHandle(hooks);
  hooks.set(handle.id, hook);
  return handle;
}
