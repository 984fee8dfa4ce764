"""Python twins of the cases in clip.parity.test.ts: torch.nn.utils.clip_grad_* and torch.norm."""
import math

import torch
from torch.nn.utils import clip_grad_norm_, clip_grad_value_

from reference import case


def with_grads(a, b, c):
    params = []
    for g in (a, b, c):
        p = torch.zeros(g.shape, requires_grad=True)
        p.grad = g.clone()
        params.append(p)
    return params + [torch.zeros(3, requires_grad=True)]


def clip_norm(name, max_norm, norm_type=None):
    def run(a, b, c):
        params = with_grads(a, b, c)
        total = clip_grad_norm_(params, max_norm) if norm_type is None else clip_grad_norm_(params, max_norm, norm_type)
        return {"total": total, "a": params[0].grad, "b": params[1].grad, "c": params[2].grad}
    case(f"clip_grad_norm.{name}")(run)


clip_norm("l2", 1)
clip_norm("l2.not_clipped", 100)
clip_norm("l1", 2, 1)
clip_norm("inf", 0.5, math.inf)
clip_norm("p3_5", 1.5, 3.5)


@case("clip_grad_norm.one_parameter")
def one_parameter(a, b, c):
    param = with_grads(a, b, c)[0]
    total = clip_grad_norm_(param, 0.7)
    return {"total": total, "a": param.grad}


@case("clip_grad_value")
def value(a, b, c):
    params = with_grads(a, b, c)
    clip_grad_value_(params, 0.8)
    return {"a": params[0].grad, "b": params[1].grad, "c": params[2].grad}


@case("norm")
def norm(x, d):
    return {"p2": x.norm(2), "p1": torch.norm(x, 1), "pinf": x.norm(math.inf), "p3": x.norm(3, 1),
            "keep": x.norm(2, [0, 2], True), "d": torch.norm(d, 2.5), "zero": x.norm(0)}
