# test/hf/bin.test.ts's fixtures: pytorch_model.bin checkpoints as transformers 4 wrote them
# (torch.save of the state dict; sharded with huggingface_hub's save_torch_state_dict, which
# transformers 5's save_pretrained no longer offers), beside the same model's safetensors; a
# hand-made state dict of odd views with its values as safetensors; and damaged or hostile files.
#   python bin_reference.py OUT
import copy
import os
import sys
import zipfile

import torch
from huggingface_hub import save_torch_state_dict
from safetensors.torch import save_file
from transformers import LlamaConfig, LlamaForCausalLM

SIZES = dict(vocab_size=96, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
             bos_token_id=None, eos_token_id=None)


def model_folders(out):
    torch.manual_seed(0)
    for tied in (True, False):
        fp32 = LlamaForCausalLM(LlamaConfig(**SIZES, tie_word_embeddings=tied)).eval()
        for dtype in ('float32', 'float16', 'bfloat16') if tied else ('float32',):
            model = copy.deepcopy(fp32).to(getattr(torch, dtype))
            name = f"{'tied' if tied else 'untied'}_{dtype}"
            model.save_pretrained(os.path.join(out, name, 'safetensors'))
            model.config.save_pretrained(os.path.join(out, name, 'bin'))
            # transformers 4's save_pretrained(safe_serialization=False): tied weights keep both names, one storage.
            torch.save(model.state_dict(), os.path.join(out, name, 'bin', 'pytorch_model.bin'))
            if dtype == 'float32':
                model.config.save_pretrained(os.path.join(out, name, 'sharded'))
                save_torch_state_dict(model.state_dict(), os.path.join(out, name, 'sharded'), safe_serialization=False, max_shard_size='8KB')


def large(out):
    # ~150 MB of float32 for the memory test: random values in a Llama's names and shapes (a
    # model made on the meta device, no initialisation).
    config = LlamaConfig(vocab_size=8000, hidden_size=1024, intermediate_size=2816, num_hidden_layers=2, num_attention_heads=16, num_key_value_heads=4,
                         bos_token_id=None, eos_token_id=None)
    with torch.device('meta'):
        shapes = {name: tensor.shape for name, tensor in LlamaForCausalLM(config).state_dict().items()}
    config.save_pretrained(os.path.join(out, 'large'))
    torch.save({name: torch.randn(shape) * 0.02 for name, shape in shapes.items()}, os.path.join(out, 'large', 'pytorch_model.bin'))


def hand_made(out):
    torch.manual_seed(1)
    base = torch.randn(4, 6)
    flat = torch.randn(20)
    state = {
        'whole': base,
        'transposed': base.t(),  # a strided view of the same storage
        'row': base[2],  # storage offset 12
        'every_other': base[:, 1::2],  # offset 1, strides (6, 2)
        'window': flat[5:11],  # contiguous at offset 5
        'ids': torch.arange(10, dtype=torch.int64) * 10 ** 12 - 7,
        'mask': torch.tensor([True, False, True, True]),
        'half': torch.randn(3, 5).half(),
        'brain': torch.randn(2, 3).bfloat16(),
        'scalar': torch.tensor(3.25),
        'empty': torch.zeros(0, 3),
        'param': torch.nn.Parameter(torch.randn(2, 2)),
        'big_rows': torch.randn(3, 400_000),  # 4.8 MB: converted in two chunks
    }
    torch.save(state, os.path.join(out, 'hand_made.pt'))
    save_file({name: value.detach().contiguous().clone() for name, value in state.items()}, os.path.join(out, 'hand_made.safetensors'))


class Hostile:
    def __reduce__(self):
        return (os.system, (f"touch {os.path.join(sys.argv[1], 'PWNED')}",))


def record_data_start(path, name):
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    with open(path, 'rb') as file:
        file.seek(info.header_offset + 26)
        lengths = file.read(4)
    return info.header_offset + 30 + int.from_bytes(lengths[:2], 'little') + int.from_bytes(lengths[2:], 'little')


def damaged(out):
    torch.save({'weight': torch.ones(2), 'evil': Hostile()}, os.path.join(out, 'hostile.pt'))
    torch.save({'weight': torch.ones(2)}, os.path.join(out, 'legacy.pt'), _use_new_zipfile_serialization=False)
    torch.save({'weight': torch.ones(2), 'step': 3}, os.path.join(out, 'not_tensor.pt'))
    good = open(os.path.join(out, 'hand_made.pt'), 'rb').read()
    open(os.path.join(out, 'truncated.pt'), 'wb').write(good[:len(good) // 2])
    # A flipped byte in the storages of 'half' and 'big_rows' (read whole), or of 'window' (a
    # view, the byte outside it).
    for keys, name in ((('4', '9'), 'bad_crc_whole.pt'), (('1',), 'bad_crc_view.pt')):
        corrupt = bytearray(good)
        for key in keys:
            corrupt[record_data_start(os.path.join(out, 'hand_made.pt'), f'hand_made/data/{key}') + 3] ^= 0x40
        open(os.path.join(out, name), 'wb').write(corrupt)
    # A storage whose record is missing: its name changed in the local header and the directory.
    open(os.path.join(out, 'missing_record.pt'), 'wb').write(good.replace(b'hand_made/data/2', b'hand_made/data/X'))


if __name__ == '__main__':
    out = sys.argv[1]
    model_folders(out)
    large(out)
    hand_made(out)
    damaged(out)
    print('ready')
