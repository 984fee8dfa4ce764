"""Python twins of the cases in lora.parity.test.ts: PEFT's LoRA math written out in torch,
as peft/tuners/lora/layer.py computes it (Linear, Embedding and Conv2d: forward, get_delta_weight,
merge, unmerge, update_layer and reset_lora_parameters), so no PEFT install is needed."""
import math

import torch
import torch.nn.functional as F
from torch import nn

from reference import case

R_LINEAR, ALPHA_LINEAR = 3, 6
R_OTHER, ALPHA_OTHER = 2, 3


def scaling(r, alpha, use_rslora=False):
    return alpha / math.sqrt(r) if use_rslora else alpha / r


# ---- forward: result = base_layer(x) + lora_B(lora_A(dropout(x))) * scaling

def linear_forward(x, W, b, A, B, use_rslora=False, dropout=0.0):
    result = F.linear(x, W, b)
    if dropout > 0:
        x = F.dropout(x, dropout, training=True)
    return result + F.linear(F.linear(x, A), B) * scaling(R_LINEAR, ALPHA_LINEAR, use_rslora)


def embedding_forward(x, W, A, B, padding_idx=None):
    # Embedding.forward: after_A = self._embed(x, lora_embedding_A.T); result += (after_A @ lora_embedding_B.T) * scaling
    result = F.embedding(x, W, padding_idx)
    after_A = F.embedding(x, A.T, padding_idx)
    return result + (after_A @ B.T) * scaling(R_OTHER, ALPHA_OTHER)


def conv_forward(x, W, b, A, B):
    result = F.conv2d(x, W, b, 2, 1)
    return result + F.conv2d(F.conv2d(x, A, None, 2, 1), B) * scaling(R_OTHER, ALPHA_OTHER)


case("lora.linear")(lambda x, W, b, A, B: {"y": linear_forward(x, W, b, A, B)})
case("lora.linear.batched")(lambda x, W, b, A, B: {"y": linear_forward(x, W, b, A, B)})
case("lora.linear.rslora")(lambda x, W, b, A, B: {"y": linear_forward(x, W, b, A, B, use_rslora=True)})
case("lora.linear.dropout")(lambda x, W, b, A, B: {"y": linear_forward(x, W, b, A, B, dropout=0.3)})
case("lora.embedding")(lambda x, W, A, B: {"y": embedding_forward(x, W, A, B)})
case("lora.embedding.padding_idx")(lambda x, W, A, B: {"y": embedding_forward(x, W, A, B, padding_idx=0)})
case("lora.conv2d")(lambda x, W, b, A, B: {"y": conv_forward(x, W, b, A, B)})
case("lora.conv2d.1x1")(lambda x, W, b, A, B: {"y": conv_forward(x, W, b, A, B)})


# ---- get_delta_weight, merge (weight.data += delta), unmerge (weight.data -= delta)

def linear_delta(A, B, use_rslora=False):
    return (B @ A) * scaling(R_LINEAR, ALPHA_LINEAR, use_rslora)


def embedding_delta(A, B):
    return (B @ A).T * scaling(R_OTHER, ALPHA_OTHER)


def conv_delta(A, B):
    if A.shape[2:4] == (1, 1):
        product = (B.squeeze(3).squeeze(2) @ A.squeeze(3).squeeze(2)).unsqueeze(2).unsqueeze(3)
    else:
        product = F.conv2d(A.permute(1, 0, 2, 3), B).permute(1, 0, 2, 3)
    return product * scaling(R_OTHER, ALPHA_OTHER)


def merge_case(name, forward, delta_of, base_forward):
    def run(x, W, A, B, b=None):
        args = {"b": b} if b is not None else {}
        with torch.no_grad():
            unmerged = forward(x, W, A=A, B=B, **args)
            delta = delta_of(A, B)
            weight = W.clone()
            weight += delta
            merged_weight = weight.clone()
            merged = base_forward(x, weight, b)
            weight -= delta_of(A, B)
        return {"unmerged": unmerged, "delta": delta, "merged_weight": merged_weight, "merged": merged, "unmerged_weight": weight}
    case(name)(run)


merge_case("lora.merge.linear", lambda x, W, A, B, b: linear_forward(x, W, b, A, B), linear_delta, F.linear)
merge_case("lora.merge.linear.rslora", lambda x, W, A, B, b: linear_forward(x, W, b, A, B, use_rslora=True),
           lambda A, B: linear_delta(A, B, use_rslora=True), F.linear)
merge_case("lora.merge.embedding", embedding_forward, embedding_delta, lambda x, W, b: F.embedding(x, W))
merge_case("lora.merge.conv2d", lambda x, W, A, B, b: conv_forward(x, W, b, A, B), conv_delta, lambda x, W, b: F.conv2d(x, W, b, 2, 1))
merge_case("lora.merge.conv2d.1x1", lambda x, W, A, B, b: conv_forward(x, W, b, A, B), conv_delta, lambda x, W, b: F.conv2d(x, W, b, 2, 1))


# ---- update_layer + reset_lora_parameters, after the base layer, from one seed


@case("lora.init.linear")
def init_linear():
    base = nn.Linear(7, 6)
    A = nn.Linear(7, 3, bias=False)
    B = nn.Linear(3, 6, bias=False)
    nn.init.kaiming_uniform_(A.weight, a=math.sqrt(5))
    nn.init.zeros_(B.weight)
    return {"W": base.weight.detach(), "lora_A": A.weight.detach(), "lora_B": B.weight.detach()}


@case("lora.init.linear.gaussian")
def init_linear_gaussian():
    base = nn.Linear(7, 6)
    A = nn.Linear(7, 3, bias=False)
    B = nn.Linear(3, 6, bias=False)
    nn.init.normal_(A.weight, std=1 / 3)
    nn.init.zeros_(B.weight)
    return {"W": base.weight.detach(), "lora_A": A.weight.detach(), "lora_B": B.weight.detach()}


@case("lora.init.embedding")
def init_embedding():
    base = nn.Embedding(10, 4)
    weight_A = torch.randn((2, 10))
    weight_B = torch.randn((4, 2))
    nn.init.zeros_(weight_A)
    nn.init.normal_(weight_B)
    return {"W": base.weight.detach(), "lora_embedding_A": weight_A, "lora_embedding_B": weight_B}


@case("lora.init.conv2d")
def init_conv2d():
    base = nn.Conv2d(3, 5, 3, stride=2, padding=1)
    A = nn.Conv2d(3, 2, 3, 2, 1, bias=False)
    B = nn.Conv2d(2, 5, (1, 1), (1, 1), bias=False)
    nn.init.kaiming_uniform_(A.weight, a=math.sqrt(5))
    nn.init.zeros_(B.weight)
    return {"W": base.weight.detach(), "lora_A": A.weight.detach(), "lora_B": B.weight.detach()}
