"""transformers and PEFT's side of test/hf/serving.test.ts.

    python serving_reference.py make OUT
    python serving_reference.py check OUT

make: 
A tiny Llama (grouped-query attention, untied head) and two PEFT adapters on different modules,
random (init_lora_weights=False); PEFT's mixed-adapter forward and greedy generate
(adapter_names=..., "__base__" for the base) on the same input ids; and two BERT checkpoints
(pre-training heads; masked LM, which has no pooler) opened as BertForSequenceClassification with
num_labels=3, with transformers' loading report and the encoder's outputs; PEFT's module
selection for a SEQ_CLS LoRA on that classifier (target_modules "all-linear").
check: PeftModel.from_pretrained opens the SEQ_CLS adapter torchlora saved (OUT/ours_seq_cls) on
the classifier and writes its logits (OUT/ours_seq_cls.safetensors).

OUT: llama/, alpha/, beta/ (PEFT adapters), bert_pretraining/, bert_mlm/, io.safetensors
(inputs, and PEFT's and transformers' outputs), report.json (the loading reports).
"""
import json
import os
import sys

import torch
from safetensors.torch import load_file, save_file
from transformers import BertConfig, BertForMaskedLM, BertForPreTraining, BertForSequenceClassification, LlamaConfig, LlamaForCausalLM

from peft import LoraConfig, PeftModel, PeftModelForSequenceClassification, get_peft_model
from peft.tuners.lora import LoraLayer
from peft.utils import ModulesToSaveWrapper

ADAPTERS = {"alpha": (["q_proj", "v_proj"], 1), "beta": (["k_proj", "o_proj", "up_proj"], 2)}
ROWS = ["alpha", "__base__", "beta", "alpha"]


def llama(out):
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=61, hidden_size=32, intermediate_size=40, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, max_position_embeddings=64, tie_word_embeddings=False, pad_token_id=0, eos_token_id=60)
    LlamaForCausalLM(config).save_pretrained(f"{out}/llama")
    for name, (targets, seed) in ADAPTERS.items():
        torch.manual_seed(seed)
        base = LlamaForCausalLM.from_pretrained(f"{out}/llama")
        lora = LoraConfig(r=4, lora_alpha=8, target_modules=targets, init_lora_weights=False, task_type="CAUSAL_LM")
        get_peft_model(base, lora).save_pretrained(f"{out}/{name}")

    model = PeftModel.from_pretrained(LlamaForCausalLM.from_pretrained(f"{out}/llama"), f"{out}/alpha", adapter_name="alpha")
    model.load_adapter(f"{out}/beta", adapter_name="beta")
    model.eval()
    torch.manual_seed(5)
    ids = torch.randint(1, 60, (4, 7))
    mask = torch.ones(4, 7, dtype=torch.int64)
    mask[1, 5:] = 0  # right padding, for predict
    prompts = torch.randint(1, 60, (4, 5))
    prompts[2, :2] = 0  # left padding, for generate
    prompt_mask = prompts.ne(0).long()
    with torch.no_grad():
        tensors = {
            "ids": ids, "mask": mask, "prompts": prompts, "prompt_mask": prompt_mask,
            "mixed_logits": model(input_ids=ids, adapter_names=ROWS).logits,
            "masked_logits": model(input_ids=ids, attention_mask=mask, adapter_names=ROWS).logits,
            "generated": model.generate(input_ids=prompts, attention_mask=prompt_mask, adapter_names=ROWS, max_new_tokens=8,
                                        do_sample=False, pad_token_id=0, eos_token_id=None),
        }
        for name in ADAPTERS:
            model.set_adapter(name)
            tensors[f"{name}_logits"] = model(input_ids=ids).logits
    return tensors


def bert(out):
    config = BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
                        max_position_embeddings=32)
    torch.manual_seed(3)
    BertForPreTraining(config).save_pretrained(f"{out}/bert_pretraining")
    torch.manual_seed(4)
    BertForMaskedLM(config).save_pretrained(f"{out}/bert_mlm")
    torch.manual_seed(6)
    ids = torch.randint(1, 50, (3, 6))
    mask = torch.ones(3, 6, dtype=torch.int64)
    mask[2, 4:] = 0
    tensors, report = {"bert_ids": ids, "bert_mask": mask}, {}
    for name in ["bert_pretraining", "bert_mlm"]:
        model, info = BertForSequenceClassification.from_pretrained(f"{out}/{name}", num_labels=3, output_loading_info=True)
        model.eval()
        report[name] = {"missing": sorted(info["missing_keys"]), "unexpected": sorted(info["unexpected_keys"]),
                        "id2label": {str(k): v for k, v in model.config.id2label.items()}}
        with torch.no_grad():
            encoded = model.bert(ids, attention_mask=mask)
        tensors[f"{name}_hidden"] = encoded.last_hidden_state
        tensors[f"{name}_pooled"] = encoded.pooler_output
    return tensors, report


def classifier(out):
    return BertForSequenceClassification.from_pretrained(f"{out}/bert_pretraining", num_labels=3).eval()


def seq_cls(out):
    model = get_peft_model(classifier(out), LoraConfig(task_type="SEQ_CLS", target_modules="all-linear", r=4, lora_alpha=8))
    strip = lambda name: name.removeprefix("base_model.model.")
    return {
        "targets": sorted(strip(n) for n, m in model.named_modules() if isinstance(m, LoraLayer)),
        "saved": sorted(strip(n) for n, m in model.named_modules() if isinstance(m, ModulesToSaveWrapper)),
        "trainable": sorted(strip(n) for n, p in model.named_parameters() if p.requires_grad),
    }


def check(out):
    model = PeftModel.from_pretrained(classifier(out), f"{out}/ours_seq_cls").eval()
    assert isinstance(model, PeftModelForSequenceClassification), type(model)
    io = load_file(os.path.join(out, "io.safetensors"))
    with torch.no_grad():
        logits = model(input_ids=io["bert_ids"], attention_mask=io["bert_mask"]).logits
    save_file({"logits": logits.contiguous()}, os.path.join(out, "ours_seq_cls.safetensors"))


def main(out):
    tensors = llama(out)
    bert_tensors, report = bert(out)
    tensors.update(bert_tensors)
    report["seq_cls"] = seq_cls(out)
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(out, "io.safetensors"))
    with open(os.path.join(out, "report.json"), "w") as f:
        json.dump(report, f)
    print(json.dumps(report))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("make", "check"):
        sys.exit(__doc__)
    (main if sys.argv[1] == "make" else check)(sys.argv[2])
