// Learning-rate schedulers: values from their formulas worked by hand (PyTorch 1.13's, which
// the parity suite compares bit for bit), resuming from state_dict, composition, and checks.
import { describe, expect, it } from 'vitest';
import {
  lr_cosine_annealing, lr_exponential, lr_lambda, lr_linear, lr_multiplicative, lr_multistep, lr_one_cycle, lr_reduce_on_plateau,
  lr_sequential, lr_step, optim_adagrad, optim_adam, optim_sgd, torch_ones, torch_tensor, type Optimizer,
} from '../src/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const sgd = (lr = 1, momentum = 0): Optimizer<any> => optim_sgd([torch_ones(2).requires_grad_()], { lr, momentum });

/** The learning rate of group 0 after each of `n` steps. */
function run(scheduler: { step(): void; get_last_lr(): number[] }, n: number): number[] {
  const lrs: number[] = [];
  for (let i = 0; i < n; i++) {
    scheduler.step();
    lrs.push(scheduler.get_last_lr()[0]!);
  }
  return lrs;
}

describe('epoch schedulers', () => {
  it('lr_exponential multiplies by gamma each epoch', () => {
    const opt = sgd(1);
    const scheduler = lr_exponential(opt, 0.5);
    expect(scheduler.get_last_lr()).toEqual([1]);
    expect(run(scheduler, 4)).toEqual([0.5, 0.25, 0.125, 0.0625]);
    expect(opt.param_groups[0]!.lr).toBe(0.0625);
  });

  it('lr_multistep multiplies at each milestone, twice for one listed twice', () => {
    expect(run(lr_multistep(sgd(1), [4, 2, 4], { gamma: 0.5 }), 5)).toEqual([1, 0.5, 0.5, 0.125, 0.125]);
  });

  it('lr_lambda sets the initial rate times the function, per group', () => {
    const opt = optim_sgd([{ params: [torch_ones(1).requires_grad_()] }, { params: [torch_ones(1).requires_grad_()], lr: 4 }], { lr: 2 });
    const scheduler = lr_lambda(opt, [(epoch) => 1 / (epoch + 1), (epoch) => epoch]);
    expect(scheduler.get_last_lr()).toEqual([2, 0]);
    scheduler.step();
    expect(scheduler.get_last_lr()).toEqual([1, 4]);
    scheduler.step();
    expect(scheduler.get_last_lr()).toEqual([2 / 3, 8]);
  });

  it('lr_multiplicative multiplies the current rate from epoch 1 on', () => {
    expect(run(lr_multiplicative(sgd(1), (epoch) => (epoch === 2 ? 4 : 0.5)), 3)).toEqual([0.5, 2, 1]);
  });

  it('lr_cosine_annealing follows the half cosine down and back up', () => {
    // T_max 2, cos(pi/2) = 6.1e-17: 1 + cos rounds to 1, so epoch 1 is 0.5; cos(pi) = -1 gives 0;
    // epoch 3 is the restart branch, 0 + (1 - 0) * (1 - cos(pi/2)) / 2, where 1 - 6.1e-17 rounds
    // down to 1 - 2^-53 (6.1e-17 is over half an ulp below 1): 0.5 - 2^-54.
    expect(run(lr_cosine_annealing(sgd(1), 2), 4)).toEqual([0.5, 0, 0.5 - 2 ** -54, 1]);
    const lrs = run(lr_cosine_annealing(sgd(1), 10, { eta_min: 0.1 }), 10);
    lrs.forEach((lr, i) => expect(lr).toBeCloseTo(0.1 + 0.9 * (1 + Math.cos(Math.PI * (i + 1) / 10)) / 2, 12));
  });

  it('lr_linear warms up linearly, then holds', () => {
    const scheduler = lr_linear(sgd(1), { start_factor: 0.25, total_iters: 3 });
    expect(scheduler.get_last_lr()).toEqual([0.25]);
    const lrs = run(scheduler, 5);
    [0.5, 0.75, 1, 1, 1].forEach((expected, i) => expect(lrs[i]).toBeCloseTo(expected, 14));
  });

  it('lr_sequential runs a warm-up, then the next schedule from its epoch 0', () => {
    const opt = sgd(1);
    const scheduler = lr_sequential(opt, [lr_linear(opt, { start_factor: 0.5, total_iters: 2 }), lr_exponential(opt, 0.5)], [2]);
    expect(scheduler.get_last_lr()).toEqual([0.5]);
    const lrs = run(scheduler, 4);
    expect(lrs[0]).toBeCloseTo(0.75, 14);
    expect(lrs.slice(1)).toEqual([1, 0.5, 0.25]); // the exponential restarts at the initial rate
  });

  it('state_dict resumes the same schedule', () => {
    const whole = run(lr_cosine_annealing(sgd(1), 7), 12);
    const opt = sgd(1);
    const first = lr_cosine_annealing(opt, 7);
    const head = run(first, 5);
    const saved = first.state_dict();
    // As in PyTorch: a new scheduler (its first step keeps the current rate), then its state.
    const resumed = lr_cosine_annealing(opt, 7);
    resumed.load_state_dict(saved);
    expect([...head, ...run(resumed, 7)]).toEqual(whole);
  });

  it('step(epoch) jumps with the closed form', () => {
    const scheduler = lr_exponential(sgd(1), 0.5);
    scheduler.step(3);
    expect(scheduler.get_last_lr()).toEqual([0.125]);
    expect(scheduler.last_epoch).toBe(3);
  });
});

describe('lr_one_cycle', () => {
  it('rises to max_lr at pct_start and cycles the momentum the other way', () => {
    const opt = sgd(1, 0.9);
    const scheduler = lr_one_cycle(opt, 1, { total_steps: 11, pct_start: 0.5, anneal_strategy: 'linear', div_factor: 10, final_div_factor: 100 });
    expect(scheduler.get_last_lr()).toEqual([0.1]);
    expect(opt.param_groups[0]!.momentum).toBe(0.95);
    const lrs = run(scheduler, 10);
    // Phase 1 ends at step 0.5 * 11 - 1 = 4.5: step 4 is (1 - 0.1) * 4 / 4.5 + 0.1 = 0.9.
    expect(lrs[3]).toBeCloseTo(0.9, 14);
    expect(lrs[9]).toBeCloseTo(0.001, 14); // min_lr = 0.1 / 100 at the last step
  });

  it('refuses steps past total_steps', () => {
    const scheduler = lr_one_cycle(sgd(1, 0.9), 1, { total_steps: 4 });
    run(scheduler, 4); // epoch 4 = total_steps is still allowed, as in PyTorch
    expect(() => scheduler.step()).toThrow(/at most 4 steps \(total_steps\) for step\(\) but received 6/);
  });

  it('cycles Adam\'s beta1 and needs momentum or betas to cycle', () => {
    const adam = optim_adam([torch_ones(1).requires_grad_()]);
    lr_one_cycle(adam, 0.01, { epochs: 2, steps_per_epoch: 5, max_momentum: 0.9 });
    expect(adam.param_groups[0]!.betas).toEqual([0.9, 0.999]);
    expect(() => lr_one_cycle(optim_adagrad([torch_ones(1).requires_grad_()]), 0.1, { total_steps: 5 })).toThrow(/momentum or betas/);
    expect(() => lr_one_cycle(optim_adagrad([torch_ones(1).requires_grad_()]), 0.1, { total_steps: 5, cycle_momentum: false })).not.toThrow();
    expect(() => lr_one_cycle(sgd(), 0.1)).toThrow(/total_steps, or epochs and steps_per_epoch/);
  });
});

describe('lr_reduce_on_plateau', () => {
  it('reduces after patience epochs without improvement, then cools down', () => {
    const opt = sgd(1);
    const scheduler = lr_reduce_on_plateau(opt, { patience: 1, factor: 0.5, cooldown: 1 });
    const lrs = [1, 1, 1, 1, 1, 1].map((loss) => { scheduler.step(loss); return opt.param_groups[0]!.lr; });
    // epoch 1 improves on Infinity; 2 and 3 are bad: reduce at 3; 4 is in cooldown; 5 and 6 bad: reduce at 6.
    expect(lrs).toEqual([1, 1, 0.5, 0.5, 0.5, 0.25]);
    scheduler.step(torch_tensor(0.1));
    expect(scheduler.best).toBeCloseTo(0.1, 7);
  });

  it('mode max, abs threshold and min_lr', () => {
    const opt = sgd(1);
    const scheduler = lr_reduce_on_plateau(opt, { mode: 'max', threshold_mode: 'abs', threshold: 0.5, patience: 0, min_lr: 0.3 });
    scheduler.step(1);
    scheduler.step(1.4); // not 0.5 better: reduce to max(0.1, 0.3)
    expect(opt.param_groups[0]!.lr).toBe(0.3);
    scheduler.step(1.4);
    expect(opt.param_groups[0]!.lr).toBe(0.3);
  });
});

describe('arguments are checked', () => {
  it('refuses what PyTorch refuses, naming the argument', () => {
    expect(() => lr_exponential({} as never, 0.9)).toThrow(/Expected an optimizer for optimizer/);
    expect(() => lr_exponential(sgd(), 0.9, { gama: 1 } as never)).toThrow(/Expected one of last_epoch for lr_exponential options but received "gama"/);
    expect(() => lr_exponential(sgd(), 0.9, { last_epoch: 3 })).toThrow(/resuming/);
    expect(() => lr_multistep(sgd(), [1, -2])).toThrow(RangeError);
    expect(() => lr_cosine_annealing(sgd(), 0)).toThrow(/T_max/);
    expect(() => lr_linear(sgd(), { start_factor: 0 })).toThrow(RangeError);
    expect(() => lr_lambda(sgd(), 3 as never)).toThrow(TypeError);
    expect(() => lr_lambda(sgd(), [() => 1, () => 1])).toThrow(/one per parameter group/);
    expect(() => lr_lambda(sgd(), () => NaN)).toThrow(/lr_lambda\(0\)/);
    expect(() => lr_reduce_on_plateau(sgd(), { factor: 1 })).toThrow(RangeError);
    expect(() => lr_reduce_on_plateau(sgd(), { mode: 'up' as never })).toThrow(TypeError);
    expect(() => lr_reduce_on_plateau(sgd()).step('x' as never)).toThrow(TypeError);
    expect(() => lr_one_cycle(sgd(), 1, { total_steps: 5, pct_start: 2 })).toThrow(RangeError);
    expect(() => lr_one_cycle(sgd(), 1, { total_steps: 5, anneal_strategy: 'cosine' as never })).toThrow(TypeError);
    const opt = sgd();
    expect(() => lr_sequential(opt, [lr_step(opt, 2)], [3])).toThrow(/one fewer than the schedulers/);
    expect(() => lr_sequential(opt, [lr_step(opt, 2), lr_step(sgd(), 2)], [3])).toThrow(/same optimizer/);
  });
});
