// libtorch's operators by schema name (native/ops/dispatch.cc): the way the long tail of ops is
// declared once. An op file names the operator and its overload, validates the arguments a
// TypeScript user passes, and calls it; the schema converts them. Tensor methods are derived
// from the `torch_*` functions (`methods()`), so each op is written in one place.
import { native } from '../core/native.js';
import { newTensor, Tensor } from '../core/tensor.js';

/** A libtorch operator, resolved on first use (per thread: each worker has its own addon). */
export class Op {
  private id = -1;

  constructor(readonly name: string, readonly overload = '') {}

  /** Calls the operator with arguments in schema order (undefined takes the schema's default). */
  call<R = Tensor>(...args: unknown[]): R {
    return native.callOp(newTensor, this.resolve(), args, true) as R;
  }

  /** Calls an in-place operator, whose result is its first argument. */
  callInPlace(...args: unknown[]): void {
    native.callOp(newTensor, this.resolve(), args, false);
  }

  /** Resolves the operator now: a TorchError where this libtorch has none of that name. */
  resolved(): this {
    this.resolve();
    return this;
  }

  private resolve(): number {
    if (this.id < 0) this.id = native.resolveOp(this.name, this.overload);
    return this.id;
  }
}

/** `aten::<name>.<overload>`. @example const TOPK = aten('topk'); */
export function aten(name: string, overload = ''): Op {
  return new Op(`aten::${name}`, overload);
}

/** The method form of a `torch_*` function whose first argument is the tensor. */
export type MethodOf<F> = F extends (self: Tensor, ...args: infer A) => infer R ? (...args: A) => R : never;

/**
 * Makes each `torch_*` function also a Tensor method (`x.topk(2)` is `torch_topk(x, 2)`), as
 * R torch pairs `torch_x(t)` with `t$x()`. The types come from `declare module` blocks.
 */
export function methods(functions: Record<string, (self: Tensor, ...args: any[]) => unknown>): void {
  for (const [name, fn] of Object.entries(functions)) {
    Object.defineProperty(Tensor.prototype, name, {
      value: function (this: Tensor, ...args: unknown[]) { return fn(this, ...args); },
      writable: true, configurable: true,
    });
  }
}
