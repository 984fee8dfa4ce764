// The checks that need a GPU, in one script for the lent GPU machine (scripts/device-check.sh
// builds the addon there against that machine's CUDA libtorch and runs this). Each check
// compares CUDA with the CPU or with Python PyTorch on the same machine; the last lines are
// a table. Exits non-zero when a check fails.
import { execFileSync } from 'node:child_process';
import {
  TorchError, autograd_function, cuda_is_available, lora_apply, nn_linear, nn_sequential, nnf_mse_loss, nnf_scaled_dot_product_attention,
  optim_adam, optim_adamw, optim_sgd, torch_config, torch_einsum, torch_load, torch_manual_seed, torch_memory_stats, torch_randint, torch_randn, torch_save,
  torch_zeros, with_adapter_names, with_no_grad, type Optimizer, type Tensor,
} from '../src/index.js';
import { perOp } from './ops.js';
import { PYTHON as python } from './python.js';

const rows: [string, string, string][] = [];
let failed = 0;

function check(name: string, fn: () => string): void {
  try {
    rows.push([name, 'ok', fn()]);
  } catch (error) {
    failed += 1;
    rows.push([name, 'FAIL', (error as Error).message.split('\n')[0]!.slice(0, 160)]);
  }
}

function maxRelDiff(a: Tensor, b: Tensor): number {
  const diff = a.cpu().sub(b.cpu()).abs().max().item() as number;
  const scale = b.cpu().abs().max().item() as number;
  return diff / Math.max(scale, 1e-30);
}

function expectClose(a: Tensor, b: Tensor, tolerance: number, what: string): string {
  const rel = maxRelDiff(a, b);
  if (!(rel <= tolerance)) throw new Error(`${what}: max relative difference ${rel} > ${tolerance}`);
  return `max rel diff ${rel.toExponential(2)}`;
}

const config = torch_config();
console.log(`libtorch ${config.version}, cuda ${config.cuda} (${config.cuda_devices} device(s)), threads ${config.threads}`);

check('cuda is available', () => {
  if (!cuda_is_available()) throw new Error('cuda_is_available() is false');
  return `${config.cuda_devices} device(s)`;
});

check('matmul on cuda equals the cpu', () => {
  torch_manual_seed(0);
  const a = torch_randn(256, 1001);
  const b = torch_randn(1001, 1000);
  const onGpu = a.cuda().matmul(b.cuda());
  if (onGpu.device !== 'cuda:0') throw new Error(`result on ${onGpu.device}`);
  return expectClose(onGpu, a.matmul(b), 1e-5, 'matmul');
});

check('autograd on cuda equals the cpu', () => {
  torch_manual_seed(0);
  const x = torch_randn(64, 32);
  const w = torch_randn(32, 16);
  const grads = (device: string) => {
    const wd = w.to(device).requires_grad_();
    x.to(device).matmul(wd).tanh().pow(2).mean().backward();
    return wd.grad!;
  };
  const gpu = grads('cuda');
  if (gpu.device !== 'cuda:0') throw new Error(`grad on ${gpu.device}`);
  return expectClose(gpu, grads('cpu'), 1e-5, 'grad');
});

check('nn_linear + optim_adam train on cuda as on the cpu', () => {
  // Everything starts on the CPU (the CUDA generator draws other numbers) and then moves.
  const run = (device: string) => {
    torch_manual_seed(3);
    const X = torch_randn(512, 64).to(device);
    const y = X.matmul(torch_randn(64, 8).to(device));
    const model = nn_linear(64, 8);
    model.to(device);
    const opt = optim_adam(model.parameters, { lr: 0.01 });
    for (let step = 0; step < 50; step++) {
      opt.zero_grad();
      nnf_mse_loss(model(X), y).backward();
      opt.step();
    }
    return model.weight;
  };
  const gpu = run('cuda');
  return expectClose(gpu, run('cpu'), 1e-4, 'weights after 50 Adam steps');
});

check('fused Adam, AdamW and SGD on cuda (ATen ops there) equal the unfused path', () => {
  const run = (device: string, make: (p: Tensor[], fused: boolean) => Optimizer<any>, fused: boolean) => {
    torch_manual_seed(3);
    const w = torch_randn(300, 301).to(device).requires_grad_();
    const target = torch_randn(300, 301).to(device);
    const opt = make([w], fused);
    for (let step = 0; step < 50; step++) {
      opt.zero_grad();
      nnf_mse_loss(w.mul(1.5), target).backward();
      opt.step();
    }
    return w.detach();
  };
  const makers: ((p: Tensor[], fused: boolean) => Optimizer<any>)[] = [
    (p, fused) => optim_adam(p, { lr: 0.01, weight_decay: 0.05, amsgrad: true, fused }),
    (p, fused) => optim_adamw(p, { lr: 0.01, maximize: true, fused }),
    (p, fused) => optim_sgd(p, { lr: 0.05, momentum: 0.9, nesterov: true, fused }),
  ];
  return makers.map((make) => expectClose(run('cuda', make, true), run('cuda', make, false), 1e-6, 'fused vs unfused on cuda')).join('; ');
});

check('torch_manual_seed gives Python\'s cuda stream', () => {
  torch_manual_seed(1);
  const ours = torch_randn(1000, { device: 'cuda' }).sum().item() as number;
  const theirs = Number(execFileSync(python, ['-c', 'import torch; torch.manual_seed(1); print(repr(torch.randn(1000, device="cuda").sum().item()))'], { encoding: 'utf8' }).trim());
  if (ours !== theirs) throw new Error(`ours ${ours}, Python ${theirs}`);
  return `sum ${ours}`;
});

check('a missing cuda device is a TorchError, and the process goes on', () => {
  try {
    torch_zeros(2, { device: 'cuda:7' });
  } catch (error) {
    if (!(error instanceof TorchError)) throw new Error(`got ${(error as Error).name}: ${(error as Error).message}`);
    return (error as Error).message.split('\n')[0]!.slice(0, 80);
  }
  throw new Error('no error');
});

check('100,000 dropped cuda tensors return to the live baseline', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  const x = torch_randn(1000, 1000, { device: 'cuda' });
  gc();
  const baseline = torch_memory_stats().tensors;
  for (let i = 0; i < 100_000; i++) x.add(1);
  gc();
  const after = torch_memory_stats().tensors;
  if (after !== baseline) throw new Error(`live tensors ${after}, baseline ${baseline}`);
  return `live ${after}, x still ${x.shape.join('x')} on ${x.device}`; // x stays reachable to here
});

check('per-op time of a 1x1 add on cuda, vs Python', () => {
  const a = torch_zeros(1, 1, { device: 'cuda' });
  const b = torch_zeros(1, 1, { device: 'cuda' });
  const ours = perOp(() => a.add(b), 20_000);
  const theirs = Number(execFileSync(python, ['-c', `
import time, torch
a = torch.zeros(1, 1, device="cuda"); b = torch.zeros(1, 1, device="cuda")
for _ in range(2000): a + b
best = 1e9
for _ in range(5):
    t = time.perf_counter()
    for _ in range(20000): a + b
    torch.cuda.synchronize()
    best = min(best, (time.perf_counter() - t) / 20000 * 1e6)
print(best)`], { encoding: 'utf8' }).trim());
  return `ours ${ours.toFixed(2)} us, Python ${theirs.toFixed(2)} us, ratio ${(ours / theirs).toFixed(2)}`;
});

// ---- the surface added in session 2 (issues 8, 12, 13): never run on a GPU yet ----

check('dispatcher ops on cuda equal the cpu (topk, cumsum, gather, scatter_add, logsumexp, einsum)', () => {
  torch_manual_seed(0);
  const x = torch_randn(64, 33);
  const index = torch_randint(0, 33, [64, 5]);
  const both = (f: (t: Tensor, i: Tensor) => Tensor): string => expectClose(f(x.cuda(), index.cuda()), f(x, index), 1e-5, 'op');
  both((t) => t.topk(4)[0]);
  both((t) => t.cumsum(1));
  both((t, i) => t.gather(1, i));
  both((t, i) => torch_zeros([64, 33], { device: t.device }).scatter_add(1, i, t.index(':', '0:5')));
  both((t) => t.logsumexp(1));
  return both((t) => torch_einsum('ij,kj->ik', [t, t]));
});

check('scaled dot-product attention on cuda (libtorch 2: its fused operator) matches the cpu', () => {
  torch_manual_seed(0);
  const [q, k, v] = [torch_randn(2, 4, 16, 32), torch_randn(2, 4, 16, 32), torch_randn(2, 4, 16, 32)];
  const cpu = nnf_scaled_dot_product_attention(q, k, v, { is_causal: true });
  return expectClose(nnf_scaled_dot_product_attention(q.cuda(), k.cuda(), v.cuda(), { is_causal: true }), cpu, 1e-4, 'sdpa');
});

check('autograd_function on cuda is refused in words (its backward would run on the engine\'s threads)', () => {
  const square = autograd_function({ forward: (_ctx, t: Tensor) => t.mul(t), backward: (_ctx, g: Tensor) => [g] });
  const x = torch_randn(3, { device: 'cuda', requires_grad: true });
  try {
    square(x);
  } catch (error) {
    const message = (error as Error).message;
    if (!message.includes('run on the CPU only')) throw error;
    return message.slice(0, 60);
  }
  throw new Error('no error');
});

check('torch_save / torch_load of cuda tensors (loaded on the cpu unless asked)', () => {
  const path = `/tmp/torchlora-cuda-${process.pid}.pt`;
  const x = torch_randn(3, 4, { device: 'cuda' });
  torch_save({ x }, path);
  const back = (torch_load(path) as { x: Tensor }).x;
  if (back.device !== 'cpu') throw new Error(`loaded on ${back.device}`);
  return expectClose(back, x, 0, 'round trip');
});

check('mixed-adapter batch on cuda equals the cpu', () => {
  torch_manual_seed(0);
  const net = nn_sequential(nn_linear(16, 8));
  lora_apply(net, { target_modules: ['0'], r: 2, adapter: 'a' });
  lora_apply(net, { target_modules: ['0'], r: 4, adapter: 'b' });
  net.eval();
  const x = torch_randn(4, 16);
  const names = ['a', 'b', null, 'a'];
  const cpu = with_no_grad(() => with_adapter_names(net, names, () => net(x) as Tensor));
  net.to('cuda');
  return expectClose(with_no_grad(() => with_adapter_names(net, names, () => net(x.cuda()) as Tensor)), cpu, 1e-5, 'mixed');
});

// A training job in a worker thread over CUDA tensors shared with this thread: the LoRA job of
// the tests (test/jobs/lora.mjs) on CUDA inputs gives the same A and B as the same loop here.
try {
  const { train } = await import(new URL('../../test/jobs/lora.mjs', import.meta.url).href) as { train: (base: unknown, input: unknown) => { lora_A: { get(n: string): { weight: Tensor } } } };
  torch_manual_seed(7);
  const base = nn_linear(16, 8).to('cuda');
  const x = torch_randn(64, 16).cuda();
  const input = { base: base.state_dict(), x, y: x.matmul(base.weight.add(1).t()).detach(), in_features: 16, out_features: 8, seed: 3, steps: 10 };
  const { start_job } = await import('../src/index.js');
  const job = start_job<{ A: Tensor }>(new URL('../../test/jobs/lora.mjs', import.meta.url), { input, threads: 1 });
  const { A } = await job.result;
  const here = train(input.base, input).lora_A.get('default').weight;
  if (A.device !== here.device) throw new Error(`the job's A is on ${A.device}, the loop's on ${here.device}`);
  rows.push(['a training job on shared cuda tensors equals the same loop here', 'ok', expectClose(A, here, 1e-6, 'job A')]);
} catch (error) {
  failed += 1;
  rows.push(['a training job on shared cuda tensors equals the same loop here', 'FAIL', (error as Error).message.split('\n')[0]!.slice(0, 160)]);
}

console.log('');
for (const [name, verdict, detail] of rows) console.log(`${verdict.padEnd(5)} ${name.padEnd(58)} ${detail}`);
console.log(`\n${rows.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
