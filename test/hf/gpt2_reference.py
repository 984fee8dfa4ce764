# transformers' GPT-2 on tiny random checkpoints, for test/hf/gpt2.test.ts: makes each
# checkpoint with save_pretrained in OUT/<name>, and writes OUT/<name>/reference.safetensors with
# the inputs it used and transformers' outputs (logits plain, with a padding attention_mask, of
# packed sequences, with a key/value cache, greedy generation from a left-padded batch, the loss
# with labels and the gradients of a few parameters), and its state_dict's names as metadata; and
# OUT/activations.
# safetensors with transformers' activations (ACT2FN, which config.json names) of one input.
# OUT/eos is the base checkpoint with an eos_token_id that greedy decoding meets, and transformers'
# generate with its defaults (eos and pad from the files). Prints "ok"; then, with SAVED, waits for
# SAVED.done, loads SAVED (what hf_save wrote) with from_pretrained and prints its class and logits.
# Usage: python gpt2_reference.py OUT [SAVED] -- ACTIVATION...
import json
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file
from transformers import GPT2Config, GPT2ForSequenceClassification, GPT2LMHeadModel
from transformers.activations import ACT2FN

from wait_for_saved import wait_for_saved

torch.set_num_threads(1)
out = Path(sys.argv[1])
saved = sys.argv[2] if sys.argv[2] != "--" else None
activation_names = sys.argv[sys.argv.index("--") + 1:]

CHECKPOINTS = {
    # transformers' defaults but for the sizes.
    "base": dict(),
    # every field GPT-2 reads at a value other than its default.
    "variant": dict(activation_function="gelu", n_inner=48, scale_attn_by_inverse_layer_idx=True,
                    reorder_and_upcast_attn=True, tie_word_embeddings=False, layer_norm_epsilon=1e-6),
}
GRADIENTS = ["transformer.h.0.attn.c_attn.weight", "transformer.h.1.mlp.c_fc.bias", "transformer.wte.weight", "transformer.wpe.weight"]

for seed, (name, fields) in enumerate(CHECKPOINTS.items()):
    torch.manual_seed(seed)
    config = GPT2Config(n_layer=2, n_embd=32, n_head=4, vocab_size=97, n_positions=64, bos_token_id=0, eos_token_id=0, **fields)
    model = GPT2LMHeadModel(config).eval()
    model.save_pretrained(out / name)

    input_ids = torch.randint(1, 97, (2, 9))
    # left padding on the second row, as for batched generation
    attention_mask = torch.ones(2, 9, dtype=torch.int64)
    attention_mask[1, :3] = 0
    with torch.no_grad():
        logits = model(input_ids).logits
        masked = model(input_ids, attention_mask=attention_mask).logits
        # two sequences packed in each row: position ids that restart, no mask, no cache (a cache turns the detection off)
        packed = model(input_ids, position_ids=torch.tensor([[0, 1, 2, 3, 4, 0, 1, 2, 3]]), use_cache=False).logits
        first = model(input_ids[:, :6], use_cache=True)
        cached = model(input_ids[:, 6:], past_key_values=first.past_key_values, use_cache=True).logits
        generated = model.generate(input_ids, attention_mask=attention_mask, max_new_tokens=6, do_sample=False, pad_token_id=0, eos_token_id=None)
    output = model(input_ids, labels=input_ids)
    output.loss.backward()
    tensors = {
        "input_ids": input_ids, "attention_mask": attention_mask, "logits": logits, "masked_logits": masked,
        "cached_logits": cached, "packed_logits": packed, "generated": generated, "loss": output.loss.detach().reshape(1),
    }
    parameters = dict(model.named_parameters())
    for gradient in GRADIENTS:
        tensors[f"grad.{gradient}"] = parameters[gradient].grad
    metadata = {"state_dict_keys": json.dumps(list(model.state_dict().keys()))}
    save_file({key: value.contiguous() for key, value in tensors.items()}, str(out / name / "reference.safetensors"), metadata)
    if name == "base":
        # row 0's third new token as eos: generation meets it, then fills that row with pad (eos too)
        eos = int(generated[0, input_ids.shape[1] + 2])
        model.config.eos_token_id = model.generation_config.eos_token_id = eos
        model.save_pretrained(out / "eos")
        with torch.no_grad():
            stopped = model.generate(input_ids, attention_mask=attention_mask, max_new_tokens=6, do_sample=False)
        save_file({"generated": stopped, "eos_token_id": torch.tensor([eos])}, str(out / "eos" / "reference.safetensors"))
        base_ids = input_ids
# A sequence classifier: pad token 0, rows padded on the right, on the left, and not at all;
# single-label labels, then regression (one label) on the same body.
torch.manual_seed(5)
config = GPT2Config(n_layer=2, n_embd=32, n_head=4, vocab_size=97, n_positions=64, pad_token_id=0, num_labels=3)
classifier = GPT2ForSequenceClassification(config).eval()
classifier.save_pretrained(out / "classifier")
ids = torch.randint(1, 97, (3, 7))
ids[0, 5:] = 0
ids[1, :2] = 0
with torch.no_grad():
    labelled = classifier(ids, labels=torch.tensor([2, 0, 1]))
    # (the call above set config.problem_type, as transformers does on a first loss)
    fields = {k: v for k, v in config.to_dict().items() if k not in ("id2label", "label2id", "problem_type")}
    regression = GPT2ForSequenceClassification(GPT2Config(**fields, num_labels=1))
    regression.load_state_dict({**classifier.state_dict(), "score.weight": classifier.score.weight[:1]})
    regressed = regression.eval()(ids, labels=torch.tensor([0.5, -1.0, 2.0]))
save_file({"input_ids": ids, "logits": labelled.logits, "loss": labelled.loss.reshape(1), "regression_logits": regressed.logits,
           "regression_loss": regressed.loss.reshape(1)}, str(out / "classifier" / "reference.safetensors"))
x = torch.linspace(-12, 12, 241)
activations = {name: ACT2FN[name](x).clone() for name in activation_names}  # clone: "linear" returns x itself
save_file({"input": x, **{f"act.{name}": value.contiguous() for name, value in activations.items()}}, str(out / "activations.safetensors"))
print("ok", flush=True)

if saved is not None:
    wait_for_saved(saved)
    model = GPT2LMHeadModel.from_pretrained(saved).eval()
    with torch.no_grad():
        logits = model(base_ids).logits
    print(json.dumps({"class": type(model).__name__, "logits": logits.flatten().tolist()}), flush=True)
