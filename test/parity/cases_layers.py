"""Python twins of the cases in layers.parity.test.ts: normalisation, pooling and recurrent
layers made the PyTorch way under the same seed, run forward, and backward with upstream
gradients drawn as forward_backward() in layers.parity.test.ts draws them."""
import torch
from torch import nn
from torch.nn import functional as F

from cases_nn import forward_backward as parameters_and_gradients
from reference import case


def forward_backward(module, outputs):
    """cases_nn.forward_backward (outputs, parameters and their gradients), and every buffer,
    as forward_backward(..., { buffers: true }) in harness.ts returns them."""
    result = parameters_and_gradients(module, outputs)
    for name, buffer in module.named_buffers():
        result[f"buffer.{name}"] = buffer.clone()
    return result


def call(module, x):
    return {"y": module(x)}


def layer(name, make, forward=call):
    def run(**inputs):
        module = make()
        return forward_backward(module, forward(module, **inputs))
    case(f"layers.{name}")(run)


def train_twice_then_eval(module, a, b, c):
    first = module(a)
    second = module(b)
    module.eval()
    return {"first": first, "second": second, "eval": module(c)}


# ---- normalisation

def rms_norm(x, normalized_shape, weight=None, eps=None):
    """F.rms_norm of PyTorch 2.4, which 1.13 lacks: its kernel (torch.rms_norm in
    aten/src/ATen/native/layer_norm.cpp) written out with the same operations in the same
    order, eps None meaning torch.finfo(x.dtype).eps."""
    dims = [x.dim() - i - 1 for i in range(len(normalized_shape))]
    eps = torch.finfo(x.dtype).eps if eps is None else eps
    y = x.mul(torch.rsqrt(x.pow(2).mean(dims, keepdim=True).add_(eps)))
    return y if weight is None else y.mul(weight)


class RMSNorm(nn.Module):
    """nn.RMSNorm as PyTorch 2.4 makes it (1.13 lacks it): a weight of ones unless
    elementwise_affine is False, forward through rms_norm above."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, dtype=None):
        super().__init__()
        self.normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.eps = eps
        if elementwise_affine:
            self.weight = nn.Parameter(torch.ones(self.normalized_shape, dtype=dtype))
        else:
            self.register_parameter("weight", None)

    def forward(self, x):
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)


layer("batch_norm1d.train", lambda: nn.BatchNorm1d(3))
layer("batch_norm1d.train.3d", lambda: nn.BatchNorm1d(3))
layer("batch_norm1d.steps", lambda: nn.BatchNorm1d(3), train_twice_then_eval)
layer("batch_norm1d.cumulative", lambda: nn.BatchNorm1d(3, momentum=None, eps=1e-3), train_twice_then_eval)
layer("batch_norm1d.no_affine", lambda: nn.BatchNorm1d(4, affine=False, momentum=0.3), train_twice_then_eval)
layer("batch_norm1d.untracked", lambda: nn.BatchNorm1d(4, track_running_stats=False), train_twice_then_eval)
layer("batch_norm2d.steps", lambda: nn.BatchNorm2d(3), train_twice_then_eval)
layer("batch_norm2d.eval", lambda: nn.BatchNorm2d(2).eval())


@case("layers.functional.batch_norm.train")
def batch_norm_train(x, weight, bias, mean, variance):
    y = F.batch_norm(x, mean, variance, weight, bias, training=True, momentum=0.2, eps=1e-4)
    return {"y": y, "mean": mean, "variance": variance}


@case("layers.functional.batch_norm.eval")
def batch_norm_eval(x, weight, mean, variance):
    return {"y": F.batch_norm(x, mean, variance, weight)}


layer("group_norm", lambda: nn.GroupNorm(2, 4))
layer("group_norm.2d", lambda: nn.GroupNorm(3, 6, eps=1e-3))
layer("group_norm.no_affine", lambda: nn.GroupNorm(1, 3, affine=False))


@case("layers.functional.group_norm")
def group_norm(x, weight, bias):
    return {"y": F.group_norm(x, 2, weight, bias)}


layer("rms_norm", lambda: RMSNorm(6))
layer("rms_norm.shape", lambda: RMSNorm([4, 6], eps=1e-3))
layer("rms_norm.no_affine", lambda: RMSNorm(5, elementwise_affine=False))
layer("rms_norm.float64", lambda: RMSNorm(5, dtype=torch.float64))


@case("layers.functional.rms_norm")
def rms_norm_functional(x, weight):
    return {"y": rms_norm(x, (6,), weight, 1e-5)}


# ---- pooling

def indices(module, x):
    y, index = module(x)
    return {"y": y, "index": index}


layer("max_pool1d", lambda: nn.MaxPool1d(2))
layer("max_pool1d.options", lambda: nn.MaxPool1d(3, stride=2, padding=1, dilation=2, ceil_mode=True))
layer("max_pool1d.indices", lambda: nn.MaxPool1d(3, stride=1, return_indices=True), indices)
layer("max_pool1d.unbatched", lambda: nn.MaxPool1d(2))
layer("max_pool1d.no_grad", lambda: nn.MaxPool1d(2, stride=1))
layer("max_pool2d", lambda: nn.MaxPool2d(2))
layer("max_pool2d.options", lambda: nn.MaxPool2d((3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), ceil_mode=True))
layer("max_pool2d.indices", lambda: nn.MaxPool2d(2, return_indices=True), indices)
layer("max_pool2d.no_grad", lambda: nn.MaxPool2d(3, stride=2, padding=1))


@case("layers.functional.max_pool2d.indices")
def max_pool2d_indices(x):
    y, index = F.max_pool2d(x, 2, stride=1, return_indices=True)
    return {"y": y, "index": index}


layer("avg_pool1d", lambda: nn.AvgPool1d(3))
layer("avg_pool1d.options", lambda: nn.AvgPool1d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False))
layer("avg_pool2d", lambda: nn.AvgPool2d(2))
layer("avg_pool2d.options", lambda: nn.AvgPool2d((3, 2), stride=(1, 2), padding=(1, 1), ceil_mode=True, count_include_pad=False))
layer("avg_pool2d.divisor_override", lambda: nn.AvgPool2d(3, stride=1, padding=1, divisor_override=4))


@case("layers.functional.avg_pool2d.unbatched")
def avg_pool2d_unbatched(x):
    return {"y": F.avg_pool2d(x, 2, stride=2)}


layer("adaptive_avg_pool1d", lambda: nn.AdaptiveAvgPool1d(4))
layer("adaptive_avg_pool2d", lambda: nn.AdaptiveAvgPool2d((3, 2)))
layer("adaptive_avg_pool2d.none", lambda: nn.AdaptiveAvgPool2d((None, 3)))
layer("adaptive_avg_pool2d.global", lambda: nn.AdaptiveAvgPool2d(1))
layer("adaptive_max_pool1d", lambda: nn.AdaptiveMaxPool1d(3))
layer("adaptive_max_pool1d.indices", lambda: nn.AdaptiveMaxPool1d(4, return_indices=True), indices)
layer("adaptive_max_pool2d", lambda: nn.AdaptiveMaxPool2d((2, 3)))
layer("adaptive_max_pool2d.indices", lambda: nn.AdaptiveMaxPool2d(3, return_indices=True), indices)


@case("layers.functional.adaptive_max_pool2d.none")
def adaptive_max_pool2d_none(x):
    return {"y": F.adaptive_max_pool2d(x, (2, None))}


# ---- recurrent

def lstm(module, x, h=None, c=None):
    y, (h_n, c_n) = module(x, None if h is None else (h, c))
    return {"y": y, "h_n": h_n, "c_n": c_n}


def gru(module, x, h=None):
    y, h_n = module(x, h)
    return {"y": y, "h_n": h_n}


layer("lstm", lambda: nn.LSTM(4, 6), lstm)
layer("lstm.layers.bidirectional", lambda: nn.LSTM(4, 5, num_layers=2, bidirectional=True), lstm)
layer("lstm.batch_first.no_bias", lambda: nn.LSTM(4, 3, batch_first=True, bias=False), lstm)
layer("lstm.hx", lambda: nn.LSTM(4, 5, num_layers=2), lstm)
layer("lstm.unbatched", lambda: nn.LSTM(4, 5, bidirectional=True), lstm)
layer("lstm.dropout.train", lambda: nn.LSTM(4, 5, num_layers=3, dropout=0.4), lstm)
layer("lstm.proj_size", lambda: nn.LSTM(4, 6, num_layers=2, bidirectional=True, proj_size=3), lstm)
layer("lstm.proj_size.hx", lambda: nn.LSTM(4, 5, proj_size=2, bias=False, batch_first=True), lstm)
layer("lstm.dropout.eval", lambda: nn.LSTM(4, 5, num_layers=3, dropout=0.4).eval(), lstm)
layer("gru", lambda: nn.GRU(4, 6), gru)
layer("gru.layers.bidirectional", lambda: nn.GRU(4, 5, num_layers=2, bidirectional=True, batch_first=True), gru)
layer("gru.no_bias.hx", lambda: nn.GRU(4, 3, bias=False), gru)
layer("gru.unbatched", lambda: nn.GRU(4, 5, num_layers=2, batch_first=True), gru)
layer("gru.dropout.train", lambda: nn.GRU(4, 5, num_layers=2, dropout=0.5, bidirectional=True), gru)


# ---- hooks

class Hooked(nn.Module):
    """A pre-hook that replaces the input (a non-tuple result becomes the one argument) and two
    forward hooks that replace the output, the second seeing the replaced input."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.fc.register_forward_pre_hook(lambda module, args: args[0].mul(2))
        self.fc.register_forward_hook(lambda module, args, output: output.tanh())
        self.fc.register_forward_hook(lambda module, args, output: output.add(args[0].sum(-1, True)))

    def forward(self, x):
        return self.fc(x)


layer("hooks", Hooked)
