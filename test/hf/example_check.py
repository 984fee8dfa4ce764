# What test/example.hf.test.ts asks of Python about the example's output folder: transformers'
# tokenizer on the example's base model, and the adapter opened the way the example prints it
# (AutoPeftModelForCausalLM), giving logits with and without the adapter for one sentence.
import sys

import torch
from peft import AutoPeftModelForCausalLM
from safetensors.torch import save_file
from transformers import AutoTokenizer

base, adapter, sentence, out = sys.argv[1:5]
tokenizer = AutoTokenizer.from_pretrained(base)
ids = torch.tensor([tokenizer(sentence).input_ids])
model = AutoPeftModelForCausalLM.from_pretrained(adapter).eval()
with torch.no_grad():
    with_adapter = model(ids).logits
    with model.disable_adapter():
        without = model(ids).logits
save_file({"ids": ids, "with_adapter": with_adapter.contiguous(), "without": without.contiguous()}, out)
