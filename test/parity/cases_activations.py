"""Python twins of the cases in activations.parity.test.ts, in torch.nn.functional and torch.nn."""
import torch
from torch import nn
from torch.nn import functional as F

from cases_nn import forward_backward
from reference import case


def pointwise(name, fn, inplace=None):
    def run(x):
        outputs = {"y": fn(x)}
        if inplace is not None:
            copy = x.mul(1)
            result = inplace(copy)
            assert result is copy
            outputs["inplace"] = copy
        return outputs
    case(f"activations.{name}")(run)


pointwise("relu", F.relu, lambda t: F.relu(t, inplace=True))
pointwise("relu6", F.relu6, lambda t: F.relu6(t, inplace=True))
pointwise("silu", F.silu, lambda t: F.silu(t, inplace=True))
pointwise("mish", F.mish, lambda t: F.mish(t, inplace=True))
pointwise("selu", F.selu, lambda t: F.selu(t, inplace=True))
pointwise("hardswish", F.hardswish, lambda t: F.hardswish(t, inplace=True))
pointwise("hardsigmoid", F.hardsigmoid, lambda t: F.hardsigmoid(t, inplace=True))
pointwise("elu", lambda t: F.elu(t, alpha=0.7), lambda t: F.elu(t, inplace=True))
pointwise("celu", lambda t: F.celu(t, alpha=2), lambda t: F.celu(t, alpha=0.5, inplace=True))
pointwise("leaky_relu", F.leaky_relu, lambda t: F.leaky_relu(t, negative_slope=0.2, inplace=True))
pointwise("hardtanh", F.hardtanh, lambda t: F.hardtanh(t, min_val=-2, max_val=3, inplace=True))
pointwise("threshold", lambda t: F.threshold(t, 0.5, -7), lambda t: F.threshold(t, -1, 2, inplace=True))
pointwise("rrelu.eval", F.rrelu, lambda t: F.rrelu(t, lower=0.1, upper=0.5, inplace=True))
pointwise("rrelu.train", lambda t: F.rrelu(t, training=True))
pointwise("softplus", lambda t: F.softplus(t).add(F.softplus(t, beta=2, threshold=3).mul(10)))
pointwise("hardshrink", lambda t: F.hardshrink(t).add(F.hardshrink(t, lambd=2).mul(10)))
pointwise("softshrink", lambda t: F.softshrink(t).add(F.softshrink(t, lambd=2).mul(10)))
pointwise("relu_", F.relu, F.relu_)
pointwise("elu_", lambda t: F.elu(t, alpha=0.5), lambda t: F.elu_(t, alpha=0.5))
pointwise("selu_", F.selu, F.selu_)
pointwise("hardtanh_", lambda t: F.hardtanh(t, min_val=0), lambda t: F.hardtanh_(t, min_val=0))
pointwise("threshold_", lambda t: F.threshold(t, 0, -1), lambda t: F.threshold_(t, 0, -1))
pointwise("rrelu_", F.rrelu, lambda t: F.rrelu_(t, training=True))
pointwise("celu_", lambda t: F.celu(t, 2), lambda t: F.celu_(t, 2))
pointwise("positional", lambda t: torch.stack([
    F.elu(t, 0.5), F.celu(t, 2), F.leaky_relu(t, 0.2), F.hardtanh(t, -2, 3), F.softplus(t, 2, 3), F.hardshrink(t, 2), F.softshrink(t, 2),
    F.rrelu(t, 0.1, 0.5), F.threshold(t, 0.5, -7, False), F.relu(t, False),
]), lambda t: F.leaky_relu(t, 0.2, True))
pointwise("gumbel_softmax", lambda t: F.gumbel_softmax(t, tau=0.5).add(F.gumbel_softmax(t, hard=True, dim=0).mul(10)))
pointwise("sigmoid", torch.sigmoid)
pointwise("tanh", torch.tanh)
pointwise("logsigmoid", F.logsigmoid)
pointwise("softsign", F.softsign)
pointwise("tanhshrink", F.tanhshrink)


@case("activations.glu")
def glu(x):
    return {"last": F.glu(x), "first": F.glu(x, dim=0)}


@case("activations.softmin")
def softmin(x):
    return {"last": F.softmin(x, -1), "named": F.softmin(x, dim=0), "double": F.softmin(x, 1, dtype=torch.float64)}


@case("activations.softmax.named")
def softmax_named(x):
    return {"softmax": F.softmax(x, dim=0), "log_softmax": F.log_softmax(x, dim=1, dtype=torch.float64)}


@case("activations.prelu")
def prelu(x, one, each):
    return {"one": F.prelu(x, one), "each": F.prelu(x, each)}


def module(name, make):
    def run(x):
        m = make()
        return forward_backward(m, {"y": m(x)})
    case(f"activations.module.{name}")(run)


module("relu6", nn.ReLU6)
module("elu", lambda: nn.ELU(alpha=0.3))
module("celu", lambda: nn.CELU(alpha=1.5))
module("selu", nn.SELU)
module("leaky_relu", lambda: nn.LeakyReLU(negative_slope=0.1))
module("hardtanh", lambda: nn.Hardtanh(min_val=-0.5, max_val=0.5))
module("hardswish", nn.Hardswish)
module("hardsigmoid", nn.Hardsigmoid)
module("mish", nn.Mish)
module("softplus", lambda: nn.Softplus(beta=0.5))
module("hardshrink", lambda: nn.Hardshrink(lambd=1))
module("softshrink", lambda: nn.Softshrink(lambd=1))
module("threshold", lambda: nn.Threshold(0, -1))
module("glu", lambda: nn.GLU(dim=1))
module("logsigmoid", nn.LogSigmoid)
module("log_sigmoid", nn.LogSigmoid)
module("elu.positional", lambda: nn.ELU(0.3))
module("celu.positional", lambda: nn.CELU(1.5))
module("leaky_relu.positional", lambda: nn.LeakyReLU(0.1))
module("hardtanh.positional", lambda: nn.Hardtanh(-0.5, 0.5))
module("softplus.positional", lambda: nn.Softplus(0.5, 1))
module("hardshrink.positional", lambda: nn.Hardshrink(1))
module("glu.positional", lambda: nn.GLU(1))
module("prelu.positional", lambda: nn.PReLU(3, 0.1))
module("softsign", nn.Softsign)
module("tanhshrink", nn.Tanhshrink)
module("softmin", lambda: nn.Softmin(1))
module("log_softmax", lambda: nn.LogSoftmax(-1))
module("softmax2d", nn.Softmax2d)
module("unflatten", lambda: nn.Unflatten(2, (2, -1)))
module("prelu", nn.PReLU)
module("prelu.channels", lambda: nn.PReLU(num_parameters=3, init=0.1))
module("rrelu.train", lambda: nn.RReLU(lower=0.2, upper=0.4))
module("rrelu.eval", lambda: nn.RReLU().eval())


def module_inplace(name, make):
    def run(x):
        copy = x.mul(1)
        y = make()(copy)
        assert y is copy
        return {"y": copy}
    case(f"activations.module.{name}.inplace")(run)


module_inplace("relu", lambda: nn.ReLU(inplace=True))
module_inplace("silu", lambda: nn.SiLU(inplace=True))
module_inplace("elu", lambda: nn.ELU(inplace=True))
module_inplace("leaky_relu", lambda: nn.LeakyReLU(inplace=True))
module_inplace("hardtanh", lambda: nn.Hardtanh(inplace=True))
module_inplace("relu6", lambda: nn.ReLU6(True))
module_inplace("selu", lambda: nn.SELU(True))
module_inplace("hardswish", lambda: nn.Hardswish(True))
module_inplace("hardsigmoid", lambda: nn.Hardsigmoid(True))
module_inplace("mish", lambda: nn.Mish(True))
module_inplace("celu", lambda: nn.CELU(1.5, True))
module_inplace("threshold", lambda: nn.Threshold(0.1, 20, True))
module_inplace("rrelu", lambda: nn.RReLU(0.1, 0.3, True).eval())
