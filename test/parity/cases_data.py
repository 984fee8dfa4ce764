"""Python twins of the cases in data.parity.test.ts: torch.utils.data.DataLoader."""
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset, Subset, TensorDataset

from reference import case


def epochs_of(loader, epochs):
    result = {"length": torch.tensor(len(loader), dtype=torch.int64)}
    for epoch in range(epochs):
        for index, batch in enumerate(loader):
            flatten(batch, f"batch/{epoch}/{index}", result)
    result["after"] = torch.randn(3)
    return result


def flatten(value, key, into):
    if isinstance(value, (list, tuple)):
        for i, part in enumerate(value):
            flatten(part, f"{key}/{i}", into)
    elif isinstance(value, dict):
        for name, part in value.items():
            flatten(part, f"{key}/{name}", into)
    else:
        into[key] = value


class Records(Dataset):
    def __init__(self, x):
        self.x = x

    def __getitem__(self, i):
        row = self.x[i]
        return {"x": row, "label": i % 3, "weight": 0.5 * i + 0.25, "flag": i % 2 == 0, "pair": (row.sum(), i)}

    def __len__(self):
        return self.x.shape[0]


class Rows(IterableDataset):
    def __init__(self, x):
        self.x = x

    def __iter__(self):
        for i in range(self.x.shape[0]):
            yield {"x": self.x[i], "i": i}


@case("dataloader.subset")
def subset(x, y):
    torch.manual_seed(11)
    return epochs_of(DataLoader(Subset(TensorDataset(x, y), [9, 2, 4, 0, 7, 5, 1]), batch_size=3, shuffle=True), 2)


@case("dataloader.iterable")
def iterable(x, y):
    loader = DataLoader(Rows(x), batch_size=4)
    result = {}
    for epoch in range(2):
        for index, batch in enumerate(loader):
            flatten(batch, f"batch/{epoch}/{index}", result)
    result["after"] = torch.randn(3)
    return result


@case("dataloader.positional")
def positional(x, y):
    torch.manual_seed(5)
    return epochs_of(DataLoader(TensorDataset(x, y), 4, True), 2)


@case("dataloader.shuffle")
def shuffle(x, y):
    torch.manual_seed(7)
    return epochs_of(DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True), 3)


@case("dataloader.shuffle.drop_last")
def shuffle_drop_last(x, y):
    torch.manual_seed(123)
    return epochs_of(DataLoader(TensorDataset(x, y), batch_size=3, shuffle=True, drop_last=True), 2)


@case("dataloader.in_order")
def in_order(x, y):
    return epochs_of(DataLoader(TensorDataset(x, y), batch_size=5), 2)


@case("dataloader.default_collate")
def default_collate(x, y):
    torch.manual_seed(3)
    return epochs_of(DataLoader(Records(x), batch_size=4, shuffle=True), 1)
