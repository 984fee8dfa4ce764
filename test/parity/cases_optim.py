"""Python twins of the cases in optim.parity.test.ts: the same training loop in torch.optim."""
import torch
import torch.nn.functional as F
from torch import nn

from reference import case

STEPS = 200
EVERY = 50


def layers(model):
    return list(model[0].parameters()), list(model[2].parameters())


def train(name, setup):
    def run(x, y):
        model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 2))
        optimizer, scheduler = setup(model)
        losses, rates, result = [], [], {}
        for step in range(1, STEPS + 1):
            optimizer.zero_grad(set_to_none=True)  # torchlora's default, as PyTorch's since 2.0
            loss = F.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            losses.append(loss.detach())
            rates.append([group["lr"] for group in optimizer.param_groups])
            if step % EVERY == 0:
                for key, parameter in model.named_parameters():
                    result[f"step{step}/{key}"] = parameter.detach().clone()
        return {**result, "loss": torch.stack(losses), "lr": torch.tensor(rates, dtype=torch.float64)}
    case(f"optim.{name}")(run)


def plain(make):
    return lambda model: (make(model.parameters()), None)


train("sgd", plain(lambda p: torch.optim.SGD(p, lr=0.05)))
train("sgd.momentum", plain(lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)))
train("sgd.dampening", plain(lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.3)))
train("sgd.nesterov", plain(lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True)))
train("sgd.weight_decay", plain(lambda p: torch.optim.SGD(p, lr=0.05, weight_decay=0.01)))
train("sgd.momentum_weight_decay", plain(lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.5, weight_decay=0.01)))


def sgd_param_groups(model):
    first, last = layers(model)
    return torch.optim.SGD([{"params": first, "lr": 0.1, "momentum": 0.9},
                            {"params": last, "nesterov": True, "momentum": 0.8}], lr=0.02), None


train("sgd.param_groups", sgd_param_groups)

train("adam", plain(lambda p: torch.optim.Adam(p, lr=0.01)))
train("adam.defaults", plain(lambda p: torch.optim.Adam(p)))
train("adam.betas_eps", plain(lambda p: torch.optim.Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-6)))
train("adam.weight_decay", plain(lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.05)))
train("adam.amsgrad", plain(lambda p: torch.optim.Adam(p, lr=0.01, amsgrad=True)))


def adam_param_groups(model):
    first, last = layers(model)
    return torch.optim.Adam([{"params": first, "lr": 0.02}, {"params": last, "amsgrad": True}], lr=0.005), None


train("adam.param_groups", adam_param_groups)
train("adamw", plain(lambda p: torch.optim.AdamW(p, lr=0.01)))
train("adamw.amsgrad", plain(lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1, amsgrad=True)))


def adamw_param_groups(model):
    first, last = layers(model)
    return torch.optim.AdamW([{"params": first}, {"params": last, "lr": 0.003, "weight_decay": 0}],
                             lr=0.01, weight_decay=0.2), None


train("adamw.param_groups", adamw_param_groups)

train("adam.maximize", plain(lambda p: torch.optim.Adam(p, lr=0.01, maximize=True, weight_decay=0.05)))
train("adamw.maximize", plain(lambda p: torch.optim.AdamW(p, lr=0.01, maximize=True)))
train("sgd.maximize", plain(lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, maximize=True)))

# torchlora's fused path (fused: true there) against PyTorch's default path here.
train("adam.fused", plain(lambda p: torch.optim.Adam(p, lr=0.01)))
train("adam.weight_decay.fused", plain(lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.05)))
train("adam.amsgrad.fused", plain(lambda p: torch.optim.Adam(p, lr=0.01, amsgrad=True)))
train("adam.maximize.fused", plain(lambda p: torch.optim.Adam(p, lr=0.01, maximize=True, weight_decay=0.05)))
train("adam.param_groups.fused", adam_param_groups)
train("adamw.fused", plain(lambda p: torch.optim.AdamW(p, lr=0.01)))
train("adamw.amsgrad.fused", plain(lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1, amsgrad=True)))
train("sgd.fused", plain(lambda p: torch.optim.SGD(p, lr=0.05)))
train("sgd.dampening.fused", plain(lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.3)))
train("sgd.nesterov.fused", plain(lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True)))
train("sgd.momentum_weight_decay.fused", plain(lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.5, weight_decay=0.01)))
train("sgd.maximize.fused", plain(lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, maximize=True)))


train("rmsprop", plain(lambda p: torch.optim.RMSprop(p, lr=0.005)))
train("rmsprop.defaults", plain(lambda p: torch.optim.RMSprop(p)))
train("rmsprop.momentum", plain(lambda p: torch.optim.RMSprop(p, lr=0.002, momentum=0.9)))
train("rmsprop.centered", plain(lambda p: torch.optim.RMSprop(p, lr=0.003, centered=True, alpha=0.9, eps=1e-6)))
train("rmsprop.centered_momentum_weight_decay",
      plain(lambda p: torch.optim.RMSprop(p, lr=0.002, centered=True, momentum=0.5, weight_decay=0.01)))


def rmsprop_param_groups(model):
    first, last = layers(model)
    return torch.optim.RMSprop([{"params": first, "momentum": 0.8}, {"params": last, "lr": 0.001, "centered": True}],
                               lr=0.004), None


train("rmsprop.param_groups", rmsprop_param_groups)

train("adagrad", plain(lambda p: torch.optim.Adagrad(p, lr=0.05)))
train("adagrad.defaults", plain(lambda p: torch.optim.Adagrad(p)))
train("adagrad.lr_decay", plain(lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.01)))
train("adagrad.initial_accumulator_weight_decay",
      plain(lambda p: torch.optim.Adagrad(p, lr=0.05, initial_accumulator_value=0.1, weight_decay=0.02, eps=1e-8)))


def adagrad_param_groups(model):
    first, last = layers(model)
    return torch.optim.Adagrad([{"params": first, "lr_decay": 0.001},
                                {"params": last, "lr": 0.02, "initial_accumulator_value": 0.5}], lr=0.08), None


def adagrad_add_param_group(model):
    first, last = layers(model)
    optimizer = torch.optim.Adagrad(first, lr=0.05)
    optimizer.add_param_group({"params": last, "initial_accumulator_value": 0.2})
    # A group added later has no state in PyTorch 1.13's Adagrad (step() raises KeyError), and
    # 2.x makes it at the first step from the optimizer's initial_accumulator_value; torchlora
    # makes it when the group is added, from the group's value, written out here.
    for p in last:
        optimizer.state[p] = {"step": torch.tensor(0.0), "sum": torch.full_like(p, 0.2, memory_format=torch.preserve_format)}
    return optimizer, None


train("adagrad.param_groups", adagrad_param_groups)
train("adagrad.add_param_group", adagrad_add_param_group)


def state(name, make):
    def run(x, y):
        model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 2))
        optimizer = make(model.parameters())
        for _ in range(20):
            optimizer.zero_grad(set_to_none=True)
            F.mse_loss(model(x), y).backward()
            optimizer.step()
        result = {}
        for index, entry in optimizer.state_dict()["state"].items():
            for key, value in entry.items():
                result[f"{index}/{key}"] = torch.tensor(float(value), dtype=torch.float64) if key == "step" else value.clone()
        return result
    case(f"optim.{name}.state_dict")(run)


state("rmsprop.centered_momentum", lambda p: torch.optim.RMSprop(p, lr=0.002, centered=True, momentum=0.5))
state("adagrad", lambda p: torch.optim.Adagrad(p, lr=0.05, initial_accumulator_value=0.1))


def sgd_step_lr(model):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return optimizer, torch.optim.lr_scheduler.StepLR(optimizer, 30, 0.5)


def adam_step_lr_param_groups(model):
    first, last = layers(model)
    optimizer = torch.optim.Adam([{"params": first, "lr": 0.03}, {"params": last}], lr=0.01)
    return optimizer, torch.optim.lr_scheduler.StepLR(optimizer, 50, 0.1)


train("sgd.step_lr", sgd_step_lr)
train("adam.step_lr.param_groups", adam_step_lr_param_groups)
