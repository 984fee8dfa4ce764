"""Python twins of the cases in autograd_function.parity.test.ts: the same custom functions as
torch.autograd.Function subclasses."""
import torch

from reference import case


class Scaled(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x.mul(scale).sin()

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad.mul(x.mul(ctx.scale).cos()).mul(ctx.scale), None


class AddInPlace(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        x.add_(k)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, grad):
        return grad, None


class Sort(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        values, indices = torch.sort(x, dim=-1)
        ctx.mark_non_differentiable(indices)
        ctx.save_for_backward(indices)
        ctx.shape = x.shape
        return values, indices

    @staticmethod
    def backward(ctx, grad, grad_indices):
        (indices,) = ctx.saved_tensors
        return torch.zeros(ctx.shape, dtype=grad.dtype).scatter(-1, indices, grad)


@case("autograd_function.saved_by_name")
def saved_by_name(x):
    return {"y": Scaled.apply(x, 1.5)}


@case("autograd_function.mark_dirty")
def mark_dirty(x):
    a = x.mul(2)
    b = AddInPlace.apply(a, 3)
    return {"y": b.mul(b)}


@case("autograd_function.mark_non_differentiable")
def mark_non_differentiable(x):
    values, indices = Sort.apply(x)
    return {"values": values.exp(), "indices": indices}
