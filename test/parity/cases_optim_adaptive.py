"""Python twins of the cases in optim_adaptive.parity.test.ts: RAdam, NAdam and Adamax on torch.optim's default CPU path."""
import torch
import torch.nn.functional as F
from torch import nn

from reference import case

STEPS = 25


def layers(model):
    return list(model[0].parameters()), list(model[2].parameters())


def train(name, setup, dtype=torch.float32):
    def run(x, y):
        x, y = x.to(dtype), y.to(dtype)
        model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 2)).to(dtype)
        optimizer = setup(model)
        losses, params = [], []
        for _ in range(STEPS):
            optimizer.zero_grad(set_to_none=True)
            loss = F.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.detach())
            params.append(torch.cat([p.detach().reshape(-1) for p in model.parameters()]))
        result = {"loss": torch.stack(losses), "params": torch.stack(params)}
        for index, entry in optimizer.state_dict()["state"].items():
            for key, value in entry.items():
                result[f"state/{index}/{key}"] = value.to(torch.float64) if key == "step" else value.clone()
        return result
    case(f"optim.{name}")(run)


def plain(make):
    return lambda model: make(model.parameters())


train("radam", plain(lambda p: torch.optim.RAdam(p, lr=0.01)))
train("radam.defaults", plain(lambda p: torch.optim.RAdam(p)))
train("radam.weight_decay_maximize", plain(lambda p: torch.optim.RAdam(p, lr=0.01, betas=(0.8, 0.9), weight_decay=0.05, maximize=True)))
train("radam.decoupled_weight_decay", plain(lambda p: torch.optim.RAdam(p, lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, eps=1e-6)))
train("radam.float64", plain(lambda p: torch.optim.RAdam(p, lr=0.01, betas=(0.9, 0.9))), torch.float64)
train("nadam", plain(lambda p: torch.optim.NAdam(p, lr=0.01)))
train("nadam.defaults", plain(lambda p: torch.optim.NAdam(p)))
train("nadam.weight_decay_maximize", plain(lambda p: torch.optim.NAdam(p, lr=0.01, weight_decay=0.05, momentum_decay=0.01, maximize=True)))
train("nadam.decoupled_weight_decay", plain(lambda p: torch.optim.NAdam(p, lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, betas=(0.8, 0.99))))
train("nadam.float64", plain(lambda p: torch.optim.NAdam(p, lr=0.01)), torch.float64)
train("adamax", plain(lambda p: torch.optim.Adamax(p, lr=0.01)))
train("adamax.defaults", plain(lambda p: torch.optim.Adamax(p)))
train("adamax.weight_decay_maximize", plain(lambda p: torch.optim.Adamax(p, lr=0.02, weight_decay=0.05, maximize=True, eps=1e-3)))
train("nadam.positional", plain(lambda p: torch.optim.NAdam(p, 0.01, (0.8, 0.99), 1e-6, 0.1, 0.01, True)))
train("radam.positional", plain(lambda p: torch.optim.RAdam(p, 0.01, (0.8, 0.9), 1e-7, 0.05, maximize=True)))


def adamax_param_groups(model):
    first, last = layers(model)
    return torch.optim.Adamax([{"params": first, "lr": 0.03}, {"params": last, "betas": (0.5, 0.9)}], lr=0.01)


def radam_param_groups(model):
    first, last = layers(model)
    return torch.optim.RAdam([{"params": first, "lr": 0.03, "weight_decay": 0.01},
                              {"params": last, "decoupled_weight_decay": True, "weight_decay": 0.2}], lr=0.01)


train("adamax.param_groups", adamax_param_groups)
train("radam.param_groups", radam_param_groups)
