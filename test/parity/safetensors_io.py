"""A pure-Python safetensors reader and writer over torch, written from the format's
description (Debian has no python3-safetensors). It is the Python side of the interop tests
and of the parity harness, so it shares no code with src/io/safetensors.ts.

Format: 8-byte little-endian u64 N, N bytes of JSON header (padded with spaces to 8 bytes),
then the tensors' raw little-endian row-major bytes at data_offsets relative to that point.

As a script:
  safetensors_io.py write-fixture PATH   writes the interop fixture, prints its values as JSON
  safetensors_io.py check-fixture PATH   reads PATH, compares it with the fixture, prints JSON
"""
import json
import struct
import sys

import torch

DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}
NAMES = {dtype: name for name, dtype in DTYPES.items()}
assert sys.byteorder == "little", "tensor bytes are taken from memory as they are"


def tensor_bytes(tensor):
    tensor = tensor.detach().cpu().contiguous()
    if tensor.dtype in (torch.float16, torch.bfloat16):
        tensor = tensor.view(torch.int16)  # numpy has no bfloat16; the bits are what count
    return tensor.numpy().tobytes()


def save(tensors, path, metadata=None):
    """Writes tensors sorted by name (any order is valid; this one is easy to check)."""
    header, chunks, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = dict(metadata)
    for name in sorted(tensors):
        data = tensor_bytes(tensors[name])
        header[name] = {"dtype": NAMES[tensors[name].dtype], "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as file:
        file.write(struct.pack("<Q", len(text)))
        file.write(text)
        for chunk in chunks:
            file.write(chunk)


def load(path):
    """Returns (tensors, metadata); raises ValueError on anything malformed."""
    with open(path, "rb") as file:
        raw = file.read()
    if len(raw) < 8:
        raise ValueError("shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError("header length beyond the end of the file")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", {})
    tensors, end_of_data = {}, 0
    for name, info in sorted(header.items(), key=lambda item: item[1]["data_offsets"]):
        begin, end = info["data_offsets"]
        if begin != end_of_data:
            raise ValueError(f"{name}: gap or overlap at {begin}")
        end_of_data = end
        dtype, shape = DTYPES[info["dtype"]], info["shape"]
        count = 1
        for size in shape:
            count *= size
        if end - begin != count * torch.empty((), dtype=dtype).element_size():
            raise ValueError(f"{name}: offsets do not fit dtype and shape")
        if count == 0:
            tensors[name] = torch.empty(shape, dtype=dtype)
        else:
            tensors[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=dtype).reshape(shape)
    if end_of_data != len(data):
        raise ValueError("data after the last tensor")
    return tensors, metadata


# The interop fixture: every dtype, with values chosen to be exact in their type (and edge
# cases: float16's largest finite value, its smallest subnormal, -0, int64 beyond 2^53).
def fixture():
    return {
        "f64": torch.tensor([[1.0 / 3.0, -2.5], [1e300, -0.0]], dtype=torch.float64),
        "f32": torch.tensor([1.5, -2.25, 3.4028234663852886e38, 1.401298464324817e-45], dtype=torch.float32),
        "f16": torch.tensor([65504.0, -0.0, 5.960464477539063e-08, 0.333251953125], dtype=torch.float16),
        "bf16": torch.tensor([[1.0, -3.0], [3.3895313892515355e38, 0.0078125]], dtype=torch.bfloat16),
        "i64": torch.tensor([2 ** 62 + 1, -(2 ** 63), 7], dtype=torch.int64),
        "i32": torch.tensor([[2 ** 31 - 1], [-(2 ** 31)]], dtype=torch.int32),
        "i16": torch.tensor([-32768, 32767, 1], dtype=torch.int16),
        "i8": torch.tensor([-128, 127], dtype=torch.int8),
        "u8": torch.tensor([0, 255, 17], dtype=torch.uint8),
        "bool": torch.tensor([[True, False, True]]),
        "scalar": torch.tensor(2.75, dtype=torch.float32),
        "empty": torch.zeros((0, 3), dtype=torch.float32),
        "layers.0.weight": torch.arange(6, dtype=torch.float32).reshape(2, 3).t(),  # non-contiguous
    }
FIXTURE_METADATA = {"format": "pt", "note": "written by test/parity/safetensors_io.py"}


def describe(tensors):
    """Values as JSON, flattened: floats exactly (as doubles), int64 as decimal strings."""
    def values(tensor):
        flat = tensor.flatten()
        if tensor.dtype == torch.int64:
            return [str(v) for v in flat.tolist()]
        return flat.double().tolist() if tensor.is_floating_point() else flat.tolist()
    return {name: {"dtype": NAMES[t.dtype], "shape": list(t.shape), "values": values(t)} for name, t in tensors.items()}


def main(argv):
    command, path = argv[1], argv[2]
    if command == "write-fixture":
        save(fixture(), path, FIXTURE_METADATA)
        print(json.dumps(describe(fixture())))
    elif command == "check-fixture":
        tensors, metadata = load(path)
        expected = fixture()
        report = {"metadata": metadata, "keys": sorted(tensors), "mismatched": []}
        for name, tensor in expected.items():
            got = tensors.get(name)
            if got is None or got.dtype != tensor.dtype or got.shape != tensor.shape or not torch.equal(got, tensor) \
                    or tensor_bytes(got) != tensor_bytes(tensor):  # bits, so -0.0 and 0.0 differ
                report["mismatched"].append(name)
        print(json.dumps(report))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv)
