// Autograd's graph as JavaScript sees it: a tensor's grad_fn, and the nodes it leads to
// (PyTorch's torch.autograd.graph.Node, R torch's `x$grad_fn`).
import { native, type NodeHandle } from '../core/native.js';

/**
 * A node of autograd's graph: the backward of the operation that made a tensor. Prints as its
 * name, as R prints `x$grad_fn`.
 *
 * @example
 * const y = x.mul(w).add(b);
 * y.grad_fn?.name;                                  // "AddBackward0"
 * y.grad_fn?.next_functions.map((n) => n?.name);    // ["MulBackward0", "AccumulateGrad"]
 */
export class AutogradNode {
  /** @internal */
  constructor(private readonly handle: NodeHandle) {}

  /** The node's name, PyTorch's (`"MulBackward0"`, `"AccumulateGrad"` for a leaf's gradient). */
  get name(): string { return native.nodeName(this.handle); }

  /**
   * The nodes this one passes gradients on to, one per input of its operation (R's list of
   * nodes; PyTorch pairs each with the input's index, `next_functions_input_nr` here): null for
   * an input that needs no gradient, an `"AccumulateGrad"` node for a leaf that does.
   */
  get next_functions(): (AutogradNode | null)[] {
    return native.nodeNextFunctions(this.handle).map(([node]) => (node === null ? null : new AutogradNode(node)));
  }

  /** For each of next_functions, which output of that node this input was (PyTorch's second element). */
  get next_functions_input_nr(): number[] {
    return native.nodeNextFunctions(this.handle).map(([, index]) => index);
  }

  toString(): string { return this.name; }
}

/** The node that made the tensor with handle `h`, or null for a leaf. */
export function gradFnOf(h: Parameters<typeof native.gradFnNode>[0]): AutogradNode | null {
  const node = native.gradFnNode(h);
  return node === null ? null : new AutogradNode(node);
}
