"""Python twins of the cases in core.parity.test.ts: what a PyTorch user would write for
the same computation. Inputs arrive as keyword arguments; return a dict of tensors."""
import torch

from reference import case


def flag(value):
    return torch.tensor([value])


# ---- random streams

@case("random.randn")
def random_randn():
    torch.manual_seed(1)
    return {"small": torch.randn(3, 4), "vectorised": torch.randn(20), "double": torch.randn(2, 9, dtype=torch.float64)}


@case("random.rand")
def random_rand():
    torch.manual_seed(2)
    return {"small": torch.rand(3, 4), "large": torch.rand(17), "double": torch.rand(5, dtype=torch.float64)}


@case("random.randint")
def random_randint():
    torch.manual_seed(3)
    return {"small": torch.randint(0, 10, (6,)), "negative": torch.randint(-5, 5, (3, 3)),
            "wide": torch.randint(0, 2 ** 40, (4,)), "int32": torch.randint(0, 100, (5,), dtype=torch.int32)}


@case("random.randperm")
def random_randperm():
    torch.manual_seed(4)
    return {"small": torch.randperm(10), "large": torch.randperm(1000)}


@case("random.normal_uniform")
def random_normal_uniform():
    torch.manual_seed(5)
    return {"normal": torch.zeros(5).normal_(2, 0.5), "normal_large": torch.zeros(33).normal_(),
            "uniform": torch.empty(20).uniform_(-1, 1), "uniform_double": torch.empty(6, dtype=torch.float64).uniform_()}


@case("random.interleaved")
def random_interleaved():
    torch.manual_seed(7)
    a = torch.randn(3)
    b = torch.rand(2)
    c = torch.randint(0, 100, (3,))
    d = torch.randperm(4)
    return {"a": a, "b": b, "c": c, "d": d, "e": torch.randn(18)}


# ---- elementwise

for _name in ["neg", "exp", "log", "sqrt", "abs", "relu", "sigmoid", "tanh", "sin", "cos", "square", "reciprocal",
              "floor", "ceil", "round", "sign", "isnan", "isfinite", "logical_not"]:
    case(f"unary.{_name}")(lambda x, _name=_name: {"out": getattr(x, _name)()})


@case("unary.torch_functions")
def unary_torch_functions(x):
    return {"out": torch.tanh(torch.sigmoid(torch.relu(torch.exp(x).sub(1)).add(torch.neg(torch.abs(x)))))}


@case("unary.torch_log_sqrt")
def unary_torch_log_sqrt(x):
    return {"out": torch.log(torch.sqrt(x))}


@case("binary.tensor")
def binary_tensor(a, b):
    return {"add": a + b, "add_alpha": a.add(b, alpha=0.3), "sub": a - b, "sub_alpha": a.sub(b, alpha=2.5), "mul": a * b,
            "div": a / b, "maximum": a.maximum(b.expand(3, 4)), "minimum": a.minimum(b.expand(3, 4))}


@case("binary.pow_remainder")
def binary_pow_remainder(a, b):
    return {"pow": a ** b, "pow_2": b ** 2, "pow_half": a ** 0.5, "pow_neg": a ** -1.5, "remainder": (b * 5) % a,
            "remainder_scalar": (b * 5) % -3}


@case("binary.scalar")
def binary_scalar(a):
    return {"add": a + 2.5, "sub": a - 1, "mul": a * 3, "div": a / 7, "rsub": 1 - a, "rmul": 2 * a,
            # torch_div(2, a) divides (Python's `2 / a` is a.reciprocal() * 2, which rounds twice)
            "rdiv": torch.div(torch.tensor(2.0), a),
            "fadd": torch.add(a, a), "fpow": torch.pow(a, 3)}


@case("binary.scalar_first_alpha")
def binary_scalar_first_alpha(a):
    return {"radd_alpha": torch.add(1, a, alpha=0.3), "rsub_alpha": torch.rsub(a, 1, alpha=0.3)}


@case("binary.integer")
def binary_integer(i, j):
    return {"mul": i * 3, "add": i + j, "div": i / 4, "remainder": i % j, "pow": j ** 3, "rem_neg": i % -4, "sum": i.sum(),
            "float_mul": i * 0.5}


@case("binary.compare")
def binary_compare(a, b):
    return {"eq": a == b, "ne": a != b, "lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b,
            "eq_s": a == 2, "lt_s": a < 1.5, "ge_s": a >= 3,
            "and": (a > 1).logical_and(b > 1), "or": (a > 2).logical_or(b < 1),
            "allclose": flag(torch.allclose(a, a + 1e-9)), "not_close": flag(a.allclose(a + 1e-3)),
            "equal": flag(torch.equal(a, a.clone())), "not_equal": flag(a.equal(b.expand(3, 4)))}


@case("binary.matmul")
def binary_matmul(a, b, v, batch):
    return {"mm": a @ b, "mv": a @ v, "vm": v @ b, "dot": v @ v, "bmm": batch @ b, "functional": torch.matmul(a, b)}


@case("binary.baddbmm")
def binary_baddbmm(m, a, b):
    return {"default": torch.baddbmm(m, a, b), "scaled": torch.baddbmm(m, a, b, beta=0.5, alpha=-2)}


@case("clamp")
def clamp(x):
    return {"both": x.clamp(-1, 0.5), "min": x.clamp(min=0), "max": x.clamp(max=-0.25), "functional": torch.clamp(x, -2, 2)}


@case("where")
def where(x, y):
    return {"tensors": torch.where(x > y, x, y), "scalar": torch.where(x > 0, x, 0.0), "scalars": torch.where(y < 0, -1.0, 1.0)}


# ---- reductions

@case("reduce.sum_mean")
def reduce_sum_mean(x):
    return {"sum": x.sum(), "sum_dim": x.sum(1), "sum_dims": x.sum((0, 2)), "sum_keep": x.sum(-1, keepdim=True),
            "sum_double": x.sum(dtype=torch.float64), "mean": x.mean(), "mean_dim": x.mean(0),
            "mean_dims": x.mean((1, 2), keepdim=True), "functional": torch.sum(x, 2) + torch.mean(x, 2)}


@case("reduce.large_sum")
def reduce_large_sum(x):
    return {"sum": x.sum(), "sum_dim": x.sum(0), "mean": x.mean(1)}


@case("reduce.max_min")
def reduce_max_min(x):
    max_values, max_indices = x.max(1)
    min_values, min_indices = x.min(0, keepdim=True)
    return {"max": x.max(), "min": x.min(), "max_values": max_values, "max_indices": max_indices,
            "min_values": min_values, "min_indices": min_indices, "argmax": x.argmax(), "argmax_dim": x.argmax(1),
            "argmin_keep": x.argmin(0, keepdim=True), "functional": torch.argmax(x, -1)}


@case("softmax")
def softmax(x):
    return {"softmax": x.softmax(-1), "softmax_0": x.softmax(0), "log_softmax": x.log_softmax(1),
            "functional": torch.softmax(x, 1)}


# ---- shapes, indexing, in place

@case("shape.views")
def shape_views(x):
    return {"transpose": x.transpose(0, 2), "permute": x.permute(2, 0, 1), "reshape": x.reshape(4, -1), "view": x.view(6, 4),
            "flatten": x.flatten(1), "unsqueeze": x.unsqueeze(1), "squeeze": x.unsqueeze(0).squeeze(),
            "squeeze_dim": x.unsqueeze(2).squeeze(2), "t": x[0].t(), "contiguous": x.transpose(1, 2).contiguous(),
            "clone": x.clone(), "expand": x[0, 0].unsqueeze(0).expand(5, -1), "detach": x.detach(),
            "functional": torch.flatten(torch.unsqueeze(torch.squeeze(torch.reshape(torch.transpose(torch.t(x[1]), 0, 1), (1, 12))), 0))}


@case("shape.cat_stack")
def shape_cat_stack(a, b, c):
    return {"cat0": torch.cat([a, b, c], 0), "cat1": torch.cat([a, b], 1), "stack0": torch.stack([a, b]),
            "stack2": torch.stack([a, b], 2)}


@case("index.read")
def index_read(x):
    return {"int": x[1], "negative": x[-1, 2], "slice": x[1:4], "step": x[::2, 1:], "slice_object": x[None, ..., 0],
            "tensor": x[torch.tensor([3, 0, 3])], "array": x[[4, 1], [0, 2]], "mask": x[x > 0.5]}


@case("index.put")
def index_put(x, v):
    y = x * 1
    y[1] = v
    y[2:4, 0] = 7
    y[y < -1] = 0
    return {"y": y}


@case("index.put_accumulate")
def index_put_accumulate(x, v):
    y = x * 1
    y.index_put_((torch.tensor([0, 2, 0, 3]),), v, accumulate=True)
    z = x * 1
    z.index_put_((torch.tensor([1, 1]), torch.tensor([2, 2])), torch.tensor(0.5), accumulate=True)
    return {"y": y, "z": z}


@case("inplace.arithmetic")
def inplace_arithmetic(x, z, p):
    y = x * 1
    y.add_(z, alpha=0.5).sub_(p, alpha=2).mul_(z).div_(p).sub_(0.25).mul_(3)
    q = (p * 1).pow_(1.5).add_(1).div_(2).clamp_(0.6, 0.9)
    r = (x * 1).pow_(2)
    return {"y": y, "q": q, "r": r}


@case("inplace.fill_copy")
def inplace_fill_copy(x, s):
    return {"zero": (x * 1).zero_(), "fill": (x * 1).fill_(2.5), "copy": (x * 1).copy_(s * 2),
            "fill_int": torch.zeros(3, dtype=torch.int64).fill_(7), "fill_bool": torch.zeros(2, dtype=torch.bool).fill_(True)}


# ---- dtypes, creation, autograd

@case("convert.dtypes")
def convert_dtypes(x):
    out = {name: x.to(getattr(torch, name)) for name in
           ["float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool"]}
    return {**out, "float": x.double().float(), "long": x.long(), "back": x.to(torch.float64).mul(3).to(torch.float32)}


@case("creation.values")
def creation_values():
    return {"zeros": torch.zeros(2, 3), "ones": torch.ones(2, 2, dtype=torch.float64), "full": torch.full((2, 3), 0.1),
            "full_int": torch.full((2,), 7, dtype=torch.int32), "full_bool": torch.full((2,), True),
            "arange": torch.arange(0, 5), "arange_float": torch.arange(0, 1, 0.1), "arange_neg": torch.arange(3, -2.5, -0.7),
            "eye": torch.eye(3), "eye_rect": torch.eye(2, 4, dtype=torch.int64),
            "tensor": torch.tensor([[0.1, 1 / 3], [1e-8, 3e38]]), "tensor_double": torch.tensor([0.1, 1 / 3], dtype=torch.float64),
            "tensor_int": torch.tensor([1, 2, 3]), "tensor_bool": torch.tensor([True, False]), "empty": torch.empty(2, 0, 3)}


@case("autograd.grad")
def autograd_grad(x, w):
    y = (x ** 3 * w).sum()
    (dx,) = torch.autograd.grad(y, [x], create_graph=True)
    (dw,) = torch.autograd.grad((x * w).sum(), [w])
    with torch.no_grad():
        no_grad = x * 2
    return {"dx": dx, "dw": dw, "no_grad": no_grad}


@case("autograd.chain")
def autograd_chain(x, w, b):
    hidden = torch.tanh(x @ w + b)
    loss = (hidden.log_softmax(1) * -1).mean()
    return {"hidden": hidden, "loss": loss}


# ---- files

@case("file.from_torchlora")
def file_from_torchlora(**state_dict):
    out = {}
    for key, tensor in state_dict.items():
        out[f"copy/{key}"] = tensor
        out[f"sum/{key}"] = tensor.to(torch.float64).sum()
    return out


@case("file.from_python")
def file_from_python():
    w = torch.arange(0, 12, dtype=torch.float32).reshape(3, 4) / 7
    return {"w": w, "view": w.t(), "f64": w.double().sqrt(), "f16": w.half(), "bf16": w.bfloat16(),
            "i64": torch.arange(-3, 3) * 2 ** 40, "i32": torch.arange(-2, 2, dtype=torch.int32),
            "i8": torch.arange(-4, 4).to(torch.int8), "u8": torch.arange(250, 256).to(torch.uint8),
            "mask": w > 0.5, "empty": torch.zeros(0, 2)}
