"""Python twins of the cases in ops.parity.test.ts (the ops reached through the dispatcher)."""
import math

import torch

from reference import case


def long(values):
    return torch.tensor(values, dtype=torch.int64)


@case("select.index_gather")
def select_index_gather(x):
    return {"index_select": torch.index_select(x, 1, long([4, 0, 4])), "gather": torch.gather(x, 1, long([0, 3, 1, 2, 4, 0, 1, 1]).reshape(4, 2)),
            "take": torch.take(x, long([0, 19, 7])), "narrow": torch.narrow(x, 1, 1, 3), "masked_select": torch.masked_select(x, x > 0.3)}


@case("select.scatter")
def select_scatter(x, src):
    index = long([4, 0, 1, 1, 3, 2]).reshape(3, 2)
    in_place = x * 1
    in_place.scatter_(1, index, 2.5)
    added = x * 1
    added.scatter_add_(1, long([0, 0, 1, 1, 2, 2]).reshape(3, 2), src)
    return {"scatter": torch.scatter(x, 1, index, src), "scatter_value": torch.scatter(x, 1, index, -1), "scatter_add": torch.scatter_add(x, 1, index, src),
            "scatter_": in_place, "scatter_add_": added}


@case("select.masked_fill")
def select_masked_fill(x, v):
    mask = torch.triu(torch.ones_like(x), 1) > 0
    in_place = x * 1
    in_place.masked_fill_(mask, float("-inf"))
    return {"scalar": torch.masked_fill(x, mask, 0.5), "tensor": torch.masked_fill(x, mask, v), "in_place_softmax": in_place.softmax(-1)}


@case("select.split")
def select_split(x):
    out = {}
    for i, t in enumerate(torch.chunk(x, 3, 1)):
        out[f"chunk{i}"] = t * (i + 1)
    for i, t in enumerate(torch.split(x, 2)):
        out[f"split{i}"] = t * (i + 1)
    for i, t in enumerate(torch.split(x, [1, 5], 1)):
        out[f"sizes{i}"] = t * (i + 1)
    for i, t in enumerate(torch.unbind(x, 0)):
        out[f"unbind{i}"] = t * (i + 1)
    return out


@case("select.shift_triangle")
def select_shift_triangle(x):
    lower = x * 1
    lower.tril_(-1)
    return {"flip": torch.flip(x, [0, 1]), "roll": torch.roll(x, 2, 1), "roll_flat": torch.roll(x, -3), "roll_two": torch.roll(x, [1, -2], [0, 1]),
            "tril": torch.tril(x), "triu": torch.triu(x, 1), "tril_": lower}


@case("select.sort_topk")
def select_sort_topk(x):
    top, top_index = torch.topk(x, 3)
    low, low_index = torch.topk(x, 2, dim=0, largest=False)
    sorted_, order = torch.sort(x, descending=True)
    stable, stable_order = torch.sort(torch.tensor([2.0, 1, 2, 1, 0, 2]), stable=True)
    return {"top": top, "topIndex": top_index, "low": low, "lowIndex": low_index, "sorted": sorted_, "order": order,
            "stable": stable, "stableOrder": stable_order, "argsort": torch.argsort(x, dim=0), "argsort_desc": torch.argsort(x, descending=True)}


@case("select.unique_nonzero")
def select_unique_nonzero(x):
    values, inverse, counts = torch.unique(x, return_inverse=True, return_counts=True)
    rows, cols = torch.nonzero(x, as_tuple=True)
    return {"unique": torch.unique(x), "values": values, "inverse": inverse, "counts": counts, "nonzero": torch.nonzero(x), "rows": rows, "cols": cols}


@case("math.pointwise")
def math_pointwise(x, p, y):
    return {"trunc": (x * 3).trunc(), "log2": p.log2(), "log10": p.log10(), "log1p": p.log1p(), "expm1": x.expm1(), "tan": x.tan(), "asin": x.asin(),
            "acos": x.acos(), "atan": y.atan(), "sinh": y.sinh(), "cosh": y.cosh(), "rsqrt": p.rsqrt(), "erf": y.erf(), "atan2": y.atan2(x),
            "lerp": torch.lerp(x, y, 0.25), "lerp_tensor": torch.lerp(x, y, p - 0.5)}


@case("math.pow_scalar_base")
def math_pow_scalar_base(x):
    return {"two": torch.pow(2, x), "half": torch.pow(0.5, x), "e": torch.pow(math.e, x)}


@case("math.integer_division")
def math_integer_division(i, j):
    return {"floor_divide": torch.floor_divide(i, j), "floor_divide_scalar": torch.floor_divide(i, 4), "floor_divide_neg": torch.floor_divide(i, -3),
            "floor_divide_float": torch.floor_divide(i.float(), 2.5), "remainder": torch.remainder(i, j)}


@case("math.reductions")
def math_reductions(x, p):
    return {"prod": torch.prod(p), "prod_dim": torch.prod(p, 1), "prod_keep": torch.prod(p, 0, True), "prod_f64": torch.prod(p, 1, dtype=torch.float64),
            "cumsum": torch.cumsum(x, 1), "cumsum_f64": torch.cumsum(x, 0, dtype=torch.float64), "cumprod": torch.cumprod(p, 1),
            "var": torch.var(x), "var_dim": torch.var(x, 1), "var_biased": torch.var(x, 0, unbiased=False, keepdim=True),
            "var_correction": torch.var(x, [0, 1], correction=2), "std": torch.std(x), "std_dim": torch.std(x, -1, keepdim=True),
            "logsumexp": torch.logsumexp(x, 1), "logsumexp_keep": torch.logsumexp(x, [0, 1], True)}


@case("math.vector_norm")
def math_vector_norm(x):
    return {"l2": torch.linalg.vector_norm(x), "l1_dim": torch.linalg.vector_norm(x, 1, -1), "inf": torch.linalg.vector_norm(x, math.inf, 0, True),
            "l3_f64": torch.linalg.vector_norm(x, 3, [0, 1], dtype=torch.float64)}


@case("math.logic")
def math_logic(x):
    return {"all": torch.all(x), "all_dim": torch.all(x, 1), "any": torch.any(x), "any_dim": torch.any(x, 0, True),
            "xor": x.logical_xor(x.flip([1])), "xor_scalar": x.logical_xor(torch.tensor(0.0)), "and_scalar": x.logical_and(torch.tensor(True)),
            "or_scalar": x.logical_or(torch.tensor(False))}


@case("math.products")
def math_products(a, b, c, v, w, q, k):
    return {"mm": torch.mm(a, b), "mv": torch.mv(a, v), "dot": torch.dot(v, w), "outer": torch.outer(v, w), "bmm": torch.bmm(q, k),
            "addmm": torch.addmm(c, a, b), "addmm_scaled": torch.addmm(c, a, b, beta=0.5, alpha=2),
            "einsum": torch.einsum("bij,bjk->bik", q, k), "einsum_trace": torch.einsum("ij,ij->", a, a)}


@case("math.shape")
def math_shape(x):
    return {"repeat": x.repeat(2, 1, 3), "interleave": torch.repeat_interleave(x, 2, 0), "interleave_flat": torch.repeat_interleave(x, 3),
            "interleave_tensor": torch.repeat_interleave(x, long([1, 3]), 0), "unflatten": torch.unflatten(x, 1, (3, -1)),
            "expand_as": x[None, 0].expand_as(torch.zeros(3, 6)), "type_as": torch.arange(3).type_as(x)}


@case("math.creation")
def math_creation():
    return {"linspace": torch.linspace(-1, 1, 7), "linspace_f64": torch.linspace(0, 10, 4, dtype=torch.float64), "logspace": torch.logspace(-3, 1, 5),
            "logspace_base2": torch.logspace(0, 4, 5, 2), "scalar": torch.scalar_tensor(2.5), "scalar_int": torch.scalar_tensor(7, dtype=torch.int64),
            "zeros_like": torch.zeros_like(torch.empty(2, 3)), "full_like": torch.full_like(torch.empty(2, 2), 4, dtype=torch.float64)}


@case("math.sampling")
def math_sampling():
    torch.manual_seed(11)
    probs = torch.tensor([[0.1, 0.2, 0.7], [0.5, 0.5, 0]])
    return {"multinomial": torch.multinomial(probs, 2), "multinomial_replacement": torch.multinomial(probs, 5, replacement=True),
            "bernoulli": torch.bernoulli(torch.rand(4, 4)), "bernoulli_p": torch.bernoulli(torch.zeros(6), 0.3), "randn_like": torch.randn_like(torch.empty(3, 2))}
