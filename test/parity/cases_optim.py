"""Python twins of the cases in optim.parity.test.ts: the same training loop in torch.optim."""
import torch
import torch.nn.functional as F
from torch import nn

from reference import case

STEPS = 200
EVERY = 50


def layers(model):
    return list(model[0].parameters()), list(model[2].parameters())


# torch.optim's fused=True on the CPU needs aten's fused CPU kernels, which PyTorch has from
# 2.4; before, torchlora's `fused: true` is compared with the default path (see the .ts).
FUSED = dict(fused=True) if tuple(int(part) for part in torch.__version__.split("+")[0].split(".")[:2]) >= (2, 4) else {}


def train(name, setup, dtype=torch.float32):
    def run(x, y):
        x, y = x.to(dtype), y.to(dtype)
        model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 2)).to(dtype)
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
train("rmsprop.maximize",
      plain(lambda p: torch.optim.RMSprop(p, lr=0.002, centered=True, momentum=0.5, weight_decay=0.01, maximize=True)))
train("adagrad.maximize", plain(lambda p: torch.optim.Adagrad(p, lr=0.05, lr_decay=0.01, weight_decay=0.02, maximize=True)))

train("adam.fused", plain(lambda p: torch.optim.Adam(p, lr=0.01, **FUSED)))
train("adam.weight_decay.fused", plain(lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.05, **FUSED)))
train("adam.amsgrad.fused", plain(lambda p: torch.optim.Adam(p, lr=0.01, amsgrad=True, **FUSED)))
train("adam.maximize.fused", plain(lambda p: torch.optim.Adam(p, lr=0.01, maximize=True, weight_decay=0.05, **FUSED)))


def adam_param_groups_fused(model):
    first, last = layers(model)
    return torch.optim.Adam([{"params": first, "lr": 0.02, **FUSED}, {"params": last, "amsgrad": True}], lr=0.005), None


train("adam.param_groups.fused", adam_param_groups_fused)
train("adamw.fused", plain(lambda p: torch.optim.AdamW(p, lr=0.01, **FUSED)))
train("adamw.amsgrad.fused", plain(lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1, amsgrad=True, **FUSED)))
train("sgd.fused", plain(lambda p: torch.optim.SGD(p, lr=0.05, **FUSED)))
train("sgd.dampening.fused", plain(lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.3, **FUSED)))
train("sgd.nesterov.fused", plain(lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, **FUSED)))
train("sgd.momentum_weight_decay.fused", plain(lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.5, weight_decay=0.01, **FUSED)))
train("sgd.maximize.fused", plain(lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, maximize=True, **FUSED)))
train("adamw.amsgrad.fused.float64", plain(lambda p: torch.optim.AdamW(p, lr=0.01, amsgrad=True, **FUSED)), torch.float64)
train("adagrad.fused", plain(lambda p: torch.optim.Adagrad(p, lr=0.05, **FUSED)))
train("adagrad.lr_decay_weight_decay.fused",
      plain(lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.01, weight_decay=0.02, initial_accumulator_value=0.1, **FUSED)))
train("adagrad.maximize.fused", plain(lambda p: torch.optim.Adagrad(p, lr=0.05, weight_decay=0.02, maximize=True, **FUSED)))
train("adagrad.fused.float64", plain(lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.01, **FUSED)), torch.float64)
train("sgd.nesterov.fused.float64", plain(lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, **FUSED)), torch.float64)

train("adam.foreach", plain(lambda p: torch.optim.Adam(p, lr=0.01, foreach=True)))
train("adam.weight_decay_amsgrad.foreach", plain(lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.05, amsgrad=True, foreach=True)))
train("adam.maximize.foreach", plain(lambda p: torch.optim.Adam(p, lr=0.01, maximize=True, weight_decay=0.05, foreach=True)))
train("adamw.amsgrad_maximize.foreach",
      plain(lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True, foreach=True)))
train("sgd.foreach", plain(lambda p: torch.optim.SGD(p, lr=0.05, foreach=True)))
train("sgd.dampening_maximize.foreach",
      plain(lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, dampening=0.3, maximize=True, foreach=True)))
train("sgd.nesterov_weight_decay.foreach",
      plain(lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01, foreach=True)))
train("rmsprop.foreach", plain(lambda p: torch.optim.RMSprop(p, lr=0.005, foreach=True)))
train("rmsprop.centered_momentum_weight_decay.foreach",
      plain(lambda p: torch.optim.RMSprop(p, lr=0.002, centered=True, momentum=0.5, weight_decay=0.01, foreach=True)))
train("adagrad.foreach", plain(lambda p: torch.optim.Adagrad(p, lr=0.05, foreach=True)))
train("adagrad.lr_decay_weight_decay.foreach",
      plain(lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.01, weight_decay=0.02, initial_accumulator_value=0.1, foreach=True)))
train("rmsprop.maximize.foreach",
      plain(lambda p: torch.optim.RMSprop(p, lr=0.002, centered=True, momentum=0.5, weight_decay=0.01, maximize=True, foreach=True)))
train("adagrad.maximize.foreach",
      plain(lambda p: torch.optim.Adagrad(p, lr=0.05, lr_decay=0.01, weight_decay=0.02, maximize=True, foreach=True)))
train("adam.amsgrad.foreach.float64", plain(lambda p: torch.optim.Adam(p, lr=0.01, amsgrad=True, foreach=True)), torch.float64)


def adam_paths_param_groups(model):
    first, last = layers(model)
    return torch.optim.Adam([{"params": first, "lr": 0.02, "foreach": True}, {"params": last, "amsgrad": True, **FUSED}],
                            lr=0.005), None


def sgd_paths_param_groups(model):
    first, last = layers(model)
    return torch.optim.SGD([{"params": first, "momentum": 0.9, "foreach": True},
                            {"params": last, "momentum": 0.8, "nesterov": True}], lr=0.02), None


train("adam.paths.param_groups", adam_paths_param_groups)
train("sgd.paths.param_groups", sgd_paths_param_groups)


def strided(name, make):
    def run():
        weight = torch.randn(29, 37).t().detach().requires_grad_()
        target = torch.randn(37, 29)
        optimizer = make([weight])
        for _ in range(50):
            optimizer.zero_grad(set_to_none=True)
            (weight * 1.5 - target).pow(2).mean().backward()
            optimizer.step()
        return {"weight": weight.detach().contiguous()}
    case(f"optim.{name}.strided")(run)


strided("adam", lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.05))
strided("adam.fused", lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.05, **FUSED))
strided("adamw.foreach", lambda p: torch.optim.AdamW(p, lr=0.01, amsgrad=True, foreach=True))
strided("sgd.fused", lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, **FUSED))


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
state("adam.amsgrad.foreach", lambda p: torch.optim.Adam(p, lr=0.01, amsgrad=True, foreach=True))
state("sgd.momentum.foreach", lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, foreach=True))
state("adamw.amsgrad.fused", lambda p: torch.optim.AdamW(p, lr=0.01, amsgrad=True, **FUSED))


def sgd_step_lr(model):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return optimizer, torch.optim.lr_scheduler.StepLR(optimizer, 30, 0.5)


def adam_step_lr_param_groups(model):
    first, last = layers(model)
    optimizer = torch.optim.Adam([{"params": first, "lr": 0.03}, {"params": last}], lr=0.01)
    return optimizer, torch.optim.lr_scheduler.StepLR(optimizer, 50, 0.1)


train("sgd.step_lr", sgd_step_lr)
train("adam.step_lr.param_groups", adam_step_lr_param_groups)


def mixed(name, make):
    def run():
        single = torch.randn(5, 3).requires_grad_()
        double = torch.randn(4, dtype=torch.float64).requires_grad_()
        single_target, double_target = torch.randn(5, 3), torch.randn(4, dtype=torch.float64)
        optimizer = make([single, double])
        for _ in range(30):
            optimizer.zero_grad(set_to_none=True)
            ((single * 1.5 - single_target).pow(2).mean() + (double * 1.5 - double_target).pow(2).mean()).backward()
            optimizer.step()
        return {"single": single.detach(), "double": double.detach()}
    case(f"optim.{name}.mixed_dtypes")(run)


def sparse(name, make):
    def run():
        weight = torch.randn(10, 3).requires_grad_()
        index = torch.tensor([[1, 2, 4], [4, 3, 9]])
        optimizer = make([weight])
        for _ in range(20):
            optimizer.zero_grad(set_to_none=True)
            F.embedding(index, weight, sparse=True).pow(2).sum().backward()
            optimizer.step()
        return {"weight": weight.detach()}
    case(f"optim.{name}.sparse")(run)


mixed("adam.foreach", lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.05, foreach=True))
mixed("adamw.fused", lambda p: torch.optim.AdamW(p, lr=0.01, amsgrad=True, **FUSED))
mixed("sgd.foreach", lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, foreach=True))
mixed("sgd.fused", lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, **FUSED))
mixed("rmsprop.foreach", lambda p: torch.optim.RMSprop(p, lr=0.01, centered=True, foreach=True))
mixed("adagrad.foreach", lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.01, foreach=True))
sparse("sgd", lambda p: torch.optim.SGD(p, lr=0.1))
sparse("sgd.foreach", lambda p: torch.optim.SGD(p, lr=0.1, foreach=True))
sparse("adagrad", lambda p: torch.optim.Adagrad(p, lr=0.1))
sparse("adagrad.foreach", lambda p: torch.optim.Adagrad(p, lr=0.1, foreach=True))
