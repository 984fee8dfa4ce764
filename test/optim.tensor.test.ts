// The optimizers written over tensor ops (optim_radam, optim_nadam, optim_adamax, optim_lbfgs)
// and lr_cosine_annealing_warm_restarts: option checks, refusals by name, state_dict round
// trips, schedulers driving them, and no tensors left behind. Their numbers are checked
// against PyTorch in test/parity/optim_adaptive, optim_lbfgs and schedulers.parity.test.ts;
// the one-step values here come from the update rules' math.
import { describe, expect, it } from 'vitest';
import {
  lr_cosine_annealing_warm_restarts, lr_step, nnf_embedding, optim_adamax, optim_lbfgs, optim_nadam, optim_radam, torch_memory_stats, torch_randn, torch_scope,
  torch_tensor,
  type Tensor,
} from '../src/index.js';

const values = (t: Tensor): number[] => Array.from(t.to_typed_array() as Float64Array, Number);
const param = (data: number[]): Tensor => torch_tensor(data, { dtype: 'float64' }).requires_grad_();
const live = (): number => torch_memory_stats().tensors;

// One backward of sum(w * g) leaves g as w's gradient.
function backward(w: Tensor, g: number[]): void {
  w.mul(torch_tensor(g, { dtype: 'float64' })).sum().backward();
}

describe('optim_radam, optim_nadam, optim_adamax', () => {
  it('one step moves by the update rule', () => {
    // RAdam's first step (rho_1 < 5): w -= lr * m_hat, m_hat = g.
    const w = param([1, -2]);
    const radam = optim_radam([w], { lr: 0.1 });
    backward(w, [0.5, -4]);
    radam.step();
    const [x, y] = values(w.detach());
    expect(x).toBeCloseTo(1 - 0.1 * 0.5, 14);
    expect(y).toBeCloseTo(-2 - 0.1 * -4, 14);
    // Adamax's first step: exp_inf = |g| (eps 0), w -= lr / (1 - beta1) * (1 - beta1) g / |g| = lr * sign(g).
    const v = param([1, -2]);
    const adamax = optim_adamax([v], { lr: 0.1, eps: 0 });
    backward(v, [0.5, -4]);
    adamax.step();
    const [a, b] = values(v.detach());
    expect(a).toBeCloseTo(0.9, 12);
    expect(b).toBeCloseTo(-1.9, 12);
  });

  it('state_dict has PyTorch\'s names and round-trips into a fresh optimizer', () => {
    const w = param([1, 2, 3]);
    const opt = optim_nadam([w], { lr: 0.01 });
    for (let i = 0; i < 3; i++) { opt.zero_grad(); backward(w, [1, -1, 2]); opt.step(); }
    const saved = opt.state_dict();
    expect(Object.keys(saved.state[0]!)).toEqual(['step', 'mu_product', 'exp_avg', 'exp_avg_sq']);
    expect(saved.state[0]!.step).toBe(3);
    expect(saved.param_groups[0]).toMatchObject({ lr: 0.01, betas: [0.9, 0.999], momentum_decay: 0.004, decoupled_weight_decay: false, params: [0] });
    const copy = param([1, 2, 3]);
    copy.detach().copy_(w.detach());
    const other = optim_nadam([copy], { lr: 0.5 });
    other.load_state_dict(saved);
    expect(other.param_groups[0]!.lr).toBe(0.01);
    for (const o of [opt, other]) { o.zero_grad(); }
    backward(w, [1, -1, 2]);
    backward(copy, [1, -1, 2]);
    opt.step();
    other.step();
    expect(values(copy.detach())).toEqual(values(w.detach()));
  });

  it('load_state_dict checks everything before changing anything', () => {
    const w = param([1, 2]);
    const opt = optim_adamax([w]);
    backward(w, [1, 1]);
    opt.step();
    const saved = opt.state_dict();
    const other = optim_adamax([param([1, 2, 3])]);
    expect(() => other.load_state_dict(saved)).toThrow(/shape \[3\]/);
    expect(() => other.load_state_dict({ ...saved, param_groups: [] })).toThrow(RangeError);
    expect(other.state_dict().state).toEqual({});
  });

  it('refuses what it does not implement, by name, and checks options', () => {
    const w = param([1]);
    expect(() => optim_radam([w], { foreach: true })).toThrow(/single-tensor path only\) for foreach/);
    expect(() => optim_nadam([w], { capturable: true })).toThrow(/capturable/);
    expect(() => optim_adamax([w], { differentiable: true })).toThrow(/differentiable/);
    expect(() => optim_radam([w], { fused: true } as never)).toThrow(/fused/);
    expect(() => optim_radam([w], { lr: -1 })).toThrow(RangeError);
    expect(() => optim_nadam([w], { betas: [1, 0.9] })).toThrow(RangeError);
    expect(() => optim_nadam([w], { momentum_decay: -1 })).toThrow(RangeError);
    expect(optim_radam([w], { foreach: false }).param_groups[0]!.foreach).toBe(false);
  });

  it('refuses sparse gradients before moving any parameter, as PyTorch does', () => {
    const dense = param([1, 2]);
    const table = torch_randn(5, 2).requires_grad_();
    const opt = optim_radam([dense, table]);
    backward(dense, [1, 1]);
    nnf_embedding(torch_tensor([1, 2], { dtype: 'int64' }), table, { sparse: true }).sum().backward();
    expect(() => opt.step()).toThrow(/params\[1\]\.grad/);
    expect(values(dense.detach())).toEqual([1, 2]);
    expect(opt.state_dict().state).toEqual({});
  });

  it('a scheduler sets its learning rate, and steps leave no tensors behind', () => {
    const w = param([1, 2]);
    const opt = optim_radam([w], { lr: 0.1 });
    const scheduler = lr_step(opt, 1, 0.5);
    backward(w, [1, 1]);
    opt.step();
    const before = live();
    for (let i = 0; i < 5; i++) { opt.step(); scheduler.step(); }
    expect(live()).toBe(before);
    expect(opt.param_groups[0]!.lr).toBeCloseTo(0.1 / 32, 15);
  });
});

describe('optim_lbfgs', () => {
  it('minimizes a quadratic exactly in one step with the line search', () => {
    // f(w) = sum((w - c)^2): L-BFGS with strong Wolfe finds c.
    const w = param([0, 0, 0]);
    const c = torch_tensor([1, -2, 3], { dtype: 'float64' });
    const opt = optim_lbfgs([w], { line_search_fn: 'strong_wolfe' });
    const closure = (): Tensor => { opt.zero_grad(); const loss = w.sub(c).pow(2).sum(); loss.backward(); return loss; };
    const first = opt.step(closure);
    expect(first.item()).toBe(14);
    values(w.detach()).forEach((value, i) => expect(value).toBeCloseTo([1, -2, 3][i]!, 6));
  });

  it('keeps no temporaries, only its state', () => {
    const w = param([0, 0]);
    const opt = optim_lbfgs([w], { max_iter: 5, history_size: 2 });
    const closure = (): Tensor => torch_scope(() => { opt.zero_grad(); const loss = w.sub(3).pow(4).sum(); loss.backward(); return loss.detach(); });
    opt.step(closure);
    const before = live();
    for (let i = 0; i < 3; i++) opt.step(closure).dispose();
    expect(live()).toBeLessThanOrEqual(before);
    const state = opt.state_dict().state[0] as unknown as { old_dirs: Tensor[]; n_iter: number };
    expect(state.old_dirs.length).toBeLessThanOrEqual(2);
    expect(state.n_iter).toBeGreaterThan(5);
  });

  it('its state_dict round-trips: a fresh optimizer continues as the first would', () => {
    const run = (w: Tensor, opt: ReturnType<typeof optim_lbfgs>) => opt.step(() => { opt.zero_grad(); const loss = w.sub(3).pow(4).sum(); loss.backward(); return loss; });
    const w = param([0, 1]);
    const opt = optim_lbfgs([w], { max_iter: 3 });
    run(w, opt);
    const copy = param([0, 0]);
    copy.detach().copy_(w.detach());
    const other = optim_lbfgs([copy], { max_iter: 3 });
    other.load_state_dict(opt.state_dict());
    run(w, opt);
    run(copy, other);
    expect(values(copy.detach())).toEqual(values(w.detach()));
  });

  it('needs a closure, takes one group, and checks options', () => {
    const w = param([1]);
    expect(() => optim_lbfgs([w]).step()).toThrow(/closure/);
    expect(() => optim_lbfgs([{ params: [w] }, { params: [param([2])] }] as never)).toThrow(/one parameter group/);
    expect(() => optim_lbfgs([w], { line_search_fn: 'backtracking' as never })).toThrow(/strong_wolfe/);
    expect(() => optim_lbfgs([w], { max_iter: 0 })).toThrow(RangeError);
    expect(optim_lbfgs([w], { max_iter: 8 }).param_groups[0]!.max_eval).toBe(10);
  });
});

describe('lr_cosine_annealing_warm_restarts', () => {
  it('restarts after T_0, then after T_0 * T_mult epochs', () => {
    const opt = optim_radam([param([1])], { lr: 1 });
    const scheduler = lr_cosine_annealing_warm_restarts(opt, 2, { T_mult: 2 });
    const lrs = [opt.param_groups[0]!.lr];
    for (let i = 0; i < 6; i++) { scheduler.step(); lrs.push(opt.param_groups[0]!.lr); }
    // Periods of 2 then 4: 1, cos-half, restart 1, then quarter steps of a 4-epoch cosine.
    const expected = [1, 0.5, 1, (1 + Math.cos(Math.PI / 4)) / 2, 0.5, (1 + Math.cos(3 * Math.PI / 4)) / 2, 1];
    lrs.forEach((lr, i) => expect(lr).toBeCloseTo(expected[i]!, 14));
    const saved = scheduler.state_dict();
    expect(saved).toMatchObject({ T_cur: 0, T_i: 8, last_epoch: 6 });
  });

  it('checks its arguments', () => {
    const opt = optim_radam([param([1])]);
    expect(() => lr_cosine_annealing_warm_restarts(opt, 0)).toThrow(RangeError);
    expect(() => lr_cosine_annealing_warm_restarts(opt, 2, { T_mult: 0 })).toThrow(RangeError);
    expect(() => lr_cosine_annealing_warm_restarts(opt, 2).step(-1)).toThrow(RangeError);
  });
});
