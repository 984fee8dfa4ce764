// LoRA for nn_conv2d (PEFT's lora.Conv2d): A is a convolution with the base's kernel,
// stride, padding and dilation down to r channels, B a 1x1 convolution back up, so the
// term is B(A(dropout(x))) · scaling and ΔW[o, i, :, :] = Σ_k B[o, k] A[k, i, :, :] · scaling.
import { nnf_conv2d, nnf_dropout } from '../nn/functional.js';
import { nn_conv2d } from '../nn/layers.js';
import { nn_module, type nn_Module } from '../nn/module.js';
import type { Tensor } from '../tensor.js';
import { failRange } from '../validate.js';
import { AdapterDict, checkBase, LoraLayer, type AdapterSettings, type LoraKind, type LoraOptions } from './layer.js';
import { initialiseAdapter } from './linear.js';

/** What LoRA needs of an `nn_conv2d`. */
export interface Conv2dBase extends nn_Module {
  weight: Tensor;
  readonly in_channels: number;
  readonly out_channels: number;
  readonly kernel_size: number[];
  readonly stride: number[];
  readonly padding: number[] | 'same' | 'valid';
  readonly dilation: number[];
  readonly groups: number;
}

export class LoraConv2d extends LoraLayer<Conv2dBase> {
  declare lora_A: AdapterDict<Conv2dBase>;
  declare lora_B: AdapterDict<Conv2dBase>;

  constructor(conv: Conv2dBase, options: LoraOptions & { adapter?: string } = {}) {
    const base = checkBase<Conv2dBase>(conv, nn_conv2d, 'an nn_conv2d', 'conv');
    conv2d_kind.check!(base);
    super(base);
    this.lora_A = new AdapterDict();
    this.lora_B = new AdapterDict();
    const { adapter = 'default', ...rest } = options ?? {};
    this.add_adapter(adapter, rest);
  }

  get max_rank(): number { return conv2d_kind.max_rank(this.base_layer); }

  protected create(name: string, settings: AdapterSettings): void {
    const base = this.base_layer;
    // PEFT passes no dilation to A, which breaks dilated bases; the base's dilation keeps A's output the base's size.
    const A = nn_conv2d(base.in_channels, settings.r, base.kernel_size,
      { stride: base.stride, padding: base.padding, dilation: base.dilation, bias: false, ...this.factory });
    const B = nn_conv2d(settings.r, base.out_channels, 1, { bias: false, ...this.factory });
    initialiseAdapter(A.weight, B.weight, settings);
    this.lora_A.put(name, A);
    this.lora_B.put(name, B);
  }

  protected destroy(name: string): void {
    this.lora_A.remove(name);
    this.lora_B.remove(name);
  }

  protected lora_forward(input: Tensor, name: string): Tensor {
    const p = this.settings[name]!.dropout;
    const dropped = p > 0 ? nnf_dropout(input, { p, training: this.training }) : input;
    const down = this.lora_A.get(name)(dropped);
    const up = this.lora_B.get(name)(down);
    const term = up.mul(this.scaling[name]!);
    for (const t of [down, up]) t.dispose();
    if (dropped !== input) dropped.dispose();
    return term;
  }

  adapter_state(name: string): Record<string, Tensor> {
    return { 'lora_A.weight': this.lora_A.get(name).weight, 'lora_B.weight': this.lora_B.get(name).weight };
  }

  // PEFT's two formulas (a matrix product for 1x1 kernels, a convolution otherwise), so a
  // merged weight matches PEFT's to the bit.
  delta_weight(adapter?: string): Tensor {
    const name = this.adapterName(adapter);
    const A = this.lora_A.get(name).weight;
    const B = this.lora_B.get(name).weight;
    const oneByOne = A.size(2) === 1 && A.size(3) === 1;
    const product = oneByOne
      ? B.squeeze(3).squeeze(2).matmul(A.squeeze(3).squeeze(2)).unsqueeze(2).unsqueeze(3)
      : nnf_conv2d(A.permute(1, 0, 2, 3), B).permute(1, 0, 2, 3);
    const delta = product.mul(this.scaling[name]!);
    product.dispose();
    return delta;
  }
}

/**
 * Wraps an `nn_conv2d` (groups = 1) with a LoRA adapter: A (r x in x kh x kw) convolves as
 * the base does, B (out x r x 1 x 1) maps back, and the output gains `B(A(x)) · alpha / r`.
 *
 * @example
 * const conv = lora_nn_conv2d(nn_conv2d(3, 16, 3, { padding: 1 }), { r: 4 });
 */
export const lora_nn_conv2d = nn_module(LoraConv2d, 'lora_nn_conv2d');
export type lora_nn_conv2d = LoraConv2d;

export const conv2d_kind: LoraKind<Conv2dBase> = {
  base: nn_conv2d,
  label: 'nn_conv2d',
  wrap: (base, options) => lora_nn_conv2d(base, options),
  // ΔW read as an out x (in·kh·kw) matrix.
  max_rank: (base) => Math.min(base.out_channels, base.in_channels * base.kernel_size.reduce((a, b) => a * b, 1)),
  shapes: (base, r) => ({ 'lora_A.weight': [r, base.in_channels, ...base.kernel_size], 'lora_B.weight': [base.out_channels, r, 1, 1] }),
  check: (base) => {
    // B·A is a dense update; a grouped convolution's weight is block-diagonal and could not hold it.
    if (base.groups !== 1) failRange('a convolution with groups = 1', 'conv.groups', base.groups);
  },
};
