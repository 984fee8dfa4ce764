"""The seed example (examples/lora-minimal.ts) in Python PyTorch: the same seed, the same
calls in the same order, so on the same libtorch it prints the same numbers.

    /usr/bin/python3 bench/seed.py --epochs 10 --timings
"""
import argparse
import json
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=100)
parser.add_argument("--rank", type=int, default=1)
parser.add_argument("--alpha", type=float, default=1)
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--n", type=int, default=10000)
parser.add_argument("--device", default="cpu")
parser.add_argument("--threads", type=int)
parser.add_argument("--timings", action="store_true")
parser.add_argument("--trace", action="store_true")
args = parser.parse_args()

if args.threads is not None:
    torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
device = args.device
timings = {}


def timed(phase, fn):
    start = time.perf_counter()
    fn()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    timings[phase] = time.perf_counter() - start


def r_format(value):
    """R's cat() of a double: 7 significant digits, trailing zeros dropped (as formatR)."""
    text = repr(float(f"{value:.7g}"))
    return text[:-2] if text.endswith(".0") else text


n, d_in, d_out = args.n, 1001, 1000
thetas = torch.randn(d_in, d_out, device=device)
X = torch.randn(n, d_in, device=device)
y = torch.matmul(X, thetas)
model = nn.Linear(d_in, d_out, bias=False, device=device)


def train(model, X, y, batch_size=128, epochs=args.epochs):
    opt = torch.optim.Adam(model.parameters())
    for epoch in range(1, epochs + 1):
        for _ in range(n // batch_size):
            idx = torch.randperm(n, device=device)[0:batch_size]
            opt.zero_grad()
            loss = F.mse_loss(model(X[idx]), y[idx])
            loss.backward()
            opt.step()
            if args.trace:
                print(f"trace step {loss.item()!r}")
        if epoch % 10 == 0:
            with torch.no_grad():
                loss = F.mse_loss(model(X), y)
            print(f"[ {epoch} ] Loss: {r_format(loss.item())} ")


timed("pretrain", lambda: train(model, X, y))

thetas2 = thetas + 1
X2 = torch.randn(n, d_in, device=device)
y2 = torch.matmul(X2, thetas2)
print(F.mse_loss(model(X2), y2).item())


class LoraLinear(nn.Module):
    def __init__(self, linear, r=16, alpha=1):
        super().__init__()
        self.linear = linear
        for p in self.linear.parameters():
            p.requires_grad_(False)
        self.A = nn.Parameter(torch.randn(linear.in_features, r, device=device))
        self.B = nn.Parameter(torch.zeros(r, linear.out_features, device=device))
        self.scaling = alpha / r

    def forward(self, x):
        return self.linear(x) + torch.matmul(x, torch.matmul(self.A, self.B) * self.scaling)


lora = LoraLinear(model, r=args.rank, alpha=args.alpha)
timed("lora", lambda: train(lora, X2, y2))

delta_theta = torch.matmul(lora.A, lora.B) * lora.scaling
print(delta_theta[0:5, 0:5].tolist())
if args.trace:
    print(f"trace delta {json.dumps(delta_theta[0:5, 0:5].tolist())}")
with torch.no_grad():
    model.weight.add_(delta_theta.t())
merged = F.mse_loss(model(X2), y2).item()
print(merged)
if args.trace:
    print(f"trace merged {merged!r}")

if args.timings:
    timings["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(timings))
