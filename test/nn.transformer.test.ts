// The transformer blocks' structure and argument checks (src/nn/transformer.ts): PyTorch's
// names, deep-copied layers in the stacks, refusals by name. Values against PyTorch are in
// test/parity/transformer.parity.test.ts.
import { describe, expect, it } from 'vitest';
import {
  nn_linear, nn_transformer_decoder, nn_transformer_decoder_layer, nn_transformer_encoder, nn_transformer_encoder_layer, torch_randn,
} from '../src/index.js';

describe('transformer blocks', () => {
  it('names parameters as PyTorch and copies the layer into each place of a stack', () => {
    const layer = nn_transformer_decoder_layer(8, 2, { dim_feedforward: 4 });
    expect(Object.keys(layer.state_dict())).toEqual([
      'self_attn.in_proj_weight', 'self_attn.in_proj_bias', 'self_attn.out_proj.weight', 'self_attn.out_proj.bias',
      'multihead_attn.in_proj_weight', 'multihead_attn.in_proj_bias', 'multihead_attn.out_proj.weight', 'multihead_attn.out_proj.bias',
      'linear1.weight', 'linear1.bias', 'linear2.weight', 'linear2.bias', 'norm1.weight', 'norm1.bias', 'norm2.weight', 'norm2.bias', 'norm3.weight', 'norm3.bias',
    ]);
    const encoder = nn_transformer_encoder(nn_transformer_encoder_layer(8, 2, { dim_feedforward: 4 }), 2);
    const state = encoder.state_dict();
    expect(Object.keys(state)).toContain('layers.1.linear2.bias');
    expect(state['layers.0.linear1.weight']!.equal(state['layers.1.linear1.weight']!)).toBe(true);
    expect(encoder.layers.at(0)!.linear1.weight).not.toBe(encoder.layers.at(1)!.linear1.weight);
    expect(encoder(torch_randn(5, 3, 8)).shape).toEqual([5, 3, 8]);
  });

  it('refuses bad options by name', () => {
    expect(() => nn_transformer_encoder_layer(8, 3)).toThrow(/embed_dim/);
    expect(() => nn_transformer_encoder_layer(8, 2, { activation: 'swish' as never })).toThrow(/Expected "relu", "gelu" or a function of a Tensor for activation/);
    expect(() => nn_transformer_encoder_layer(8, 2, { nheads: 2 } as never)).toThrow(/Expected one of dim_feedforward/);
    expect(() => nn_transformer_encoder_layer(8, 2)(torch_randn(2, 2, 8), { mask: null } as never)).toThrow(/src_mask/);
    expect(() => nn_transformer_encoder(nn_linear(2, 2) as never, 2)).toThrow(/TransformerEncoderLayer/);
    expect(() => nn_transformer_decoder(nn_transformer_decoder_layer(8, 2), 0)).toThrow(/num_layers/);
    expect(() => nn_transformer_decoder_layer(8, 2)(torch_randn(2, 2, 8), torch_randn(2, 2, 8), { tgt_is_causal: true })).toThrow(/attn_mask/);
  });
});
