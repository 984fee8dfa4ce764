# bench/hf_load.ts's Python side.
#   python hf_load.py make DIR           a ~300 MB random Llama saved six ways under DIR
#   python hf_load.py load FOLDER DTYPE  transformers' from_pretrained peak RSS, as JSON
import copy
import json
import os
import resource
import sys
import time

import torch


def make(out):
    from transformers import LlamaConfig, LlamaForCausalLM
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=16000, hidden_size=1024, intermediate_size=2816, num_hidden_layers=4, num_attention_heads=16,
                         num_key_value_heads=4, bos_token_id=None, eos_token_id=None)
    with torch.no_grad():
        model = LlamaForCausalLM(config).eval()
    model.save_pretrained(os.path.join(out, 'fp32'))
    model.save_pretrained(os.path.join(out, 'sharded'), max_shard_size='60MB')
    config.save_pretrained(os.path.join(out, 'bin'))
    torch.save(model.state_dict(), os.path.join(out, 'bin', 'pytorch_model.bin'))
    half = copy.deepcopy(model).to(torch.bfloat16)
    half.save_pretrained(os.path.join(out, 'bf16'))
    config.save_pretrained(os.path.join(out, 'bin_bf16'))
    torch.save(half.state_dict(), os.path.join(out, 'bin_bf16', 'pytorch_model.bin'))


def load(folder, dtype):
    from transformers import AutoModelForCausalLM
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    AutoModelForCausalLM.from_pretrained(folder, dtype=getattr(torch, dtype))
    seconds = time.perf_counter() - start
    print(json.dumps({'baseline_kib': base, 'peak_kib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, 'seconds': seconds}))


if __name__ == '__main__':
    make(sys.argv[2]) if sys.argv[1] == 'make' else load(sys.argv[2], sys.argv[3])
