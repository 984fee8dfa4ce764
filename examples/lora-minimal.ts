// "Understanding LoRA with a minimal example" (R torch blog), ported line by line.
// The post's training loop lost three lines (opt$zero_grad(), loss$backward(), opt$step())
// and writes `Y2` for `y2`: both are restored. Batches are drawn with libtorch's generator
// (the post's sample.int without replacement is torch_randperm(n)[:batch_size]), so
// bench/seed.py, with the same seed and calls, reproduces the run in Python PyTorch.
// Like the R code, nothing here disposes tensors by hand: the GC path keeps memory bounded.
import { parseArgs } from 'node:util';
import {
  nn_linear, nn_module, nn_parameter, nnf_mse_loss, optim_adam, slice, torch_manual_seed, torch_matmul, torch_randn,
  torch_randperm, torch_set_num_threads, torch_zeros, with_no_grad, type nn_Module, type Tensor,
} from '../src/index.js';
import { Progress, formatR } from './progress.js';

const { values: flags } = parseArgs({
  options: {
    epochs: { type: 'string', default: '100' },
    rank: { type: 'string', default: '1' },
    alpha: { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
    n: { type: 'string', default: '10000' },
    device: { type: 'string', default: 'cpu' },
    threads: { type: 'string' },
    timings: { type: 'boolean', default: false },
    trace: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (flags.help) {
  console.log(`Usage: npm start -- [flags]

The R torch blog post "Understanding LoRA with a minimal example", in TypeScript:
pre-train a 1001x1000 linear model, shift the true weights by +1, fine-tune a rank-r LoRA.

  --epochs N     training epochs of each phase (100)
  --rank R       LoRA rank (1)
  --alpha A      LoRA alpha; the update is scaled by alpha / rank (1)
  --seed S       torch_manual_seed (1)
  --n N          number of simulated rows (10000)
  --device D     cpu, cuda or cuda:1 (cpu)
  --threads T    libtorch intra-op threads (libtorch's default)
  --timings      print a JSON line of per-phase seconds and peak RSS at the end
  --trace        print every step's loss (for the parity test against bench/seed.py)
  --help         this text`);
  process.exit(0);
}

function integerFlag(name: keyof typeof flags, min: number): number {
  const value = Number(flags[name]);
  if (!Number.isInteger(value) || value < min) {
    console.error(`--${name} must be an integer >= ${min}, got ${String(flags[name])}`);
    process.exit(2);
  }
  return value;
}

const epochs = integerFlag('epochs', 1);
const rank = integerFlag('rank', 1);
const alpha = Number(flags.alpha);
const device = flags.device!;
if (flags.threads !== undefined) torch_set_num_threads(integerFlag('threads', 1));
torch_manual_seed(integerFlag('seed', 0));
const timings: Record<string, number> = {};
const time = <T>(phase: string, fn: () => T): T => {
  const start = performance.now();
  const result = fn();
  timings[phase] = (performance.now() - start) / 1000;
  return result;
};

const n = integerFlag('n', 2);
const d_in = 1001;
const d_out = 1000;

const thetas = torch_randn(d_in, d_out, { device });

const X = torch_randn(n, d_in, { device });
const y = torch_matmul(X, thetas);

const model = nn_linear(d_in, d_out, { bias: false, device });

function train(model: nn_Module & ((x: Tensor) => Tensor), X: Tensor, y: Tensor, batch_size = 128, epochs_ = epochs): void {
  const opt = optim_adam(model.parameters);
  const progress = new Progress(epochs_);

  for (let epoch = 1; epoch <= epochs_; epoch++) {
    for (let i = 0; i < Math.floor(n / batch_size); i++) {
      const idx = torch_randperm(n, { device }).index(slice(0, batch_size));
      opt.zero_grad();
      const loss = nnf_mse_loss(model(X.index(idx)), y.index(idx));
      loss.backward();
      opt.step();
      if (flags.trace) console.log(`trace step ${loss.item()}`);
      progress.tick(epoch, loss);
    }
    if (epoch % 10 === 0) {
      const loss = with_no_grad(() => nnf_mse_loss(model(X), y));
      progress.log(`[ ${epoch} ] Loss: ${formatR(loss.item() as number)} `);
    }
  }
  progress.done();
}

time('pretrain', () => train(model, X, y));

const thetas2 = thetas.add(1);

const X2 = torch_randn(n, d_in, { device });
const y2 = torch_matmul(X2, thetas2);

console.log(String(nnf_mse_loss(model(X2), y2)));

const lora_nn_linear = nn_module({
  initialize(this: nn_Module & Record<string, unknown>, linear: nn_Module & { in_features: number; out_features: number }, r = 16, alpha = 1) {
    this.linear = linear;
    // parameters from the original linear module are 'freezed', so they are not
    // tracked by autograd. They are considered just constants.
    for (const p of linear.parameters) p.requires_grad_(false);
    // the low rank parameters that will be trained
    this.A = nn_parameter(torch_randn(linear.in_features, r, { device }));
    this.B = nn_parameter(torch_zeros(r, linear.out_features, { device }));
    // the scaling constant
    this.scaling = alpha / r;
  },
  forward(this: { linear: (x: Tensor) => Tensor; A: Tensor; B: Tensor; scaling: number }, x: Tensor): Tensor {
    // the modified forward, that just adds the result from the base model
    // and ABx.
    return this.linear(x).add(torch_matmul(x, torch_matmul(this.A, this.B).mul(this.scaling)));
  },
});

const lora = lora_nn_linear(model, rank, alpha) as unknown as nn_Module & ((x: Tensor) => Tensor) & { A: Tensor; B: Tensor; scaling: number };

time('lora', () => train(lora, X2, y2));

const delta_theta = torch_matmul(lora.A, lora.B).mul(lora.scaling);
console.log(String(delta_theta.index('0:5', '0:5')));
if (flags.trace) console.log(`trace delta ${JSON.stringify(delta_theta.index('0:5', '0:5').to_array())}`);

with_no_grad(() => {
  model.weight.add_(delta_theta.t());
});

const merged = nnf_mse_loss(model(X2), y2);
console.log(String(merged));
if (flags.trace) console.log(`trace merged ${merged.item()}`);

if (flags.timings) {
  console.log(JSON.stringify({ ...timings, peak_rss_mb: process.resourceUsage().maxRSS / 1024 }));
}
