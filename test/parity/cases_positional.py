"""Python twins of the cases in positional.parity.test.ts: the same calls, positionally."""
import math

import torch
import torch.nn.functional as F

from reference import case


@case("positional.losses")
def losses(x, y, w, p, t):
    return {"cross_entropy": F.cross_entropy(x, y, w), "nll": F.nll_loss(x.log_softmax(1), y, w),
            "bce": F.binary_cross_entropy(p.mul(0.9).add(0.05), t, w), "bce_logits": F.binary_cross_entropy_with_logits(x, t, w)}


@case("positional.layers")
def layers(x, w, b, v, i, table):
    return {"layer_norm": F.layer_norm(x, [6], v, None, 1e-3), "group_norm": F.group_norm(x, 2, w, b, 1e-3),
            "batch_norm": F.batch_norm(x, None, None, w, b, True, 0.2, 1e-3), "embedding": F.embedding(i, table, 0),
            "pad": F.pad(x, [1, 2], "constant", 0.5), "normalize": F.normalize(x, 1, 2, 1e-6)}


@case("positional.pooling")
def pooling(x, s):
    return {"max2d": F.max_pool2d(x, 3, 2, 1), "max2d_dilated": F.max_pool2d(x, 2, 1, 0, 2, True), "max1d": F.max_pool1d(s, 3, 2, 1),
            "avg2d": F.avg_pool2d(x, 3, 2, 1, True, False), "avg2d_divisor": F.avg_pool2d(x, 2, None, 0, False, True, 3), "avg1d": F.avg_pool1d(s, 4, 2, 1)}


@case("positional.init")
def init():
    torch.manual_seed(4)
    return {"kaiming": torch.nn.init.kaiming_uniform_(torch.empty(4, 5), math.sqrt(5)),
            "fan_out": torch.nn.init.kaiming_uniform_(torch.empty(4, 5), 0, "fan_out", "relu")}
