"""Python twins of the cases in nn.parity.test.ts: each layer made the PyTorch way under the
same seed, run forward, and backward with upstream gradients drawn as forward_backward() in
nn.parity.test.ts draws them."""
import warnings

import torch
from torch import nn
from torch.nn import functional as F

from reference import case

# Zero-size layers make torch.nn.init warn "Initializing zero-element tensors is a no-op".
warnings.filterwarnings("ignore", message="Initializing zero-element tensors is a no-op")


def forward_backward(module, outputs):
    """The outputs, every parameter and its gradient (densified), after backward() on each
    output that requires grad with torch.randn upstream gradients drawn in sorted key order."""
    result = {}
    for key in sorted(outputs):
        output = outputs[key]
        if output.requires_grad:
            output.backward(torch.randn(output.shape), retain_graph=True)
        result[key] = output.detach()
    for name, parameter in module.named_parameters():
        result[name] = parameter.detach()
        if parameter.grad is not None:
            result[f"{name}.grad"] = torch.zeros(parameter.grad.shape).add(parameter.grad)
    return result


def layer(name, make, forward=lambda module, x: {"y": module(x)}):
    def run(**inputs):
        module = make()
        return forward_backward(module, forward(module, **inputs))
    case(f"layer.{name}")(run)


# ---- linear, embedding, convolutions

layer("linear", lambda: nn.Linear(5, 3))
layer("linear.no_bias", lambda: nn.Linear(5, 3, bias=False))
layer("linear.batched", lambda: nn.Linear(6, 4))
layer("linear.large", lambda: nn.Linear(101, 100))
layer("linear.zero_in", lambda: nn.Linear(0, 4))
layer("linear.zero_out", lambda: nn.Linear(4, 0))
layer("conv1d.zero_out", lambda: nn.Conv1d(3, 0, 3), lambda module: {})
layer("embedding", lambda: nn.Embedding(10, 4))
layer("embedding.padding_idx", lambda: nn.Embedding(10, 4, padding_idx=0))
layer("embedding.negative_padding_idx", lambda: nn.Embedding(10, 4, padding_idx=-1))
layer("embedding.scale_grad_by_freq", lambda: nn.Embedding(10, 4, scale_grad_by_freq=True))
layer("embedding.sparse", lambda: nn.Embedding(10, 4, sparse=True))
layer("embedding.max_norm", lambda: nn.Embedding(10, 4, max_norm=1))
layer("embedding.max_norm.norm_type", lambda: nn.Embedding(10, 4, max_norm=1.5, norm_type=1, padding_idx=3, scale_grad_by_freq=True))
layer("conv1d", lambda: nn.Conv1d(3, 4, 3))
layer("conv1d.options", lambda: nn.Conv1d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2))
layer("conv1d.same", lambda: nn.Conv1d(2, 3, 4, padding="same", bias=False))
layer("conv1d.valid", lambda: nn.Conv1d(2, 3, 5, padding="valid"))
layer("conv2d", lambda: nn.Conv2d(2, 4, 3))
layer("conv2d.options", lambda: nn.Conv2d(4, 4, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=4, bias=False))
layer("conv2d.same", lambda: nn.Conv2d(3, 2, 3, padding="same", dilation=2))
layer("conv2d.large", lambda: nn.Conv2d(8, 16, 3, padding=1))

# ---- normalisation, dropout, activations, containers

layer("layer_norm", lambda: nn.LayerNorm(6))
layer("layer_norm.shape", lambda: nn.LayerNorm([4, 6], eps=1e-3))
layer("layer_norm.no_affine", lambda: nn.LayerNorm(5, elementwise_affine=False))


class LayerNormWithoutBias(nn.Module):
    """nn.LayerNorm(shape, bias=False) as PyTorch 2.1 makes it (1.13 has no bias option):
    a weight of ones, and F.layer_norm with bias None."""

    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)
        self.weight = nn.Parameter(torch.ones(shape))
        self.register_parameter("bias", None)

    def forward(self, x):
        return F.layer_norm(x, self.shape, self.weight, None, 1e-5)


layer("layer_norm.no_bias", lambda: LayerNormWithoutBias([2, 3]))


@case("functional.layer_norm.weight_only")
def layer_norm_weight_only(x, weight):
    return {"y": F.layer_norm(x, (6,), weight)}


layer("dropout.train", lambda: nn.Dropout(0.3))
layer("dropout.train_small", lambda: nn.Dropout())
layer("dropout.eval", lambda: nn.Dropout(0.3).eval())
layer("relu", lambda: nn.ReLU())
layer("gelu", lambda: nn.GELU())
layer("gelu.tanh", lambda: nn.GELU(approximate="tanh"))
layer("sequential", lambda: nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 8), nn.GELU(),
                                          nn.LayerNorm(8), nn.Linear(8, 2)))


class Stack(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(4, 8), nn.Linear(8, 8)])
        self.layers.append(nn.Linear(8, 2))

    def forward(self, x):
        for linear in self.layers:
            x = torch.relu(linear(x))
        return x


class Heads(nn.Module):
    def __init__(self):
        super().__init__()
        self.heads = nn.ModuleDict({"encoder": nn.Linear(4, 8), "decoder": nn.Linear(8, 3)})

    def forward(self, x):
        return self.heads["decoder"](torch.relu(self.heads["encoder"](x)))


layer("module_list", Stack)
layer("module_dict", Heads)


# ---- multi-head attention

def attention(self_attention=True, **options):
    def forward(module, q, k=None, v=None, **masks):
        if self_attention:
            y, weights = module(q, q, q, **options, **masks)
        else:
            y, weights = module(q, k, k if v is None else v, **options, **masks)
        return {"y": y} if weights is None else {"y": y, "weights": weights}
    return forward


def mha(name, make, forward):
    layer(f"multihead_attention.{name}", make, forward)


mha("self", lambda: nn.MultiheadAttention(8, 2), attention())
mha("batch_first", lambda: nn.MultiheadAttention(8, 4, batch_first=True), attention())
mha("cross", lambda: nn.MultiheadAttention(8, 2), attention(False))
mha("batch_first.cross", lambda: nn.MultiheadAttention(8, 2, batch_first=True), attention(False))
mha("unbatched.cross", lambda: nn.MultiheadAttention(8, 4), attention(False))
mha("key_value", lambda: nn.MultiheadAttention(8, 2, bias=False), attention(False))
mha("causal_mask", lambda: nn.MultiheadAttention(8, 2), attention())
mha("float_mask", lambda: nn.MultiheadAttention(8, 2), attention())
mha("key_padding_mask", lambda: nn.MultiheadAttention(8, 2), attention(False))
mha("both_masks", lambda: nn.MultiheadAttention(8, 2), attention())
mha("per_head_weights", lambda: nn.MultiheadAttention(8, 2), attention(average_attn_weights=False))
mha("no_weights", lambda: nn.MultiheadAttention(8, 2), attention(need_weights=False))
# Without weights PyTorch 2 attends through F.scaled_dot_product_attention (1.13 through bmm):
# a 1 x L x S mask, a mask merged with key_padding_mask, and dropout go there too.
mha("no_weights.float_mask", lambda: nn.MultiheadAttention(8, 2), attention(need_weights=False))
mha("no_weights.masks", lambda: nn.MultiheadAttention(8, 2), attention(need_weights=False))
mha("no_weights.dropout.train", lambda: nn.MultiheadAttention(8, 2, dropout=0.25), attention(need_weights=False))
mha("unbatched", lambda: nn.MultiheadAttention(8, 2), attention())
mha("large", lambda: nn.MultiheadAttention(64, 4), attention())
mha("dropout.train", lambda: nn.MultiheadAttention(8, 2, dropout=0.25), attention())
mha("dropout.eval", lambda: nn.MultiheadAttention(8, 2, dropout=0.25).eval(), attention())
mha("kdim_vdim", lambda: nn.MultiheadAttention(8, 2, kdim=4, vdim=6), attention(False))
mha("kdim.no_bias", lambda: nn.MultiheadAttention(8, 4, kdim=5, bias=False), attention(False))
mha("kdim_vdim.batch_first", lambda: nn.MultiheadAttention(8, 2, kdim=3, vdim=3, batch_first=True), attention(False))
mha("kdim_vdim.unbatched", lambda: nn.MultiheadAttention(8, 2, kdim=3, vdim=5), attention(False))
# is_causal=True with attn_mask is PyTorch 2's hint that the mask is causal; the mask is what is
# applied, so 1.13's forward with the mask alone is the same computation.
mha("is_causal", lambda: nn.MultiheadAttention(8, 2), attention())
# Without weights and key_padding_mask, PyTorch 2 drops the mask and lets
# scaled_dot_product_attention apply its own causal mask; 1.13 has no hint and applies the mask.
mha("is_causal.no_weights", lambda: nn.MultiheadAttention(8, 2),
    attention(need_weights=False, **({"is_causal": True} if hasattr(F, "scaled_dot_product_attention") else {})))
mha("add_bias_kv", lambda: nn.MultiheadAttention(8, 2, add_bias_kv=True), attention())
mha("add_bias_kv.masks", lambda: nn.MultiheadAttention(8, 2, add_bias_kv=True), attention())
mha("add_zero_attn", lambda: nn.MultiheadAttention(8, 2, add_zero_attn=True), attention())
mha("add_bias_kv.add_zero_attn.kdim", lambda: nn.MultiheadAttention(8, 2, add_bias_kv=True, add_zero_attn=True, kdim=6, vdim=6),
    attention(False))
mha("add_bias_kv.unbatched", lambda: nn.MultiheadAttention(8, 2, add_bias_kv=True, add_zero_attn=True), attention())


def inference(name, batch_first):
    def run(q):
        module = nn.MultiheadAttention(8, 2, batch_first=batch_first).eval()
        with torch.no_grad():
            y, weights = module(q, q, q)
        return {"y": y, "weights": weights}
    case(f"layer.{name}")(run)


inference("multihead_attention.inference", False)
inference("multihead_attention.inference.fast_path", True)


# ---- torch.nn.init

def init(name, fill, *shape):
    def run():
        t = torch.empty(shape)
        fill(t)
        return {"t": t}
    case(f"init.{name}")(run)


init("kaiming_uniform", lambda t: nn.init.kaiming_uniform_(t), 30, 20)
init("kaiming_uniform.fan_out", lambda t: nn.init.kaiming_uniform_(t, a=0.1, mode="fan_out", nonlinearity="leaky_relu"), 6, 4, 3)
init("kaiming_normal", lambda t: nn.init.kaiming_normal_(t), 30, 20)
init("kaiming_normal.relu", lambda t: nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"), 8, 3, 3, 3)
init("xavier_uniform", lambda t: nn.init.xavier_uniform_(t, 2), 12, 7)
init("xavier_normal", lambda t: nn.init.xavier_normal_(t, 0.5), 12, 7)
init("uniform", lambda t: nn.init.uniform_(t, -3, 2), 40)
init("normal", lambda t: nn.init.normal_(t, 1, 0.1), 40)
init("constant", lambda t: nn.init.constant_(t, 0.3), 5)
# torch.nn.init returns zero-element tensors untouched (with a warning, silenced at the top).
init("kaiming_uniform.empty", lambda t: nn.init.kaiming_uniform_(t), 0, 4)
init("kaiming_normal.empty_1d", lambda t: nn.init.kaiming_normal_(t), 0)
init("xavier_uniform.empty", lambda t: nn.init.xavier_uniform_(t), 0, 4)
init("normal.empty", lambda t: nn.init.normal_(t), 3, 0)
