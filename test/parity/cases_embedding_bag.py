"""Python twins of the cases in embedding_bag.parity.test.ts."""
from torch import nn
from torch.nn import functional as F

from cases_nn import forward_backward
from reference import case


@case("embedding_bag.functional")
def functional(w, rows, flat, offsets, ends, psw):
    return {"mean": F.embedding_bag(rows, w), "sum": F.embedding_bag(rows, w, mode="sum"), "max": F.embedding_bag(rows, w, mode="max"),
            "offsets": F.embedding_bag(flat, w, offsets), "last": F.embedding_bag(flat, w, ends, include_last_offset=True, mode="sum"),
            "weighted": F.embedding_bag(flat, w, offsets, per_sample_weights=psw, mode="sum"),
            "padding": F.embedding_bag(flat, w, offsets, padding_idx=4)}


@case("embedding_bag.max_norm")
def max_norm(w, rows):
    table = w.clone()
    return {"y": F.embedding_bag(rows, table, max_norm=1.5, mode="sum"), "table": table}


@case("embedding_bag.module")
def module(flat, offsets):
    bag = nn.EmbeddingBag(5, 3, mode="sum", padding_idx=-1)
    return forward_backward(bag, {"y": bag(flat, offsets)})
