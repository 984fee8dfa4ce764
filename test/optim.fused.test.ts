// The fused optimizers (`fused: true`): one pass per parameter, by aten's fused kernels where
// the linked libtorch has them (2.4+), else by torchlora's loop. Their agreement with Python's
// fused=True (or, before 2.4, its default path) over 200 training steps is in
// test/parity/optim.parity.test.ts; here, against the default path (fused: false,
// bit-identical with PyTorch's) in the same run: float64, strided parameters, tensors split
// over threads, frozen parameters, groups of both kinds, switching mid-run, state_dict round
// trips both ways, maximize, the memory a step allocates, and what is refused.
import { afterEach, describe, expect, it } from 'vitest';
import {
  TorchError, nn_embedding, nnf_mse_loss, optim_adagrad, optim_adam, optim_adamw, optim_rmsprop, optim_sgd, torch_empty_cache,
  torch_get_num_threads, torch_manual_seed, torch_memory_stats, torch_randn, torch_set_num_threads, torch_tensor, type Optimizer,
  type Tensor,
} from '../src/index.js';
import { libtorchAtLeast } from '../src/core/libtorch_version.js';

// Close to the default path, not equal to it. aten's fused kernels (libtorch 2.4+) order each
// element's arithmetic their own way (Python's fused=True differs from its default path the
// same way): a few float32 ulps of the parameters' scale (about 1) after 200 steps.
// torchlora's loop (before 2.4) does the default path's IEEE operations per element; only a
// CPU whose kernels contract a multiply-add where the loop does not may differ, in the last bit.
const ATEN_FUSED = libtorchAtLeast(2, 4);
const RTOL = 1e-6;
const ATOL = ATEN_FUSED ? 1e-6 : 1e-9;

type Make = (params: Tensor[], fused: boolean) => Optimizer<any>;

const KINDS: [string, Make][] = [
  ['adam', (p, fused) => optim_adam(p, { lr: 0.01, fused })],
  ['adam, L2 weight decay and amsgrad', (p, fused) => optim_adam(p, { lr: 0.01, weight_decay: 0.05, amsgrad: true, fused })],
  ['adamw', (p, fused) => optim_adamw(p, { lr: 0.01, weight_decay: 0.1, fused })],
  ['adamw, amsgrad and maximize', (p, fused) => optim_adamw(p, { lr: 0.01, amsgrad: true, maximize: true, fused })],
  ['sgd', (p, fused) => optim_sgd(p, { lr: 0.05, fused })],
  ['sgd, momentum, dampening and weight decay', (p, fused) => optim_sgd(p, { lr: 0.05, momentum: 0.9, dampening: 0.2, weight_decay: 0.01, fused })],
  ['sgd, nesterov and maximize', (p, fused) => optim_sgd(p, { lr: 0.02, momentum: 0.8, nesterov: true, maximize: true, fused })],
  ['adagrad', (p, fused) => optim_adagrad(p, { lr: 0.05, fused })],
  ['adagrad, lr decay, weight decay and maximize', (p, fused) => optim_adagrad(p, { lr: 0.05, lr_decay: 0.01, weight_decay: 0.02, maximize: true, fused })],
];

/** `steps` steps of a least-squares problem on `params` (all of `shapes`), from seed 0. */
function trainOn(params: Tensor[], make: Make, fused: boolean, steps: number): Tensor[] {
  const opt = make(params, fused);
  torch_manual_seed(1);
  const targets = params.map((p) => torch_randn(p.shape, { dtype: p.dtype }));
  for (let step = 0; step < steps; step++) {
    opt.zero_grad();
    params.map((p, i) => nnf_mse_loss(p.mul(1.5), targets[i]!)).reduce((a, b) => a.add(b)).backward();
    opt.step();
  }
  return params.map((p) => p.detach());
}

function expectClose(actual: Tensor[], expected: Tensor[]): void {
  actual.forEach((a, i) => {
    const e = expected[i]!;
    const bound = e.abs().mul(RTOL).add(ATOL);
    expect(a.sub(e).abs().le(bound).all().item(), `tensor ${i}: max abs diff ${a.sub(e).abs().max().item()}`).toBe(true);
  });
}

const leaves = (shapes: number[][], dtype: 'float32' | 'float64' = 'float32'): Tensor[] => {
  torch_manual_seed(0);
  return shapes.map((shape) => torch_randn(shape, { dtype }).requires_grad_());
};

describe('the fused path against the default path', () => {
  afterEach(() => torch_set_num_threads(1));

  // 37 x 29 = 1073 elements: 67 turns of 16 and a remainder of 1; the bias is all remainder.
  it.each(KINDS)('%s: close after 200 steps (float32, float64)', (_, make) => {
    for (const dtype of ['float32', 'float64'] as const) {
      const shapes = [[37, 29], [5]];
      expectClose(trainOn(leaves(shapes, dtype), make, true, 200), trainOn(leaves(shapes, dtype), make, false, 200));
    }
  });

  it.each(KINDS)('%s: a strided parameter (the loop leaves it to ATen ops) agrees', (_, make) => {
    const strided = (): Tensor[] => {
      torch_manual_seed(0);
      const p = torch_randn(29, 37).t().detach().requires_grad_(); // a leaf that is not contiguous
      expect(p.is_contiguous()).toBe(false);
      return [p];
    };
    expectClose(trainOn(strided(), make, true, 50), trainOn(strided(), make, false, 50));
  });

  it('splits a large tensor over threads and agrees', () => {
    const threads = torch_get_num_threads();
    torch_set_num_threads(2);
    const make = KINDS[1]![1];
    expectClose(trainOn(leaves([[300, 301]]), make, true, 5), trainOn(leaves([[300, 301]]), make, false, 5));
    torch_set_num_threads(threads);
  });

  it('skips parameters without a gradient and leaves them untouched', () => {
    const [used, frozen] = leaves([[8, 3], [4]]);
    const before = frozen!.detach().clone();
    const opt = optim_adam([used!, frozen!], { fused: true });
    used!.pow(2).sum().backward();
    opt.step();
    expect(frozen!.equal(before)).toBe(true);
    expect(Object.keys(opt.state_dict().state)).toEqual(['0']);
  });

  it('mixes a fused group and a plain one; fused can be switched on mid-run', () => {
    const groups = (params: Tensor[], fusedFirst: boolean) =>
      optim_adam([{ params: [params[0]!], fused: fusedFirst }, { params: [params[1]!], lr: 0.003 }], { lr: 0.01 });
    const shapes = [[37, 29], [5]];
    expectClose(trainOn(leaves(shapes), (p) => groups(p, true), true, 100), trainOn(leaves(shapes), (p) => groups(p, false), false, 100));

    const params = leaves(shapes);
    const opt = optim_sgd(params, { lr: 0.05, momentum: 0.9 });
    const step = () => {
      opt.zero_grad();
      params.map((p) => p.pow(2).sum()).reduce((a, b) => a.add(b)).backward();
      opt.step();
    };
    step();
    opt.param_groups[0]!.fused = true; // the momentum buffer libtorch made carries on
    expect(opt.param_groups[0]!.fused).toBe(true);
    step();
    const plain = leaves(shapes);
    const reference = optim_sgd(plain, { lr: 0.05, momentum: 0.9 });
    for (let i = 0; i < 2; i++) {
      reference.zero_grad();
      plain.map((p) => p.pow(2).sum()).reduce((a, b) => a.add(b)).backward();
      reference.step();
    }
    expectClose(params, plain);
  });

  it.each([[true, false], [false, true]])('state_dict round trip: saved with fused %s, resumed with fused %s', (savedFused, resumedFused) => {
    const shapes = [[37, 29], [5]];
    const make: Make = (p, fused) => optim_adamw(p, { lr: 0.01, amsgrad: true, fused });
    const straight = trainOn(leaves(shapes), make, savedFused, 20);

    const params = leaves(shapes);
    const first = make(params, savedFused);
    const resumedParams = params.map((p) => p.detach().clone().requires_grad_());
    torch_manual_seed(1);
    const targets = params.map((p) => torch_randn(p.shape));
    const stepWith = (opt: Optimizer<any>, ps: Tensor[]) => {
      opt.zero_grad();
      ps.map((p, i) => nnf_mse_loss(p.mul(1.5), targets[i]!)).reduce((a, b) => a.add(b)).backward();
      opt.step();
    };
    for (let i = 0; i < 10; i++) stepWith(first, params);
    const saved = first.state_dict();
    expect(saved.state[0]!.step).toBe(10);
    expect(Object.keys(saved.state[0]!).sort()).toEqual(['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'step']);
    expect(saved.param_groups[0]!.fused).toBe(savedFused);

    params.forEach((p, i) => resumedParams[i]!.detach().copy_(p.detach()));
    const resumed = make(resumedParams, resumedFused);
    resumed.load_state_dict(saved);
    expect(resumed.param_groups[0]!.fused).toBe(resumedFused); // the resuming optimizer's path
    for (let i = 0; i < 10; i++) stepWith(resumed, resumedParams);
    expect(resumed.state_dict().state[0]!.step).toBe(20);
    expectClose(resumedParams.map((p) => p.detach()), straight);
  });
});

describe('maximize', () => {
  type Path = { fused?: boolean; foreach?: boolean };
  it.each<[string, (p: Tensor[], o: Path & { maximize: boolean }) => Optimizer<any>, Path[]]>([
    ['adam', (p, o) => optim_adam(p, { lr: 0.01, weight_decay: 0.1, ...o }), [{}, { fused: true }]],
    ['sgd', (p, o) => optim_sgd(p, { lr: 0.01, momentum: 0.9, ...o }), [{}, { fused: true }]],
    ['adagrad', (p, o) => optim_adagrad(p, { lr: 0.05, lr_decay: 0.01, weight_decay: 0.1, ...o }), [{}, { foreach: true }, { fused: true }]],
    ['rmsprop', (p, o) => optim_rmsprop(p, { lr: 0.01, centered: true, momentum: 0.5, weight_decay: 0.1, ...o }), [{}, { foreach: true }]],
  ])('%s: maximizing f takes the steps of minimizing -f, bit for bit, on each path', (_, make, paths) => {
    for (const path of paths) {
      const run = (maximize: boolean): Tensor => {
        const [p] = leaves([[7, 3]]);
        const opt = make([p!], { maximize, ...path });
        for (let i = 0; i < 20; i++) {
          opt.zero_grad();
          const f = p!.sin().sum();
          (maximize ? f : f.neg()).backward();
          opt.step();
        }
        return p!.detach();
      };
      expect(run(true).equal(run(false))).toBe(true);
    }
  });
});

describe('memory', () => {
  it('a fused step allocates no temporaries; PyTorch\'s path allocates some', () => {
    const cachedAfterSteps = (fused: boolean): number => {
      const [p] = leaves([[512, 512]]); // 1 MiB: above the caching allocator's threshold
      const opt = optim_adam([p!], { fused });
      p!.grad = torch_randn(512, 512);
      opt.step(); // the state is made here
      torch_empty_cache();
      for (let i = 0; i < 3; i++) opt.step();
      return torch_memory_stats().cached_bytes;
    };
    expect(cachedAfterSteps(true)).toBe(0);
    expect(cachedAfterSteps(false)).toBeGreaterThan(0);
  });
});

describe('what fused refuses', () => {
  it('is an option of Adam, AdamW, SGD and Adagrad only (as in PyTorch), and not with foreach', () => {
    const p = torch_randn(3).requires_grad_();
    expect(() => optim_rmsprop([p], { fused: true } as never)).toThrow(/Expected one of lr, alpha, eps, weight_decay, momentum, centered, maximize, foreach for optim_rmsprop options but received "fused"/);
    expect(() => optim_adagrad([p], { fused: true, foreach: true })).toThrow(RangeError);
    expect(() => optim_adam([p], { fused: 1 } as never)).toThrow(new TypeError('Expected a boolean for fused but received 1'));
    expect(() => optim_sgd([p], { lr: 0.1, fused: true, foreach: true })).toThrow(
      new RangeError('Expected false where fused is true (a group takes one path) for foreach but received true'),
    );
    const opt = optim_adam([p], { foreach: true });
    expect(() => { opt.param_groups[0]!.fused = true; }).toThrow(RangeError);
    expect(opt.param_groups[0]!.fused).toBe(false);
  });

  it.each<[string, (params: Tensor[]) => Optimizer<any>]>([
    ['adam', (params) => optim_adam(params, { fused: true })],
    ['adagrad', (params) => optim_adagrad(params, { fused: true })],
  ])('%s refuses sparse gradients with a TorchError, before it changes anything', (_, make) => {
    const embedding = nn_embedding(10, 3, { sparse: true });
    const before = embedding.weight.detach().clone();
    const opt = make(embedding.parameters);
    embedding(torch_tensor([1, 2], { dtype: 'int64' })).sum().backward();
    expect(() => opt.step()).toThrow(TorchError);
    expect(() => opt.step()).toThrow(/sparse/);
    expect(embedding.weight.equal(before)).toBe(true);
  });
});
