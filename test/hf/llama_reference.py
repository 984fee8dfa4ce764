# Makes the Llama-family checkpoints test/hf/llama.test.ts loads (tiny, random, made here by
# transformers, never downloaded) and what transformers computes on them: logits for the same
# input ids (plain and left-padded with an attention mask) and greedy `generate` tokens.
#   python llama_reference.py OUT [SAVED]   writes OUT/<case>/ (a model folder per case), OUT/reference.json
#       and OUT/reference.safetensors (the logits), prints "ready"; with SAVED it then waits (one
#       process: importing transformers is most of the time) until SAVED.done exists, loads the
#       folder SAVED that hf_save wrote with transformers and prints its class and logits as JSON.
import copy
import json
import os
import sys

import torch
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM, Qwen2Config, Qwen2ForCausalLM

from wait_for_saved import wait_for_saved

torch.manual_seed(0)
SIZES = dict(vocab_size=96, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
             initializer_range=0.3, bos_token_id=None, eos_token_id=None, pad_token_id=None)


def llama(**extra):
    return LlamaForCausalLM(LlamaConfig(**{**SIZES, 'max_position_embeddings': 64, **extra}))


CASES = {
    'llama_gqa': lambda: llama(),
    'llama_tied_bias': lambda: llama(tie_word_embeddings=True, attention_bias=True, mlp_bias=True, head_dim=12, num_key_value_heads=1),
    'mistral_window': lambda: MistralForCausalLM(MistralConfig(**{**SIZES, 'sliding_window': 5, 'max_position_embeddings': 64})),
    'qwen2_bias_window': lambda: Qwen2ForCausalLM(Qwen2Config(**{**SIZES, 'use_sliding_window': True, 'sliding_window': 4, 'max_window_layers': 1, 'tie_word_embeddings': True})),
    'rope_linear': lambda: llama(rope_parameters={'rope_type': 'linear', 'factor': 2.0, 'rope_theta': 500.0}),
    'rope_dynamic': lambda: llama(max_position_embeddings=8, rope_parameters={'rope_type': 'dynamic', 'factor': 3.0, 'rope_theta': 10000.0}),
    'rope_yarn': lambda: llama(rope_parameters={'rope_type': 'yarn', 'factor': 4.0, 'original_max_position_embeddings': 16, 'rope_theta': 10000.0}),
    'rope_llama3': lambda: llama(rope_parameters={'rope_type': 'llama3', 'factor': 8.0, 'low_freq_factor': 1.0, 'high_freq_factor': 4.0,
                                                  'original_max_position_embeddings': 16, 'rope_theta': 500000.0}),
    'rope_longrope': lambda: llama(max_position_embeddings=32, rope_parameters={
        'rope_type': 'longrope', 'short_factor': [1.0, 1.1, 1.3, 1.7], 'long_factor': [1.5, 2.0, 3.0, 4.0], 'original_max_position_embeddings': 8, 'rope_theta': 10000.0}),
}
# How each case is saved: safetensors (one file), sharded safetensors, a torch.save'd .bin, fp16, bf16.
SAVES = {'llama_gqa': ['safetensors', 'sharded', 'bin', 'float16', 'bfloat16'], 'llama_tied_bias': ['safetensors', 'bin']}


def save(model, folder, how):
    os.makedirs(folder, exist_ok=True)
    if how == 'bin':
        model.config.save_pretrained(folder)
        torch.save(model.state_dict(), os.path.join(folder, 'pytorch_model.bin'))  # tied weights: both names, one storage
    elif how == 'sharded':
        model.save_pretrained(folder, max_shard_size='20KB')
    elif how in ('float16', 'bfloat16'):
        copy.deepcopy(model).to(getattr(torch, how)).save_pretrained(folder)
    else:
        model.save_pretrained(folder)


def generate(model, ids, mask=None, eos=None, pad=None):
    with torch.no_grad():
        out = model.generate(ids, attention_mask=mask, max_new_tokens=8, do_sample=False, eos_token_id=eos, pad_token_id=pad)
    return out[:, ids.shape[1]:].tolist()


def main(out):
    ids = torch.randint(3, SIZES['vocab_size'], (2, 12))
    padded = ids.clone()
    mask = torch.ones_like(ids)
    padded[0, :4] = 0
    mask[0, :4] = 0
    reference = {'input_ids': ids.tolist(), 'padded_ids': padded.tolist(), 'padded_mask': mask.tolist(), 'cases': {}}
    tensors = {}
    for name, make in CASES.items():
        model = make().eval()
        for how in SAVES.get(name, ['safetensors']):
            save(model, os.path.join(out, f'{name}.{how}'), how)
        with torch.no_grad():
            tensors[f'{name}.logits'] = model(ids).logits.contiguous()
            tensors[f'{name}.padded'] = model(padded, attention_mask=mask).logits.contiguous()
            if name in ('llama_gqa', 'mistral_window'):  # two sequences packed in each row: position_ids restart, no mask, no cache
                packed = torch.tensor([list(range(5)) + list(range(7))]).expand(2, -1)
                tensors[f'{name}.packed'] = model(ids, position_ids=packed, use_cache=False).logits.contiguous()
            if name == 'llama_gqa':  # what the fp16 and bf16 files hold, read in float32, and bf16 computed in bf16
                float16 = AutoModelForCausalLM.from_pretrained(os.path.join(out, f'{name}.float16'), dtype=torch.float32).eval()
                tensors[f'{name}.float16_files'] = float16(ids).logits.contiguous()
                bf16 = AutoModelForCausalLM.from_pretrained(os.path.join(out, f'{name}.bfloat16'), dtype=torch.bfloat16).eval()
                tensors[f'{name}.bfloat16_model'] = bf16(ids).logits.float().contiguous()
        greedy = generate(model, ids[:1])
        eos = greedy[0][3]
        reference['cases'][name] = {
            'greedy': greedy, 'padded': generate(model, padded, mask), 'eos_token_id': eos,
            'eos': generate(model, ids, eos=eos, pad=0),
        }
        if name == 'llama_gqa':  # torch's generator draws the same numbers in both processes
            torch.manual_seed(7)
            with torch.no_grad():
                sampled = model.generate(ids, max_new_tokens=8, do_sample=True, temperature=0.8, top_k=20, top_p=0.9)
            reference['cases'][name]['sampled'] = sampled[:, ids.shape[1]:].tolist()
            model.train()  # one training step's loss and gradients (labels = ids, transformers' shifted mean)
            loss = model(padded, attention_mask=mask, labels=torch.where(mask.bool(), padded, -100)).loss
            loss.backward()
            tensors[f'{name}.loss'] = loss.detach().reshape(1)
            for key, parameter in model.named_parameters():
                tensors[f'{name}.grad.{key}'] = parameter.grad.contiguous()
    save_file(tensors, os.path.join(out, 'reference.safetensors'))
    with open(os.path.join(out, 'reference.json'), 'w') as f:
        json.dump(reference, f)
    return reference['input_ids']


def check(folder, ids):
    wait_for_saved(folder)
    model = AutoModelForCausalLM.from_pretrained(folder).eval()
    with torch.no_grad():
        logits = model(torch.tensor(ids)).logits
    print(json.dumps({'class': type(model).__name__, 'logits': logits.flatten().tolist()}), flush=True)


if __name__ == '__main__':
    ids = main(sys.argv[1])
    print('ready', flush=True)
    if len(sys.argv) > 2:
        check(sys.argv[2], ids)
