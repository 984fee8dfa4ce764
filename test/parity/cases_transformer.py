"""Python twins of the cases in transformer.parity.test.ts, in torch.nn."""
import torch
from torch import nn
from torch.nn import functional as F

from cases_nn import forward_backward
from reference import case


def block(name, make, forward):
    def run(**inputs):
        module = make()
        return forward_backward(module, {"y": forward(module, **inputs)})
    case(f"transformer.{name}")(run)


block("encoder_layer", lambda: nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0),
      lambda m, x, padding, mask: m(x, src_mask=mask, src_key_padding_mask=padding))
block("encoder_layer.eval", lambda: nn.TransformerEncoderLayer(8, 4, dim_feedforward=12).eval(),
      lambda m, x, padding, mask: m(x, src_key_padding_mask=padding))
block("encoder_layer.norm_first", lambda: nn.TransformerEncoderLayer(
    8, 2, dim_feedforward=16, dropout=0.0, activation="gelu", batch_first=True, norm_first=True, bias=False, layer_norm_eps=1e-3),
      lambda m, x, padding, causal: m(x, src_mask=causal, is_causal=True))
block("encoder_layer.activation", lambda: nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation=torch.tanh).eval(),
      lambda m, x, padding, causal: m(x.transpose(0, 1)))
block("encoder", lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0), 2, norm=nn.LayerNorm(8),
                                               enable_nested_tensor=False),
      lambda m, x, padding, mask: m(x, src_key_padding_mask=padding))
block("decoder_layer", lambda: nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True),
      lambda m, tgt, memory, padding, causal, mask: m(tgt, memory, tgt_mask=causal, memory_mask=mask, memory_key_padding_mask=padding))
block("decoder_layer.norm_first.eval", lambda: nn.TransformerDecoderLayer(
    8, 4, dim_feedforward=6, batch_first=True, norm_first=True, activation="gelu").eval(),
      lambda m, tgt, memory, padding, causal, mask: m(tgt, memory, tgt_mask=causal, tgt_is_causal=True))
block("decoder", lambda: nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True, bias=False), 3),
      lambda m, tgt, memory, padding, causal, mask, tgt_padding: m(tgt, memory, tgt_key_padding_mask=tgt_padding, memory_key_padding_mask=padding))
