"""Python twins of the cases in schedulers.parity.test.ts: torch.optim.lr_scheduler over 50 epochs."""
import math

import torch
from torch.optim import lr_scheduler as S

from reference import case

EPOCHS = 50
LOSSES = [1 - i * 0.05 if i < 10 else 0.55 if i < 20 else 0.55 + (i - 20) * 0.01 if i < 30 else 0.5 - ((i * 7) % 5) * 0.001
          for i in range(EPOCHS)]


def sgd(momentum=0):
    return torch.optim.SGD([{"params": [torch.ones(2, requires_grad=True)]},
                            {"params": [torch.ones(1, requires_grad=True)], "lr": 0.5}], lr=0.1, momentum=momentum)


def adam():
    return torch.optim.Adam([torch.ones(2, requires_grad=True)], lr=0.01)


def schedule(name, make, momentum=None, optimizer=sgd):
    def run():
        opt = optimizer()
        step = make(opt)
        lrs, momenta = [], []

        def record():
            lrs.append([g["lr"] for g in opt.param_groups])
            if momentum == "momentum":
                momenta.append([g["momentum"] for g in opt.param_groups])
            if momentum == "beta1":
                momenta.append([g["betas"][0] for g in opt.param_groups])
        record()
        for epoch in range(EPOCHS):
            step(epoch)
            record()
        out = {"lr": torch.tensor(lrs, dtype=torch.float64)}
        if momentum is not None:
            out["momentum"] = torch.tensor(momenta, dtype=torch.float64)
        return out
    case(f"scheduler.{name}")(run)


def epochs(make):
    def build(opt):
        scheduler = make(opt)
        return lambda epoch: scheduler.step()
    return build


schedule("step", epochs(lambda o: S.StepLR(o, 7, 0.3)))
schedule("lambda", epochs(lambda o: S.LambdaLR(o, lambda epoch: 1 / (1 + 0.37 * epoch))))
schedule("lambda.per_group", epochs(lambda o: S.LambdaLR(o, [lambda epoch: 1 / (1 + epoch * epoch * 0.01), lambda epoch: max(0.1, 1 - epoch / 30)])))
schedule("multiplicative", epochs(lambda o: S.MultiplicativeLR(o, lambda epoch: 0.9 if epoch % 2 == 0 else 1.05)))
schedule("multistep", epochs(lambda o: S.MultiStepLR(o, [5, 12, 12, 30], gamma=0.7)))
schedule("exponential", epochs(lambda o: S.ExponentialLR(o, 0.93)))
schedule("cosine_annealing", epochs(lambda o: S.CosineAnnealingLR(o, 17)))
schedule("cosine_annealing.eta_min", epochs(lambda o: S.CosineAnnealingLR(o, 13, eta_min=0.003)))
schedule("linear", epochs(lambda o: S.LinearLR(o, start_factor=0.1, total_iters=12)))
schedule("linear.decay", epochs(lambda o: S.LinearLR(o, start_factor=1, end_factor=0.25, total_iters=20)))
schedule("warmup_cosine", epochs(lambda o: S.SequentialLR(
    o, [S.LinearLR(o, start_factor=0.05, total_iters=8), S.CosineAnnealingLR(o, 42, eta_min=1e-4)], [8])))
schedule("warmup_exponential_step", epochs(lambda o: S.SequentialLR(
    o, [S.LinearLR(o, total_iters=4), S.ExponentialLR(o, 0.9), S.StepLR(o, 5, 0.5)], [6, 25])))
schedule("one_cycle", epochs(lambda o: S.OneCycleLR(o, 1.0, total_steps=EPOCHS)), "momentum", lambda: sgd(0.9))
schedule("one_cycle.linear_three_phase", epochs(lambda o: S.OneCycleLR(
    o, [0.4, 0.8], epochs=10, steps_per_epoch=6, pct_start=0.25, anneal_strategy="linear", three_phase=True,
    div_factor=10, final_div_factor=100)), "momentum", lambda: sgd(0.9))
schedule("one_cycle.adam", epochs(lambda o: S.OneCycleLR(o, 0.05, total_steps=60, base_momentum=0.8, max_momentum=0.9)), "beta1", adam)
schedule("one_cycle.no_momentum", epochs(lambda o: S.OneCycleLR(o, 0.3, total_steps=EPOCHS, cycle_momentum=False)))


def plateau(opt):
    scheduler = S.ReduceLROnPlateau(opt, patience=2, factor=0.5)
    return lambda epoch: scheduler.step(LOSSES[epoch])


def plateau_options(opt):
    scheduler = S.ReduceLROnPlateau(opt, mode="max", factor=0.3, patience=1, threshold=0.01, threshold_mode="abs",
                                    cooldown=2, min_lr=[0.002, 0.04])
    return lambda epoch: scheduler.step(torch.tensor(-LOSSES[epoch], dtype=torch.float64))


schedule("reduce_on_plateau", plateau)
schedule("reduce_on_plateau.options", plateau_options)


def warm_restarts_jumps(opt):
    scheduler = S.CosineAnnealingWarmRestarts(opt, 3, T_mult=2, eta_min=0.002)
    return lambda epoch: scheduler.step(epoch * 0.75 + 0.3)


schedule("warm_restarts", epochs(lambda o: S.CosineAnnealingWarmRestarts(o, 7)))
schedule("warm_restarts.T_mult_eta_min", epochs(lambda o: S.CosineAnnealingWarmRestarts(o, 3, T_mult=2, eta_min=0.001)))
schedule("warm_restarts.fractional_epochs", warm_restarts_jumps)
schedule("warm_restarts.adam", epochs(lambda o: S.CosineAnnealingWarmRestarts(o, 5, T_mult=3)), None, adam)
