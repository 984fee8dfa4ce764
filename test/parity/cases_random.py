"""Python twins of the cases in random.parity.test.ts: torch.Generator objects passed as
`generator=`, and the default generator's state."""
import math

import torch

from reference import case


@case("generator.factories")
def generator_factories():
    g = torch.Generator()
    g.manual_seed(42)
    torch.manual_seed(1)
    return {
        "randn": torch.randn(3, 4, generator=g), "default_after": torch.randn(3),
        "rand": torch.rand(17, generator=g), "randint": torch.randint(0, 10, (6,), generator=g),
        "randperm": torch.randperm(10, generator=g), "randn_double": torch.randn(2, 9, dtype=torch.float64, generator=g),
        "default_last": torch.randn(2),
    }


@case("generator.default_seed")
def generator_default_seed():
    g = torch.Generator()
    return {"randn": torch.randn(5, generator=g), "seed": torch.tensor([g.initial_seed()], dtype=torch.int64)}


@case("generator.sampling")
def generator_sampling():
    g = torch.Generator().manual_seed(7)
    probs = torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.5, 0.0, 0.25, 0.25]])
    return {
        "normal_": torch.zeros(20).normal_(1, 2, generator=g), "uniform_": torch.empty(6).uniform_(-1, 1, generator=g),
        "bernoulli_p": torch.bernoulli(torch.zeros(10), 0.3, generator=g),
        "bernoulli_self": torch.bernoulli(torch.full((8,), 0.5), generator=g),
        "multinomial": torch.multinomial(probs, 6, replacement=True, generator=g),
    }


@case("generator.init")
def generator_init():
    g = torch.Generator().manual_seed(3)
    w = torch.empty(4, 5)
    torch.nn.init.kaiming_uniform_(w, a=math.sqrt(5), generator=g)
    x = torch.empty(3, 6)
    torch.nn.init.xavier_normal_(x, 1.0, generator=g)
    n = torch.empty(7)
    torch.nn.init.normal_(n, 0, 0.02, generator=g)
    u = torch.empty(4)
    torch.nn.init.uniform_(u, -0.5, 0.5, generator=g)
    k = torch.empty(2, 3)
    torch.nn.init.kaiming_normal_(k, mode="fan_out", nonlinearity="relu", generator=g)
    xu = torch.empty(3, 3)
    torch.nn.init.xavier_uniform_(xu, 2.0, generator=g)
    return {"kaiming_uniform": w, "xavier_normal": x, "normal": n, "uniform": u, "kaiming_normal": k, "xavier_uniform": xu}


@case("generator.state")
def generator_state():
    g = torch.Generator().manual_seed(5)
    torch.randn(4, generator=g)
    state = g.get_state()
    first = torch.randn(6, generator=g)
    other = torch.Generator()
    other.set_state(state)
    return {"state": state, "first": first, "again": torch.randn(6, generator=other)}


@case("rng_state.default")
def rng_state_default():
    torch.manual_seed(3)
    torch.rand(2)
    state = torch.get_rng_state()
    a = torch.randn(4)
    torch.set_rng_state(state)
    b = torch.randn(4)
    return {"state": state, "a": a, "b": b}


@case("generator.random_")
def generator_random_():
    g = torch.Generator().manual_seed(9)
    torch.manual_seed(2)
    return {"to": torch.empty(6).random_(10, generator=g), "from_to": torch.empty(5, dtype=torch.int64).random_(-5, 5, generator=g),
            "all": torch.empty(4, dtype=torch.int32).random_(generator=g), "default": torch.empty(3).random_(100)}


@case("generator.dataloader")
def generator_dataloader():
    from torch.utils.data import DataLoader, TensorDataset
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(5)
    loader = DataLoader(TensorDataset(torch.arange(10)), batch_size=3, shuffle=True, generator=g)
    epochs = [torch.cat([batch for (batch,) in loader]) for _ in range(2)]
    exact = DataLoader(TensorDataset(torch.arange(9)), batch_size=3, shuffle=True, generator=g)
    dropped = DataLoader(TensorDataset(torch.arange(8)), batch_size=3, shuffle=True, drop_last=True, generator=g)
    epochs += [torch.cat([batch for (batch,) in exact]), torch.cat([batch for (batch,) in dropped]), torch.cat([batch for (batch,) in exact])]
    # The default generator was not drawn from.
    return {**{f"epoch{i}": epoch for i, epoch in enumerate(epochs)}, "default_after": torch.randn(2)}


@case("generator.normal")
def generator_normal():
    g = torch.Generator().manual_seed(13)
    means = torch.arange(4.0)
    stds = torch.tensor([0.5, 1.0, 2.0, 0.1])
    torch.manual_seed(6)
    return {
        "numbers": torch.normal(2.0, 3.0, (2, 5), generator=g), "tensors": torch.normal(means, stds, generator=g),
        "tensor_mean": torch.normal(means, 0.5, generator=g), "tensor_std": torch.normal(1.0, stds, generator=g),
        "double": torch.normal(0.0, 1.0, (3,), dtype=torch.float64, generator=g), "default": torch.normal(0.0, 1.0, (17,)),
    }
