// Grad mode and torch.autograd.grad.
import { native } from '../core/native.js';
import { torch_zeros_like } from './math.js';
import { checkTensor, newTensor, Tensor } from './tensor.js';
import { checkBoolean, checkFunction, checkOptions, fail, failRange, isPlainObject, optionKeys, sameShape } from '../core/validate.js';

/** What a grad-mode function may return: anything but a Promise (a compile error). */
export type Synchronous<T> = T extends PromiseLike<unknown> ? never : T;

const WHY_SYNC = 'grad mode is per thread and does not follow an await: do the awaiting outside and the tensor work inside';

function withGradMode<T>(enabled: boolean, fn: () => T, caller: string): T {
  checkFunction(fn, 'fn');
  if (/^Async(Generator)?Function$/.test(fn.constructor?.name ?? '')) throw new TypeError(`Expected a synchronous function for ${caller}'s fn but received an async function: ${WHY_SYNC}`);
  const previous = native.setGradEnabled(enabled);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    native.setGradEnabled(previous);
    throw error;
  }
  native.setGradEnabled(previous);
  if (typeof (result as Partial<PromiseLike<unknown>> | null)?.then === 'function') {
    Promise.resolve(result).catch(() => undefined); // its failure is reported by the TypeError below
    throw new TypeError(`Expected a synchronous function for ${caller}'s fn but received one that returned a Promise: ${WHY_SYNC}`);
  }
  return result;
}

/**
 * Runs `fn` without recording operations for autograd, then restores the previous mode,
 * also when `fn` throws. `fn` must be synchronous (an async function, or one that returns a
 * Promise, is a compile error and a TypeError): grad mode is per thread, and an `await`
 * would leak it into unrelated code.
 *
 * @example
 * with_no_grad(() => model.weight.add_(delta));
 */
export function with_no_grad<T>(fn: () => Synchronous<T>): T { return withGradMode(false, fn as () => T, 'with_no_grad'); }

/** Runs `fn` with gradient recording on (inside a `with_no_grad`, say). */
export function with_enable_grad<T>(fn: () => Synchronous<T>): T { return withGradMode(true, fn as () => T, 'with_enable_grad'); }

/** Whether operations are being recorded for autograd now. */
export function torch_is_grad_enabled(): boolean { return native.isGradEnabled(); }

export interface AutogradGradOptions {
  grad_outputs?: Tensor[];
  retain_graph?: boolean;
  create_graph?: boolean;
  allow_unused?: boolean;
}

const AUTOGRAD_GRAD_KEYS = optionKeys<AutogradGradOptions>({ grad_outputs: true, retain_graph: true, create_graph: true, allow_unused: true });

function tensorList(value: unknown, name: string): Tensor[] {
  const list: unknown[] = Array.isArray(value) ? Array.from(value) : [value];
  if (list.length === 0) fail('a Tensor or a non-empty array of Tensors', name, value);
  return list.map((item, i) => checkTensor(item, `${name}[${i}]`));
}

/**
 * Gradients of `outputs` with respect to `inputs`, returned rather than accumulated into
 * `.grad` (`torch.autograd.grad`). An input that `outputs` do not depend on gives
 * `undefined` when `allow_unused` is true, and a TorchError otherwise.
 *
 * @example
 * const [dx] = autograd_grad(y.sum(), [x]);
 */
export function autograd_grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], given?: AutogradGradOptions): (Tensor | undefined)[] {
  const options = checkOptions(given, AUTOGRAD_GRAD_KEYS, 'autograd_grad');
  const outputList = tensorList(outputs, 'outputs');
  const inputList = tensorList(inputs, 'inputs');
  const gradOutputs = options.grad_outputs === undefined ? null : tensorList(options.grad_outputs, 'grad_outputs');
  const outs = inputList.map(() => newTensor());
  const defined = native.autogradGrad(outs, outputList, inputList, gradOutputs,
    options.retain_graph === undefined ? null : checkBoolean(options.retain_graph, 'retain_graph'),
    options.create_graph === undefined ? false : checkBoolean(options.create_graph, 'create_graph'),
    options.allow_unused === undefined ? false : checkBoolean(options.allow_unused, 'allow_unused'));
  return outs.map((out, i) => (defined[i] ? out : undefined));
}

// ---- autograd written in TypeScript ----

/** What `save_for_backward` kept: an array (saved positionally) or an object (saved by name, R's named list). */
export type SavedVariables = any[] & { [name: string]: any };

/** What `forward` and `backward` of an `autograd_function` share, as R torch's `ctx`. */
export interface AutogradContext {
  /**
   * Keeps values for backward (R's `ctx$save_for_backward(...)`): tensors or constants,
   * positionally (`save_for_backward(x, 2)`) or by name in one object (`save_for_backward({ x, k: 2 })`).
   */
  save_for_backward(...values: unknown[]): void;
  /** What `save_for_backward` kept: `ctx.saved_variables[0]`, or by name, `ctx.saved_variables.x`. */
  readonly saved_variables: SavedVariables;
  /** Marks inputs that forward modified in place (and returns): their history becomes this function's. */
  mark_dirty(...tensors: Tensor[]): void;
  /** Marks outputs that have no gradient (indices, masks): they do not require grad, and backward gets zeros for them. */
  mark_non_differentiable(...tensors: Tensor[]): void;
  /** For each forward argument, whether it is a tensor that needs a gradient. */
  readonly needs_input_grad: boolean[];
  /** Anything else forward wants backward to know (`ctx.scale = 2`). */
  [key: string]: unknown;
}

export interface AutogradFunctionDefinition<A extends unknown[], R extends Tensor | Tensor[]> {
  /** Computes the outputs (gradient recording is off inside). */
  forward(ctx: AutogradContext, ...args: A): R;
  /** Gradients of the loss for each forward argument (null for those without), given the output gradients. */
  backward(ctx: AutogradContext, ...grad_outputs: Tensor[]): Tensor | (Tensor | null | undefined)[];
}

interface Marks { dirty: Tensor[]; nonDifferentiable: Tensor[] }

function makeContext(args: unknown[], marks: Marks): AutogradContext {
  let saved: unknown[] | Record<string, unknown> | null = null;
  const tensors = (given: unknown[], where: string): Tensor[] => given.map((tensor, i) => checkTensor(tensor, `${where} argument ${i}`));
  return {
    save_for_backward(...values: unknown[]): void {
      const named = values.length === 1 && isPlainObject(values[0]);
      if (saved !== null && named !== !Array.isArray(saved)) throw new TypeError('Expected save_for_backward to save by name or by position every time, but received both');
      if (named) saved = { ...(saved as Record<string, unknown> | null), ...values[0] as Record<string, unknown> };
      else saved = [...(saved as unknown[] | null) ?? [], ...values];
    },
    get saved_variables(): SavedVariables {
      return (saved === null ? [] : Array.isArray(saved) ? [...saved] : { ...saved }) as SavedVariables;
    },
    mark_dirty(...given: Tensor[]): void {
      for (const [i, tensor] of tensors(given, 'mark_dirty').entries()) {
        if (!args.includes(tensor)) throw new RangeError(`Expected an input of forward for mark_dirty argument ${i} but received another tensor`);
        marks.dirty.push(tensor);
      }
    },
    mark_non_differentiable(...given: Tensor[]): void {
      marks.nonDifferentiable.push(...tensors(given, 'mark_non_differentiable'));
    },
    needs_input_grad: args.map((arg) => arg instanceof Tensor && arg.requires_grad),
  };
}

// The gradients backward returned, one per forward argument, checked; then one per tensor argument for libtorch.
function checkedGradients(returned: unknown, args: unknown[], tensorArgs: number[]): (Tensor | null)[] {
  const list = Array.isArray(returned) ? returned : [returned];
  if (list.length !== args.length) {
    throw new RangeError(`Expected backward to return ${args.length} gradient(s), one per forward argument (null for none), but received ${list.length}`);
  }
  return tensorArgs.map((index) => {
    const grad = list[index];
    if (grad === null || grad === undefined) return null;
    checkTensor(grad, `backward's gradient ${index}`);
    const input = args[index] as Tensor;
    if (!sameShape(grad.shape, input.shape)) {
      throw new RangeError(`Expected backward's gradient ${index} to have its input's shape [${input.shape.join(', ')}] but received shape [${grad.shape.join(', ')}]`);
    }
    return grad;
  });
}

/**
 * A differentiable function with a backward written by hand, as R torch's `autograd_function`
 * and PyTorch's `torch.autograd.Function`. Runs on the CPU (CUDA's autograd engine would call
 * backward from its own threads).
 *
 * @example
 * const exp = autograd_function({
 *   forward(ctx, x: Tensor) { const y = x.exp(); ctx.save_for_backward(y); return y; },
 *   backward(ctx, grad) { const [y] = ctx.saved_variables; return [grad.mul(y!)]; },
 * });
 * exp(x).sum().backward();
 * // ctx.save_for_backward({ x, k: 2 }) saves by name (ctx.saved_variables.x); ctx.mark_dirty(x) for
 * // an input forward changed in place and returns; ctx.mark_non_differentiable(indices) for outputs without a gradient.
 */
export function autograd_function<A extends unknown[], R extends Tensor | Tensor[]>(definition: AutogradFunctionDefinition<A, R>): (...args: A) => R {
  if (typeof definition !== 'object' || definition === null) fail('an object with forward and backward', 'definition', definition);
  const forward = checkFunction(definition.forward, 'forward') as AutogradFunctionDefinition<A, R>['forward'];
  const backward = checkFunction(definition.backward, 'backward') as AutogradFunctionDefinition<A, R>['backward'];
  return (...args: A): R => {
    const marks: Marks = { dirty: [], nonDifferentiable: [] };
    const ctx = makeContext(args, marks);
    const raw: R = withGradMode(false, () => forward(ctx, ...args), 'autograd_function');
    const outputs: Tensor[] = Array.isArray(raw) ? raw : [raw as Tensor];
    outputs.forEach((output, i) => checkTensor(output, `forward's output ${i}`));
    for (const [what, list] of [['mark_dirty', marks.dirty], ['mark_non_differentiable', marks.nonDifferentiable]] as const) {
      if (list.some((tensor) => !outputs.includes(tensor))) throw new RangeError(`Expected forward to return every tensor given to ${what}, but one was not returned`);
    }
    const tensorArgs = args.flatMap((arg, i) => (arg instanceof Tensor ? [i] : []));
    if (!torch_is_grad_enabled() || !ctx.needs_input_grad.some(Boolean)) return raw;
    const fixed = (output: Tensor): boolean => marks.nonDifferentiable.includes(output);
    const dirty = outputs.flatMap((output, i) => (marks.dirty.includes(output) && !fixed(output) ? [i] : []));
    const attached = native.attachFunction(newTensor, outputs, tensorArgs.map((i) => args[i] as Tensor), (grads) => {
      // An output that took no part in the loss, or has no gradient, gets zeros, as PyTorch materialises them.
      const materialized = (grads as (Tensor | null)[]).map((grad, i) => grad ?? torch_zeros_like(outputs[i]!));
      return checkedGradients(backward(ctx, ...materialized), args, tensorArgs);
    }, dirty) as Tensor[];
    // A non-differentiable output is returned outside the graph (the node keeps its place).
    const results = attached.map((output, i) => {
      if (!fixed(outputs[i]!)) return output;
      const alias = output.detach();
      output.dispose();
      return alias;
    });
    return (Array.isArray(raw) ? results : results[0]) as R;
  };
}

/** A registered hook; `remove()` unregisters it. */
export interface HookHandle {
  remove(): void;
}

/**
 * Calls `hook(grad)` each time a gradient for `tensor` is computed; a returned tensor replaces
 * the gradient (R's `x$register_hook(fn)`). CPU only, as autograd_function.
 *
 * @example
 * const handle = torch_register_hook(w, (grad) => grad.clamp(-1, 1)); ...; handle.remove();
 */
export function torch_register_hook(tensor: Tensor, hook: (grad: Tensor) => Tensor | void | null): HookHandle {
  checkTensor(tensor, 'tensor');
  checkFunction(hook, 'hook');
  if (!tensor.requires_grad) fail('a tensor that requires grad', 'tensor', 'one that does not');
  const id = native.registerHook(tensor, newTensor, (grads) => {
    const grad = grads[0] as Tensor;
    const replaced = hook(grad);
    if (replaced === undefined || replaced === null) return [null];
    checkTensor(replaced, 'the hook\'s result');
    if (!sameShape(replaced.shape, grad.shape)) throw new RangeError(`Expected the hook to return a gradient of shape [${grad.shape.join(', ')}] but received shape [${replaced.shape.join(', ')}]`);
    return [replaced];
  });
  let removed = false;
  return { remove(): void { if (!removed) native.removeHook(tensor, id); removed = true; } };
}

export interface AutogradBackwardOptions {
  retain_graph?: boolean;
  create_graph?: boolean;
}
const BACKWARD_KEYS = optionKeys<AutogradBackwardOptions>({ retain_graph: true, create_graph: true });

/**
 * Backward from several tensors at once, each with its gradient (null for a scalar), adding
 * into the leaves' `.grad` (`torch.autograd.backward`). @example autograd_backward([loss1, loss2])
 */
export function autograd_backward(tensors: Tensor | Tensor[], grad_tensors?: (Tensor | null)[] | Tensor | null, options?: AutogradBackwardOptions): void {
  const { retain_graph, create_graph = false } = checkOptions(options, BACKWARD_KEYS, 'autograd_backward');
  const list = tensorList(tensors, 'tensors');
  let grads: (Tensor | null)[] | null = null;
  if (grad_tensors !== undefined && grad_tensors !== null) {
    const given = Array.isArray(grad_tensors) ? Array.from(grad_tensors) : [grad_tensors];
    if (given.length !== list.length) failRange(`${list.length} gradients, one per tensor`, 'grad_tensors', grad_tensors);
    grads = given.map((grad, i) => (grad === null || grad === undefined ? null : checkTensor(grad, `grad_tensors[${i}]`)));
  }
  native.autogradBackward(list, grads, retain_graph === undefined ? null : checkBoolean(retain_graph, 'retain_graph'), checkBoolean(create_graph, 'create_graph'));
}

/**
 * Runs `fn` with anomaly detection: a backward that makes NaN says which forward operation
 * it came from (slow; for debugging). @example with_detect_anomaly(() => loss.backward())
 */
export function with_detect_anomaly<T>(fn: () => T): T {
  checkFunction(fn, 'fn');
  const previous = native.setAnomalyEnabled(true);
  try {
    return fn();
  } finally {
    native.setAnomalyEnabled(previous);
  }
}


