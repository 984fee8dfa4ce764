// libtorch's operators by schema name, called through c10's dispatcher
// (native/ops/dispatch.cc), as PyTorch's own generated bindings reach the long tail of ops.
// The op table (src/ops/table/) declares each op once; scripts/gen-ops.mjs makes its
// function, its Tensor method and their types, which call an Op here. `aten()` is the
// escape hatch to every other operator of the linked libtorch.
import { native, type TensorId } from './native.js';

/** An argument of an operator's schema, as the linked libtorch declares it. */
export interface OpArgument {
  name: string;
  /** The schema's type, such as "Tensor", "int[1]", "Scalar?" or "bool". */
  type: string;
  hasDefault: boolean;
  keywordOnly: boolean;
}

/** An operator's schema, as the linked libtorch declares it. */
export interface OpSchema {
  /** The whole schema, e.g. "aten::topk(Tensor self, SymInt k, int dim=-1, ...) -> (Tensor values, Tensor indices)". */
  schema: string;
  arguments: OpArgument[];
  returns: string[];
}

/**
 * Makes the Tensor for a result's id. Given by src/ops/tensor.ts when it loads: this file
 * cannot import it, because the Tensor class's generated methods make Ops as they load.
 */
let makeTensor: ((id: TensorId) => unknown) | null = null;

/** @internal */
export function setTensorMaker(make: (id: TensorId) => unknown): void {
  makeTensor = make;
}

/** A result of a boxed call as JavaScript: tensor ids become Tensors, lists and tuples arrays of them. */
function wrapResult(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(wrapResult);
  if (typeof value === 'object' && value !== null) return makeTensor!(value as TensorId);
  return value;
}

/** A libtorch operator, resolved on first use (per thread: each worker has its own addon). */
export class Op {
  private resolvedId = -1;

  constructor(readonly name: string, readonly overload = '') {}

  /** The addon's id for this operator; resolving it throws a TorchError where this libtorch has none of that name. */
  get id(): number {
    if (this.resolvedId < 0) this.resolvedId = native.resolveOp(this.name, this.overload);
    return this.resolvedId;
  }

  /** The schema of the linked libtorch's operator. */
  schema(): OpSchema {
    return native.opSchema(this.id);
  }

  /** Calls the operator with arguments in schema order (undefined takes the schema's default); tensors become Tensors. */
  call<R = unknown>(...args: unknown[]): R {
    return wrapResult(native.callOp(this.id, ...args)) as R;
  }

  /** Calls an in-place operator, whose result is its first argument. */
  callInPlace(...args: unknown[]): void {
    native.callOpInPlace(this.id, ...args);
  }

  /** Resolves the operator now: a TorchError where this libtorch has none of that name. */
  resolved(): this {
    void this.id;
    return this;
  }
}

/** `aten::<name>.<overload>` as an Op, for hand-written ops that call it raw (native.callOp). */
export function operator(name: string, overload = ''): Op {
  return new Op(`aten::${name}`, overload);
}

/** An operator's Tensor and Scalar overloads (`add.Tensor`, `add.Scalar`): the value passed picks one. */
export function tensorOrScalar(name: string): { Tensor: Op; Scalar: Op } {
  return { Tensor: operator(name, 'Tensor'), Scalar: operator(name, 'Scalar') };
}
