"""Python twins of the cases in weight_norm.parity.test.ts, with torch.nn.utils.weight_norm."""
import warnings

import torch
from torch import nn

from cases_nn import forward_backward
from reference import case

warnings.filterwarnings("ignore", message=".*weight_norm.*deprecated", category=FutureWarning)


def normed(name, make):
    def run(a, b):
        module = make()
        with torch.no_grad():
            module.weight_v.mul_(1.5)
        first = module(a)
        outputs = forward_backward(module, {"first": first, "second": module(b)})
        nn.utils.remove_weight_norm(module)
        return {**outputs, "removed": module.weight.detach()}
    case(f"weight_norm.{name}")(run)


normed("linear", lambda: nn.utils.weight_norm(nn.Linear(4, 3)))
normed("linear.dim1", lambda: nn.utils.weight_norm(nn.Linear(4, 3), dim=1))
normed("linear.whole", lambda: nn.utils.weight_norm(nn.Linear(4, 3, bias=False), dim=None))
normed("conv1d", lambda: nn.utils.weight_norm(nn.Conv1d(2, 3, 2)))
