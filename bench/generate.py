# bench/generate.ts's Python side.
#   python generate.py make DIR                          the benchmark's random Llama, saved under DIR
#   python generate.py run DIR THREADS ROUNDS NEW BATCH  transformers' greedy generate: the best seconds per case, and the tokens, as JSON
import json
import sys
import time

import torch


def make(out):
    from transformers import LlamaConfig, LlamaForCausalLM
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=8000, hidden_size=256, intermediate_size=688, num_hidden_layers=4, num_attention_heads=8,
                         num_key_value_heads=4, initializer_range=0.2, bos_token_id=None, eos_token_id=None)
    LlamaForCausalLM(config).save_pretrained(out)


def run(folder, threads, rounds, new, batch):
    from transformers import AutoModelForCausalLM
    torch.set_num_threads(threads)
    model = AutoModelForCausalLM.from_pretrained(folder).eval()
    ids = torch.arange(32 * batch).reshape(batch, 32) % 7919 + 1
    best, tokens = float('inf'), None
    with torch.no_grad():
        for _ in range(rounds):
            start = time.perf_counter()
            out = model.generate(ids, max_new_tokens=new, do_sample=False)
            best = min(best, time.perf_counter() - start)
            tokens = out[:, 32:].tolist()
    print(json.dumps({'seconds': best, 'tokens': tokens}))


if __name__ == '__main__':
    if sys.argv[1] == 'make':
        make(sys.argv[2])
    else:
        run(sys.argv[2], *map(int, sys.argv[3:7]))
