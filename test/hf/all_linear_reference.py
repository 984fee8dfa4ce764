# The layers PEFT 0.21's target_modules="all-linear" adapts on transformers' own models: a tiny
# Llama (untied head), GPT-2 (Conv1D projections, tied head) and BERT for masked LM, each saved
# into OUT/<name> for test/hf/all_linear.test.ts, with the adapted paths in OUT/targets.json.
import json
import sys

import torch
from peft import LoraConfig, get_peft_model
from peft.tuners.lora import LoraLayer
from transformers import BertConfig, BertForMaskedLM, GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

out = sys.argv[1]
torch.manual_seed(0)
models = {
    "llama": LlamaForCausalLM(LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
                                          num_key_value_heads=2, tie_word_embeddings=False)),
    "gpt2": GPT2LMHeadModel(GPT2Config(vocab_size=64, n_positions=32, n_embd=32, n_layer=2, n_head=4)),
    "bert": BertForMaskedLM(BertConfig(vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48,
                                       max_position_embeddings=32)),
}
targets = {}
for name, model in models.items():
    model.save_pretrained(f"{out}/{name}")
    peft = get_peft_model(model, LoraConfig(target_modules="all-linear", r=2))
    prefix = "base_model.model."
    targets[name] = sorted(n[len(prefix):] for n, m in peft.named_modules() if isinstance(m, LoraLayer))
json.dump(targets, open(f"{out}/targets.json", "w"))
