"""Python twins of the cases in optim_lbfgs.parity.test.ts: torch.optim.LBFGS with step(closure)."""
import torch
import torch.nn.functional as F
from torch import nn

from reference import case

STEPS = 4


def train(name, dtype=torch.float32, **options):
    def run(x, y):
        x, y = x.to(dtype), y.to(dtype)
        model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2)).to(dtype)
        optimizer = torch.optim.LBFGS(model.parameters(), **options)
        evaluations = [0]

        def closure():
            evaluations[0] += 1
            optimizer.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            return loss
        losses, params = [], []
        for _ in range(STEPS):
            losses.append(optimizer.step(closure).detach())
            params.append(torch.cat([p.detach().reshape(-1) for p in model.parameters()]))
        state = optimizer.state_dict()["state"][0]
        def number(value):
            return torch.tensor(float(value), dtype=torch.float64)
        return {"loss": torch.stack(losses), "params": torch.stack(params),
                "counts": torch.tensor([evaluations[0], state["func_evals"], state["n_iter"]], dtype=torch.float64),
                "state/d": state["d"], "state/prev_flat_grad": state["prev_flat_grad"],
                "state/old_dirs": torch.stack(state["old_dirs"]), "state/old_stps": torch.stack(state["old_stps"]),
                "state/ro": torch.stack(state["ro"]), "state/t": number(state["t"]), "state/H_diag": number(state["H_diag"]),
                "state/prev_loss": number(state["prev_loss"])}
    case(f"optim.lbfgs.{name}")(run)


train("defaults")
train("lr_history", lr=0.5, history_size=3, max_iter=7)
train("strong_wolfe", line_search_fn="strong_wolfe")
train("strong_wolfe.history", line_search_fn="strong_wolfe", history_size=4, max_iter=10, max_eval=14)
train("strong_wolfe.float64", dtype=torch.float64, line_search_fn="strong_wolfe", tolerance_grad=1e-9)
