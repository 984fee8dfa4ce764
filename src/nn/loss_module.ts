// What every loss module is (`Loss`), and `lossModule`, which makes the module form of an
// `nnf_*` loss: the options are checked once, at construction (losses.ts, losses_margin.ts).
import { checkOptions } from '../core/validate.js';
import { type Tensor } from '../ops/tensor.js';
import { nn_Module } from './module.js';
import { nn_module, type nn_module_generator } from './generator.js';

/** What every loss module is: `loss(input, target)` with its options fixed. */
export abstract class Loss<O extends object> extends nn_Module {
  /** The options given at construction. */
  readonly options: Readonly<O>;

  protected constructor(options: O | undefined, accepted: ReadonlySet<string>, where: string) {
    super();
    if (!(accepted instanceof Set) || typeof where !== 'string') {
      throw new TypeError('Loss is the base class of the loss modules: make one with nn_mse_loss(), nn_cross_entropy_loss() and the others');
    }
    this.options = Object.freeze({ ...checkOptions(options, accepted, where) }) as O;
  }

  abstract override forward(input: Tensor, target: Tensor): Tensor;
}

export function lossModule<O extends object>(fn: (input: Tensor, target: Tensor, options?: O) => Tensor, accepted: ReadonlySet<string>, classname: string): nn_module_generator<[options?: O], Loss<O>> {
  const Class = class extends Loss<O> {
    constructor(options?: O) {
      super(options, accepted, classname);
    }

    override forward(input: Tensor, target: Tensor): Tensor {
      return fn(input, target, this.options);
    }
  };
  return nn_module(Class, classname) as unknown as nn_module_generator<[options?: O], Loss<O>>;
}

