"""The Python side of test/serialization.test.ts: Python's torch.save and torch.load on the
files torchlora reads and writes. Values are compared through a JSON description that both
sides build on their own (describe() here, describeValue() in the test): tensor bytes as hex,
floats by their IEEE bits, ints as decimal text, storages numbered in order of appearance.

  torch_save_io.py describe PATH [weights_only]  torch.load(PATH) described, with the layout checks
  torch_save_io.py fixtures FOLDER               writes FOLDER/<name>.pt and FOLDER/expected.json
  torch_save_io.py train FOLDER                  per optimizer: a checkpoint after 3 steps, the next 3 steps
  torch_save_io.py resume CHECKPOINT KIND        loads torchlora's checkpoint, prints the next 3 steps
"""
import collections
import json
import math
import os
import struct
import sys
import zipfile

import torch
from torch import nn
import torch.nn.functional as F


def describe(value, storages=None):
    storages = {} if storages is None else storages
    if isinstance(value, torch.Tensor):
        data = value.detach().contiguous().reshape(-1).view(torch.uint8)
        key = value.storage()._cdata
        storages.setdefault(key, len(storages))
        return {"tensor": {
            "dtype": str(value.dtype).replace("torch.", ""), "shape": list(value.shape), "requires_grad": value.requires_grad,
            "parameter": isinstance(value, nn.Parameter), "hex": bytes(data.tolist()).hex(),
            "storage": storages[key], "offset": value.storage_offset(), "stride": list(value.stride())}}
    if isinstance(value, dict):
        return {"dict": [[describe(k, storages), describe(v, storages)] for k, v in value.items()],
                "ordered": isinstance(value, collections.OrderedDict)}
    if isinstance(value, (list, tuple)):
        return {"list": [describe(v, storages) for v in value]}
    if isinstance(value, bool):
        return {"bool": value}
    if isinstance(value, int):
        return {"int": str(value)}
    if isinstance(value, float):
        return {"float": struct.pack(">d", value).hex()}
    if isinstance(value, str):
        return {"str": value}
    if value is None:
        return {"none": True}
    raise TypeError(f"cannot describe {type(value)}")


def layout(path):
    """Facts about the archive: record names, and whether each record's data starts at a multiple of 64."""
    with zipfile.ZipFile(path) as archive, open(path, "rb") as raw:
        records = []
        for info in archive.infolist():
            raw.seek(info.header_offset)
            header = raw.read(30)
            start = info.header_offset + 30 + struct.unpack("<H", header[26:28])[0] + struct.unpack("<H", header[28:30])[0]
            records.append({"name": info.filename, "aligned": start % 64 == 0, "stored": info.compress_type == zipfile.ZIP_STORED})
        return {"records": records, "testzip": archive.testzip()}


def save(folder, name, value, expected, **kwargs):
    torch.save(value, os.path.join(folder, f"{name}.pt"), **kwargs)
    if expected is not None:
        expected[name] = describe(value)


def small_model():
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def fixtures(folder):
    expected = {}
    torch.manual_seed(0)
    model = small_model()
    save(folder, "state_dict", model.state_dict(), expected)
    x = torch.linspace(-1, 1, 6).reshape(2, 3)
    expected["state_dict.forward"] = describe(model(x).detach())

    emb = nn.Embedding(5, 3)
    head = nn.Linear(3, 5, bias=False)
    head.weight = emb.weight  # tied, as a language model's input and output embeddings
    save(folder, "tied", nn.ModuleDict({"emb": emb, "head": head}).state_dict(), expected)

    base = torch.arange(24.0).reshape(4, 6)
    save(folder, "views", {"base": base, "row": base[1], "column": base[:, 2], "transposed": base.t(),
                           "block": base[1:3, 2:5], "alone": torch.arange(10.0)[3:7]}, expected)

    save(folder, "dtypes", {
        "float32": torch.tensor([1.5, -2.25, 3.4028234663852886e38, 2.0 ** -149]),
        "float64": torch.tensor([1 / 3, -2.5, 1e300, -0.0], dtype=torch.float64).reshape(2, 2),
        "float16": torch.tensor([65504, -0.0, 2.0 ** -24, 1 / 3], dtype=torch.float16),
        "bfloat16": torch.tensor([1, -3, 3.3895313892515355e38, 2.0 ** -7], dtype=torch.bfloat16).reshape(2, 2),
        "int64": torch.tensor([2 ** 62 + 1, -2 ** 63, 7]),
        "int32": torch.tensor([[2 ** 31 - 1], [-2 ** 31]], dtype=torch.int32),
        "int16": torch.tensor([-32768, 32767, 1], dtype=torch.int16),
        "int8": torch.tensor([-128, 127], dtype=torch.int8),
        "uint8": torch.tensor([0, 255, 17], dtype=torch.uint8),
        "bool": torch.tensor([[True, False, True]]),
        "scalar": torch.tensor(2.75),
        "empty": torch.zeros(0, 3),
        "requires_grad": torch.tensor([0.5, -1.5], requires_grad=True),
    }, expected)

    save(folder, "nested", {
        "list": [1, 2.5, "three", None, True, False, [torch.ones(2), (3, 4)]],
        "tuple": (1, "a"),
        "dict": {"x": {"y": {"z": -1}}},
        "int_keys": {2: "b", 1: "a"},
        "mixed_keys": {0: "zero", "one": 1, None: "none"},
        "big": 2 ** 70, "negative_big": -2 ** 65, "negative_zero": -0.0, "inf": math.inf, "nan": math.nan,
        "unicode": "h\u00e9llo \u2713 \U0001d518",
        "empty_list": [], "empty_dict": {},
        "ordered": collections.OrderedDict([("b", 1), ("a", 2)]),
        "parameters": [nn.Parameter(torch.ones(2)), nn.Parameter(torch.zeros(1), requires_grad=False)],
    }, expected)

    # What torchlora cannot represent, each refused with its own message.
    save(folder, "complex", {"z": torch.tensor([1 + 2j], dtype=torch.complex32)}, None)
    save(folder, "sparse", torch.eye(3).to_sparse(), None)
    save(folder, "module", small_model(), None)
    save(folder, "set", {"s": {1, 2}}, None)
    save(folder, "quantized", torch.quantize_per_tensor(torch.ones(2), 0.5, 0, torch.quint8), None)
    save(folder, "legacy", model.state_dict(), None, _use_new_zipfile_serialization=False)
    torch.jit.save(torch.jit.script(nn.Linear(2, 2)), os.path.join(folder, "torchscript.pt"))

    # PyTorch 2.x's layout (archive/ folder, byteorder, .data/version, serialization_id), and a
    # zip written with deflate by another tool: both are still torch.save files.
    with zipfile.ZipFile(os.path.join(folder, "state_dict.pt")) as source:
        prefix = source.namelist()[0].split("/")[0] + "/"
        records = {info.filename[len(prefix):]: source.read(info) for info in source.infolist()}
    version = records.pop("version")
    with zipfile.ZipFile(os.path.join(folder, "layout2.pt"), "w", zipfile.ZIP_STORED) as target:
        target.writestr("archive/data.pkl", records["data.pkl"])
        target.writestr("archive/byteorder", b"little")
        for name, data in records.items():
            if name.startswith("data/"):
                target.writestr(f"archive/{name}", data)
        target.writestr("archive/.data/version", version)
        target.writestr("archive/.data/serialization_id", b"1234567890")
    with zipfile.ZipFile(os.path.join(folder, "deflated.pt"), "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in records.items():
            target.writestr(prefix + name, data)
        target.writestr(prefix + "version", version)
    expected["layout2"] = expected["deflated"] = expected["state_dict"]

    with open(os.path.join(folder, "expected.json"), "w") as file:
        json.dump(expected, file)


OPTIMIZERS = {
    "adam": lambda p: torch.optim.Adam(p, lr=0.01),
    "adamw": lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1),
    "sgd": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
    "radam": lambda p: torch.optim.RAdam(p, lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
    "nadam": lambda p: torch.optim.NAdam(p, lr=0.01),
    "adamax": lambda p: torch.optim.Adamax(p, lr=0.01),
}
STEPS = 3


def steps(model, optimizer, x, y):
    """The next STEPS steps; the parameters after each, described."""
    after = []
    for _ in range(STEPS):
        optimizer.zero_grad(set_to_none=True)
        F.mse_loss(model(x), y).backward()
        optimizer.step()
        after.append(describe({key: p.detach().clone() for key, p in model.named_parameters()}))
    return after


def train(folder):
    result = {}
    for kind, make in OPTIMIZERS.items():
        torch.manual_seed(0)
        model = small_model()
        x, y = torch.randn(8, 3), torch.randn(8, 2)
        optimizer = make(model.parameters())
        steps(model, optimizer, x, y)
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "x": x, "y": y},
                   os.path.join(folder, f"{kind}.pt"))
        result[kind] = steps(model, optimizer, x, y)
    print(json.dumps(result))


def resume(path, kind):
    checkpoint = torch.load(path)
    model = small_model()
    model.load_state_dict(checkpoint["model"])
    optimizer = OPTIMIZERS[kind](model.parameters())
    optimizer.load_state_dict(checkpoint["optimizer"])
    print(json.dumps(steps(model, optimizer, checkpoint["x"], checkpoint["y"])))


def main():
    torch.set_num_threads(1)
    command, *args = sys.argv[1:]
    if command == "describe":
        value = torch.load(args[0], weights_only=len(args) > 1)
        print(json.dumps({"value": describe(value), **layout(args[0])}))
    elif command == "fixtures":
        fixtures(args[0])
    elif command == "train":
        train(args[0])
    elif command == "resume":
        resume(args[0], args[1])
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main()
