// Parity of the learning-rate schedulers with PyTorch's torch.optim.lr_scheduler (1.13's and 2.13's alike): the
// learning rate of every group after each of EPOCHS scheduler steps (and, for one-cycle, the
// momentum or beta1), compared as float64 bit for bit. No training: the optimizer never
// steps, so only the schedule's arithmetic is compared. Twins: cases_schedulers.py.
import {
  lr_cosine_annealing, lr_exponential, lr_lambda, lr_linear, lr_multiplicative, lr_multistep, lr_one_cycle, lr_reduce_on_plateau,
  lr_cosine_annealing_warm_restarts, lr_sequential, lr_step, optim_adam, optim_sgd, torch_ones, torch_tensor, type Optimizer,
} from '../../src/index.js';
import { parity_suite, type ParityCase } from './harness.js';

const EPOCHS = 50;

// A plateau, a fall, a rise and noise: every branch of ReduceLROnPlateau (better, worse, cooldown).
export const LOSSES = Array.from({ length: EPOCHS }, (_, i) => (i < 10 ? 1 - i * 0.05 : i < 20 ? 0.55 : i < 30 ? 0.55 + (i - 20) * 0.01 : 0.5 - ((i * 7) % 5) * 0.001));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Opt = Optimizer<any>;
const sgd = (momentum = 0): Opt => optim_sgd([{ params: [torch_ones(2).requires_grad_()] }, { params: [torch_ones(1).requires_grad_()], lr: 0.5 }], { lr: 0.1, momentum });
const adam = (): Opt => optim_adam([torch_ones(2).requires_grad_()], { lr: 0.01 });

/** EPOCHS steps of a scheduler; `lr` is [epoch, group] (the value before the first step first). */
function schedule(name: string, make: () => { optimizer: Opt; step: (epoch: number) => void }, momentum?: 'momentum' | 'beta1'): ParityCase {
  return {
    name: `scheduler.${name}`,
    run: () => {
      const { optimizer, step } = make();
      const lrs: number[][] = [];
      const momenta: number[][] = [];
      const record = (): void => {
        lrs.push(optimizer.param_groups.map((group) => group.lr as number));
        if (momentum === 'momentum') momenta.push(optimizer.param_groups.map((group) => group.momentum as number));
        if (momentum === 'beta1') momenta.push(optimizer.param_groups.map((group) => (group.betas as number[])[0]!));
      };
      record();
      for (let epoch = 0; epoch < EPOCHS; epoch++) {
        step(epoch);
        record();
      }
      const out = { lr: torch_tensor(lrs, { dtype: 'float64' }) };
      return momentum === undefined ? out : { ...out, momentum: torch_tensor(momenta, { dtype: 'float64' }) };
    },
  };
}

function epochs(make: (optimizer: Opt) => { step(): void }, optimizer: () => Opt = () => sgd()): () => { optimizer: Opt; step: () => void } {
  return () => {
    const opt = optimizer();
    const scheduler = make(opt);
    return { optimizer: opt, step: () => scheduler.step() };
  };
}

const cases: ParityCase[] = [
  schedule('step', epochs((opt) => lr_step(opt, 7, 0.3))),
  schedule('lambda', epochs((opt) => lr_lambda(opt, (epoch) => 1 / (1 + 0.37 * epoch)))),
  schedule('lambda.per_group', epochs((opt) => lr_lambda(opt, [(epoch) => 1 / (1 + epoch * epoch * 0.01), (epoch) => Math.max(0.1, 1 - epoch / 30)]))),
  schedule('multiplicative', epochs((opt) => lr_multiplicative(opt, (epoch) => (epoch % 2 === 0 ? 0.9 : 1.05)))),
  schedule('multistep', epochs((opt) => lr_multistep(opt, [5, 12, 12, 30], { gamma: 0.7 }))),
  schedule('exponential', epochs((opt) => lr_exponential(opt, 0.93))),
  schedule('cosine_annealing', epochs((opt) => lr_cosine_annealing(opt, 17))),
  schedule('cosine_annealing.eta_min', epochs((opt) => lr_cosine_annealing(opt, 13, { eta_min: 0.003 }))),
  schedule('linear', epochs((opt) => lr_linear(opt, { start_factor: 0.1, total_iters: 12 }))),
  schedule('linear.decay', epochs((opt) => lr_linear(opt, { start_factor: 1, end_factor: 0.25, total_iters: 20 }))),
  schedule('warmup_cosine', epochs((opt) => lr_sequential(opt, [lr_linear(opt, { start_factor: 0.05, total_iters: 8 }), lr_cosine_annealing(opt, 42, { eta_min: 1e-4 })], [8]))),
  schedule('warmup_exponential_step', epochs((opt) => lr_sequential(opt, [lr_linear(opt, { total_iters: 4 }), lr_exponential(opt, 0.9), lr_step(opt, 5, 0.5)], [6, 25]))),
  schedule('one_cycle', epochs((opt) => lr_one_cycle(opt, 1.0, { total_steps: EPOCHS }), () => sgd(0.9)), 'momentum'),
  schedule('one_cycle.linear_three_phase', epochs((opt) => lr_one_cycle(opt, [0.4, 0.8], {
    epochs: 10, steps_per_epoch: 6, pct_start: 0.25, anneal_strategy: 'linear', three_phase: true, div_factor: 10, final_div_factor: 100,
  }), () => sgd(0.9)), 'momentum'),
  schedule('one_cycle.adam', epochs((opt) => lr_one_cycle(opt, 0.05, { total_steps: 60, base_momentum: 0.8, max_momentum: 0.9 }), adam), 'beta1'),
  schedule('one_cycle.no_momentum', epochs((opt) => lr_one_cycle(opt, 0.3, { total_steps: EPOCHS, cycle_momentum: false }))),
  schedule('reduce_on_plateau', () => {
    const optimizer = sgd();
    const scheduler = lr_reduce_on_plateau(optimizer, { patience: 2, factor: 0.5 });
    return { optimizer, step: (epoch) => scheduler.step(LOSSES[epoch]!) };
  }),
  schedule('reduce_on_plateau.options', () => {
    const optimizer = sgd();
    const scheduler = lr_reduce_on_plateau(optimizer, {
      mode: 'max', factor: 0.3, patience: 1, threshold: 0.01, threshold_mode: 'abs', cooldown: 2, min_lr: [0.002, 0.04],
    });
    return { optimizer, step: (epoch) => scheduler.step(torch_tensor(-LOSSES[epoch]!, { dtype: 'float64' })) };
  }),
  schedule('warm_restarts', epochs((opt) => lr_cosine_annealing_warm_restarts(opt, 7))),
  schedule('warm_restarts.T_mult_eta_min', epochs((opt) => lr_cosine_annealing_warm_restarts(opt, 3, { T_mult: 2, eta_min: 0.001 }))),
  schedule('warm_restarts.fractional_epochs', () => {
    const optimizer = sgd();
    const scheduler = lr_cosine_annealing_warm_restarts(optimizer, 3, { T_mult: 2, eta_min: 0.002 });
    return { optimizer, step: (epoch) => scheduler.step(epoch * 0.75 + 0.3) };
  }),
  schedule('warm_restarts.adam', epochs((opt) => lr_cosine_annealing_warm_restarts(opt, 5, { T_mult: 3 }), adam)),
];

parity_suite('scheduler parity with PyTorch', cases);
