"""Does an adapter saved by torchlora load in Hugging Face PEFT, and the other way round?

    python3 test/device/peft_check.py test/device/peft_fixture --out OUT

Needs torch and peft (the GPU machine has both; nothing here needs a GPU). The fixture folder
is written by test/lora.peft_interop.test.ts (committed, regenerated with
UPDATE_PEFT_FIXTURE=1):

    model.json          the tiny base model's sizes (test/fixtures/tiny_net.ts; TinyNet below)
    base.safetensors    its weights, plain state-dict keys (embed.weight, blocks.0.q_proj.weight, ...)
    adapter/            adapter_model.safetensors + adapter_config.json from torchlora's lora_save
    io.safetensors      the inputs (tokens, images) and torchlora's outputs: y_adapter with the
                        adapter, y_merged after merge_and_unload

The checks:
  1. PeftModel.from_pretrained(TinyNet, adapter/) takes every tensor of the file (each one equals
     the parameter PEFT put it in) and computes y_adapter; merge_and_unload() computes y_merged.
  2. With --out OUT: PEFT makes its own adapter on the same base (get_peft_model with a
     LoraConfig, random A and B), computes its output, and saves OUT/peft_adapter/ (save_pretrained)
     and OUT/peft_io.safetensors (inputs, y_peft). torchlora checks that folder with
         PEFT_ADAPTER_DIR=OUT npx vitest run test/lora.peft_interop.test.ts

--without-peft runs check 1 with PEFT's math written out in torch instead of PEFT (for a
machine without PEFT: it checks the fixture and this script, not PEFT). Prints one JSON report;
exits 1 when a check fails.
"""
import argparse
import json
import math
import os
import re
import sys

import torch
from torch import nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "parity"))
import safetensors_io  # noqa: E402  (a reader/writer in plain Python, so no safetensors package is needed)

PREFIX = "base_model.model."
ATOL = 1e-5


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.q_proj = nn.Linear(dim, dim)
        self.v_proj = nn.Linear(dim, dim)
        self.out_proj = nn.Linear(dim, dim)

    def forward(self, h):
        return self.out_proj(F.relu(self.q_proj(h)) + self.v_proj(h))


class TinyNet(nn.Module):
    """test/fixtures/tiny_net.ts: the same module paths and the same forward."""

    def __init__(self, d):
        super().__init__()
        self.embed = nn.Embedding(d["vocab"], d["dim"])
        self.blocks = nn.Sequential(*[Block(d["dim"]) for _ in range(d["blocks"])])
        self.head = nn.Linear(d["dim"], d["classes"])
        self.conv = nn.Conv2d(d["channels"], d["conv_out"], d["kernel"], stride=d["stride"], padding=d["padding"])

    def forward(self, tokens, images):
        text = self.head(self.blocks(self.embed(tokens))).mean(1)
        vision = self.conv(images).mean([2, 3])
        return torch.cat([text, vision], 1)


def base_model(fixture):
    with open(os.path.join(fixture, "model.json")) as file:
        model = TinyNet(json.load(file))
    weights, _ = safetensors_io.load(os.path.join(fixture, "base.safetensors"))
    model.load_state_dict(weights)
    return model.eval()


def max_diff(a, b):
    return float((a.detach().float() - b.detach().float()).abs().max())


# ---- check 1 without PEFT: its LoRA math, written out, as forward hooks

def pattern_value(pattern, path, default):
    for key, value in (pattern or {}).items():
        if re.match(rf"(.*\.)?({key})$", path):
            return value
    return default


def apply_written_out(model, adapter_dir):
    with open(os.path.join(adapter_dir, "adapter_config.json")) as file:
        config = json.load(file)
    tensors, metadata = safetensors_io.load(os.path.join(adapter_dir, "adapter_model.safetensors"))
    assert metadata.get("format") == "pt", f"metadata {metadata}"
    modules = dict(model.named_modules())
    layers = {}
    for key, tensor in tensors.items():
        assert key.startswith(PREFIX), key
        path, part = re.match(r"(.*)\.(lora_A\.weight|lora_B\.weight|lora_embedding_A|lora_embedding_B)$", key[len(PREFIX):]).groups()
        layers.setdefault(path, {})[part.split(".")[0][-1]] = tensor
    targets = config["target_modules"]
    for path in modules:
        matched = (re.fullmatch(targets, path) is not None if isinstance(targets, str)
                   else any(path == t or path.endswith("." + t) for t in targets))
        assert matched == (path in layers), f"target_modules {targets!r} and the file disagree about {path!r}"
    hooks = []
    for path, ab in layers.items():
        module, A, B = modules[path], ab["A"], ab["B"]
        r = pattern_value(config.get("rank_pattern"), path, config["r"])
        alpha = pattern_value(config.get("alpha_pattern"), path, config["lora_alpha"])
        assert A.shape[0] == r, f"{path}: A has {A.shape[0]} rows, the config says r = {r}"
        scaling = alpha / math.sqrt(r) if config.get("use_rslora") else alpha / r

        def hook(module, inputs, output, A=A, B=B, scaling=scaling):
            x = inputs[0]
            if isinstance(module, nn.Embedding):
                return output + (F.embedding(x, A.T, module.padding_idx) @ B.T) * scaling
            if isinstance(module, nn.Conv2d):
                return output + F.conv2d(F.conv2d(x, A, None, module.stride, module.padding, module.dilation), B) * scaling
            return output + F.linear(F.linear(x, A), B) * scaling
        hooks.append(module.register_forward_hook(hook))
    return hooks


# ---- the checks

def check_ours(fixture, without_peft):
    io, _ = safetensors_io.load(os.path.join(fixture, "io.safetensors"))
    tokens, images = io["tokens"], io["images"]
    adapter_dir = os.path.join(fixture, "adapter")
    report = {}
    with torch.no_grad():
        if without_peft:
            model = base_model(fixture)
            hooks = apply_written_out(model, adapter_dir)
            report["y_adapter max abs diff"] = max_diff(model(tokens, images), io["y_adapter"])
            for hook in hooks:
                hook.remove()
            return report
        from peft import PeftModel
        model = PeftModel.from_pretrained(base_model(fixture), adapter_dir)
        model.eval()
        saved, _ = safetensors_io.load(os.path.join(adapter_dir, "adapter_model.safetensors"))
        state = model.state_dict()
        unused = []
        for key, tensor in saved.items():
            # PEFT keeps the adapter name in memory: lora_A.weight -> lora_A.default.weight
            name = re.sub(r"(lora_[AB]|lora_embedding_[AB])", r"\1.default", key)
            if name not in state or not torch.equal(state[name].cpu(), tensor):
                unused.append(key)
        report["tensors PEFT did not take as saved"] = unused
        report["config as PEFT read it"] = {k: (sorted(v) if isinstance(v, set) else v)
                                            for k, v in model.peft_config["default"].to_dict().items()
                                            if k in ("r", "lora_alpha", "target_modules", "rank_pattern", "alpha_pattern")}
        report["y_adapter max abs diff"] = max_diff(model(tokens, images), io["y_adapter"])
        merged = model.merge_and_unload()
        report["y_merged max abs diff"] = max_diff(merged(tokens, images), io["y_merged"])
    return report


def make_peft_adapter(fixture, out):
    from peft import LoraConfig, get_peft_model
    io, _ = safetensors_io.load(os.path.join(fixture, "io.safetensors"))
    torch.manual_seed(0)
    config = LoraConfig(target_modules=["q_proj", "v_proj", "embed", "conv"], r=2, lora_alpha=4, rank_pattern={"v_proj": 1},
                        alpha_pattern={"conv": 2})
    model = get_peft_model(base_model(fixture), config)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "lora_" in name:
                parameter.normal_(0, 0.5)  # B starts at zero, A of embeddings too: make every term count
        y = model(io["tokens"], io["images"])
    folder = os.path.join(out, "peft_adapter")
    model.save_pretrained(folder)
    safetensors_io.save({"tokens": io["tokens"], "images": io["images"], "y_peft": y}, os.path.join(out, "peft_io.safetensors"))
    return {"peft adapter": sorted(os.listdir(folder))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("fixture")
    parser.add_argument("--out")
    parser.add_argument("--without-peft", action="store_true")
    args = parser.parse_args()
    report = {"torch": torch.__version__}
    if not args.without_peft:
        import peft
        report["peft"] = peft.__version__
    report.update(check_ours(args.fixture, args.without_peft))
    if args.out and not args.without_peft:
        os.makedirs(args.out, exist_ok=True)
        report.update(make_peft_adapter(args.fixture, args.out))
    failed = [key for key, value in report.items()
              if (key.endswith("max abs diff") and not value <= ATOL) or (key.startswith("tensors") and value)]
    report["ok"] = not failed
    report["failed"] = failed
    print(json.dumps(report, indent=2))
    sys.exit(0 if not failed else 1)


main()
