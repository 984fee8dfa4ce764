// PyTorch's transformer blocks, with its options and names: `nn_transformer_encoder_layer`,
// `nn_transformer_encoder`, `nn_transformer_decoder_layer` and `nn_transformer_decoder`.
// Submodules are made in PyTorch's order (so the same seed gives the same weights) and named
// as PyTorch names them (`self_attn`, `linear1`, `norm1`, ...), so state_dicts line up. The
// stacks hold `num_layers` deep copies of the layer given, as PyTorch's `_get_clones` does.
import { torch_scope } from '../core/scope.js';
import { type Tensor } from '../ops/tensor.js';
import {
  checkBoolean, checkFinite, checkOptions, checkPositiveInteger, fail, optionKeys,
} from '../core/validate.js';
import { MultiheadAttention, nn_multihead_attention } from './attention.js';
import { nnf_relu } from './functional_activations.js';
import { nnf_gelu } from './functional.js';
import { Dropout, LayerNorm, Linear, nn_dropout, nn_layer_norm, nn_linear } from './layers.js';
import { nn_Module } from './module.js';
import { nn_module } from './generator.js';
import { nn_module_list, type ModuleList } from './containers.js';
import { checkProbability, factory, FACTORY_KEYS, positionalOptions, type FactoryOptions, type Positional } from './options.js';

/** The options of `nn_transformer_encoder_layer` and `nn_transformer_decoder_layer`, PyTorch's. */
export interface TransformerLayerOptions extends FactoryOptions {
  /** The hidden size of the feed-forward block (2048). */
  dim_feedforward?: number;
  /** Dropout after attention, inside and after the feed-forward block (0.1). */
  dropout?: number;
  /** "relu" (the default), "gelu", or a function of a Tensor. */
  activation?: 'relu' | 'gelu' | ((x: Tensor) => Tensor);
  /** The layer norms' eps (1e-5). */
  layer_norm_eps?: number;
  /** Inputs are batch x sequence x features (false: sequence x batch x features). */
  batch_first?: boolean;
  /** Normalise before attention and feed-forward (pre-norm) instead of after (false). */
  norm_first?: boolean;
  /** Biases in the linear layers, attention and layer norms (true). */
  bias?: boolean;
}
/** A transformer layer's optional arguments, positionally in R's and PyTorch's order or as options. */
export type TransformerLayerArguments = Positional<[
  dim_feedforward: number, dropout: number, activation: 'relu' | 'gelu' | ((x: Tensor) => Tensor), layer_norm_eps: number,
  batch_first: boolean, norm_first: boolean, bias: boolean,
], TransformerLayerOptions>;
const LAYER_KEYS = optionKeys<TransformerLayerOptions>({
  dim_feedforward: true, dropout: true, activation: true, layer_norm_eps: true, batch_first: true, norm_first: true, bias: true, ...FACTORY_KEYS,
});

type Activation = (x: Tensor) => Tensor;
function activationOf(value: unknown): Activation {
  if (value === 'relu') return (x) => nnf_relu(x);
  if (value === 'gelu') return (x) => nnf_gelu(x);
  if (typeof value === 'function') return value as Activation;
  return fail('"relu", "gelu" or a function of a Tensor', 'activation', value);
}

// What both layers share: the feed-forward block, its dropouts and the settings.
abstract class TransformerLayer extends nn_Module {
  declare linear1: Linear;
  declare dropout: Dropout;
  declare linear2: Linear;
  readonly norm_first: boolean;
  readonly batch_first: boolean;
  readonly activation: Activation;

  protected constructor(d_model: number, nhead: number, args: readonly unknown[], where: string, attentions: string[]) {
    super();
    const names = ['dim_feedforward', 'dropout', 'activation', 'layer_norm_eps', 'batch_first', 'norm_first', 'bias'] as const;
    const options = positionalOptions<TransformerLayerOptions>(args, names, LAYER_KEYS, where);
    const {
      dim_feedforward = 2048, dropout = 0.1, activation = 'relu', layer_norm_eps = 1e-5, batch_first = false, norm_first = false, bias = true,
    } = options;
    checkPositiveInteger(d_model, 'd_model');
    checkPositiveInteger(dim_feedforward, 'dim_feedforward');
    const p = checkProbability(dropout, 'dropout');
    const eps = checkFinite(layer_norm_eps, 'layer_norm_eps');
    this.batch_first = checkBoolean(batch_first, 'batch_first');
    this.norm_first = checkBoolean(norm_first, 'norm_first');
    checkBoolean(bias, 'bias');
    this.activation = activationOf(activation);
    const made = factory(options ?? {});
    for (const name of attentions) {
      (this as unknown as Record<string, nn_Module>)[name] = nn_multihead_attention(d_model, nhead, { dropout: p, bias, batch_first, ...made });
    }
    this.linear1 = nn_linear(d_model, dim_feedforward, { bias, ...made });
    this.dropout = nn_dropout(p);
    this.linear2 = nn_linear(dim_feedforward, d_model, { bias, ...made });
    const norms = attentions.length + 1;
    for (let i = 1; i <= norms; i++) (this as unknown as Record<string, nn_Module>)[`norm${i}`] = nn_layer_norm(d_model, { eps, bias, ...made });
    for (let i = 1; i <= norms; i++) (this as unknown as Record<string, nn_Module>)[`dropout${i}`] = nn_dropout(p);
  }

  protected attend(attention: MultiheadAttention, dropout: Dropout, x: Tensor, memory: Tensor, mask: Tensor | null, padding: Tensor | null, is_causal: boolean): Tensor {
    const [output] = attention(x, memory, memory, { attn_mask: mask, key_padding_mask: padding, need_weights: false, is_causal });
    return dropout(output);
  }

  protected feedForward(x: Tensor, dropout: Dropout): Tensor {
    return dropout(this.linear2(this.dropout(this.activation(this.linear1(x)))));
  }
}

/** The forward options of `nn_transformer_encoder_layer` and `nn_transformer_encoder`. */
export interface TransformerEncoderForwardOptions {
  /** An attention mask (L x L, or N·nhead x L x L): boolean (true masks out) or added to the scores. */
  src_mask?: Tensor | null;
  /** N x L: true (or -inf) marks padding positions that no query attends to. */
  src_key_padding_mask?: Tensor | null;
  /** A hint that `src_mask` is the causal mask (the mask is still required, as in PyTorch). */
  is_causal?: boolean;
}
const ENCODER_FORWARD_KEYS = optionKeys<TransformerEncoderForwardOptions>({ src_mask: true, src_key_padding_mask: true, is_causal: true });

/** The class behind `nn_transformer_encoder_layer`. */
export class TransformerEncoderLayer extends TransformerLayer {
  declare self_attn: MultiheadAttention;
  declare norm1: LayerNorm;
  declare norm2: LayerNorm;
  declare dropout1: Dropout;
  declare dropout2: Dropout;

  constructor(d_model: number, nhead: number, ...args: TransformerLayerArguments) {
    super(d_model, nhead, args, 'nn_transformer_encoder_layer', ['self_attn']);
  }

  override forward(src: Tensor, options?: TransformerEncoderForwardOptions): Tensor {
    const { src_mask = null, src_key_padding_mask = null, is_causal = false } = checkOptions(options, ENCODER_FORWARD_KEYS, 'nn_transformer_encoder_layer forward');
    return torch_scope(() => {
      const attend = (x: Tensor): Tensor => this.attend(this.self_attn, this.dropout1, x, x, src_mask, src_key_padding_mask, is_causal);
      if (this.norm_first) {
        const x = src.add(attend(this.norm1(src)));
        return x.add(this.feedForward(this.norm2(x), this.dropout2));
      }
      const x = this.norm1(src.add(attend(src)));
      return this.norm2(x.add(this.feedForward(x, this.dropout2)));
    });
  }
}

/**
 * A transformer encoder block: self-attention and a feed-forward network, each with a
 * residual connection and layer norm (after, or before with `norm_first`), as PyTorch's
 * TransformerEncoderLayer. `forward(src, { src_mask, src_key_padding_mask, is_causal })`.
 *
 * @example
 * const layer = nn_transformer_encoder_layer(64, 4, { dim_feedforward: 256, batch_first: true });
 * const y = layer(x, { src_key_padding_mask: padding }); // x: N x L x 64, padding: N x L booleans
 */
export const nn_transformer_encoder_layer = nn_module(TransformerEncoderLayer, 'nn_transformer_encoder_layer');
export type nn_transformer_encoder_layer = TransformerEncoderLayer;

/** The forward options of `nn_transformer_decoder_layer` and `nn_transformer_decoder`, PyTorch's. */
export interface TransformerDecoderForwardOptions {
  tgt_mask?: Tensor | null;
  memory_mask?: Tensor | null;
  tgt_key_padding_mask?: Tensor | null;
  memory_key_padding_mask?: Tensor | null;
  tgt_is_causal?: boolean;
  memory_is_causal?: boolean;
}
const DECODER_FORWARD_KEYS = optionKeys<TransformerDecoderForwardOptions>({
  tgt_mask: true, memory_mask: true, tgt_key_padding_mask: true, memory_key_padding_mask: true, tgt_is_causal: true, memory_is_causal: true,
});

/** The class behind `nn_transformer_decoder_layer`. */
export class TransformerDecoderLayer extends TransformerLayer {
  declare self_attn: MultiheadAttention;
  declare multihead_attn: MultiheadAttention;
  declare norm1: LayerNorm;
  declare norm2: LayerNorm;
  declare norm3: LayerNorm;
  declare dropout1: Dropout;
  declare dropout2: Dropout;
  declare dropout3: Dropout;

  constructor(d_model: number, nhead: number, ...args: TransformerLayerArguments) {
    super(d_model, nhead, args, 'nn_transformer_decoder_layer', ['self_attn', 'multihead_attn']);
  }

  override forward(tgt: Tensor, memory: Tensor, options?: TransformerDecoderForwardOptions): Tensor {
    const {
      tgt_mask = null, memory_mask = null, tgt_key_padding_mask = null, memory_key_padding_mask = null, tgt_is_causal = false, memory_is_causal = false,
    } = checkOptions(options, DECODER_FORWARD_KEYS, 'nn_transformer_decoder_layer forward');
    return torch_scope(() => {
      const self = (x: Tensor): Tensor => this.attend(this.self_attn, this.dropout1, x, x, tgt_mask, tgt_key_padding_mask, tgt_is_causal);
      const cross = (x: Tensor): Tensor => this.attend(this.multihead_attn, this.dropout2, x, memory, memory_mask, memory_key_padding_mask, memory_is_causal);
      if (this.norm_first) {
        let x = tgt.add(self(this.norm1(tgt)));
        x = x.add(cross(this.norm2(x)));
        return x.add(this.feedForward(this.norm3(x), this.dropout3));
      }
      let x = this.norm1(tgt.add(self(tgt)));
      x = this.norm2(x.add(cross(x)));
      return this.norm3(x.add(this.feedForward(x, this.dropout3)));
    });
  }
}

/**
 * A transformer decoder block: self-attention over the target, attention over the encoder's
 * output (`memory`), and a feed-forward network, as PyTorch's TransformerDecoderLayer.
 *
 * @example
 * const layer = nn_transformer_decoder_layer(64, 4, { batch_first: true, norm_first: true });
 * const y = layer(tgt, memory, { tgt_mask: causal, tgt_is_causal: true });
 */
export const nn_transformer_decoder_layer = nn_module(TransformerDecoderLayer, 'nn_transformer_decoder_layer');
export type nn_transformer_decoder_layer = TransformerDecoderLayer;

/** The options of the stacks: a final norm (none). */
export interface TransformerStackOptions {
  norm?: nn_Module | null;
}
const STACK_KEYS = optionKeys<TransformerStackOptions>({ norm: true });

function stack<L extends nn_Module>(owner: nn_Module, layer: L, num_layers: number, args: readonly unknown[], where: string, Class: abstract new (...args: any[]) => L): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  const { norm = null } = positionalOptions<TransformerStackOptions>(args, ['norm'], STACK_KEYS, where);
  if (!(layer instanceof Class)) fail(`a ${Class.name} (made by ${where}_layer)`, `${where.slice(3)}_layer`, layer);
  checkPositiveInteger(num_layers, 'num_layers');
  if (norm !== null && !(norm instanceof nn_Module)) fail('a module or null', 'norm', norm);
  const target = owner as unknown as Record<string, unknown>;
  target.layers = nn_module_list(Array.from({ length: num_layers }, () => layer.clone(true)));
  if (norm === null) owner.register_module('norm', null);
  else target.norm = norm;
}

/** The class behind `nn_transformer_encoder`. */
export class TransformerEncoder extends nn_Module {
  declare layers: ModuleList<TransformerEncoderLayer>;
  declare norm: nn_Module | null;
  readonly num_layers: number;

  constructor(encoder_layer: TransformerEncoderLayer, num_layers: number, ...args: Positional<[norm: nn_Module | null], TransformerStackOptions>) {
    super();
    stack(this, encoder_layer, num_layers, args, 'nn_transformer_encoder', TransformerEncoderLayer);
    this.num_layers = num_layers;
  }

  override forward(src: Tensor, options?: TransformerEncoderForwardOptions): Tensor {
    checkOptions(options, ENCODER_FORWARD_KEYS, 'nn_transformer_encoder forward');
    return torch_scope(() => {
      let output = src;
      for (const layer of this.layers) output = layer(output, options);
      return this.norm === null ? output : (this.norm as (x: Tensor) => Tensor)(output);
    });
  }
}

/**
 * A stack of `num_layers` copies of an encoder layer (each a deep copy, with the same initial
 * weights, as PyTorch's), then `norm` if given.
 *
 * @example
 * const encoder = nn_transformer_encoder(nn_transformer_encoder_layer(64, 4), 6, { norm: nn_layer_norm(64) });
 */
export const nn_transformer_encoder = nn_module(TransformerEncoder, 'nn_transformer_encoder');
export type nn_transformer_encoder = TransformerEncoder;

/** The class behind `nn_transformer_decoder`. */
export class TransformerDecoder extends nn_Module {
  declare layers: ModuleList<TransformerDecoderLayer>;
  declare norm: nn_Module | null;
  readonly num_layers: number;

  constructor(decoder_layer: TransformerDecoderLayer, num_layers: number, ...args: Positional<[norm: nn_Module | null], TransformerStackOptions>) {
    super();
    stack(this, decoder_layer, num_layers, args, 'nn_transformer_decoder', TransformerDecoderLayer);
    this.num_layers = num_layers;
  }

  override forward(tgt: Tensor, memory: Tensor, options?: TransformerDecoderForwardOptions): Tensor {
    checkOptions(options, DECODER_FORWARD_KEYS, 'nn_transformer_decoder forward');
    return torch_scope(() => {
      let output = tgt;
      for (const layer of this.layers) output = layer(output, memory, options);
      return this.norm === null ? output : (this.norm as (x: Tensor) => Tensor)(output);
    });
  }
}

/**
 * A stack of `num_layers` copies of a decoder layer, then `norm` if given.
 *
 * @example
 * const decoder = nn_transformer_decoder(nn_transformer_decoder_layer(64, 4), 6);
 * const y = decoder(tgt, memory, { tgt_mask: causal });
 */
export const nn_transformer_decoder = nn_module(TransformerDecoder, 'nn_transformer_decoder');
export type nn_transformer_decoder = TransformerDecoder;
