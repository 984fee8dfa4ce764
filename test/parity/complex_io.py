"""The Python side of test/complex.test.ts: torch.save / torch.load and safetensors files of
complex tensors, values printed as JSON lists of [re, im] pairs.

  complex_io.py load PATH       torch.load(PATH): {name: {dtype, values}}
  complex_io.py load_st PATH    safetensors.torch.load_file(PATH), the same
  complex_io.py save DIR        DIR/python.pt (torch.save) and DIR/python.safetensors
"""
import json
import sys

import torch
from safetensors.torch import load_file, save_file


def describe(tensors):
    return {name: {"dtype": str(t.dtype).replace("torch.", ""),
                   "values": (torch.view_as_real(t.resolve_conj()) if t.is_complex() else t).tolist()}
            for name, t in tensors.items()}


def made():
    z = torch.complex(torch.tensor([1.5, -2.0, 0.25]), torch.tensor([0.5, 3.0, -1.0]))
    return {"z": z, "zd": torch.complex(torch.tensor([[1.0, 2.0]], dtype=torch.float64), torch.tensor([[-3.0, 4.0]], dtype=torch.float64))}


if __name__ == "__main__":
    command, path = sys.argv[1], sys.argv[2]
    if command == "load":
        print(json.dumps(describe(torch.load(path, weights_only=True))))
    elif command == "load_st":
        print(json.dumps(describe(load_file(path))))
    elif command == "save":
        torch.save(made(), f"{path}/python.pt")
        save_file({"z": made()["z"]}, f"{path}/python.safetensors")
