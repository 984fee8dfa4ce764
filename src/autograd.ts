// Grad mode and torch.autograd.grad.
import { native } from './native.js';
import { checkTensor, newTensor, type Tensor } from './tensor.js';
import { checkBoolean, checkFunction, checkOptions, fail, optionKeys } from './validate.js';

function withGradMode<T>(enabled: boolean, fn: () => T): T {
  checkFunction(fn, 'fn');
  const previous = native.setGradEnabled(enabled);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    native.setGradEnabled(previous);
    throw error;
  }
  native.setGradEnabled(previous);
  return result;
}

/**
 * Runs `fn` without recording operations for autograd, then restores the previous mode,
 * also when `fn` throws. `fn` must be synchronous: grad mode is per thread, and an
 * `await` would leak it into unrelated code.
 *
 * @example
 * with_no_grad(() => model.weight.add_(delta));
 */
export function with_no_grad<T>(fn: () => T): T { return withGradMode(false, fn); }

/** Runs `fn` with gradient recording on (inside a `with_no_grad`, say). */
export function with_enable_grad<T>(fn: () => T): T { return withGradMode(true, fn); }

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
