"""The Hugging Face LoRA training step, transformers + peft side of bench/hf_lora.ts (same
model, adapter, optimizer and batch). `make DIR` saves the model both sides load (random
weights, seed 0); `run DIR THREADS STEPS` prints one JSON object: the best milliseconds per
step, and the first step's loss (both sides must agree on it).

    .venv/bin/python bench/hf_lora.py make /tmp/hf-bench
    .venv/bin/python bench/hf_lora.py run /tmp/hf-bench 1 10
"""
import json
import sys
import time

import torch
from transformers.utils import logging

logging.disable_progress_bar()

HIDDEN, LAYERS, HEADS, KV_HEADS, INTERMEDIATE, VOCAB = 256, 4, 8, 4, 688, 8000
BATCH, SEQ = 8, 64
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj"]


def make(path):
    from transformers import LlamaConfig, LlamaForCausalLM
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=VOCAB, hidden_size=HIDDEN, intermediate_size=INTERMEDIATE, num_hidden_layers=LAYERS,
        num_attention_heads=HEADS, num_key_value_heads=KV_HEADS, max_position_embeddings=512, tie_word_embeddings=False,
    )
    LlamaForCausalLM(config).save_pretrained(path)


def best(fn, n, repeats=3):
    """Best of `repeats` timings of n calls, in milliseconds per call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        times.append((time.perf_counter() - start) / n * 1e3)
    return min(times)


def run(path, threads, steps):
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaForCausalLM
    torch.set_num_threads(threads)
    model = LlamaForCausalLM.from_pretrained(path, dtype=torch.float32, attn_implementation="sdpa")
    model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, target_modules=TARGETS, lora_dropout=0.0))
    model.train()
    torch.manual_seed(0)
    ids = torch.randint(0, VOCAB, (BATCH, SEQ))
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4, weight_decay=0.01)
    first = []

    def step():
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        first.append(loss.item())

    results = {"ms": best(step, steps), "loss": first[0]}
    print(json.dumps(results))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        run(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
