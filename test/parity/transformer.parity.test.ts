// Parity of the transformer blocks (src/nn/transformer.ts) with Python PyTorch's
// nn.Transformer{Encoder,Decoder}{Layer,}: made under the same seed, each has PyTorch's
// parameters under PyTorch's names, and the same outputs and gradients, in training (dropout
// 0) and in eval mode, with attention masks, key padding masks and the causal hint.
// Twins: the @case of the same name in cases_transformer.py.
import {
  nn_layer_norm, nn_transformer_decoder, nn_transformer_decoder_layer, nn_transformer_encoder, nn_transformer_encoder_layer, torch_ones,
  torch_rand, torch_randn, torch_tensor, type nn_Module, type Tensor,
} from '../../src/index.js';
import { forward_backward, parity_suite, type ParityCase, type Tensors } from './harness.js';

const randn = (...shape: number[]): Tensor => torch_randn(shape);
const causal = (n: number): Tensor => torch_ones([n, n], { dtype: 'bool' }).triu(1);
// Batch 3, the second sequence padded at its last two positions, the third at its last.
const padding = (): Tensor => torch_tensor([[false, false, false, false, false], [false, false, false, true, true], [false, false, false, false, true]]);

// What the Python twins of these cases pass that PyTorch added after 1.13 (Debian 12's).
const NEEDS: Record<string, ParityCase['needs']> = {
  'encoder_layer.norm_first': { torch: '2.1', why: "its TransformerEncoderLayer takes no bias option" },
  'decoder_layer.norm_first.eval': { torch: '2.1', why: "its TransformerDecoderLayer takes no bias option, nor tgt_is_causal" },
  decoder: { torch: '2.1', why: "its TransformerDecoder takes no tgt_is_causal" },
};

function block(name: string, make: () => nn_Module, inputs: () => Tensors, forward: (m: any, t: Tensors) => Tensor, grad: string[]): ParityCase {
  return { name: `transformer.${name}`, needs: NEEDS[name], inputs, grad, run: (given) => {
    const module = make();
    return forward_backward(module, { y: forward(module, given) });
  } };
}

const encoderInputs = (): Tensors => ({ x: randn(5, 3, 8), padding: padding(), mask: randn(5, 5) });
const batchFirst = (): Tensors => ({ x: randn(3, 5, 8), padding: padding(), causal: causal(5) });
const decoderInputs = (): Tensors => ({ tgt: randn(3, 4, 8), memory: randn(3, 5, 8), padding: padding(), causal: causal(4), mask: randn(4, 5) });

const cases: ParityCase[] = [
  block('encoder_layer', () => nn_transformer_encoder_layer(8, 2, { dim_feedforward: 16, dropout: 0 }), encoderInputs,
    (m, { x, padding, mask }) => m(x, { src_mask: mask, src_key_padding_mask: padding }), ['x', 'mask']),
  block('encoder_layer.eval', () => nn_transformer_encoder_layer(8, 4, { dim_feedforward: 12 }).eval(), encoderInputs,
    (m, { x, padding }) => m(x, { src_key_padding_mask: padding }), ['x']),
  block('encoder_layer.norm_first', () => nn_transformer_encoder_layer(8, 2, {
    dim_feedforward: 16, dropout: 0, activation: 'gelu', batch_first: true, norm_first: true, bias: false, layer_norm_eps: 1e-3,
  }), batchFirst, (m, { x, causal }) => m(x, { src_mask: causal, is_causal: true }), ['x']),
  block('encoder_layer.activation', () => nn_transformer_encoder_layer(8, 2, { dim_feedforward: 16, dropout: 0, activation: (t) => t.tanh() }).eval(),
    batchFirst, (m, { x }) => m(x!.transpose(0, 1)), ['x']),
  block('encoder', () => nn_transformer_encoder(nn_transformer_encoder_layer(8, 2, { dim_feedforward: 16, dropout: 0 }), 2, { norm: nn_layer_norm(8) }),
    encoderInputs, (m, { x, padding }) => m(x, { src_key_padding_mask: padding }), ['x']),
  block('decoder_layer', () => nn_transformer_decoder_layer(8, 2, { dim_feedforward: 16, dropout: 0, batch_first: true }), decoderInputs,
    (m, { tgt, memory, padding, causal, mask }) => m(tgt, memory, { tgt_mask: causal, memory_mask: mask, memory_key_padding_mask: padding }), ['tgt', 'memory', 'mask']),
  block('decoder_layer.norm_first.eval', () => nn_transformer_decoder_layer(8, 4, { dim_feedforward: 6, batch_first: true, norm_first: true, activation: 'gelu' }).eval(),
    decoderInputs, (m, { tgt, memory, causal }) => m(tgt, memory, { tgt_mask: causal, tgt_is_causal: true }), ['tgt', 'memory']),
  block('decoder', () => nn_transformer_decoder(nn_transformer_decoder_layer(8, 2, { dim_feedforward: 16, dropout: 0, batch_first: true, bias: false }), 3),
    () => ({ ...decoderInputs(), tgt_padding: torch_rand(3, 4).gt(0.8) }),
    (m, { tgt, memory, padding, tgt_padding }) => m(tgt, memory, { tgt_key_padding_mask: tgt_padding, memory_key_padding_mask: padding }), ['tgt', 'memory']),
];

parity_suite('transformer parity with PyTorch', cases);
