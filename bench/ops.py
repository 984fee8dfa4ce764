"""Per-op benchmark, Python PyTorch side. Prints one JSON object: case -> microseconds per op.

Run by bench/run.ts with Debian's /usr/bin/python3 (PyTorch on the same libtorch as ours).
The cases and their sizes must stay the same as in bench/ops.ts.
"""
import collections
import json
import sys
import time

import torch


def per_op(fn, n, repeats=5):
    """Microseconds per call of fn: the best of `repeats` timed loops of n calls, after a warm-up."""
    for _ in range(max(1, n // 10)):
        fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - start) / n * 1e6)
    return best


def main():
    threads = int(sys.argv[1])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    a, b = torch.ones(1, 1), torch.ones(1, 1)
    x = torch.randn(100, 1000)
    m1, m2 = torch.randn(128, 1001), torch.randn(1001, 1000)
    # The last 40 results kept alive, as bench/ops.ts's ring: 16 MB of 400 KB buffers rotating.
    kept = collections.deque(maxlen=40)
    results = {
        "add 1x1": per_op(lambda: a + b, 100_000),
        "neg 1x1": per_op(lambda: torch.neg(a), 100_000),
        "eq 1x1, a number": per_op(lambda: a == 1, 100_000),
        "softmax 1x1": per_op(lambda: torch.softmax(a, 0), 100_000),
        "add 100x1000": per_op(lambda: x + 1, 5_000),
        "add 100x1000, the last 40 kept": per_op(lambda: kept.append(x + 1), 5_000),
        "matmul 128x1001 @ 1001x1000": per_op(lambda: m1 @ m2, 50),
    }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
