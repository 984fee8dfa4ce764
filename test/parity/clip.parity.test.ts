// Parity of gradient clipping and the p-norm with PyTorch (1.13 and 2.13 alike): nn_utils_clip_grad_norm_ /
// clip_grad_value_ against torch.nn.utils' (the total norm and every clipped gradient), and
// torch_norm / x.norm() against torch.norm. Twins: cases_clip.py.
import {
  nn_utils_clip_grad_norm_, nn_utils_clip_grad_value_, torch_norm, torch_randn, torch_zeros, type Tensor,
} from '../../src/index.js';
import { parity_suite, type ParityCase, type Tensors } from './harness.js';

// Three parameters of different shapes whose gradients are the inputs a, b, c (scaled so
// that clipping happens at max_norm 1), and one parameter without a gradient.
const gradients = (): Tensors => ({ a: torch_randn(4, 3).mul(2), b: torch_randn(5), c: torch_randn(2, 2, 2).mul(0.5) });

function withGrads({ a, b, c }: Tensors): Tensor[] {
  const params = [a!, b!, c!].map((g) => {
    const p = torch_zeros(g.shape).requires_grad_();
    p.grad = g.clone();
    return p;
  });
  return [...params, torch_zeros(3).requires_grad_()];
}

function clipNorm(name: string, max_norm: number, norm_type?: number): ParityCase {
  return {
    name: `clip_grad_norm.${name}`,
    inputs: gradients,
    run: (inputs) => {
      const params = withGrads(inputs);
      const total = nn_utils_clip_grad_norm_(params, max_norm, norm_type === undefined ? undefined : { norm_type });
      return { total, a: params[0]!.grad!, b: params[1]!.grad!, c: params[2]!.grad! };
    },
  };
}

const cases: ParityCase[] = [
  clipNorm('l2', 1),
  clipNorm('l2.not_clipped', 100),
  clipNorm('l1', 2, 1),
  clipNorm('inf', 0.5, Infinity),
  clipNorm('p3_5', 1.5, 3.5),
  {
    name: 'clip_grad_norm.one_parameter',
    inputs: gradients,
    run: (inputs) => {
      const [param] = withGrads(inputs);
      const total = nn_utils_clip_grad_norm_(param!, 0.7);
      return { total, a: param!.grad! };
    },
  },
  {
    name: 'clip_grad_value',
    inputs: gradients,
    run: (inputs) => {
      const params = withGrads(inputs);
      nn_utils_clip_grad_value_(params, 0.8);
      return { a: params[0]!.grad!, b: params[1]!.grad!, c: params[2]!.grad! };
    },
  },
  {
    name: 'norm',
    inputs: () => ({ x: torch_randn(3, 4, 5), d: torch_randn(6).to({ dtype: 'float64' }) }),
    grad: ['x'],
    run: ({ x, d }) => ({
      p2: x!.norm(), p1: torch_norm(x!, 1), pinf: x!.norm(Infinity), p3: x!.norm(3, 1), keep: x!.norm(2, [0, 2], true),
      d: torch_norm(d!, 2.5), zero: x!.norm(0),
    }),
  },
];

parity_suite('gradient clipping and norm parity with PyTorch', cases);
