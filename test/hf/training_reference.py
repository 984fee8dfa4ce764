# Reference values for test/hf/training.test.ts from transformers itself: its warm-up schedules,
# its causal-LM loss (on logits and labels written here, read by the test) and its Trainer's
# weight-decay parameter names on a module laid out as the test's.
import json
import sys

import torch
from safetensors.torch import save_file
from transformers import Trainer
from transformers.loss.loss_utils import ForCausalLMLoss
from transformers.optimization import (
    get_cosine_schedule_with_warmup, get_cosine_with_min_lr_schedule_with_warmup, get_linear_schedule_with_warmup,
)

out = sys.argv[1]
result = {}

# Schedules: two groups, rates recorded after each optimizer step, past the end.
def rates(make, steps):
    params = [torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))]
    opt = torch.optim.AdamW([{"params": [params[0]], "lr": 1e-3}, {"params": [params[1]], "lr": 3e-4}])
    scheduler = make(opt)
    seen = [scheduler.get_last_lr()]
    for _ in range(steps):
        opt.step()
        scheduler.step()
        seen.append(scheduler.get_last_lr())
    return seen

result["linear"] = rates(lambda o: get_linear_schedule_with_warmup(o, 3, 10), 13)
result["cosine"] = rates(lambda o: get_cosine_schedule_with_warmup(o, 4, 17), 20)
result["cosine_cycles"] = rates(lambda o: get_cosine_schedule_with_warmup(o, 0, 12, num_cycles=1.5), 14)
result["cosine_min_lr"] = rates(lambda o: get_cosine_with_min_lr_schedule_with_warmup(o, 2, 9, min_lr_rate=0.1), 11)

# The loss: padding and a prompt masked out, float32 and bfloat16 logits, per-batch mean and
# an accumulated batch's token count; with the gradient of each with respect to the logits.
torch.manual_seed(0)
logits = torch.randn(3, 7, 11)
labels = torch.randint(0, 11, (3, 7))
labels[0, 5:] = -100
labels[1, :2] = -100
labels[2, 3] = -100
tensors = {"logits": logits, "labels": labels}
for name, dtype, items in [("mean", torch.float32, None), ("sum", torch.float32, 40), ("bf16", torch.bfloat16, None)]:
    x = logits.detach().to(dtype).clone().requires_grad_()
    loss = ForCausalLMLoss(x, labels, vocab_size=11, num_items_in_batch=items)
    loss.backward()
    tensors[f"loss_{name}"] = loss.detach()
    tensors[f"grad_{name}"] = x.grad.float()
save_file({k: v.contiguous() for k, v in tensors.items()}, f"{out}/loss.safetensors")

# Weight decay names on the module the test builds the same way.
class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.q_proj = torch.nn.Linear(4, 4)
        self.input_layernorm = torch.nn.LayerNorm(4)
        self.q_norm = torch.nn.Parameter(torch.ones(4))
        self.mixer = torch.nn.Linear(4, 4, bias=False)

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed_tokens = torch.nn.Embedding(5, 4)
        self.layers = torch.nn.ModuleList([Block(), Block()])
        self.ln = torch.nn.LayerNorm(4)
        self.norm = torch.nn.Linear(4, 4)
        self.scale = torch.nn.Parameter(torch.ones(1))
        self.lm_head = torch.nn.Linear(4, 5)

result["decay"] = Trainer.get_decay_parameter_names(None, Net())
result["all"] = [name for name, _ in Net().named_parameters()]
json.dump(result, open(f"{out}/reference.json", "w"))
