// The shape of an op table entry (src/ops/table/*.ts); scripts/gen-ops.mjs reads the entries.

/** One op: made into `torch_<name>` and the Tensor method `<name>` by scripts/gen-ops.mjs. */
export interface OpEntry {
  /** The R torch / PyTorch name. */
  name: string;
  /** The function's name where R torch's is not `torch_<name>` (`linalg_inv`). */
  function?: string;
  /**
   * The operator's schema as native_functions.yaml writes it, e.g.
   * "atan2(Tensor self, Tensor other) -> Tensor": argument names, types, defaults, and the
   * keyword-only ones after `*` (those go in a trailing options object). Two schemas where the
   * op has a Tensor and a Scalar overload (eq.Tensor, eq.Scalar): the value passed picks one.
   * Absent with `impl`.
   */
  schema?: string | [string, string];
  /** A hand-written implementation in src/ops/<impl>.ts (`torch_<name>`), for R's exceptions and fast paths: only its method is made. */
  impl?: string;
  /** With `impl`: the method's TypeScript signatures, where the function has overloads (`nonzero(): Tensor`). */
  signatures?: string[];
  /** Which forms to make; both by default. */
  variants?: 'function' | 'method' | 'function, method';
  /** One line of documentation. */
  doc: string;
  example?: { function?: string; method?: string };
}
