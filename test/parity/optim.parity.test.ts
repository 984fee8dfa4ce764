// Parity of the optimizers and the step LR scheduler with Python PyTorch's torch.optim:
// 200 steps on the same problem (a small MLP regressed onto the same data, made under the
// same seed) give the same loss at every step and the same parameters at every 50th step,
// on each of PyTorch's three paths (default, `foreach`, `fused`). Twins: the @case of the
// same name in cases_optim.py.
import {
  lr_step, nn_linear, nn_relu, nn_sequential, nnf_embedding, nnf_mse_loss, optim_adagrad, optim_adam, optim_adamw, optim_rmsprop, optim_sgd, torch_randn,
  torch_stack, torch_tensor, type Optimizer, type StepLR, type Tensor,
} from '../../src/index.js';
import { libtorchAtLeast } from '../../src/core/libtorch_version.js';
import { parity_suite, type ParityCase, type Tensors } from './harness.js';

const STEPS = 200;
const EVERY = 50;

type Model = ReturnType<typeof nn_sequential>;
interface Training { optimizer: Optimizer<any>; scheduler?: StepLR }
type Setup = (model: Model) => Training;

// The first layer's parameters and the last one's, for cases with two parameter groups.
function layers(model: Model): [Tensor[], Tensor[]] {
  const named = model.named_parameters();
  return [[named['0.weight']!, named['0.bias']!], [named['2.weight']!, named['2.bias']!]];
}

/**
 * Trains the model made under the case's seed (in float64 with `dtype`) for STEPS steps;
 * returns the loss at every step, every group's learning rate at every step, and the
 * parameters every EVERY steps.
 */
function train(name: string, setup: Setup, dtype: 'float32' | 'float64' = 'float32'): ParityCase {
  return { name: `optim.${name}`, inputs: () => ({ x: torch_randn(32, 6), y: torch_randn(32, 2) }), run: (inputs) => {
    const [x, y] = [inputs.x!.to({ dtype }), inputs.y!.to({ dtype })];
    const model = nn_sequential(nn_linear(6, 8), nn_relu(), nn_linear(8, 2)).to(dtype);
    const { optimizer, scheduler } = setup(model);
    const losses: Tensor[] = [];
    const rates: number[][] = [];
    const result: Tensors = {};
    for (let step = 1; step <= STEPS; step++) {
      optimizer.zero_grad();
      const loss = nnf_mse_loss(model(x), y);
      loss.backward();
      optimizer.step();
      scheduler?.step();
      losses.push(loss.detach());
      rates.push(optimizer.param_groups.map((group) => group.lr as number));
      if (step % EVERY === 0) {
        for (const [key, parameter] of Object.entries(model.named_parameters())) result[`step${step}/${key}`] = parameter.detach().clone();
      }
    }
    return { ...result, loss: torch_stack(losses), lr: torch_tensor(rates, { dtype: 'float64' }) };
  } };
}

const sgd: ParityCase[] = [
  train('sgd', (model) => ({ optimizer: optim_sgd(model.parameters, { lr: 0.05 }) })),
  train('sgd.momentum', (model) => ({ optimizer: optim_sgd(model.parameters, { lr: 0.05, momentum: 0.9 }) })),
  train('sgd.dampening', (model) => ({ optimizer: optim_sgd(model.parameters, { lr: 0.05, momentum: 0.9, dampening: 0.3 }) })),
  train('sgd.nesterov', (model) => ({ optimizer: optim_sgd(model.parameters, { lr: 0.05, momentum: 0.9, nesterov: true }) })),
  train('sgd.weight_decay', (model) => ({ optimizer: optim_sgd(model.parameters, { lr: 0.05, weight_decay: 0.01 }) })),
  train('sgd.momentum_weight_decay', (model) => ({ optimizer: optim_sgd(model.parameters, { lr: 0.05, momentum: 0.5, weight_decay: 0.01 }) })),
  train('sgd.param_groups', (model) => {
    const [first, last] = layers(model);
    return { optimizer: optim_sgd([{ params: first, lr: 0.1, momentum: 0.9 }, { params: last, nesterov: true, momentum: 0.8 }], { lr: 0.02 }) };
  }),
];

const adam: ParityCase[] = [
  train('adam', (model) => ({ optimizer: optim_adam(model.parameters, { lr: 0.01 }) })),
  train('adam.defaults', (model) => ({ optimizer: optim_adam(model.parameters) })),
  train('adam.betas_eps', (model) => ({ optimizer: optim_adam(model.parameters, { lr: 0.02, betas: [0.8, 0.99], eps: 1e-6 }) })),
  train('adam.weight_decay', (model) => ({ optimizer: optim_adam(model.parameters, { lr: 0.01, weight_decay: 0.05 }) })),
  train('adam.amsgrad', (model) => ({ optimizer: optim_adam(model.parameters, { lr: 0.01, amsgrad: true }) })),
  train('adam.param_groups', (model) => {
    const [first, last] = layers(model);
    return { optimizer: optim_adam([{ params: first, lr: 0.02 }, { params: last, amsgrad: true }], { lr: 0.005 }) };
  }),
  train('adamw', (model) => ({ optimizer: optim_adamw(model.parameters, { lr: 0.01 }) })),
  train('adamw.amsgrad', (model) => ({ optimizer: optim_adamw(model.parameters, { lr: 0.01, weight_decay: 0.1, amsgrad: true }) })),
  train('adamw.param_groups', (model) => {
    const [first, last] = layers(model);
    return { optimizer: optim_adamw([{ params: first }, { params: last, lr: 0.003, weight_decay: 0 }], { lr: 0.01, weight_decay: 0.2 }) };
  }),
];

const maximize: ParityCase[] = [
  train('adam.maximize', (model) => ({ optimizer: optim_adam(model.parameters, { lr: 0.01, maximize: true, weight_decay: 0.05 }) })),
  train('adamw.maximize', (model) => ({ optimizer: optim_adamw(model.parameters, { lr: 0.01, maximize: true }) })),
  train('sgd.maximize', (model) => ({ optimizer: optim_sgd(model.parameters, { lr: 0.01, momentum: 0.9, maximize: true }) })),
  train('rmsprop.maximize', (model) => ({ optimizer: optim_rmsprop(model.parameters, { lr: 0.002, centered: true, momentum: 0.5, weight_decay: 0.01, maximize: true }) })),
  train('adagrad.maximize', (model) => ({ optimizer: optim_adagrad(model.parameters, { lr: 0.05, lr_decay: 0.01, weight_decay: 0.02, maximize: true }) })),
];

// Where the linked libtorch has aten's fused CPU kernels (2.4+), `fused: true` runs them as
// Python's fused=True does, and the twins use fused=True: bit for bit. Before 2.4 (Debian's
// 1.13, whose Python has no fused CPU optimizers) it is torchlora's one-pass loop, which does
// each element's arithmetic as PyTorch's default path does; the twins take that path, and
// where a CPU's kernels and the loop contract a multiply and an add differently the last bit
// may differ, which 200 steps of training carry on.
const ATEN_FUSED = libtorchAtLeast(2, 4);
const FUSED = { rtol: 1e-6, atol: 1e-9, why: 'torchlora\'s fused loop against PyTorch\'s default path (no fused CPU kernels before 2.4)' };
const fusedCase = (name: string, setup: Setup, dtype?: 'float64'): ParityCase => ({ ...train(name, setup, dtype), ...(ATEN_FUSED ? {} : { tolerance: FUSED }) });

const fused: ParityCase[] = [
  fusedCase('adam.fused', (model) => ({ optimizer: optim_adam(model.parameters, { lr: 0.01, fused: true }) })),
  fusedCase('adam.weight_decay.fused', (model) => ({ optimizer: optim_adam(model.parameters, { lr: 0.01, weight_decay: 0.05, fused: true }) })),
  fusedCase('adam.amsgrad.fused', (model) => ({ optimizer: optim_adam(model.parameters, { lr: 0.01, amsgrad: true, fused: true }) })),
  fusedCase('adam.maximize.fused', (model) => ({ optimizer: optim_adam(model.parameters, { lr: 0.01, maximize: true, weight_decay: 0.05, fused: true }) })),
  fusedCase('adam.param_groups.fused', (model) => {
    const [first, last] = layers(model);
    return { optimizer: optim_adam([{ params: first, lr: 0.02, fused: true }, { params: last, amsgrad: true }], { lr: 0.005 }) };
  }),
  fusedCase('adamw.fused', (model) => ({ optimizer: optim_adamw(model.parameters, { lr: 0.01, fused: true }) })),
  fusedCase('adamw.amsgrad.fused', (model) => ({ optimizer: optim_adamw(model.parameters, { lr: 0.01, weight_decay: 0.1, amsgrad: true, fused: true }) })),
  fusedCase('sgd.fused', (model) => ({ optimizer: optim_sgd(model.parameters, { lr: 0.05, fused: true }) })),
  fusedCase('sgd.dampening.fused', (model) => ({ optimizer: optim_sgd(model.parameters, { lr: 0.05, momentum: 0.9, dampening: 0.3, fused: true }) })),
  fusedCase('sgd.nesterov.fused', (model) => ({ optimizer: optim_sgd(model.parameters, { lr: 0.05, momentum: 0.9, nesterov: true, fused: true }) })),
  fusedCase('sgd.momentum_weight_decay.fused', (model) => ({ optimizer: optim_sgd(model.parameters, { lr: 0.05, momentum: 0.5, weight_decay: 0.01, fused: true }) })),
  fusedCase('sgd.maximize.fused', (model) => ({ optimizer: optim_sgd(model.parameters, { lr: 0.01, momentum: 0.9, maximize: true, fused: true }) })),
  fusedCase('adamw.amsgrad.fused.float64', (model) => ({ optimizer: optim_adamw(model.parameters, { lr: 0.01, amsgrad: true, fused: true }) }), 'float64'),
  fusedCase('adagrad.fused', (model) => ({ optimizer: optim_adagrad(model.parameters, { lr: 0.05, fused: true }) })),
  fusedCase('adagrad.lr_decay_weight_decay.fused', (model) => ({
    optimizer: optim_adagrad(model.parameters, { lr: 0.1, lr_decay: 0.01, weight_decay: 0.02, initial_accumulator_value: 0.1, fused: true }),
  })),
  fusedCase('adagrad.maximize.fused', (model) => ({ optimizer: optim_adagrad(model.parameters, { lr: 0.05, weight_decay: 0.02, maximize: true, fused: true }) })),
  fusedCase('adagrad.fused.float64', (model) => ({ optimizer: optim_adagrad(model.parameters, { lr: 0.1, lr_decay: 0.01, fused: true }) }), 'float64'),
  fusedCase('sgd.nesterov.fused.float64', (model) => ({ optimizer: optim_sgd(model.parameters, { lr: 0.05, momentum: 0.9, nesterov: true, fused: true }) }), 'float64'),
];

// `foreach: true`: Python's multi-tensor path, the twins' foreach=True.
const foreach: ParityCase[] = [
  train('adam.foreach', (model) => ({ optimizer: optim_adam(model.parameters, { lr: 0.01, foreach: true }) })),
  train('adam.weight_decay_amsgrad.foreach', (model) => ({ optimizer: optim_adam(model.parameters, { lr: 0.01, weight_decay: 0.05, amsgrad: true, foreach: true }) })),
  train('adam.maximize.foreach', (model) => ({ optimizer: optim_adam(model.parameters, { lr: 0.01, maximize: true, weight_decay: 0.05, foreach: true }) })),
  train('adamw.amsgrad_maximize.foreach', (model) => ({ optimizer: optim_adamw(model.parameters, { lr: 0.01, weight_decay: 0.1, amsgrad: true, maximize: true, foreach: true }) })),
  train('sgd.foreach', (model) => ({ optimizer: optim_sgd(model.parameters, { lr: 0.05, foreach: true }) })),
  train('sgd.dampening_maximize.foreach', (model) => ({ optimizer: optim_sgd(model.parameters, { lr: 0.01, momentum: 0.9, dampening: 0.3, maximize: true, foreach: true }) })),
  train('sgd.nesterov_weight_decay.foreach', (model) => ({ optimizer: optim_sgd(model.parameters, { lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 0.01, foreach: true }) })),
  train('rmsprop.foreach', (model) => ({ optimizer: optim_rmsprop(model.parameters, { lr: 0.005, foreach: true }) })),
  train('rmsprop.centered_momentum_weight_decay.foreach', (model) => ({
    optimizer: optim_rmsprop(model.parameters, { lr: 0.002, centered: true, momentum: 0.5, weight_decay: 0.01, foreach: true }),
  })),
  train('adagrad.foreach', (model) => ({ optimizer: optim_adagrad(model.parameters, { lr: 0.05, foreach: true }) })),
  train('adagrad.lr_decay_weight_decay.foreach', (model) => ({
    optimizer: optim_adagrad(model.parameters, { lr: 0.1, lr_decay: 0.01, weight_decay: 0.02, initial_accumulator_value: 0.1, foreach: true }),
  })),
  train('rmsprop.maximize.foreach', (model) => ({
    optimizer: optim_rmsprop(model.parameters, { lr: 0.002, centered: true, momentum: 0.5, weight_decay: 0.01, maximize: true, foreach: true }),
  })),
  train('adagrad.maximize.foreach', (model) => ({ optimizer: optim_adagrad(model.parameters, { lr: 0.05, lr_decay: 0.01, weight_decay: 0.02, maximize: true, foreach: true }) })),
  train('adam.amsgrad.foreach.float64', (model) => ({ optimizer: optim_adam(model.parameters, { lr: 0.01, amsgrad: true, foreach: true }) }), 'float64'),
  // Each group its own path: PyTorch chooses per group too.
  fusedCase('adam.paths.param_groups', (model) => {
    const [first, last] = layers(model);
    return { optimizer: optim_adam([{ params: first, lr: 0.02, foreach: true }, { params: last, amsgrad: true, fused: true }], { lr: 0.005 }) };
  }),
  train('sgd.paths.param_groups', (model) => {
    const [first, last] = layers(model);
    return { optimizer: optim_sgd([{ params: first, momentum: 0.9, foreach: true }, { params: last, momentum: 0.8, nesterov: true }], { lr: 0.02 }) };
  }),
];

/** 50 steps of a transposed (not contiguous) leaf, on every path. */
function strided(name: string, make: (params: Tensor[]) => Optimizer<any>): ParityCase {
  return { name: `optim.${name}.strided`, ...(ATEN_FUSED || !name.includes('fused') ? {} : { tolerance: FUSED }), run: () => {
    const weight = torch_randn(29, 37).t().detach().requires_grad_();
    const target = torch_randn(37, 29);
    const optimizer = make([weight]);
    for (let step = 0; step < 50; step++) {
      optimizer.zero_grad();
      weight.mul(1.5).sub(target).pow(2).mean().backward();
      optimizer.step();
    }
    return { weight: weight.detach().contiguous() };
  } };
}

/** 30 steps of a group holding a float32 and a float64 parameter: a list per dtype. */
function mixed(name: string, make: (params: Tensor[]) => Optimizer<any>): ParityCase {
  return { name: `optim.${name}.mixed_dtypes`, ...(ATEN_FUSED || !name.includes('fused') ? {} : { tolerance: FUSED }), run: () => {
    const single = torch_randn(5, 3).requires_grad_();
    const double = torch_randn(4, { dtype: 'float64' }).requires_grad_();
    const [singleTarget, doubleTarget] = [torch_randn(5, 3), torch_randn(4, { dtype: 'float64' })];
    const optimizer = make([single, double]);
    for (let step = 0; step < 30; step++) {
      optimizer.zero_grad();
      single.mul(1.5).sub(singleTarget).pow(2).mean().add(double.mul(1.5).sub(doubleTarget).pow(2).mean()).backward();
      optimizer.step();
    }
    return { single: single.detach(), double: double.detach() };
  } };
}

/** 20 steps of an embedding table with sparse gradients. */
function sparse(name: string, make: (params: Tensor[]) => Optimizer<any>): ParityCase {
  return { name: `optim.${name}.sparse`, run: () => {
    const weight = torch_randn(10, 3).requires_grad_();
    const index = torch_tensor([[1, 2, 4], [4, 3, 9]], { dtype: 'int64' });
    const optimizer = make([weight]);
    for (let step = 0; step < 20; step++) {
      optimizer.zero_grad();
      nnf_embedding(index, weight, { sparse: true }).pow(2).sum().backward();
      optimizer.step();
    }
    return { weight: weight.detach() };
  } };
}

const lists: ParityCase[] = [
  mixed('adam.foreach', (params) => optim_adam(params, { lr: 0.01, weight_decay: 0.05, foreach: true })),
  mixed('adamw.fused', (params) => optim_adamw(params, { lr: 0.01, amsgrad: true, fused: true })),
  mixed('sgd.foreach', (params) => optim_sgd(params, { lr: 0.05, momentum: 0.9, foreach: true })),
  mixed('sgd.fused', (params) => optim_sgd(params, { lr: 0.05, momentum: 0.9, nesterov: true, fused: true })),
  mixed('rmsprop.foreach', (params) => optim_rmsprop(params, { lr: 0.01, centered: true, foreach: true })),
  mixed('adagrad.foreach', (params) => optim_adagrad(params, { lr: 0.1, lr_decay: 0.01, foreach: true })),
  sparse('sgd', (params) => optim_sgd(params, { lr: 0.1 })),
  sparse('sgd.foreach', (params) => optim_sgd(params, { lr: 0.1, foreach: true })),
  sparse('adagrad', (params) => optim_adagrad(params, { lr: 0.1 })),
  sparse('adagrad.foreach', (params) => optim_adagrad(params, { lr: 0.1, foreach: true })),
];

const strides: ParityCase[] = [
  strided('adam', (params) => optim_adam(params, { lr: 0.01, weight_decay: 0.05 })),
  strided('adam.fused', (params) => optim_adam(params, { lr: 0.01, weight_decay: 0.05, fused: true })),
  strided('adamw.foreach', (params) => optim_adamw(params, { lr: 0.01, amsgrad: true, foreach: true })),
  strided('sgd.fused', (params) => optim_sgd(params, { lr: 0.05, momentum: 0.9, fused: true })),
];

const rmsprop: ParityCase[] = [
  train('rmsprop', (model) => ({ optimizer: optim_rmsprop(model.parameters, { lr: 0.005 }) })),
  train('rmsprop.defaults', (model) => ({ optimizer: optim_rmsprop(model.parameters) })),
  train('rmsprop.momentum', (model) => ({ optimizer: optim_rmsprop(model.parameters, { lr: 0.002, momentum: 0.9 }) })),
  train('rmsprop.centered', (model) => ({ optimizer: optim_rmsprop(model.parameters, { lr: 0.003, centered: true, alpha: 0.9, eps: 1e-6 }) })),
  train('rmsprop.centered_momentum_weight_decay', (model) => ({
    optimizer: optim_rmsprop(model.parameters, { lr: 0.002, centered: true, momentum: 0.5, weight_decay: 0.01 }),
  })),
  train('rmsprop.param_groups', (model) => {
    const [first, last] = layers(model);
    return { optimizer: optim_rmsprop([{ params: first, momentum: 0.8 }, { params: last, lr: 0.001, centered: true }], { lr: 0.004 }) };
  }),
];

const adagrad: ParityCase[] = [
  train('adagrad', (model) => ({ optimizer: optim_adagrad(model.parameters, { lr: 0.05 }) })),
  train('adagrad.defaults', (model) => ({ optimizer: optim_adagrad(model.parameters) })),
  train('adagrad.lr_decay', (model) => ({ optimizer: optim_adagrad(model.parameters, { lr: 0.1, lr_decay: 0.01 }) })),
  train('adagrad.initial_accumulator_weight_decay', (model) => ({
    optimizer: optim_adagrad(model.parameters, { lr: 0.05, initial_accumulator_value: 0.1, weight_decay: 0.02, eps: 1e-8 }),
  })),
  train('adagrad.param_groups', (model) => {
    const [first, last] = layers(model);
    return { optimizer: optim_adagrad([{ params: first, lr_decay: 0.001 }, { params: last, lr: 0.02, initial_accumulator_value: 0.5 }], { lr: 0.08 }) };
  }),
  train('adagrad.add_param_group', (model) => {
    const [first, last] = layers(model);
    const optimizer = optim_adagrad(first, { lr: 0.05 });
    optimizer.add_param_group({ params: last, initial_accumulator_value: 0.2 });
    return { optimizer };
  }),
];

/** The state_dict()'s per-parameter state after 20 steps, under PyTorch's names. */
function state(name: string, make: (model: Model) => Optimizer<any>): ParityCase {
  return { name: `optim.${name}.state_dict`, inputs: () => ({ x: torch_randn(32, 6), y: torch_randn(32, 2) }), run: ({ x, y }) => {
    const model = nn_sequential(nn_linear(6, 8), nn_relu(), nn_linear(8, 2));
    const optimizer = make(model);
    for (let step = 1; step <= 20; step++) {
      optimizer.zero_grad();
      nnf_mse_loss(model(x!), y!).backward();
      optimizer.step();
    }
    const result: Tensors = {};
    for (const [index, entry] of Object.entries(optimizer.state_dict().state)) {
      for (const [key, value] of Object.entries(entry)) {
        result[`${index}/${key}`] = typeof value === 'number' ? torch_tensor(value, { dtype: 'float64' }) : (value as Tensor).clone();
      }
    }
    return result;
  } };
}

const states: ParityCase[] = [
  state('rmsprop.centered_momentum', (model) => optim_rmsprop(model.parameters, { lr: 0.002, centered: true, momentum: 0.5 })),
  state('adagrad', (model) => optim_adagrad(model.parameters, { lr: 0.05, initial_accumulator_value: 0.1 })),
  state('adam.amsgrad.foreach', (model) => optim_adam(model.parameters, { lr: 0.01, amsgrad: true, foreach: true })),
  state('sgd.momentum.foreach', (model) => optim_sgd(model.parameters, { lr: 0.05, momentum: 0.9, foreach: true })),
  { ...state('adamw.amsgrad.fused', (model) => optim_adamw(model.parameters, { lr: 0.01, amsgrad: true, fused: true })), ...(ATEN_FUSED ? {} : { tolerance: FUSED }) },
];

const schedulers: ParityCase[] = [
  train('sgd.step_lr', (model) => {
    const optimizer = optim_sgd(model.parameters, { lr: 0.1, momentum: 0.9 });
    return { optimizer, scheduler: lr_step(optimizer, 30, 0.5) };
  }),
  train('adam.step_lr.param_groups', (model) => {
    const [first, last] = layers(model);
    const optimizer = optim_adam([{ params: first, lr: 0.03 }, { params: last }], { lr: 0.01 });
    return { optimizer, scheduler: lr_step(optimizer, 50, 0.1) };
  }),
];

parity_suite('optimizer parity with PyTorch', [
  ...sgd, ...adam, ...maximize, ...fused, ...foreach, ...strides, ...lists, ...rmsprop, ...adagrad, ...states, ...schedulers,
]);
