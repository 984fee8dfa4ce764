// Optimizers: N steps of Adam, AdamW and SGD on a small regression give Python PyTorch's
// parameters and losses (test/fixtures/nn.json); a frozen parameter stays untouched;
// parameter groups, state_dict round trips, zero_grad, the step LR scheduler, and option checks;
// RMSprop and Adagrad by their update rules, state_dict shape and resume, and their options.
import { describe, expect, it } from 'vitest';
import {
  lr_step, nn_linear, nn_module, nn_parameter, nnf_mse_loss, optim_adagrad, optim_adam, optim_adamw, optim_rmsprop, optim_sgd, torch_matmul,
  torch_ones, torch_randn, torch_tensor, torch_zeros, type AdamOptions, type Optimizer, type SGDOptions, type Tensor,
} from '../src/index.js';
import { expectClose, expectTensor, flat, type Tolerance } from './fixtures/core.js';
import { fixture, nn, tensorOf, type OptimizerRun } from './fixtures/nn.js';

const problem = nn.optim.problem;
const x = tensorOf(problem.x);
const y = tensorOf(problem.y);
// A few float32 ulps per step, compounded over five steps.
const STEPS: Tolerance = { rtol: 1e-5, atol: 1e-6 };

interface Problem {
  w: Tensor;
  b: Tensor;
  frozen: Tensor;
  loss: () => Tensor;
}

// The fixture's problem: loss = mean(((x wᵀ + b) frozen - y)²), where `frozen` never gets a gradient.
function makeProblem(): Problem {
  const w = tensorOf(problem.w0).requires_grad_();
  const b = tensorOf(problem.b0).requires_grad_();
  const frozen = tensorOf(problem.frozen0);
  return { w, b, frozen, loss: () => nnf_mse_loss(torch_matmul(x.matmul(w.t()).add(b), frozen), y) };
}

function train(p: Problem, opt: Optimizer<object>, steps: number): number[] {
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    opt.zero_grad();
    const loss = p.loss();
    loss.backward();
    opt.step();
    losses.push(loss.item() as number);
  }
  return losses;
}

function expectRun(p: Problem, losses: number[], run: OptimizerRun): void {
  expectTensor(p.w, run.w, STEPS);
  expectTensor(p.b, run.b, STEPS);
  expectClose(losses, run.losses, STEPS);
  expectTensor(p.frozen, problem.frozen0);
}

type RunCase = [string, (params: Tensor[]) => Optimizer<object>];

const runs: RunCase[] = [
  ['adam_lr01', (params) => optim_adam(params, { lr: 0.1 })],
  ['adam_wd_amsgrad', (params) => optim_adam(params, { lr: 0.05, betas: [0.8, 0.99], eps: 1e-6, weight_decay: 0.1, amsgrad: true })],
  ['adamw_lr01', (params) => optim_adamw(params, { lr: 0.1 })],
  ['adamw_wd05', (params) => optim_adamw(params, { lr: 0.1, weight_decay: 0.5 })],
  ['sgd_lr01', (params) => optim_sgd(params, { lr: 0.1 })],
  ['sgd_momentum', (params) => optim_sgd(params, { lr: 0.1, momentum: 0.9, dampening: 0.1, weight_decay: 0.01 })],
  ['sgd_nesterov', (params) => optim_sgd(params, { lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 0.01 })],
];

describe('five steps match PyTorch', () => {
  it.each(runs)('%s', (name, make) => {
    const p = makeProblem();
    const losses = train(p, make([p.w, p.b, p.frozen]), 5);
    expectRun(p, losses, fixture(nn.optim.runs, name));
  });

  it('Adam\'s state after five steps', () => {
    const p = makeProblem();
    const opt = optim_adam([p.w, p.b, p.frozen], { lr: 0.1 });
    train(p, opt, 5);
    const expected = fixture(nn.optim.runs, 'adam_lr01').state0;
    const state = opt.state_dict().state;
    expect(state[0]!.step).toBe(expected.step);
    expectTensor(state[0]!.exp_avg!, expected.exp_avg!, STEPS);
    expectTensor(state[0]!.exp_avg_sq!, expected.exp_avg_sq!, STEPS);
    expect(state[2]).toBeUndefined(); // the frozen parameter never stepped
  });

  it('SGD\'s momentum buffer', () => {
    const p = makeProblem();
    const opt = optim_sgd([p.w, p.b, p.frozen], { lr: 0.1, momentum: 0.9, dampening: 0.1, weight_decay: 0.01 });
    train(p, opt, 5);
    expectTensor(opt.state_dict().state[0]!.momentum_buffer!, fixture(nn.optim.runs, 'sgd_momentum').state0.momentum_buffer!, STEPS);
  });

  it('parameter groups with their own options', () => {
    const p = makeProblem();
    const opt = optim_adam([{ params: [p.w] }, { params: [p.b], lr: 0.01, betas: [0.5, 0.9] }], { lr: 0.1 });
    expect(opt.param_groups.map((g) => g.lr)).toEqual([0.1, 0.01]);
    expect(opt.param_groups[1]!.betas).toEqual([0.5, 0.9]);
    const losses = train(p, opt, 5);
    expectRun(p, losses, fixture(nn.optim.runs, 'adam_groups'));
  });

  it('add_param_group takes the defaults for what it does not set', () => {
    const p = makeProblem();
    const opt = optim_adam([p.w], { lr: 0.1 });
    // A refused group changes nothing: its parameters may be given again.
    expect(() => opt.add_param_group({ params: [p.b], lr: -1 })).toThrow(RangeError);
    expect(opt.param_groups).toHaveLength(1);
    opt.add_param_group({ params: [p.b], lr: 0.01, betas: [0.5, 0.9] });
    expect(opt.param_groups[1]!.eps).toBe(1e-8);
    expect(() => opt.add_param_group({ params: [p.b] })).toThrow(/each parameter in one place only/);
    const losses = train(p, opt, 5);
    expectRun(p, losses, fixture(nn.optim.runs, 'adam_groups'));
  });
});

describe('frozen parameters (the LoRA case)', () => {
  it('step() leaves a layer whose parameters do not require gradients exactly as it was', () => {
    const lora = nn_module({
      initialize(linear) {
        this.linear = linear;
        for (const p of this.linear.parameters) p.requires_grad_(false);
        this.A = nn_parameter(torch_randn(linear.in_features, 2));
        this.B = nn_parameter(torch_zeros(2, linear.out_features));
      },
      forward(input) {
        return this.linear(input).add(torch_matmul(input, torch_matmul(this.A, this.B)));
      },
    });
    const model = lora(nn_linear(4, 3));
    const before = model.linear.weight.clone();
    const opt = optim_adam(model.parameters, { lr: 0.1 });
    for (let i = 0; i < 3; i++) {
      opt.zero_grad();
      nnf_mse_loss(model(torch_randn(8, 4)), torch_randn(8, 3)).backward();
      opt.step();
    }
    expect(model.linear.weight.equal(before)).toBe(true);
    expect(model.B.abs().sum().item()).toBeGreaterThan(0);
  });
});

describe('state_dict and load_state_dict', () => {
  const resumes: [string, (params: Tensor[]) => Optimizer<object>][] = [
    ['adam_wd_amsgrad', (params) => optim_adam(params, { lr: 0.05, betas: [0.8, 0.99], eps: 1e-6, weight_decay: 0.1, amsgrad: true })],
    ['sgd_momentum', (params) => optim_sgd(params, { lr: 0.1, momentum: 0.9, dampening: 0.1, weight_decay: 0.01 })],
    ['adamw_wd05', (params) => optim_adamw(params, { lr: 0.1, weight_decay: 0.5 })],
  ];

  it.each(resumes)('%s: 3 steps, a new optimizer loads the state, 2 more steps = PyTorch\'s 5 steps', (name, make) => {
    const p = makeProblem();
    const first = make([p.w, p.b, p.frozen]);
    const losses = train(p, first, 3);
    const saved = first.state_dict();
    first.dispose();
    // Defaults that differ from the saved options: load_state_dict restores those too.
    const second = name.startsWith('sgd') ? optim_sgd([p.w, p.b, p.frozen], { lr: 1 }) : make([p.w, p.b, p.frozen]);
    second.load_state_dict(saved);
    losses.push(...train(p, second, 2));
    expectRun(p, losses, fixture(nn.optim.runs, name));
  });

  it('is shaped like PyTorch\'s', () => {
    const p = makeProblem();
    const opt = optim_adam([p.w, p.b], { lr: 0.1 });
    train(p, opt, 1);
    const saved = opt.state_dict();
    expect(Object.keys(saved.state)).toEqual(['0', '1']);
    expect(saved.param_groups).toEqual([{ lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false, maximize: false, foreach: false, fused: false, params: [0, 1] }]);
    expect(saved.state[1]!.exp_avg!.shape).toEqual([3]);
  });

  it('mismatches are errors that change nothing', () => {
    const p = makeProblem();
    const opt = optim_adam([p.w, p.b], { lr: 0.1 });
    train(p, opt, 1);
    const saved = opt.state_dict();
    const other = optim_adam([torch_ones(2).requires_grad_()], { lr: 0.5 });
    expect(() => other.load_state_dict(saved)).toThrow(RangeError);
    const wrongShape = { ...saved, state: { 0: { ...saved.state[0]!, exp_avg: torch_zeros(2) }, 1: saved.state[1]! } };
    expect(() => opt.load_state_dict(wrongShape)).toThrow(/exp_avg/);
    const badLr = { ...saved, param_groups: [{ ...saved.param_groups[0]!, lr: -1 }] };
    expect(() => opt.load_state_dict(badLr)).toThrow(RangeError);
    expect(opt.param_groups[0]!.lr).toBe(0.1);
    expect(other.param_groups[0]!.lr).toBe(0.5);
  });
});

describe('zero_grad', () => {
  it('drops gradients by default (set_to_none, PyTorch 2.x\'s default), or zeroes them', () => {
    const p = makeProblem();
    const opt = optim_sgd([p.w, p.b], { lr: 0.1 });
    p.loss().backward();
    opt.zero_grad(false);
    expect(flat(p.w.grad!).every((v) => v === 0)).toBe(true);
    opt.zero_grad();
    expect(p.w.grad).toBeUndefined();
    expect(p.b.grad).toBeUndefined();
  });
});

describe('step()', () => {
  it('runs the closure with gradients on and returns its loss', () => {
    const p = makeProblem();
    const opt = optim_sgd([p.w, p.b], { lr: 0.1 });
    const loss = opt.step(() => {
      opt.zero_grad();
      const l = p.loss();
      l.backward();
      return l;
    });
    expect(loss!.item()).toBeCloseTo(fixture(nn.optim.runs, 'sgd_lr01').losses[0]!, 5);
  });

  it('a disposed optimizer is a TypeError', () => {
    const opt = optim_sgd([torch_ones(1).requires_grad_()], { lr: 0.1 });
    opt.dispose();
    opt.dispose();
    expect(() => opt.step()).toThrow(/disposed/);
  });
});

describe('the step learning-rate scheduler', () => {
  it('lr_step gives StepLR\'s learning rates', () => {
    const opt = optim_sgd([torch_ones(2).requires_grad_()], { lr: 1 });
    const scheduler = lr_step(opt, 3, 0.5);
    const lrs: number[] = [];
    for (let epoch = 0; epoch < 10; epoch++) {
      opt.step();
      scheduler.step();
      lrs.push(scheduler.get_last_lr()[0]!);
    }
    expect(lrs).toEqual(nn.optim.step_lr_sgd1_size3_gamma05);
    expect(opt.param_groups[0]!.lr).toBe(0.125);
    expect(scheduler.last_epoch).toBe(10);
  });

  it('decays every group', () => {
    const opt = optim_adam([{ params: [torch_ones(1).requires_grad_()] }, { params: [torch_ones(1).requires_grad_()], lr: 0.1 }], { lr: 1 });
    const scheduler = lr_step(opt, 1, 0.1);
    scheduler.step();
    expect(opt.param_groups.map((g) => g.lr)).toEqual([0.1, 0.1 * 0.1]);
  });
});

describe('options are checked before libtorch', () => {
  const param = () => [torch_ones(2).requires_grad_()];
  const adamCases: [AdamOptions, RegExp | typeof RangeError | typeof TypeError][] = [
    [{ lr: -1 }, /Expected a non-negative learning rate for lr but received -1/],
    [{ betas: [1, 0.999] }, RangeError],
    [{ betas: [0.9, -0.1] }, RangeError],
    [{ betas: [0.9] as never }, TypeError],
    [{ eps: -1e-8 }, RangeError],
    [{ weight_decay: -0.1 }, RangeError],
    [{ amsgrad: 1 as never }, TypeError],
    [{ momentum: 0.9 } as never, /Expected one of lr, betas, eps, weight_decay, amsgrad/],
  ];
  it.each(adamCases)('optim_adam %j', (options, error) => {
    expect(() => optim_adam(param(), options)).toThrow(error);
    expect(() => optim_adamw(param(), options)).toThrow(error);
  });

  const sgdCases: [SGDOptions, RegExp | typeof RangeError | typeof TypeError][] = [
    [{}, /no default learning rate/],
    [{ lr: -0.1 }, RangeError],
    [{ lr: 0.1, momentum: -1 }, RangeError],
    [{ lr: 0.1, nesterov: true }, /momentum > 0 with nesterov/],
    [{ lr: 0.1, nesterov: true, momentum: 0.9, dampening: 0.1 }, /dampening 0 with nesterov/],
  ];
  it.each(sgdCases)('optim_sgd %j', (options, error) => {
    expect(() => optim_sgd(param(), options)).toThrow(error);
  });

  it('parameters', () => {
    expect(() => optim_adam([])).toThrow(TypeError);
    expect(() => optim_adam([3 as never])).toThrow(TypeError);
    const leaf = torch_ones(2).requires_grad_();
    expect(() => optim_adam([leaf.mul(2)])).toThrow(/leaf Tensor/);
    expect(() => optim_adam([leaf, leaf])).toThrow(/one place only/);
    expect(() => optim_adam([{ params: [leaf] }, { params: [leaf] }])).toThrow(/one place only/);
  });

  it('setting an option of a group checks it too', () => {
    const opt = optim_adam(param(), { lr: 0.1 });
    expect(() => { opt.param_groups[0]!.lr = -1; }).toThrow(RangeError);
    expect(() => { opt.param_groups[0]!.betas = [0.9, 1]; }).toThrow(RangeError);
    opt.param_groups[0]!.lr = 0.05;
    expect(opt.param_groups[0]!.lr).toBe(0.05);
    expect(() => lr_step(opt, 0)).toThrow(RangeError);
  });
});

describe('optim_rmsprop and optim_adagrad', () => {
  // A parameter at 0 whose gradient is `g`: loss = sum(p * g).
  function stepOnce(make: (params: Tensor[]) => Optimizer<object>, g: number[]): number[] {
    const p = torch_zeros(g.length).requires_grad_();
    const opt = make([p]);
    p.mul(torch_tensor(g)).sum().backward();
    opt.step();
    return Array.from(p.detach().to_typed_array() as Float32Array);
  }

  it('one step moves by the update rule', () => {
    // Adagrad: sum = g^2, p = -lr * g / (|g| + eps).
    stepOnce((ps) => optim_adagrad(ps, { lr: 0.5 }), [2, -4]).forEach((v, i) => expect(v).toBeCloseTo([-0.5, 0.5][i]!, 6));
    // RMSprop: square_avg = (1 - alpha) g^2, p = -lr * g / (sqrt(1 - alpha) |g| + eps) = -lr * sign(g) / 0.1.
    stepOnce((ps) => optim_rmsprop(ps, { lr: 0.01 }), [2, -4]).forEach((v, i) => expect(v).toBeCloseTo([-0.1, 0.1][i]!, 5));
  });

  it('state_dict is shaped like PyTorch\'s', () => {
    const p = makeProblem();
    const rms = optim_rmsprop([p.w, p.b], { momentum: 0.9, centered: true });
    expect(rms.state_dict().state).toEqual({});
    train(p, rms, 2);
    const saved = rms.state_dict();
    expect(Object.keys(saved.state[0]!).sort()).toEqual(['grad_avg', 'momentum_buffer', 'square_avg', 'step']);
    expect(saved.state[0]!.step).toBe(2);
    expect(saved.param_groups[0]).toEqual({ lr: 0.01, alpha: 0.99, eps: 1e-8, weight_decay: 0, momentum: 0.9, centered: true, maximize: false, foreach: false, params: [0, 1] });
    // Adagrad's state exists from the start: step 0 and the sum at initial_accumulator_value.
    const ada = optim_adagrad([p.w], { initial_accumulator_value: 0.25 });
    const initial = ada.state_dict().state[0]!;
    expect(initial.step).toBe(0);
    expect(Array.from(initial.sum!.to_typed_array(), Number).every((v) => v === 0.25)).toBe(true);
  });

  const resumes: [string, (params: Tensor[]) => Optimizer<object>][] = [
    ['rmsprop', (params) => optim_rmsprop(params, { lr: 0.01, momentum: 0.5, centered: true, weight_decay: 0.01 })],
    ['adagrad', (params) => optim_adagrad(params, { lr: 0.1, lr_decay: 0.01, initial_accumulator_value: 0.1 })],
  ];
  it.each(resumes)('%s: 3 steps, save, load into a new optimizer, 2 steps = 5 steps', (_, make) => {
    const whole = makeProblem();
    const expected = train(whole, make([whole.w, whole.b]), 5);
    const p = makeProblem();
    const first = make([p.w, p.b]);
    const losses = train(p, first, 3);
    const saved = first.state_dict();
    first.dispose();
    const second = make([p.w, p.b]);
    second.load_state_dict(saved);
    losses.push(...train(p, second, 2));
    expect(losses).toEqual(expected);
    expect(p.w.equal(whole.w)).toBe(true);
  });

  it('a group added to Adagrad gets its initial state and steps', () => {
    const a = torch_ones(2).requires_grad_();
    const b = torch_ones(2).requires_grad_();
    const opt = optim_adagrad([a], { lr: 0.1 });
    opt.add_param_group({ params: [b], initial_accumulator_value: 1 });
    expect(opt.state_dict().state[1]!.step).toBe(0);
    a.add(b).sum().backward();
    opt.step();
    expect(opt.state_dict().state[1]!.step).toBe(1);
  });

  it('options are checked', () => {
    const param = () => [torch_ones(2).requires_grad_()];
    expect(() => optim_rmsprop(param(), { lr: -1 })).toThrow(RangeError);
    expect(() => optim_rmsprop(param(), { centered: 1 as never })).toThrow(TypeError);
    expect(() => optim_rmsprop(param(), { betas: [0.9, 0.99] } as never)).toThrow(/Expected one of lr, alpha, eps, weight_decay, momentum, centered/);
    expect(() => optim_adagrad(param(), { lr_decay: -0.1 })).toThrow(RangeError);
    expect(() => optim_adagrad(param(), { initial_accumulator_value: Number.NaN })).toThrow(TypeError);
    expect(() => optim_adagrad(param(), { momentum: 0.9 } as never)).toThrow(/Expected one of lr, lr_decay, weight_decay, initial_accumulator_value, eps/);
  });
});
