"""Python twins of the cases in convolution.parity.test.ts."""
import torch
from torch import nn
from torch.nn import functional as F

from cases_layers import forward_backward
from reference import case


def layer(name, make, forward=lambda m, x: {"y": m(x)}):
    def run(**inputs):
        module = make()
        return forward_backward(module, forward(module, **inputs))
    case(f"convolution.{name}")(run)


def batch_norm_steps(m, a, b):
    first = m(a)
    m.eval()
    return {"first": first, "eval": m(b)}


layer("conv3d", lambda: nn.Conv3d(2, 4, 3, padding=1))
layer("conv3d.options", lambda: nn.Conv3d(4, 6, (2, 3, 1), stride=(2, 1, 1), dilation=(1, 2, 1), groups=2, bias=False))
layer("conv3d.same", lambda: nn.Conv3d(2, 3, 3, padding="same"))
layer("conv_transpose1d", lambda: nn.ConvTranspose1d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2))
layer("conv_transpose1d.unbatched", lambda: nn.ConvTranspose1d(3, 2, 4, dilation=2, bias=False))
layer("conv_transpose2d", lambda: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1))
layer("conv_transpose2d.output_size", lambda: nn.ConvTranspose2d(2, 4, (3, 2), stride=(3, 2)),
      lambda m, x: {"y": m(x, output_size=[10, 9])})
layer("conv_transpose3d", lambda: nn.ConvTranspose3d(2, 2, 2, stride=2))
layer("batch_norm3d", lambda: nn.BatchNorm3d(3), batch_norm_steps)
layer("conv3d.positional", lambda: nn.Conv3d(2, 4, 3, 2, 1, 1, 1, False))
layer("conv_transpose2d.positional", lambda: nn.ConvTranspose2d(3, 2, 3, 2, 1, 1))
layer("batch_norm3d.positional", lambda: nn.BatchNorm3d(3, 1e-3, 0.5), batch_norm_steps)
layer("dropout2d", lambda: nn.Dropout2d(0.4))
layer("dropout3d", nn.Dropout3d)
layer("dropout3d.eval", lambda: nn.Dropout3d().eval())


@case("convolution.nnf_positional")
def positional(x, w, b, x2, w2):
    return {"conv3d": F.conv3d(x, w, b, 2, 1), "conv3d_dilated": F.conv3d(x, w, None, 1, 1, 2),
            "conv_transpose2d": F.conv_transpose2d(x2, w2, None, 2, 1, 1), "cosine": F.cosine_similarity(x2, x2.flip(3), 3, 1e-6)}


@case("convolution.nnf_conv_transpose")
def conv_transpose(x1, w1, b, x2, w2, x3, w3):
    return {
        "one": F.conv_transpose1d(x1, w1, b, stride=2, output_padding=1, groups=2, dilation=1),
        "two": F.conv_transpose2d(x2, w2, stride=(1, 2), padding=(1, 0), dilation=2),
        "three": F.conv_transpose3d(x3, w3, stride=2, padding=1, output_padding=1),
    }


@case("convolution.nnf_dropout")
def dropout(x, v, l):
    copy = x.mul(1)
    volume = v.mul(1)
    plain = l.mul(1)
    other = x.mul(1)
    return {
        "d2": F.dropout2d(x), "d2_small": F.dropout2d(l, p=0.3), "d2_eval": F.dropout2d(x, training=False),
        "d2_inplace": F.dropout2d(copy, p=0.25, inplace=True), "d3": F.dropout3d(v, p=0.6), "d3_inplace": F.dropout3d(volume, inplace=True),
        "d1_inplace": F.dropout(plain, p=0.3, inplace=True), "module_inplace": nn.Dropout(0.4, inplace=True)(other),
    }


@case("convolution.cosine_similarity")
def cosine_similarity(a, b, c):
    return {"rows": F.cosine_similarity(a, b), "columns": F.cosine_similarity(a, b, dim=0, eps=0.5),
            "broadcast": F.cosine_similarity(a, c, dim=-1)}


@case("convolution.init_eye")
def init_eye():
    return {"wide": nn.init.eye_(torch.empty(3, 5)), "tall": nn.init.eye_(torch.empty(4, 2))}
