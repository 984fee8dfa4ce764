"""One optimizer step on the seed's 1001 x 1000 weight, Python PyTorch side: torch.optim's
default (single-tensor) path, and with `paths` as the 4th argument its foreach path and, where
this PyTorch has fused CPU kernels (2.4+), its fused path too. Prints one JSON object: case ->
microseconds per step. Run by bench/optim.ts; the cases must stay those of bench/optim.ts.
"""
import json
import sys
import time

import torch

CASES = {
    "adam": lambda p, **k: torch.optim.Adam(p, lr=1e-3, **k),
    "adam, weight decay, amsgrad": lambda p, **k: torch.optim.Adam(p, lr=1e-3, weight_decay=0.01, amsgrad=True, **k),
    "adamw": lambda p, **k: torch.optim.AdamW(p, lr=1e-3, weight_decay=0.01, **k),
    "sgd, momentum, nesterov": lambda p, **k: torch.optim.SGD(p, lr=1e-3, momentum=0.9, nesterov=True, **k),
    "adagrad, lr decay": lambda p, **k: torch.optim.Adagrad(p, lr=1e-2, lr_decay=1e-4, **k),
}


def per_step(make, steps, repeats):
    torch.manual_seed(0)
    param = torch.randn(1001, 1000, requires_grad=True)
    param.grad = torch.randn(1001, 1000)
    opt = make([param])
    for _ in range(max(1, steps // 10)):
        opt.step()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            opt.step()
        best = min(best, (time.perf_counter() - start) / steps * 1e6)
    return best


def main():
    threads, steps, repeats = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    paths = len(sys.argv) > 4 and sys.argv[4] == "paths"
    fused = tuple(int(part) for part in torch.__version__.split("+")[0].split(".")[:2]) >= (2, 4)
    torch.set_num_threads(threads)
    results = {}
    for name, make in CASES.items():
        results[f"{name} (PyTorch)"] = per_step(make, steps, repeats)
        if paths:
            results[f"{name} (PyTorch foreach)"] = per_step(lambda p, make=make: make(p, foreach=True), steps, repeats)
        if paths and fused:
            results[f"{name} (PyTorch fused)"] = per_step(lambda p, make=make: make(p, fused=True), steps, repeats)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
