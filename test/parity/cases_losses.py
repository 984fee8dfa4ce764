"""Python twins of the cases in losses.parity.test.ts."""
import math

import torch
import torch.nn.functional as F

from reference import case

REDUCTIONS = ["mean", "sum", "none"]


def long(values):
    return torch.tensor(values, dtype=torch.int64)


@case("loss.nll")
def loss_nll(x, w):
    logp = x.log_softmax(1)
    target = long([0, 3, 1, 1, 2])
    out = {r: F.nll_loss(logp, target, reduction=r) for r in REDUCTIONS}
    out.update(weighted=F.nll_loss(logp, target, weight=w), ignored=F.nll_loss(logp, target, ignore_index=1),
               spatial=F.nll_loss(torch.randn(2, 3, 4).log_softmax(1), long([0, 1, 2, 2, 1, 0, 0, 0]).reshape(2, 4)))
    return out


@case("loss.bce")
def loss_bce(p, y, w):
    out = {r: F.binary_cross_entropy(p, y, reduction=r) for r in REDUCTIONS}
    out.update(weighted=F.binary_cross_entropy(p, y, weight=w), module=torch.nn.BCELoss(reduction="sum")(p, y))
    return out


@case("loss.kl_div")
def loss_kl_div(x, t):
    inp = x.log_softmax(1)
    target = t.softmax(1)
    out = {r: F.kl_div(inp, target, reduction=r) for r in REDUCTIONS}
    out.update(batchmean=F.kl_div(inp, target, reduction="batchmean"),
               log_target=F.kl_div(inp, t.log_softmax(1), reduction="sum", log_target=True),
               module=torch.nn.KLDivLoss(reduction="batchmean")(inp, target))
    return out


@case("loss.smooth_l1_huber")
def loss_smooth_l1_huber(x, y, b):
    out = {r: F.smooth_l1_loss(x, y, reduction=r) for r in REDUCTIONS}
    out.update(beta=F.smooth_l1_loss(x, y, beta=0.4), beta0=F.smooth_l1_loss(x, y, beta=0.0), broadcast=F.smooth_l1_loss(x, b.expand_as(x)),
               huber=F.huber_loss(x, y), huber_delta=F.huber_loss(x, y, delta=0.7, reduction="sum"), huber_none=F.huber_loss(x, y, reduction="none"),
               smooth_module=torch.nn.SmoothL1Loss(beta=2.0)(x, y), huber_module=torch.nn.HuberLoss(delta=2.0)(x, y))
    return out


@case("loss.cross_entropy_module")
def loss_cross_entropy_module(x):
    return {"loss": torch.nn.CrossEntropyLoss(label_smoothing=0.1)(x, long([0, 1, 2, 3, 2, 1]))}


@case("activation.modules")
def activation_modules(x):
    return {"silu": F.silu(x), "silu_module": torch.nn.SiLU()(x), "tanh": torch.nn.Tanh()(x), "sigmoid": torch.nn.Sigmoid()(x),
            "softmax": torch.nn.Softmax(1)(x), "identity": torch.nn.Identity()(x) * 2, "flatten": torch.nn.Flatten()(x)}


@case("functional.one_hot_pad_normalize")
def functional_one_hot_pad_normalize(x):
    return {"one_hot": F.one_hot(long([0, 2, 1, 4])), "one_hot_classes": F.one_hot(long([[0, 2], [1, 1]]), 5),
            "pad": F.pad(x, [1, 2]), "pad_value": F.pad(x, [1, 1, 2, 0], value=-1.5), "reflect": F.pad(x, [2, 1], mode="reflect"),
            "replicate": F.pad(x, [1, 2], mode="replicate"), "circular": F.pad(x, [1, 1], mode="circular"),
            "normalize": F.normalize(x), "normalize_last": F.normalize(x, dim=-1, p=1)}


def attention(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    # PyTorch 2's F.scaled_dot_product_attention, as its documentation writes the computation;
    # PyTorch 1.13 has no public operator for it.
    if hasattr(F, "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, dropout_p=dropout_p, is_causal=is_causal, scale=scale)
    L, S = q.size(-2), k.size(-2)
    factor = 1 / math.sqrt(q.size(-1)) if scale is None else scale
    scores = torch.matmul(q, k.transpose(-2, -1)) * factor
    if is_causal:
        scores = scores.masked_fill(torch.ones(L, S, dtype=torch.bool).tril().logical_not(), float("-inf"))
    if attn_mask is not None:
        scores = scores.masked_fill(attn_mask.logical_not(), float("-inf")) if attn_mask.dtype == torch.bool else scores + attn_mask
    weights = scores.softmax(-1)
    if dropout_p > 0:
        weights = F.dropout(weights, p=dropout_p)
    return torch.matmul(weights, v)


@case("functional.scaled_dot_product_attention")
def functional_scaled_dot_product_attention(q, k, v, m):
    return {"plain": attention(q, k, v), "causal": attention(q, k, v, is_causal=True), "bool_mask": attention(q, k, v, attn_mask=m > -0.5),
            "float_mask": attention(q, k, v, attn_mask=m), "scaled": attention(q, k, v, scale=0.3), "dropout": attention(q, k, v, dropout_p=0.25)}
