"""The real PEFT (0.21) against torchlora's adapters, both ways; run by test/hf/peft.test.ts.

    python peft_reference.py make OUT    PEFT makes an adapter per case of peft_cases.json on
                                         PeftNet (test/hf/peft_net.ts in Python) and saves it
                                         with its outputs and merged weights; also a tiny Llama
    python peft_reference.py check OUT   PeftModel.from_pretrained loads each adapter torchlora
                                         saved (OUT/<case>/ours_adapter) and compares outputs and
                                         merge_and_unload's weights with torchlora's
    python peft_reference.py auto OUT    AutoPeftModelForCausalLM.from_pretrained(OUT/llama_adapter)
    python peft_reference.py select -    PEFT's module selection for each config and path of peft_select.json

OUT layout: base.safetensors (PeftNet's weights), io.safetensors (tokens, images),
<case>/peft_adapter/, <case>/peft_out.safetensors (y, loss_weights, grad.<key>, merged.<key>),
<case>/ours_adapter/, <case>/ours_out.safetensors, tiny-llama/ (save_pretrained),
llama_adapter/, tiny-gpt2/, gpt2_adapter/ (PEFT's), gpt2_probes.safetensors.
Prints one JSON report on stdout.
"""
import json
import os
import sys
import warnings

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn
from transformers.pytorch_utils import Conv1D

from peft import AutoPeftModelForCausalLM, LoraConfig, PeftModel, get_peft_model, get_peft_model_state_dict

HERE = os.path.dirname(os.path.abspath(__file__))
NET = {"vocab": 16, "dim": 8, "hidden": 12, "blocks": 2, "classes": 3, "channels": 3, "conv_out": 4}
NOISE = 0.3


class PeftBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.q_proj = nn.Linear(NET["dim"], NET["dim"])
        self.v_proj = nn.Linear(NET["dim"], NET["dim"])
        self.c_fc = Conv1D(NET["hidden"], NET["dim"])
        self.c_proj = Conv1D(NET["dim"], NET["hidden"])

    def forward(self, h):
        a = F.relu(self.q_proj(h)) + self.v_proj(h)
        return a + self.c_proj(F.relu(self.c_fc(a)))


class PeftNet(nn.Module):
    """test/hf/peft_net.ts: the same module paths and the same forward."""

    def __init__(self):
        super().__init__()
        self.embed_tokens = nn.Embedding(NET["vocab"], NET["dim"])
        self.layers = nn.Sequential(*[PeftBlock() for _ in range(NET["blocks"])])
        self.score = nn.Linear(NET["dim"], NET["classes"])
        self.conv = nn.Conv2d(NET["channels"], NET["conv_out"], 3, stride=2, padding=1)

    # What PEFT asks a transformers model for when it decides to save a targeted embedding whole.
    def get_input_embeddings(self):
        return self.embed_tokens

    def get_output_embeddings(self):
        return None

    def forward(self, tokens, images):
        text = self.score(self.layers(self.embed_tokens(tokens))).mean(1)
        vision = self.conv(images).mean([2, 3])
        return torch.cat([text, vision], 1)


def cases():
    with open(os.path.join(HERE, "peft_cases.json")) as file:
        return json.load(file)


def base_model(out):
    model = PeftNet()
    model.load_state_dict(load_file(os.path.join(out, "base.safetensors")))
    return model.eval()


def max_diff(a, b):
    if a.shape != b.shape:
        return float("inf")
    return (a.double() - b.double()).abs().max().item() if a.numel() else 0.0


def merged_diff(model, expected):
    """The largest difference between a plain model's state dict and expected's merged.<key> tensors."""
    state = model.state_dict()
    keys = {k[len("merged."):] for k in expected if k.startswith("merged.")}
    if keys != set(state):
        return {"keys differ": sorted(keys ^ set(state))}
    return max(max_diff(state[k], expected["merged." + k]) for k in keys)


def make(out):
    torch.manual_seed(0)
    os.makedirs(out, exist_ok=True)
    save_file(PeftNet().state_dict(), os.path.join(out, "base.safetensors"))
    save_file({"tokens": torch.randint(0, NET["vocab"], (2, 5)), "images": torch.randn(2, NET["channels"], 7, 7)}, os.path.join(out, "io.safetensors"))
    io = load_file(os.path.join(out, "io.safetensors"))
    report = {}
    for index, (name, options) in enumerate(cases().items()):
        torch.manual_seed(100 + index)
        model = get_peft_model(base_model(out), LoraConfig(**options))
        with torch.no_grad():
            # Every trained tensor random (A, B, LoRA biases, the copies of modules to save; DoRA's
            # magnitudes moved from their start), as peft.test.ts does to torchlora's...
            for key, parameter in model.named_parameters():
                if parameter.requires_grad:
                    noise = torch.randn_like(parameter) * NOISE
                    parameter.add_(noise) if "lora_magnitude_vector" in key else parameter.copy_(noise)
            # ...and a targeted embedding's base weight, which PEFT then saves whole (base_layer.weight).
            if "embed_tokens" in options["target_modules"]:
                model.base_model.model.embed_tokens.base_layer.weight.add_(torch.randn(NET["vocab"], NET["dim"]) * NOISE)
        model.eval()
        folder = os.path.join(out, name)
        model.save_pretrained(os.path.join(folder, "peft_adapter"))
        # The gradients of a weighted sum of the outputs, under the file's keys (DoRA detaches its norm: this checks where).
        y = model(io["tokens"], io["images"])
        loss_weights = torch.randn_like(y)
        (y * loss_weights).sum().backward()
        grads = {k: p.grad if p.grad is not None else torch.zeros_like(p) for k, p in model.named_parameters() if p.requires_grad}
        grads = {k: v for k, v in get_peft_model_state_dict(model, state_dict=grads).items() if not k.endswith("base_layer.weight")}
        y = y.detach()
        with torch.no_grad():
            merged = model.merge_and_unload()
            y_merged = merged(io["tokens"], io["images"])
        tensors = {"y": y, "loss_weights": loss_weights, **{"grad." + k: v.contiguous() for k, v in grads.items()},
                   **{"merged." + k: v.contiguous() for k, v in merged.state_dict().items()}}
        save_file(tensors, os.path.join(folder, "peft_out.safetensors"))
        saved = load_file(os.path.join(folder, "peft_adapter", "adapter_model.safetensors"))
        report[name] = {"keys": sorted(saved), "merged output diff": max_diff(y, y_merged)}
    llama(out)
    report["gpt2"] = gpt2(out)
    return report


def llama(out):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(1)
    config = LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, max_position_embeddings=32)
    LlamaForCausalLM(config).save_pretrained(os.path.join(out, "tiny-llama"))


GPT2_PROBES = ["transformer.h.1.attn.c_attn", "transformer.h.0.mlp.c_proj"]


def gpt2(out):
    """A PEFT adapter on a tiny transformers GPT-2 (Conv1D: PEFT forces fan_in_fan_out=True), and the outputs of two adapted layers."""
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(2)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=64, n_positions=32, n_embd=16, n_layer=2, n_head=2))
    model.save_pretrained(os.path.join(out, "tiny-gpt2"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        peft = get_peft_model(model, LoraConfig(task_type="CAUSAL_LM", target_modules=["c_attn", "c_proj"], r=4, lora_alpha=8, init_lora_weights=False))
    peft.eval().save_pretrained(os.path.join(out, "gpt2_adapter"))
    probes = {}
    with torch.no_grad():
        for name in GPT2_PROBES:
            module = peft.base_model.model.get_submodule(name)
            x = torch.randn(3, module.base_layer.weight.shape[0])
            probes.update({f"{name}.x": x, f"{name}.y": module(x), f"{name}.weight": module.base_layer.weight, f"{name}.bias": module.base_layer.bias})
    save_file({k: v.contiguous() for k, v in probes.items()}, os.path.join(out, "gpt2_probes.safetensors"))
    return {"warnings": sorted({str(w.message)[:120] for w in caught if "fan_in_fan_out" in str(w.message)})}


def check(out):
    io = load_file(os.path.join(out, "io.safetensors"))
    report = {}
    for name in cases():
        folder = os.path.join(out, name)
        adapter = os.path.join(folder, "ours_adapter")
        if not os.path.isdir(adapter):
            continue
        ours = load_file(os.path.join(folder, "ours_out.safetensors"))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = PeftModel.from_pretrained(base_model(out), adapter).eval()
        # Every tensor of the file must have gone into the model (none left behind as an unexpected key).
        state = model.state_dict()
        saved = load_file(os.path.join(adapter, "adapter_model.safetensors"))
        loaded = {}
        for key, tensor in saved.items():
            candidates = [k for k in state if k == key or k.endswith(".default") and k[: -len(".default")] == key
                          or k.replace(".default.", ".") == key or k.replace(".modules_to_save.default.", ".") == key
                          or k.replace(".default.weight", "") == key]
            loaded[key] = min((max_diff(state[k], tensor) for k in candidates), default=float("inf"))
        with torch.no_grad():
            y = model(io["tokens"], io["images"])
            merged = model.merge_and_unload()
        report[name] = {
            "y": max_diff(y, ours["y"]),
            "merged weights": merged_diff(merged, ours),
            "tensors not loaded": sorted(k for k, d in loaded.items() if d > 0),
            "warnings": sorted({str(w.message)[:200] for w in caught if "missing" in str(w.message).lower() or "unexpected" in str(w.message).lower()}),
        }
    return report


def auto(out):
    adapter = os.path.join(out, "llama_adapter")
    model = AutoPeftModelForCausalLM.from_pretrained(adapter).eval()
    saved = load_file(os.path.join(adapter, "adapter_model.safetensors"))
    state = model.state_dict()
    diffs = {key: max_diff(state[key.replace(".weight", ".default.weight")], tensor) for key, tensor in saved.items()}
    ids = torch.tensor([[1, 5, 9, 3, 7]])
    with torch.no_grad():
        logits = model(input_ids=ids).logits
        with model.disable_adapter():
            base = model(input_ids=ids).logits
    return {
        "class": type(model).__name__,
        "base model": type(model.get_base_model()).__name__,
        "tensors max diff": max(diffs.values()),
        "tensors": len(diffs),
        "adapter changes logits by": max_diff(logits, base),
    }


def select(_out):
    """PEFT's own choice (check_target_module_exists) for each config and path of peft_select.json."""
    from peft.tuners.tuners_utils import check_target_module_exists

    with open(os.path.join(HERE, "peft_select.json")) as file:
        table = json.load(file)
    return [[bool(check_target_module_exists(LoraConfig(**config), path)) for path in table["paths"]] for config in table["configs"]]


if __name__ == "__main__":
    command, out = sys.argv[1], sys.argv[2]
    print(json.dumps({"make": make, "check": check, "auto": auto, "select": select}[command](out)))
