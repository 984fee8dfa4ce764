// "Understanding LoRA with a minimal example" (R torch blog), ported line by line.
// The post's training loop lost three lines (opt$zero_grad(), loss$backward(), opt$step())
// and writes `Y2` for `y2`: both are restored. Batches are drawn with libtorch's generator
// (the post's sample.int without replacement is torch_randperm(n)[:batch_size]), so
// bench/seed.py, with the same seed and calls, reproduces the run in Python PyTorch.
// Like the R code, nothing here disposes tensors by hand: the GC path keeps memory bounded.
import { writeFileSync } from 'node:fs';
import {
  nn_linear, nn_module, nn_parameter, nnf_mse_loss, optim_adam, slice, torch_matmul, torch_randn,
  torch_randperm, torch_zeros, with_no_grad, type nn_Module, type Tensor,
} from '../src/index.js';
import { lossCurveSvg, sparkline } from '../bench/chart.js';
import { exampleSettings, PhaseTimer } from './cli.js';
import { Progress, formatR } from './progress.js';

const { flags, epochs, rank, alpha, n, device } = exampleSettings(`Usage: npm start -- [flags]

The R torch blog post "Understanding LoRA with a minimal example", in TypeScript:
pre-train a 1001x1000 linear model, shift the true weights by +1, fine-tune a rank-r LoRA.`,
{ trace: { type: 'boolean', default: false }, plot: { type: 'string' }, fused: { type: 'boolean', default: false } },
`  --trace        print every step's loss (for the parity test against bench/seed.py)
  --plot FILE    write each phase's loss curve, one point per step, to FILE (SVG) and print it as a sparkline
  --fused        Adam's fused path: one pass over each parameter and its state a step`);
const timer = new PhaseTimer();
// Each phase's loss at every step, read only when a plot was asked for (item() waits for the value).
const curves: Record<string, number[]> = {};

const d_in = 1001;
const d_out = 1000;

const thetas = torch_randn(d_in, d_out, { device });

const X = torch_randn(n, d_in, { device });
const y = torch_matmul(X, thetas);

const model = nn_linear(d_in, d_out, { bias: false, device });

function train(model: nn_Module & ((x: Tensor) => Tensor), X: Tensor, y: Tensor, batch_size = 128, epochs_ = epochs, losses: number[] = []): void {
  const opt = optim_adam(model.parameters, { fused: flags.fused === true });
  const progress = new Progress(epochs_);

  for (let epoch = 1; epoch <= epochs_; epoch++) {
    for (let i = 0; i < Math.floor(n / batch_size); i++) {
      const idx = torch_randperm(n, { device }).index(slice(0, batch_size));
      opt.zero_grad();
      const loss = nnf_mse_loss(model(X.index(idx)), y.index(idx));
      loss.backward();
      opt.step();
      if (flags.trace) console.log(`trace step ${loss.item()}`);
      if (flags.plot) losses.push(loss.item() as number);
      progress.tick(epoch, loss);
    }
    if (epoch % 10 === 0) {
      const loss = with_no_grad(() => nnf_mse_loss(model(X), y));
      progress.log(`[ ${epoch} ] Loss: ${formatR(loss.item() as number)} `);
    }
  }
  progress.done();
}

timer.time('pretrain', () => train(model, X, y, 128, epochs, curves.pretrain = []));

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

timer.time('lora', () => train(lora, X2, y2, 128, epochs, curves.lora = []));

const delta_theta = torch_matmul(lora.A, lora.B).mul(lora.scaling);
console.log(String(delta_theta.index('0:5', '0:5')));
if (flags.trace) console.log(`trace delta ${JSON.stringify(delta_theta.index('0:5', '0:5').to_array())}`);

with_no_grad(() => {
  model.weight.add_(delta_theta.t());
});

const merged = nnf_mse_loss(model(X2), y2);
console.log(String(merged));
if (flags.trace) console.log(`trace merged ${merged.item()}`);

if (typeof flags.plot === 'string') {
  writeFileSync(flags.plot, lossCurveSvg(curves, { title: 'Seed example: training loss per step', log: true }));
  for (const [phase, losses] of Object.entries(curves)) console.log(`${phase.padEnd(8)} ${sparkline(losses, { log: true })}  (${losses.length} steps, log scale: ${flags.plot})`);
}
if (flags.timings) timer.report();
