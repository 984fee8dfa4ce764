// LoRA for nn_conv2d (PEFT's lora.Conv2d): A is a convolution with the base's kernel,
// stride, padding and dilation down to r channels, B a 1x1 convolution back up, so the
// term is B(A(dropout(x))) · scaling and ΔW[o, i, :, :] = Σ_k B[o, k] A[k, i, :, :] · scaling.
// With DoRA (PEFT's _DoraConvNdLayer), a magnitude per output channel rescales the adapted kernel.
import { nnf_conv2d } from '../nn/functional.js';
import { nn_conv2d } from '../nn/layers.js';
import { nn_module } from '../nn/generator.js';
import { nn_parameter } from '../nn/registry.js';
import { with_no_grad } from '../ops/autograd.js';
import { linalg_vector_norm } from '../ops/linalg.js';
import type { Tensor } from '../ops/tensor.js';
import { failRange } from '../core/validate.js';
import { DenseLoraLayer } from './dense.js';
import { layerMaker, type LoraKind } from './kind.js';
import { call, scalingOf } from './layer.js';
import type { AdapterSettings } from './settings.js';

/** The layer LoRA wraps: an `nn_conv2d`. */
export type Conv2dBase = nn_conv2d;

export class LoraConv2d extends DenseLoraLayer<Conv2dBase> {
  /** @internal Made by lora_nn_conv2d or lora_apply, which check the layer and the settings. */
  constructor(conv: Conv2dBase, adapter: string, settings: AdapterSettings) {
    super(conv, adapter, settings);
  }

  get max_rank(): number { return conv2d_kind.max_rank(this.base_layer); }

  // PEFT passes no dilation to A, which breaks dilated bases; the base's dilation keeps A's output the base's size.
  protected make_pair(r: number, bias: boolean): [Conv2dBase, Conv2dBase] {
    const base = this.base_layer;
    return [
      nn_conv2d(base.in_channels, r, base.kernel_size, { stride: base.stride, padding: base.padding, dilation: base.dilation, bias: false, ...this.factory }),
      nn_conv2d(r, base.out_channels, 1, { bias, ...this.factory }),
    ];
  }

  protected override create(name: string, settings: AdapterSettings): void {
    super.create(name, settings);
    if (!settings.use_dora) return;
    // PEFT's DoRA init: m = ‖W + scaling · ΔW‖ over each output channel's kernel.
    const product = this.lora_weight(name);
    this.lora_magnitude_vector.put(name, nn_parameter(this.weight_norm(product, scalingOf(settings))));
    product.dispose();
  }

  /** B·A shaped as the base kernel, without autograd (PEFT's get_lora_weight: a matrix product of the flattened kernels). */
  private lora_weight(name: string): Tensor {
    return with_no_grad(() => {
      const A = this.lora_A.get(name).weight;
      const B = this.lora_B.get(name).weight;
      const r = A.size(0);
      const product = B.view(-1, r).matmul(A.view(r, -1));
      const shaped = product.view(...this.base_layer.weight.shape);
      product.dispose();
      return shaped;
    });
  }

  /** ‖W + scaling · loraWeight‖ over each output channel, shaped 1 x out x 1 x 1 (PEFT's _DoraConvNdLayer.get_weight_norm). */
  private weight_norm(loraWeight: Tensor, scaling: number): Tensor {
    return with_no_grad(() => {
      const scaled = loraWeight.mul(scaling);
      const adapted = this.base_layer.weight.add(scaled);
      const norm = linalg_vector_norm(adapted, { dim: [1, 2, 3], keepdim: true });
      const shaped = norm.view(1, -1, 1, 1);
      for (const t of [scaled, adapted, norm]) t.dispose();
      return shaped;
    });
  }

  /** DoRA's term as PEFT's: (s - 1)·(base output less bias) + s·B(A(x))·scaling, s = m / ‖W + scaling·ΔW‖ (detached). */
  protected override lora_forward(input: Tensor, name: string, result: Tensor): Tensor {
    if (!this.settings[name]!.use_dora) return super.lora_forward(input, name, result);
    const base = this.base_layer;
    const product = this.lora_weight(name);
    const norm = this.weight_norm(product, this.scaling[name]!);
    const magScale = this.lora_magnitude_vector.get(name).div(norm);
    const x = this.dropped(input, name);
    const baseResult = x !== input
      ? nnf_conv2d(x, base.weight, { stride: base.stride, padding: base.padding, dilation: base.dilation })
      : base.bias === null ? result : result.sub(base.bias.view(1, -1, 1, 1));
    const down = call(this.lora_A.get(name), x);
    const up = call(this.lora_B.get(name), down);
    const minusOne = magScale.sub(1);
    const first = minusOne.mul(baseResult);
    const scaledUp = magScale.mul(up);
    const second = scaledUp.mul(this.scaling[name]!);
    const term = first.add(second);
    for (const t of [product, norm, magScale, down, up, minusOne, first, scaledUp, second]) t.dispose();
    if (baseResult !== result) baseResult.dispose();
    if (x !== input) x.dispose();
    return term;
  }

  /** DoRA's merge: the norms of (W + ΔW) by output channel, the factor out x 1 x 1 x 1. */
  protected override dora_merge_norm(delta: Tensor): { norm: Tensor; factor_shape: number[] } {
    return { norm: this.weight_norm(delta, 1), factor_shape: [-1, 1, 1, 1] };
  }

  // PEFT's two formulas (a matrix product for 1x1 kernels, a convolution otherwise), so a
  // merged weight matches PEFT's to the bit.
  delta_weight(adapter?: string): Tensor {
    return this.scaled(adapter, (A, B) => (A.size(2) === 1 && A.size(3) === 1
      ? B.squeeze(3).squeeze(2).matmul(A.squeeze(3).squeeze(2)).unsqueeze(2).unsqueeze(3)
      : nnf_conv2d(A.permute(1, 0, 2, 3), B).permute(1, 0, 2, 3)));
  }
}

const makeLoraConv2d = nn_module(LoraConv2d, 'lora_nn_conv2d');

export const conv2d_kind: LoraKind<Conv2dBase> = {
  base: nn_conv2d,
  label: 'nn_conv2d',
  wrap: makeLoraConv2d,
  // ΔW read as an out x (in·kh·kw) matrix.
  max_rank: (base) => Math.min(base.out_channels, base.in_channels * base.kernel_size.reduce((a, b) => a * b, 1)),
  shapes: (base, { r, lora_bias, use_dora, bias }) => ({
    'lora_A.weight': [r, base.in_channels, ...base.kernel_size],
    'lora_B.weight': [base.out_channels, r, 1, 1],
    ...(lora_bias ? { 'lora_B.bias': [base.out_channels] } : {}),
    ...(use_dora ? { lora_magnitude_vector: [1, base.out_channels, 1, 1] } : {}),
    ...(bias === 'lora_only' && base.bias !== null ? { 'base_layer.bias': [base.out_channels] } : {}),
  }),
  check: (base) => {
    // B·A is a dense update; a grouped convolution's weight is block-diagonal and could not hold it.
    if (base.groups !== 1) failRange('a convolution with groups = 1', 'conv.groups', base.groups);
  },
};

/**
 * Wraps an `nn_conv2d` (groups = 1) with a LoRA adapter: A (r x in x kh x kw) convolves as
 * the base does, B (out x r x 1 x 1) maps back, and the output gains `B(A(x)) · alpha / r`.
 *
 * @example
 * const conv = lora_nn_conv2d(nn_conv2d(3, 16, 3, { padding: 1 }), { r: 4 });
 */
export const lora_nn_conv2d = layerMaker(makeLoraConv2d, conv2d_kind, 'conv');
export type lora_nn_conv2d = LoraConv2d;
