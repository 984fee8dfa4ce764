// The seed post's experiment with the library's LoRA, at sizes that run in about a second:
// pre-train a full-rank linear model on y = X θ, shift the truth to θ + 1 (a rank-1 change),
// fine-tune a rank-1 adapter, and find ΔW = 1 everywhere.
//
// Sizes: the post has d_in = 1001, d_out = 1000, n = 10000, batches of 128, Adam at lr 1e-3,
// 100 epochs (78 steps each). Here d_in = 65, d_out = 64, n = 1024 (still n > 15 d_in, so
// θ is well determined), 8 steps an epoch; lr 1e-2 makes up the 10x fewer steps (Adam moves
// each weight by about lr a step, and θ's entries are N(0, 1)). The expected numbers come
// from the construction, not from a run: ΔW = θ2 - θ = 1, and before fine-tuning the MSE of
// the base model on the new data is E[(x·1)²] = d_in = 65. The fused Adam (`fused: true`)
// must recover the same ΔW.
import { describe, expect, it } from 'vitest';
import {
  cuda_is_available, lora_nn_linear, lora_parameter_counts, lora_parameters, nn_linear, nnf_mse_loss, optim_adam, slice,
  torch_manual_seed, torch_matmul, torch_randn, torch_randperm, with_no_grad, type LoraInit, type nn_Module, type Tensor,
} from '../src/index.js';

const d_in = 65;
const d_out = 64;
const n = 1024;
const batch_size = 128;
const lr = 0.01;

function train(model: nn_Module & ((x: Tensor) => Tensor), params: Tensor[], X: Tensor, y: Tensor, epochs: number, device: string, fused: boolean): void {
  const opt = optim_adam(params, { lr, fused });
  for (let epoch = 1; epoch <= epochs; epoch++) {
    for (let i = 0; i < n / batch_size; i++) {
      const idx = torch_randperm(n, { device }).index(slice(0, batch_size));
      opt.zero_grad();
      nnf_mse_loss(model(X.index(idx)), y.index(idx)).backward();
      opt.step();
    }
  }
}

const mse = (model: (x: Tensor) => Tensor, X: Tensor, y: Tensor): number => with_no_grad(() => nnf_mse_loss(model(X), y).item() as number);

const devices = cuda_is_available() ? ['cpu', 'cuda'] : ['cpu'];

const runs: { init: LoraInit; fused: boolean }[] = [{ init: 'randn', fused: false }, { init: 'kaiming', fused: false }, { init: 'randn', fused: true }];

describe.each(devices)('the seed experiment on %s', (device) => {
  it.each(runs)('recovers ΔW ≈ 1 with r = 1 (A init $init, fused Adam $fused)', ({ init, fused }) => {
    torch_manual_seed(1);
    const thetas = torch_randn(d_in, d_out, { device });
    const X = torch_randn(n, d_in, { device });
    const y = torch_matmul(X, thetas);
    const model = nn_linear(d_in, d_out, { bias: false, device });
    train(model, model.parameters, X, y, 100, device, fused);
    expect(mse(model, X, y)).toBeLessThan(1e-3); // pre-trained

    const X2 = torch_randn(n, d_in, { device });
    const y2 = torch_matmul(X2, thetas.add(1));
    const before = mse(model, X2, y2);
    expect(before).toBeGreaterThan(0.8 * d_in);
    expect(before).toBeLessThan(1.2 * d_in);

    const lora = lora_nn_linear(model, { r: 1, alpha: 1, init });
    // The post's count: (d_in + d_out) r trainable of d_in d_out + (d_in + d_out) r.
    expect(lora_parameter_counts(lora)).toEqual({ trainable: d_in + d_out, total: d_in * d_out + d_in + d_out });
    const weight = model.weight.clone();
    train(lora, lora_parameters(lora), X2, y2, 100, device, fused);
    expect(model.weight.equal(weight)).toBe(true); // the base never moved

    const delta = lora.delta_weight().t(); // the post's delta_theta, d_in x d_out
    expect(delta.sub(1).abs().max().item() as number).toBeLessThan(0.02);
    const adapted = mse(lora, X2, y2);
    expect(adapted).toBeLessThan(1e-3 * d_in);

    lora.merge();
    const merged = mse(model, X2, y2); // the plain model, now adapted
    expect(merged).toBeLessThan(1e-3 * d_in);
    expect(Math.abs(merged - adapted)).toBeLessThan(1e-3 * d_in);
  });
});
