"""LoRA step benchmark, Python PyTorch side of bench/lora.ts (same cases, sizes and names).
Prints one JSON object: case -> milliseconds per step.

    /usr/bin/python3 bench/lora.py THREADS STEPS
"""
import json
import sys
import time

import torch
import torch.nn.functional as F

from ops import per_op

BATCH, D_IN, D_OUT = 128, 1001, 1000
RANKS = [1, 16, 64]


def per_step(fn, n, repeats=5):
    return per_op(fn, n, repeats) / 1e3


def main():
    threads, steps = int(sys.argv[1]), int(sys.argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x = torch.randn(BATCH, D_IN)
    target = torch.randn(BATCH, D_OUT)
    base = torch.nn.Linear(D_IN, D_OUT, bias=False)
    base.weight.requires_grad_(False)
    results = {}
    for r in RANKS:
        scaling = 1 / r
        A = torch.randn(D_IN, r).requires_grad_()
        B = (torch.randn(r, D_OUT) * 0.01).requires_grad_()

        def post():
            y = base(x) + x @ (A @ B * scaling)
            F.mse_loss(y, target).backward()
            A.grad = None
            B.grad = None
        results[f"train, post x @ (A @ B), r = {r}"] = per_step(post, steps)

        # PEFT's Linear: lora_A (r x d_in) and lora_B (d_out x r) as layers.
        lora_A = torch.nn.Linear(D_IN, r, bias=False)
        lora_B = torch.nn.Linear(r, D_OUT, bias=False)
        torch.nn.init.normal_(lora_B.weight, 0, 0.01)

        def lora(x):
            return base(x) + lora_B(lora_A(x)) * scaling

        def factored():
            F.mse_loss(lora(x), target).backward()
            lora_A.weight.grad = None
            lora_B.weight.grad = None
        results[f"train, factored (x Aᵀ) Bᵀ, r = {r}"] = per_step(factored, steps)
        if r == 1:
            with torch.no_grad():
                results["inference, unmerged, r = 1"] = per_step(lambda: lora(x), steps)
                base.weight += (lora_B.weight @ lora_A.weight) * scaling
                results["inference, merged"] = per_step(lambda: base(x), steps)
                base.weight -= (lora_B.weight @ lora_A.weight) * scaling
    print(json.dumps(results))


main()
