"""Python twins of the cases in functional.parity.test.ts, in torch.nn.functional."""
import torch
import torch.nn.functional as F

from reference import case


# ---- losses, each with each reduction

def loss(name, compute):
    for reduction in ["none", "mean", "sum"]:
        case(f"nnf.{name}.{reduction}")(lambda reduction=reduction, **t: {"loss": compute(reduction=reduction, **t)})


loss("mse_loss", lambda input, target, reduction: F.mse_loss(input, target, reduction=reduction))
loss("mse_loss.broadcast", lambda input, target, reduction: F.mse_loss(input, target, reduction=reduction))
loss("l1_loss", lambda input, target, reduction: F.l1_loss(input, target, reduction=reduction))
loss("l1_loss.broadcast", lambda input, target, reduction: F.l1_loss(input, target, reduction=reduction))
loss("cross_entropy", lambda input, target, reduction: F.cross_entropy(input, target, reduction=reduction))
loss("cross_entropy.weight",
     lambda input, target, weight, reduction: F.cross_entropy(input, target, weight=weight, reduction=reduction))
loss("cross_entropy.ignore_index",
     lambda input, target, reduction: F.cross_entropy(input, target, ignore_index=2, reduction=reduction))
loss("cross_entropy.label_smoothing",
     lambda input, target, weight, reduction: F.cross_entropy(input, target, weight=weight, label_smoothing=0.1,
                                                              reduction=reduction))
loss("cross_entropy.probabilities",
     lambda input, target, reduction: F.cross_entropy(input, target, label_smoothing=0.2, reduction=reduction))
loss("cross_entropy.spatial", lambda input, target, reduction: F.cross_entropy(input, target, reduction=reduction))
loss("binary_cross_entropy_with_logits",
     lambda input, target, reduction: F.binary_cross_entropy_with_logits(input, target, reduction=reduction))
loss("binary_cross_entropy_with_logits.weights",
     lambda input, target, weight, pos_weight, reduction: F.binary_cross_entropy_with_logits(
         input, target, weight=weight, pos_weight=pos_weight, reduction=reduction))


# ---- activations and dropout

@case("nnf.relu")
def relu(x):
    return {"y": F.relu(x)}


@case("nnf.gelu")
def gelu(x):
    return {"y": F.gelu(x), "tanh": F.gelu(x, approximate="tanh")}


@case("nnf.softmax")
def softmax(x):
    return {"last": F.softmax(x, -1), "first": F.softmax(x, 0), "double": F.softmax(x, 1, dtype=torch.float64)}


@case("nnf.log_softmax")
def log_softmax(x):
    return {"last": F.log_softmax(x, -1), "first": F.log_softmax(x, 0), "double": F.log_softmax(x, 1, dtype=torch.float64)}


@case("nnf.dropout")
def dropout(x):
    return {"default": F.dropout(x), "small": F.dropout(x[0:2, 0:3], p=0.2), "eval": F.dropout(x, p=0.4, training=False),
            "none": F.dropout(x, p=0), "all": F.dropout(x, p=1), "after": F.dropout(x, p=0.7)}


# ---- the layers' computations

@case("nnf.linear")
def linear(x, w, b):
    return {"bias": F.linear(x, w, b), "no_bias": F.linear(x[0], w), "vector": F.linear(x[0, 0], w, b)}


@case("nnf.embedding")
def embedding(i, w):
    return {"plain": F.embedding(i, w), "padding": F.embedding(i, w, padding_idx=2),
            "negative_padding": F.embedding(i, w, padding_idx=-1), "by_freq": F.embedding(i, w, scale_grad_by_freq=True)}


@case("nnf.embedding.sparse")
def embedding_sparse(i, w):
    w.requires_grad_()
    y = F.embedding(i, w, sparse=True, padding_idx=0)
    y.backward(torch.randn(y.shape))
    return {"y": y.detach(), "grad": torch.zeros(w.shape).add(w.grad)}


@case("nnf.conv1d")
def conv1d(x, w, b):
    return {"plain": F.conv1d(x, w, b, groups=2), "strided": F.conv1d(x, w, stride=3, padding=1, dilation=2, groups=2),
            "same": F.conv1d(x, w, b, padding="same", groups=2), "valid": F.conv1d(x, w, padding="valid", groups=2)}


@case("nnf.conv2d")
def conv2d(x, w, b):
    return {"plain": F.conv2d(x, w, b), "strided": F.conv2d(x, w, stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
            "same": F.conv2d(x, w, b, padding="same"), "valid": F.conv2d(x, w, padding="valid")}


@case("nnf.layer_norm")
def layer_norm(x, w, b, w2):
    return {"affine": F.layer_norm(x, [5], w, b), "plain": F.layer_norm(x, [5]), "eps": F.layer_norm(x, [4, 5], w2, eps=0.1)}
