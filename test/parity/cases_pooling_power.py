"""Python twins of the cases in pooling_power.parity.test.ts, in torch.nn.functional and torch.nn."""
from torch import nn
from torch.nn import functional as F

from reference import case


@case("pooling_power.lp_pool1d")
def lp_pool1d(x):
    return {"two": F.lp_pool1d(x, 2, 3), "strided": F.lp_pool1d(x, 3, 2, stride=1), "ceil": F.lp_pool1d(x, 1.5, 3, stride=2, ceil_mode=True),
            "inf": F.lp_pool1d(x, float("inf"), 2), "minus_inf": F.lp_pool1d(x, -float("inf"), 3, stride=2), "module": nn.LPPool1d(2, 2)(x)}


@case("pooling_power.lp_pool2d")
def lp_pool2d(x):
    return {"two": F.lp_pool2d(x, 2, 2), "rect": F.lp_pool2d(x, 4, (2, 3), stride=(1, 2)), "unbatched": F.lp_pool2d(x[0], 2, 3, ceil_mode=True),
            "inf": F.lp_pool2d(x, float("inf"), 2), "module": nn.LPPool2d(1, (3, 2), stride=1)(x)}


@case("pooling_power.local_response_norm")
def local_response_norm(a, b, c):
    return {"three": F.local_response_norm(a, 3), "four": F.local_response_norm(b, 2, alpha=0.1, beta=0.5, k=2),
            "five": F.local_response_norm(c, 4), "module": nn.LocalResponseNorm(5, alpha=0.01)(b)}


@case("pooling_power.positional")
def positional(a, b):
    return {"lp1": F.lp_pool1d(a, 1.5, 3, 2, True), "lp1_module": nn.LPPool1d(3, 2, 1)(a), "lp2_module": nn.LPPool2d(2, (2, 2), 1, True)(b),
            "lrn": F.local_response_norm(b, 2, 0.1, 0.5, 2), "lrn_module": nn.LocalResponseNorm(3, 0.01, 0.6, 1.5)(b)}
