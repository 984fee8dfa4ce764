// What every loss module is (`Loss`), and `lossModule`, which makes the module form of an
// `nnf_*` loss: the options are checked once, at construction (losses.ts, losses_margin.ts).
import { checkOptions } from '../core/validate.js';
import { type Tensor } from '../ops/tensor.js';
import { nn_Module } from './module.js';
import { nn_module, type nn_module_generator } from './generator.js';
import { positionalOptions, type Positional } from './options.js';
import { nn_state } from './state_keys.js';

// The tensor options a loss holds as buffers, as PyTorch's weighted losses register them.
const WEIGHTS = ['weight', 'pos_weight'] as const;
type Weights<O> = { [K in Extract<keyof O, (typeof WEIGHTS)[number]>]?: Tensor };

/**
 * What every loss module is: `loss(input, target)` with its options fixed. A `weight` (and
 * `pos_weight`) option is a buffer, as in PyTorch's losses: in the state_dict when given, moved
 * by `to()`, and what `forward` uses.
 */
export abstract class Loss<O extends object> extends nn_Module {
  declare readonly [nn_state]?: Weights<O>;
  /** The options given at construction. */
  readonly options: Readonly<O>;

  protected constructor(options: O | undefined, accepted: ReadonlySet<string>, where: string) {
    super();
    if (!(accepted instanceof Set) || typeof where !== 'string') {
      throw new TypeError('Loss is the base class of the loss modules: make one with nn_mse_loss(), nn_cross_entropy_loss() and the others');
    }
    this.options = Object.freeze({ ...checkOptions(options, accepted, where) }) as O;
    const given = this.options as Record<string, unknown>;
    for (const name of WEIGHTS) if (accepted.has(name)) this.register_buffer(name, (given[name] ?? null) as Tensor | null);
  }

  /**
   * The options with the weights this module's buffers hold now, as PyTorch's forward reads
   * self.weight: copied only where a buffer is no longer the tensor given (after `to()`).
   */
  protected get current(): Readonly<O> {
    const buffers = this as unknown as Record<string, Tensor | null | undefined>;
    const options = this.options as Record<string, unknown>;
    let current: Record<string, unknown> | undefined;
    for (const name of WEIGHTS) {
      const held = buffers[name] ?? null;
      if (held !== (options[name] ?? null)) (current ??= { ...options })[name] = held;
    }
    return (current ?? this.options) as O;
  }

  abstract override forward(input: Tensor, target: Tensor): Tensor;
}

/** The module of the loss `fn`; its options may come positionally too, in the order `names` (R's and PyTorch's). */
export function lossModule<O extends object, P extends readonly unknown[] = []>(
  fn: ((input: Tensor, target: Tensor, options?: O) => Tensor) | ((input: Tensor, target: Tensor, options: O) => Tensor), accepted: ReadonlySet<string>, classname: string, names: readonly (keyof O & string)[] = [],
): nn_module_generator<Positional<P, O>, Loss<O>> {
  const Class = class extends Loss<O> {
    constructor(...args: unknown[]) {
      super(positionalOptions<O>(args, names, accepted, classname) as O, accepted, classname);
    }

    override forward(input: Tensor, target: Tensor): Tensor {
      return fn(input, target, this.current);
    }
  };
  return nn_module(Class, classname) as unknown as nn_module_generator<Positional<P, O>, Loss<O>>;
}

