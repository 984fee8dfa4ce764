// The seed post's job ("Understanding LoRA with a minimal example") with the library's LoRA
// instead of the post's inline module: the same data, pre-training and printout as
// examples/lora-minimal.ts, then lora_nn_linear (frozen base, factored forward), the
// trainable/total counts the post talks about ("1/500 of the base model"), merge() and
// lora_save() of the adapter in PEFT's format.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  lora_nn_linear, lora_parameter_counts, lora_parameters, lora_save, nn_linear, nnf_mse_loss, optim_adam, slice,
  torch_matmul, torch_randn, torch_randperm, with_no_grad, type LoraInit, type nn_Module, type Tensor,
} from '../src/index.js';
import { exampleSettings, PhaseTimer } from './cli.js';
import { Progress, formatR } from './progress.js';

const { flags, epochs, rank, alpha, n, device } = exampleSettings(`Usage: npm run example:lora -- [flags]

The seed post's experiment with torchlora's LoRA: pre-train a 1001x1000 linear model, shift
the true weights by +1, fine-tune a rank-r adapter with lora_nn_linear, merge it, save it.`,
{ init: { type: 'string', default: 'randn' }, out: { type: 'string' } },
`  --init I       how A starts: randn (the post's), kaiming (PEFT's default) or gaussian
  --out DIR      where lora_save writes the adapter (a new temporary folder)`);
const init = flags.init as LoraInit;
const timer = new PhaseTimer();

const d_in = 1001;
const d_out = 1000;

const thetas = torch_randn(d_in, d_out, { device });
const X = torch_randn(n, d_in, { device });
const y = torch_matmul(X, thetas);

const model = nn_linear(d_in, d_out, { bias: false, device });

function train(model: nn_Module & ((x: Tensor) => Tensor), params: Tensor[], X: Tensor, y: Tensor, batch_size = 128): void {
  const opt = optim_adam(params);
  const progress = new Progress(epochs);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    for (let i = 0; i < Math.floor(n / batch_size); i++) {
      const idx = torch_randperm(n, { device }).index(slice(0, batch_size));
      opt.zero_grad();
      const loss = nnf_mse_loss(model(X.index(idx)), y.index(idx));
      loss.backward();
      opt.step();
      progress.tick(epoch, loss);
    }
    if (epoch % 10 === 0) {
      const loss = with_no_grad(() => nnf_mse_loss(model(X), y));
      progress.log(`[ ${epoch} ] Loss: ${formatR(loss.item() as number)} `);
    }
  }
  progress.done();
}

timer.time('pretrain', () => train(model, model.parameters, X, y));

const thetas2 = thetas.add(1);
const X2 = torch_randn(n, d_in, { device });
const y2 = torch_matmul(X2, thetas2);

console.log(String(nnf_mse_loss(model(X2), y2)));

// The library's module: the base is frozen, A is r x d_in, B is d_out x r, B starts at zero.
const lora = lora_nn_linear(model, { r: rank, alpha, init });
const { trainable, total } = lora_parameter_counts(lora);
console.log(`trainable parameters: ${trainable.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} `
  + `(1/${Math.round((total - trainable) / trainable)} of the base model)`);

timer.time('lora', () => train(lora, lora_parameters(lora), X2, y2));

// The post's delta_theta is d_in x d_out: ΔW (d_out x d_in, the weight's layout) transposed.
const delta_theta = lora.delta_weight().t();
console.log(String(delta_theta.index('0:5', '0:5')));

const out = typeof flags.out === 'string' ? flags.out : mkdtempSync(join(tmpdir(), 'torchlora-adapter-'));
lora_save(lora, out);
console.log(`adapter saved to ${out}: ${readdirSync(out).sort().join(', ')}`);

// add_ under no-grad, as the post does by hand; the plain model now holds the update.
lora.merge();
console.log(String(nnf_mse_loss(model(X2), y2)));

if (flags.timings) timer.report();
