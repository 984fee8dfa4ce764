"""The Python twin of examples/gpt (model.ts, data.ts, train.ts): the same character-level GPT,
data and training written as a PyTorch user writes them, making the same calls to PyTorch's
generator in the same order, so that the first steps' losses equal torchlora's bit for bit on
the same libtorch (test/parity/gpt.parity.test.ts checks this).

    python3 bench/gpt.py --steps 5      # prints the losses as JSON
"""
import argparse
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_names(kind):
    path = os.path.join(ROOT, "node_modules", "@stdlib", f"datasets-{kind}-first-names-en", "data", "names.txt")
    with open(path, encoding="utf-8") as f:
        return [line.strip().lower() for line in f if line.strip()]


class Vocabulary:
    def __init__(self, names):
        self.chars = ["."] + sorted(set("".join(names)))
        self.index = {c: i for i, c in enumerate(self.chars)}

    def encode(self, name):
        return [self.index[c] for c in name]


def encode_names(names, vocabulary, block_size):
    xs, ys = [], []
    for name in names:
        codes = vocabulary.encode(name)[: block_size - 1]
        pad = block_size - 1 - len(codes)
        xs.append([0] + codes + [0] * pad)
        ys.append(codes + [0] + [-1] * pad)
    return torch.tensor(xs, dtype=torch.int64), torch.tensor(ys, dtype=torch.int64)


def attention(q, k, v, dropout_p):
    # F.scaled_dot_product_attention where PyTorch has it (2.0+), else the computation its
    # documentation gives, as torchlora's nnf_scaled_dot_product_attention does on 1.13.
    if hasattr(F, "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=True)
    L, S = q.size(-2), k.size(-2)
    scores = torch.matmul(q, k.transpose(-2, -1)) * (1 / math.sqrt(q.size(-1)))
    scores = scores.masked_fill(torch.ones(L, S, dtype=torch.bool).tril().logical_not(), float("-inf"))
    weights = scores.softmax(-1)
    if dropout_p > 0:
        weights = F.dropout(weights, p=dropout_p)
    return torch.matmul(weights, v)


class CausalSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.q_proj = nn.Linear(config["n_embd"], config["n_embd"])
        self.k_proj = nn.Linear(config["n_embd"], config["n_embd"])
        self.v_proj = nn.Linear(config["n_embd"], config["n_embd"])
        self.c_proj = nn.Linear(config["n_embd"], config["n_embd"])
        self.n_head = config["n_head"]
        self.dropout = config["dropout"]

    def forward(self, x):
        B, T, C = x.shape
        heads = lambda t: t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # noqa: E731
        y = attention(heads(self.q_proj(x)), heads(self.k_proj(x)), heads(self.v_proj(x)), self.dropout if self.training else 0.0)
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class Mlp(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.fc = nn.Linear(config["n_embd"], 4 * config["n_embd"])
        self.proj = nn.Linear(4 * config["n_embd"], config["n_embd"])

    def forward(self, x):
        return self.proj(F.gelu(self.fc(x)))


class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config["n_embd"])
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config["n_embd"])
        self.mlp = Mlp(config)

    def forward(self, x):
        h = x + self.attn(self.ln_1(x))
        return h + self.mlp(self.ln_2(h))


class Gpt(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.wte = nn.Embedding(config["vocab_size"], config["n_embd"])
        self.wpe = nn.Embedding(config["block_size"], config["n_embd"])
        self.drop = nn.Dropout(config["dropout"])
        self.blocks = nn.ModuleList([Block(config) for _ in range(config["n_layer"])])
        self.ln_f = nn.LayerNorm(config["n_embd"])
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module):
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, 0.0, 0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, 0.0, 0.02)

    def forward(self, idx):
        T = idx.size(1)
        x = self.drop(self.wte(idx) + self.wpe(torch.arange(0, T, 1)))
        for block in self.blocks:
            x = block(x)
        return torch.matmul(self.ln_f(x), self.wte.weight.t())


def make_optimizer(model, settings):
    trainable = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in trainable if p.dim() >= 2]
    rest = [p for p in trainable if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": settings["weight_decay"]}] + ([{"params": rest, "weight_decay": 0.0}] if rest else [])
    return torch.optim.AdamW(groups, lr=settings["lr"])


def train(model, x, y, settings):
    optimizer = make_optimizer(model, settings)
    warmup = max(1, min(settings["warmup"], settings["steps"] - 1))
    schedule = torch.optim.lr_scheduler.SequentialLR(optimizer, [
        torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.01, total_iters=warmup),
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, max(1, settings["steps"] - warmup)),
    ], [warmup])
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=settings["batch_size"], shuffle=True, drop_last=True)
    losses = []
    model.train()
    while len(losses) < settings["steps"]:
        for xb, yb in loader:
            if len(losses) >= settings["steps"]:
                break
            optimizer.zero_grad()
            logits = model(xb)
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), yb.view(-1), ignore_index=-1)
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], settings["clip"])
            optimizer.step()
            schedule.step()
            losses.append(loss.item())
    return losses


def first_steps(config, settings, seed):
    """What test/parity/gpt.parity.test.ts compares: the same set-up as examples/gpt-lora.ts."""
    torch.manual_seed(seed)
    female = read_names("female")
    vocabulary = Vocabulary(female + read_names("male"))
    x, y = encode_names(female, vocabulary, config["block_size"])
    order = torch.randperm(len(female))
    train_rows = order[: int(len(female) * 0.9)]
    model = Gpt({**config, "vocab_size": len(vocabulary.chars)})
    return train(model, x[train_rows], y[train_rows], settings)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = {"block_size": 16, "n_layer": 2, "n_head": 4, "n_embd": 64, "dropout": 0.1}
    settings = {"steps": args.steps, "batch_size": 64, "lr": 3e-3, "weight_decay": 0.1, "warmup": 20, "clip": 1.0}
    print(json.dumps(first_steps(config, settings, args.seed)))
