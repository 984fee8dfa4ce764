"""Python twins of the cases in losses_margin.parity.test.ts, in torch.nn.functional and torch.nn."""
from torch import nn
from torch.nn import functional as F

from reference import case


def loss(name, compute):
    for reduction in ["none", "mean", "sum"]:
        case(f"margin.{name}.{reduction}")(lambda reduction=reduction, **t: {"loss": compute(reduction=reduction, **t)})


loss("multilabel_margin", lambda input, target, reduction: F.multilabel_margin_loss(input, target, reduction=reduction))
loss("multilabel_margin.1d", lambda input, target, reduction: F.multilabel_margin_loss(input, target, reduction=reduction))
loss("soft_margin", lambda input, target, reduction: F.soft_margin_loss(input, target, reduction=reduction))
loss("multilabel_soft_margin", lambda input, target, weight, reduction: F.multilabel_soft_margin_loss(
    input, target, reduction=reduction).add(F.multilabel_soft_margin_loss(input, target, weight=weight, reduction=reduction).mul(3)))
loss("multi_margin", lambda input, target, reduction: F.multi_margin_loss(input, target, reduction=reduction))
loss("multi_margin.options", lambda input, target, weight, reduction: F.multi_margin_loss(
    input, target, p=2, margin=0.7, weight=weight, reduction=reduction))
loss("hinge_embedding", lambda input, target, reduction: F.hinge_embedding_loss(input, target, reduction=reduction).add(
    F.hinge_embedding_loss(input, target, margin=2.5, reduction=reduction).mul(3)))
loss("cosine_embedding", lambda a, b, target, reduction: F.cosine_embedding_loss(a, b, target, reduction=reduction).add(
    F.cosine_embedding_loss(a, b, target, margin=-0.3, reduction=reduction).mul(3)))


@case("margin.module.multilabel_margin")
def multilabel_margin(input, target):
    return {"loss": nn.MultiLabelMarginLoss()(input, target)}


@case("margin.module.soft_margin")
def soft_margin(input, target):
    return {"loss": nn.SoftMarginLoss(reduction="sum")(input, target)}


@case("margin.module.multilabel_soft_margin")
def multilabel_soft_margin(input, target, weight):
    return {"loss": nn.MultiLabelSoftMarginLoss(weight=weight)(input, target)}


@case("margin.module.multi_margin")
def multi_margin(input, target):
    return {"loss": nn.MultiMarginLoss(p=2)(input, target)}


@case("margin.module.hinge_embedding")
def hinge_embedding(input, target):
    return {"loss": nn.HingeEmbeddingLoss(margin=0.5)(input, target)}


@case("margin.positional")
def positional(input, target, weight, a, b, signs, x, hinge, labels):
    return {"multi_margin": F.multi_margin_loss(input, target, 2, 0.5, weight), "multi_margin_module": nn.MultiMarginLoss(2, 0.5, weight)(input, target),
            "hinge": F.hinge_embedding_loss(x, hinge, 0.5), "hinge_module": nn.HingeEmbeddingLoss(0.5)(x, hinge),
            "cosine": F.cosine_embedding_loss(a, b, signs, 0.1), "cosine_module": nn.CosineEmbeddingLoss(0.1)(a, b, signs),
            "soft": F.multilabel_soft_margin_loss(input, labels, weight), "soft_module": nn.MultiLabelSoftMarginLoss(weight)(input, labels)}


@case("margin.module.cosine_embedding")
def cosine_embedding(a, b, target):
    return {"loss": nn.CosineEmbeddingLoss(margin=0.1)(a, b, target)}
