"""The Python side of the parity harness (test/parity/harness.ts), run by Python PyTorch:

    /usr/bin/python3 test/parity/reference.py MANIFEST.json

The manifest lists cases: {name, inputs, outputs, grad}. For each, this reads the inputs
(safetensors, written by torchlora), marks the `grad` inputs as requiring grad, seeds with
torch.manual_seed(0), calls the case's function with the inputs as keyword arguments, then
calls backward() on every output that requires grad (sorted by name) with an upstream
gradient drawn after torch.manual_seed(UPSTREAM_SEED). It writes out/<name>, grad/<input>
and upstream/<name> to the outputs file, and {name: {ok, error}} to the manifest's `results`.

A case is a function in a cases_*.py file next to this one:

    from reference import case

    @case("exp")
    def exp(x):
        return {"out": x.exp()}
"""
import glob
import importlib
import json
import os
import sys
import traceback

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import safetensors_io  # noqa: E402

UPSTREAM_SEED = 1234
CASES = {}


def case(name):
    """Registers the decorated function as the Python twin of the TypeScript case `name`."""
    def register(function):
        if name in CASES:
            raise ValueError(f"two Python parity cases are named {name}")
        CASES[name] = function
        return function
    return register


def run_case(item):
    function = CASES.get(item["name"])
    if function is None:
        raise KeyError(f"no Python case registered as @case({item['name']!r}) in test/parity/cases_*.py")
    inputs, _ = safetensors_io.load(item["inputs"])
    for name in item["grad"]:
        inputs[name].requires_grad_()
    torch.manual_seed(0)
    outputs = function(**inputs)
    if not isinstance(outputs, dict) or not all(isinstance(v, torch.Tensor) for v in outputs.values()):
        raise TypeError(f"case {item['name']} must return a dict of tensors, not {type(outputs).__name__}")
    results = {}
    torch.manual_seed(UPSTREAM_SEED)
    for name in sorted(outputs):
        output = outputs[name]
        if output.requires_grad:
            # Drawn as float32 and converted: CPU randn has no float16 kernel in every version.
            upstream = torch.randn(output.shape).to(output.dtype)
            results[f"upstream/{name}"] = upstream
            # A clone: autograd may keep the gradient it is given (or a view of it) as some
            # input's .grad and add later gradients into it in place, changing `upstream`.
            output.backward(upstream.clone(), retain_graph=True)
    for name in sorted(outputs):
        results[f"out/{name}"] = outputs[name].detach()
    for name in item["grad"]:
        if inputs[name].grad is not None:
            results[f"grad/{name}"] = inputs[name].grad
    safetensors_io.save(results, item["outputs"])


def main(manifest_path):
    # Case modules do `from reference import case`: let that find this very module.
    sys.modules.setdefault("reference", sys.modules[__name__])
    for path in sorted(glob.glob(os.path.join(HERE, "cases_*.py"))):
        importlib.import_module(os.path.splitext(os.path.basename(path))[0])
    with open(manifest_path) as file:
        manifest = json.load(file)
    torch.set_num_threads(manifest["threads"])
    results = {}
    for item in manifest["cases"]:
        try:
            run_case(item)
            results[item["name"]] = {"ok": True}
        except Exception:  # one broken case must not hide the others' results
            results[item["name"]] = {"ok": False, "error": traceback.format_exc()}
    with open(manifest["results"], "w") as file:
        json.dump(results, file)


if __name__ == "__main__":
    main(sys.argv[1])
