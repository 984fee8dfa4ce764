// Parity of the margin and embedding losses (src/nn/losses_margin.ts) with Python PyTorch:
// each function with each reduction, values and gradients, and each module.
// Twins: the @case of the same name in cases_losses_margin.py.
import {
  nn_cosine_embedding_loss, nn_hinge_embedding_loss, nn_multi_margin_loss, nn_multilabel_margin_loss, nn_multilabel_soft_margin_loss,
  nn_soft_margin_loss, nnf_cosine_embedding_loss, nnf_hinge_embedding_loss, nnf_multi_margin_loss, nnf_multilabel_margin_loss,
  nnf_multilabel_soft_margin_loss, nnf_soft_margin_loss, torch_rand, torch_randint, torch_randn, torch_tensor, type Reduction, type Tensor,
} from '../../src/index.js';
import { parity_suite, type ParityCase, type Tensors } from './harness.js';

const randn = (...shape: number[]): Tensor => torch_randn(shape);
const signs = (...shape: number[]): Tensor => torch_randint(0, 2, shape).mul(2).sub(1).float();
const REDUCTIONS: Reduction[] = ['none', 'mean', 'sum'];
const loss = (name: string, inputs: () => Tensors, grad: string[], compute: (t: Tensors, reduction: Reduction) => Tensor): ParityCase[] =>
  REDUCTIONS.map((reduction) => ({ name: `margin.${name}.${reduction}`, inputs, grad, run: (t) => ({ loss: compute(t, reduction) }) }));

// Rows list classes up to the first -1; the second row has all four, the third none.
const multilabel = (): Tensors => ({
  input: randn(3, 4), target: torch_tensor([[3, 0, -1, 1], [0, 1, 2, 3], [-1, 2, 0, 0]], { dtype: 'int64' }),
});
const scores = (): Tensors => ({ input: randn(5, 4).mul(2), target: torch_randint(0, 4, [5]) });

const functions: ParityCase[] = [
  ...loss('multilabel_margin', multilabel, ['input'], ({ input, target }, reduction) => nnf_multilabel_margin_loss(input!, target!, { reduction })),
  ...loss('multilabel_margin.1d', () => ({ input: randn(4), target: torch_tensor([2, 1, -1, 0], { dtype: 'int64' }) }), ['input'],
    ({ input, target }, reduction) => nnf_multilabel_margin_loss(input!, target!, { reduction })),
  ...loss('soft_margin', () => ({ input: randn(4, 3).mul(2), target: signs(4, 3) }), ['input'],
    ({ input, target }, reduction) => nnf_soft_margin_loss(input!, target!, { reduction })),
  ...loss('multilabel_soft_margin', () => ({ input: randn(4, 3).mul(2), target: torch_randint(0, 2, [4, 3]).float(), weight: torch_rand(3) }),
    ['input', 'target'], ({ input, target, weight }, reduction) => nnf_multilabel_soft_margin_loss(input!, target!, { reduction }).add(
      nnf_multilabel_soft_margin_loss(input!, target!, { weight, reduction }).mul(3))),
  ...loss('multi_margin', scores, ['input'], ({ input, target }, reduction) => nnf_multi_margin_loss(input!, target!, { reduction })),
  ...loss('multi_margin.options', () => ({ ...scores(), weight: torch_rand(4) }), ['input'],
    ({ input, target, weight }, reduction) => nnf_multi_margin_loss(input!, target!, { p: 2, margin: 0.7, weight, reduction })),
  ...loss('hinge_embedding', () => ({ input: randn(4, 3).abs().mul(2), target: signs(4, 3) }), ['input'],
    ({ input, target }, reduction) => nnf_hinge_embedding_loss(input!, target!, { reduction }).add(
      nnf_hinge_embedding_loss(input!, target!, { margin: 2.5, reduction }).mul(3))),
  ...loss('cosine_embedding', () => ({ a: randn(5, 3), b: randn(5, 3), target: signs(5) }), ['a', 'b'],
    ({ a, b, target }, reduction) => nnf_cosine_embedding_loss(a!, b!, target!, { reduction }).add(
      nnf_cosine_embedding_loss(a!, b!, target!, { margin: -0.3, reduction }).mul(3))),
];

const modules: ParityCase[] = [
  { name: 'margin.module.multilabel_margin', inputs: multilabel, grad: ['input'], run: ({ input, target }) => ({ loss: nn_multilabel_margin_loss()(input!, target!) }) },
  { name: 'margin.module.soft_margin', inputs: () => ({ input: randn(4), target: signs(4) }), grad: ['input'],
    run: ({ input, target }) => ({ loss: nn_soft_margin_loss({ reduction: 'sum' })(input!, target!) }) },
  { name: 'margin.module.multilabel_soft_margin', inputs: () => ({ input: randn(4, 3), target: torch_rand(4, 3), weight: torch_rand(3) }), grad: ['input'],
    run: ({ input, target, weight }) => ({ loss: nn_multilabel_soft_margin_loss({ weight })(input!, target!) }) },
  { name: 'margin.module.multi_margin', inputs: scores, grad: ['input'], run: ({ input, target }) => ({ loss: nn_multi_margin_loss({ p: 2 })(input!, target!) }) },
  { name: 'margin.module.hinge_embedding', inputs: () => ({ input: randn(6), target: signs(6) }), grad: ['input'],
    run: ({ input, target }) => ({ loss: nn_hinge_embedding_loss({ margin: 0.5 })(input!, target!) }) },
  { name: 'margin.module.cosine_embedding', inputs: () => ({ a: randn(5, 3), b: randn(5, 3), target: signs(5) }), grad: ['a', 'b'],
    run: ({ a, b, target }) => ({ loss: nn_cosine_embedding_loss({ margin: 0.1 })(a!, b!, target!) }) },
  // The arguments R and PyTorch both take positionally (PyTorch's next one is size_average).
  { name: 'margin.positional', grad: ['input', 'a', 'b', 'x'],
    inputs: () => ({ ...scores(), weight: torch_rand(4), a: randn(5, 3), b: randn(5, 3), signs: signs(5), x: randn(6), hinge: signs(6), labels: torch_rand(5, 4) }),
    run: ({ input, target, weight, a, b, signs, x, hinge, labels }) => ({
      multi_margin: nnf_multi_margin_loss(input!, target!, 2, 0.5, weight!), multi_margin_module: nn_multi_margin_loss(2, 0.5, weight!)(input!, target!),
      hinge: nnf_hinge_embedding_loss(x!, hinge!, 0.5), hinge_module: nn_hinge_embedding_loss(0.5)(x!, hinge!),
      cosine: nnf_cosine_embedding_loss(a!, b!, signs!, 0.1), cosine_module: nn_cosine_embedding_loss(0.1)(a!, b!, signs!),
      soft: nnf_multilabel_soft_margin_loss(input!, labels!, weight!), soft_module: nn_multilabel_soft_margin_loss(weight!)(input!, labels!),
    }) },
];

parity_suite('margin losses parity with PyTorch', [...functions, ...modules]);
