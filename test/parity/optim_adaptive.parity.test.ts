// Parity of the optimizers written over tensor ops (`optim_radam`, `optim_nadam`,
// `optim_adamax`) with Python PyTorch's torch.optim on its default (single-tensor) CPU path:
// a small MLP regressed onto the same data for STEPS steps; the loss at every step and every
// parameter after every step must be the same bits, and so must the state_dict's state after
// the last step (under PyTorch's names). Twins: the @case of the same name in cases_optim_adaptive.py.
import {
  nn_linear, nn_relu, nn_sequential, nnf_mse_loss, optim_adamax, optim_nadam, optim_radam, torch_cat, torch_randn, torch_stack, torch_tensor,
  type Tensor, type TensorOptimizer,
} from '../../src/index.js';
import { parity_suite, type ParityCase, type Tensors } from './harness.js';

const STEPS = 25;

type Model = ReturnType<typeof nn_sequential>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Setup = (model: Model) => TensorOptimizer<any>;

function layers(model: Model): [Tensor[], Tensor[]] {
  const named = model.named_parameters();
  return [[named['0.weight']!, named['0.bias']!], [named['2.weight']!, named['2.bias']!]];
}

/** STEPS steps; returns the losses, every parameter (flattened, in order) after every step, and the final state. */
function train(name: string, setup: Setup, dtype: 'float32' | 'float64' = 'float32'): ParityCase {
  return { name: `optim.${name}`, needs: PORTED, inputs: () => ({ x: torch_randn(32, 6), y: torch_randn(32, 2) }), run: (inputs) => {
    const [x, y] = [inputs.x!.to({ dtype }), inputs.y!.to({ dtype })];
    const model = nn_sequential(nn_linear(6, 8), nn_relu(), nn_linear(8, 2)).to(dtype);
    const optimizer = setup(model);
    const losses: Tensor[] = [];
    const params: Tensor[] = [];
    for (let step = 1; step <= STEPS; step++) {
      optimizer.zero_grad();
      const loss = nnf_mse_loss(model(x), y);
      loss.backward();
      optimizer.step();
      losses.push(loss.detach());
      params.push(torch_cat(model.parameters.map((p) => p.detach().reshape(-1))));
    }
    const result: Tensors = { loss: torch_stack(losses), params: torch_stack(params) };
    for (const [index, entry] of Object.entries(optimizer.state_dict().state)) {
      for (const [key, value] of Object.entries(entry)) {
        result[`state/${index}/${key}`] = typeof value === 'number' ? torch_tensor(value, { dtype: 'float64' }) : (value as Tensor).clone();
      }
    }
    return result;
  } };
}

// torchlora ports PyTorch 2.13's single-tensor steps; older torch.optim code is other code
// (measured against 1.13, Debian 12's: RAdam and Adamax differ in the last bits, NAdam by up to
// 1.5e-2, and its RAdam and NAdam take neither maximize nor decoupled_weight_decay).
const PORTED: ParityCase['needs'] = { torch: '2.13', why: "torch.optim's RAdam, NAdam and Adamax before it are other code (torchlora ports 2.13's)" };

parity_suite('optimizers over tensor ops: parity with PyTorch', [
  train('radam', (model) => optim_radam(model.parameters, { lr: 0.01 })),
  train('radam.defaults', (model) => optim_radam(model.parameters)),
  train('radam.weight_decay_maximize', (model) => optim_radam(model.parameters, { lr: 0.01, betas: [0.8, 0.9], weight_decay: 0.05, maximize: true })),
  train('radam.decoupled_weight_decay', (model) => optim_radam(model.parameters, { lr: 0.01, weight_decay: 0.1, decoupled_weight_decay: true, eps: 1e-6 })),
  train('radam.float64', (model) => optim_radam(model.parameters, { lr: 0.01, betas: [0.9, 0.9] }), 'float64'),
  train('nadam', (model) => optim_nadam(model.parameters, { lr: 0.01 })),
  train('nadam.defaults', (model) => optim_nadam(model.parameters)),
  train('nadam.weight_decay_maximize', (model) => optim_nadam(model.parameters, { lr: 0.01, weight_decay: 0.05, momentum_decay: 0.01, maximize: true })),
  train('nadam.decoupled_weight_decay', (model) => optim_nadam(model.parameters, { lr: 0.01, weight_decay: 0.1, decoupled_weight_decay: true, betas: [0.8, 0.99] })),
  train('nadam.float64', (model) => optim_nadam(model.parameters, { lr: 0.01 }), 'float64'),
  train('adamax', (model) => optim_adamax(model.parameters, { lr: 0.01 })),
  train('adamax.defaults', (model) => optim_adamax(model.parameters)),
  train('adamax.weight_decay_maximize', (model) => optim_adamax(model.parameters, { lr: 0.02, weight_decay: 0.05, maximize: true, eps: 1e-3 })),
  // Positionally, in PyTorch's order (R torch has none of the three).
  train('nadam.positional', (model) => optim_nadam(model.parameters, 0.01, [0.8, 0.99], 1e-6, 0.1, 0.01, true)),
  train('radam.positional', (model) => optim_radam(model.parameters, 0.01, [0.8, 0.9], 1e-7, 0.05, { maximize: true })),
  train('adamax.param_groups', (model) => {
    const [first, last] = layers(model);
    return optim_adamax([{ params: first, lr: 0.03 }, { params: last, betas: [0.5, 0.9] }], { lr: 0.01 });
  }),
  train('radam.param_groups', (model) => {
    const [first, last] = layers(model);
    return optim_radam([{ params: first, lr: 0.03, weight_decay: 0.01 }, { params: last, decoupled_weight_decay: true, weight_decay: 0.2 }], { lr: 0.01 });
  }),
]);
