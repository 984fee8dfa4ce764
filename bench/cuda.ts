// The checks that need a GPU, in one script for the lent GPU machine (scripts/device-check.sh
// builds the addon there against that machine's CUDA libtorch and runs this). Each check
// compares CUDA with the CPU or with Python PyTorch on the same machine; the last lines are
// a table. Exits non-zero when a check fails.
import { execFileSync } from 'node:child_process';
import {
  TorchError, cuda_is_available, nn_linear, nnf_mse_loss, optim_adam, torch_config, torch_manual_seed, torch_memory_stats,
  torch_randn, torch_zeros, type Tensor,
} from '../src/index.js';
import { perOp } from './ops.js';

const python = process.env.TORCHLORA_PYTHON ?? 'python3';
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

console.log('');
for (const [name, verdict, detail] of rows) console.log(`${verdict.padEnd(5)} ${name.padEnd(58)} ${detail}`);
console.log(`\n${rows.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
