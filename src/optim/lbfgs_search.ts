// The numbers of torch.optim.LBFGS, which mixes Python floats and one-element tensors (a
// loss is a float, a directional derivative a tensor, a step length either): each helper does
// what Python's operator does for the pair it is given (a float and a tensor: aten's op with a
// scalar; `c / x`: reciprocal then multiply, as torch/_tensor.py; min/max: CPython's builtins'
// comparisons), so that the result has PyTorch's bits. And `_cubic_interpolate` and
// `_strong_wolfe`, the line search, on them.
import { native } from '../core/native.js';
import { atenOp } from '../ops/aten.js';
import { Tensor } from '../ops/tensor.js';

/** A Python number or a one-element tensor. */
export type Num = number | Tensor;

const ADD = atenOp('add', 'Tensor');
const ADD_SCALAR = atenOp('add', 'Scalar');
const SUB = atenOp('sub', 'Tensor');
const SUB_SCALAR = atenOp('sub', 'Scalar');
const MAX = atenOp('max');
const RSUB = atenOp('rsub', 'Scalar');
const MUL = atenOp('mul', 'Tensor');
const MUL_SCALAR = atenOp('mul', 'Scalar');
const DIV = atenOp('div', 'Tensor');
const DIV_SCALAR = atenOp('div', 'Scalar');
const RECIPROCAL = atenOp('reciprocal');
const POW = atenOp('pow', 'Tensor_Scalar');
const SQRT = atenOp('sqrt');
const ABS = atenOp('abs');
const DOT = atenOp('dot');
const COMPARE = {
  gt: atenOp('gt', 'Scalar'), ge: atenOp('ge', 'Scalar'), lt: atenOp('lt', 'Scalar'), le: atenOp('le', 'Scalar'),
  gtT: atenOp('gt', 'Tensor'), geT: atenOp('ge', 'Tensor'), ltT: atenOp('lt', 'Tensor'), leT: atenOp('le', 'Tensor'),
};

/** `x.abs().max()`. */
export const maxAbs = (x: Tensor): Tensor => MAX.call(ABS.call(x));

const isT = (x: Num): x is Tensor => x instanceof Tensor;

export function add(a: Num, b: Num): Num {
  if (!isT(a) && !isT(b)) return a + b;
  if (isT(a)) return isT(b) ? ADD.call(a, b) : ADD_SCALAR.call(a, b);
  return ADD_SCALAR.call(b, a);
}
export function sub(a: Num, b: Num): Num {
  if (!isT(a) && !isT(b)) return a - b;
  if (isT(a)) return isT(b) ? SUB.call(a, b) : SUB_SCALAR.call(a, b);
  return RSUB.call(b, a);
}
export function mul(a: Num, b: Num): Num {
  if (!isT(a) && !isT(b)) return a * b;
  if (isT(a)) return isT(b) ? MUL.call(a, b) : MUL_SCALAR.call(a, b);
  return MUL_SCALAR.call(b, a);
}
export function div(a: Num, b: Num): Num {
  if (!isT(a) && !isT(b)) return a / b;
  if (isT(a)) return isT(b) ? DIV.call(a, b) : DIV_SCALAR.call(a, b);
  return MUL_SCALAR.call(RECIPROCAL.call(b), a);
}
export const abs = (a: Num): Num => (isT(a) ? ABS.call(a) : Math.abs(a));
const square = (a: Num): Num => (isT(a) ? POW.call(a, 2) : native.libmPow(a, 2));

type Relation = 'gt' | 'ge' | 'lt' | 'le';
const FLIPPED: Record<Relation, Relation> = { gt: 'lt', ge: 'le', lt: 'gt', le: 'ge' };

/** Python's `a > b` (and the rest) as `if` reads it: a tensor comparison's one boolean. */
export function compare(a: Num, relation: Relation, b: Num): boolean {
  if (!isT(a) && !isT(b)) {
    return relation === 'gt' ? a > b : relation === 'ge' ? a >= b : relation === 'lt' ? a < b : a <= b;
  }
  let result: Tensor;
  if (isT(a)) result = isT(b) ? COMPARE[`${relation}T`].call(a, b) : COMPARE[relation].call(a, b);
  else result = COMPARE[FLIPPED[relation]].call(b, a);
  return result.item() as boolean;
}

/** CPython's min(a, b) and max(a, b): the first unless the second compares less (greater). */
export const min = (a: Num, b: Num): Num => (compare(b, 'lt', a) ? b : a);
export const max = (a: Num, b: Num): Num => (compare(b, 'gt', a) ? b : a);

/** A Python number for `alpha=` (a tensor's value as a double, as PyTorch's Scalar conversion). */
export const scalar = (a: Num): number => (isT(a) ? a.item() as number : a);
export const dot = (a: Tensor, b: Tensor): Tensor => DOT.call(a, b);

// Minimizer of the cubic through (x1, f1, g1) and (x2, f2, g2), within bounds.
function cubicInterpolate(x1: Num, f1: Num, g1: Num, x2: Num, f2: Num, g2: Num, bounds?: [Num, Num]): Num {
  const [lower, upper] = bounds ?? (compare(x1, 'le', x2) ? [x1, x2] : [x2, x1]);
  const d1 = sub(add(g1, g2), div(mul(3, sub(f1, f2)), sub(x1, x2)));
  const d2_square = sub(square(d1), mul(g1, g2));
  if (!compare(d2_square, 'ge', 0)) return div(add(lower, upper), 2.0);
  const d2 = isT(d2_square) ? SQRT.call(d2_square) : Math.sqrt(d2_square);
  const position = compare(x1, 'le', x2)
    ? sub(x2, mul(sub(x2, x1), div(sub(add(g2, d2), d1), add(sub(g2, g1), mul(2, d2)))))
    : sub(x1, mul(sub(x1, x2), div(sub(add(g1, d2), d1), add(sub(g1, g2), mul(2, d2)))));
  return min(max(position, lower), upper);
}

/** Evaluates the loss and flat gradient at x + t d (and restores x). */
export type Objective = (t: Num) => [number, Tensor];

/**
 * PyTorch's `_strong_wolfe` line search from (f, g, gtd) along d, starting at step t.
 * Returns the new loss, flat gradient, step, and the number of evaluations.
 */
export function strongWolfe(objective: Objective, t: Num, d: Tensor, f: number, g: Tensor, gtd: Tensor, tolerance_change: number, max_ls: number): [number, Tensor, Num, number] {
  const c1 = 1e-4;
  const c2 = 0.9;
  const d_norm = MAX.call(ABS.call(d));
  g = g.clone();
  let [f_new, g_new] = objective(t);
  let evals = 1;
  let gtd_new: Num = dot(g_new, d);
  let [t_prev, f_prev, g_prev, gtd_prev]: [Num, number, Tensor, Num] = [0, f, g, gtd];
  let done = false;
  let iter = 0;
  let bracket: Num[] = [];
  let bracket_f: number[] = [];
  let bracket_g: Tensor[] = [];
  let bracket_gtd: Num[] = [];
  const sufficient = (tt: Num, fn: number): boolean => compare(fn, 'gt', add(f, mul(mul(c1, tt), gtd)));
  while (iter < max_ls) {
    if (sufficient(t, f_new) || (iter > 1 && f_new >= f_prev)) {
      [bracket, bracket_f, bracket_g, bracket_gtd] = [[t_prev, t], [f_prev, f_new], [g_prev, g_new.clone()], [gtd_prev, gtd_new]];
      break;
    }
    if (compare(abs(gtd_new), 'le', mul(-c2, gtd))) {
      [bracket, bracket_f, bracket_g, done] = [[t], [f_new], [g_new], true];
      break;
    }
    if (compare(gtd_new, 'ge', 0)) {
      [bracket, bracket_f, bracket_g, bracket_gtd] = [[t_prev, t], [f_prev, f_new], [g_prev, g_new.clone()], [gtd_prev, gtd_new]];
      break;
    }
    const min_step = add(t, mul(0.01, sub(t, t_prev)));
    const max_step = mul(t, 10);
    const previous = t;
    t = cubicInterpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, [min_step, max_step]);
    [t_prev, f_prev, g_prev, gtd_prev] = [previous, f_new, g_new.clone(), gtd_new];
    [f_new, g_new] = objective(t);
    evals += 1;
    gtd_new = dot(g_new, d);
    iter += 1;
  }
  if (iter === max_ls) [bracket, bracket_f, bracket_g] = [[0, t], [f, f_new], [g, g_new]];

  // Zoom: shrink the bracket until a point satisfies the conditions.
  let insufficient = false;
  let [low, high] = bracket_f[0]! <= bracket_f[bracket_f.length - 1]! ? [0, 1] : [1, 0];
  while (!done && iter < max_ls) {
    if (compare(mul(abs(sub(bracket[1]!, bracket[0]!)), d_norm), 'lt', tolerance_change)) break;
    t = cubicInterpolate(bracket[0]!, bracket_f[0]!, bracket_gtd[0]!, bracket[1]!, bracket_f[1]!, bracket_gtd[1]!);
    const top = max(bracket[0]!, bracket[1]!);
    const bottom = min(bracket[0]!, bracket[1]!);
    const eps = mul(0.1, sub(top, bottom));
    if (compare(min(sub(top, t), sub(t, bottom)), 'lt', eps)) {
      if (insufficient || compare(t, 'ge', top) || compare(t, 'le', bottom)) {
        t = compare(abs(sub(t, top)), 'lt', abs(sub(t, bottom))) ? sub(top, eps) : add(bottom, eps);
        insufficient = false;
      } else {
        insufficient = true;
      }
    } else {
      insufficient = false;
    }
    [f_new, g_new] = objective(t);
    evals += 1;
    gtd_new = dot(g_new, d);
    iter += 1;
    if (sufficient(t, f_new) || f_new >= bracket_f[low]!) {
      [bracket[high], bracket_f[high], bracket_g[high], bracket_gtd[high]] = [t, f_new, g_new.clone(), gtd_new];
      [low, high] = bracket_f[0]! <= bracket_f[1]! ? [0, 1] : [1, 0];
    } else {
      if (compare(abs(gtd_new), 'le', mul(-c2, gtd))) {
        done = true;
      } else if (compare(mul(gtd_new, sub(bracket[high]!, bracket[low]!)), 'ge', 0)) {
        [bracket[high], bracket_f[high], bracket_g[high], bracket_gtd[high]] = [bracket[low]!, bracket_f[low]!, bracket_g[low]!, bracket_gtd[low]!];
      }
      [bracket[low], bracket_f[low], bracket_g[low], bracket_gtd[low]] = [t, f_new, g_new.clone(), gtd_new];
    }
  }
  return [bracket_f[low]!, bracket_g[low]!, bracket[low]!, evals];
}
