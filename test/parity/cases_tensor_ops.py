"""Python twins of the cases in tensor_ops.parity.test.ts (issue 24's tensor ops)."""
import torch

from reference import case


def long(values):
    return torch.tensor(values, dtype=torch.int64)


@case("tensor_ops.matrix")
def tensor_ops_matrix(a, v, b, x1, x2):
    return {"diag_vector": torch.diag(v), "diag_above": torch.diag(v, 1), "diag_matrix": torch.diag(a), "diag_below": a.diag(-1),
            "trace": torch.trace(a), "trace_method": a.trace(), "kron": torch.kron(a, b), "narrow_copy": torch.narrow_copy(a, 1, 1, 2),
            "cdist": torch.cdist(x1, x2), "cdist_p1": torch.cdist(x1, x2, 1.0), "cdist_mm": torch.cdist(x1, x2, compute_mode="use_mm_for_euclid_dist"),
            "cdist_no_mm": torch.cdist(x1, x2, compute_mode="donot_use_mm_for_euclid_dist")}


@case("tensor_ops.statistics")
def tensor_ops_statistics(x, odd):
    values, indices = torch.median(x, 1)
    kept, kept_indices = x.median(dim=0, keepdim=True)
    return {"median": torch.median(x), "median_method": odd.median(), "median_values": values, "median_indices": indices,
            "median_kept": kept, "median_kept_indices": kept_indices,
            "quantile": torch.quantile(x, 0.3), "quantile_dim": torch.quantile(x, 0.75, 1), "quantile_many": torch.quantile(x, torch.tensor([0.1, 0.5, 0.9]), 0, True),
            "quantile_lower": torch.quantile(x, 0.3, interpolation="lower"), "quantile_higher": x.quantile(0.3, 1, interpolation="higher"),
            "quantile_midpoint": torch.quantile(x, 0.3, interpolation="midpoint"), "quantile_nearest": torch.quantile(x, 0.3, 0, interpolation="nearest"),
            "diff": torch.diff(x), "diff_two": x.diff(2, 0), "diff_pend": torch.diff(x, 1, 1, prepend=x[:, :1], append=x[:, -2:])}


@case("tensor_ops.counting")
def tensor_ops_counting(seq, row, values, w):
    labels = long([1, 3, 3, 0, 5, 1, 3])
    return {"bincount": torch.bincount(labels), "bincount_weights": labels.bincount(w), "bincount_min": torch.bincount(labels, None, 9),
            "searchsorted": torch.searchsorted(seq, values), "searchsorted_right": torch.searchsorted(seq, values, right=True),
            "searchsorted_int32": torch.searchsorted(seq, values, out_int32=True), "searchsorted_side": torch.searchsorted(seq, values, side="right"),
            "searchsorted_scalar": torch.searchsorted(row, 0.1)}


@case("tensor_ops.creation")
def tensor_ops_creation(x, i):
    rows, cols = torch.meshgrid(torch.arange(3), torch.arange(4), indexing="ij")
    xs, ys = torch.meshgrid(torch.arange(3), torch.arange(4), indexing="xy")
    strided = torch.empty_strided([2, 3], [1, 2]).copy_(x)
    copy = torch.tensor(x)
    x.add_(1)
    torch.manual_seed(5)
    return {"rows": rows, "cols": cols, "xs": xs, "ys": ys, "strided": strided, "strided_contiguous": torch.tensor(strided.is_contiguous()),
            "copy": copy, "copy_f64": torch.tensor(x, dtype=torch.float64), "scalar_of_tensor": i[1:2].reshape([]).clone(),
            "randint_like": torch.randint_like(x, 10), "randint_like_low": torch.randint_like(x, -5, 5), "randint_like_i64": torch.randint_like(x, 3, 9, dtype=torch.int64),
            "rand_like": torch.rand_like(x), "empty_like_shape": torch.tensor(list(torch.empty_like(i).shape)), "ones_like": torch.ones_like(i, dtype=torch.float64),
            "new_full": x.new_full([2, 2], 7), "new_full_i64": x.new_full([3], -1, dtype=torch.int64), "new_full_of_int": i.new_full([2], 5),
            "t_": x.mul(1).t_(), "t_vector": i.mul(1).t_()}


@case("tensor_ops.number_first")
def tensor_ops_number_first(x, i):
    return {"pow": torch.pow(2, x), "remainder": torch.remainder(5, i), "remainder_float": torch.remainder(7.5, x.detach()),
            "floor_divide": torch.floor_divide(7, i), "floor_divide_float": torch.floor_divide(7.5, i), "floor_divide_tensor": torch.floor_divide(7, x.detach()),
            "remainder_f64": torch.remainder(0.1, x.detach().double()), "floor_divide_f64": torch.floor_divide(0.1, x.detach().double() * 0.01),
            "remainder_f32": torch.remainder(0.1, x.detach() * 0.01), "remainder_minus_one": torch.remainder(-7, long([-1, 3]))}
