// LoRA for nn_conv2d (PEFT's lora.Conv2d): A is a convolution with the base's kernel,
// stride, padding and dilation down to r channels, B a 1x1 convolution back up, so the
// term is B(A(dropout(x))) · scaling and ΔW[o, i, :, :] = Σ_k B[o, k] A[k, i, :, :] · scaling.
import { nnf_conv2d } from '../nn/functional.js';
import { nn_conv2d } from '../nn/layers.js';
import { nn_module } from '../nn/generator.js';
import type { Tensor } from '../ops/tensor.js';
import { failRange } from '../core/validate.js';
import { DenseLoraLayer } from './dense.js';
import { layerMaker, refuseSettings, type LoraKind } from './kind.js';
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
    checkConvSettings(settings, 'lora_nn_conv2d');
    super.create(name, settings);
  }

  // PEFT's two formulas (a matrix product for 1x1 kernels, a convolution otherwise), so a
  // merged weight matches PEFT's to the bit.
  delta_weight(adapter?: string): Tensor {
    return this.scaled(adapter, (A, B) => (A.size(2) === 1 && A.size(3) === 1
      ? B.squeeze(3).squeeze(2).matmul(A.squeeze(3).squeeze(2)).unsqueeze(2).unsqueeze(3)
      : nnf_conv2d(A.permute(1, 0, 2, 3), B).permute(1, 0, 2, 3)));
  }
}

const checkConvSettings = refuseSettings('nn_conv2d', ['use_dora'], 'torchlora implements DoRA for linear and embedding layers');

const makeLoraConv2d = nn_module(LoraConv2d, 'lora_nn_conv2d');

export const conv2d_kind: LoraKind<Conv2dBase> = {
  base: nn_conv2d,
  label: 'nn_conv2d',
  wrap: makeLoraConv2d,
  // ΔW read as an out x (in·kh·kw) matrix.
  max_rank: (base) => Math.min(base.out_channels, base.in_channels * base.kernel_size.reduce((a, b) => a * b, 1)),
  shapes: (base, { r, lora_bias }) => ({
    'lora_A.weight': [r, base.in_channels, ...base.kernel_size], 'lora_B.weight': [base.out_channels, r, 1, 1], ...(lora_bias ? { 'lora_B.bias': [base.out_channels] } : {}),
  }),
  check_settings: (settings, where) => checkConvSettings(settings, where),
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
