"""Python twin of gpt.parity.test.ts: bench/gpt.py's first steps."""
import os
import sys

import torch

from reference import case

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "bench"))
import gpt  # noqa: E402

CONFIG = {"block_size": 16, "n_layer": 2, "n_head": 4, "n_embd": 64, "dropout": 0.1}
SETTINGS = {"steps": 6, "batch_size": 64, "lr": 3e-3, "weight_decay": 0.1, "warmup": 20, "clip": 1.0}


@case("gpt.first_steps")
def gpt_first_steps():
    return {"losses": torch.tensor(gpt.first_steps(CONFIG, SETTINGS, 1), dtype=torch.float64)}
