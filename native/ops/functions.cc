// Tensor math, shape, reduction and in-place ops. Each function converts its arguments,
// calls one libtorch function and returns the result's id (Wrap), which the TypeScript layer
// stores in a new Tensor; in-place ops return nothing and TypeScript returns `this`.
#include "ops/functions.h"

#include <ATen/ScalarOps.h>

#include "core/tensor.h"

namespace torchlora {
namespace {

Napi::Value Done(const Napi::CallbackInfo& info, at::Tensor result) {
  return Wrap(info.Env(), std::move(result));
}

bool IsScalar(const Napi::Value& value) { return value.IsNumber() || value.IsBoolean(); }

// ---- (a, b: Tensor | number) ----
#define TORCHLORA_BINARY(name, function)                                  \
  Napi::Value name(const Napi::CallbackInfo& info) {                     \
    const at::Tensor& a = Unwrap(info, 0);                               \
    if (IsScalar(info[1])) return Done(info, at::function(a, ToScalar(info[1]))); \
    return Done(info, at::function(a, Unwrap(info, 1)));                 \
  }

TORCHLORA_BINARY(Mul, mul)
TORCHLORA_BINARY(Div, div)
#undef TORCHLORA_BINARY

// remainder(a, b): libtorch's integer kernel computes INT_MIN % -1 with the CPU's
// division, which overflows and raises SIGFPE. x % -1 is 0 for every integer x, as is x % 1,
// so an integer divisor of -1 is replaced by 1: the same values, and no overflow.
Napi::Value Remainder(const Napi::CallbackInfo& info) {
  const at::Tensor& a = Unwrap(info, 0);
  if (IsScalar(info[1])) {
    at::Scalar divisor = ToScalar(info[1]);
    if (divisor.isIntegral(false) && divisor.toLong() == -1) divisor = at::Scalar(int64_t{1});
    return Done(info, at::remainder(a, divisor));
  }
  const at::Tensor& b = Unwrap(info, 1);
  if (!at::isIntegralType(b.scalar_type(), false)) return Done(info, at::remainder(a, b));
  return Done(info, at::remainder(a, at::where(b == -1, at::ones_like(b), b)));
}

// rdiv(a, b): b / a for a number b, as torch.div(b, a): true division, rounded once
// (not a's reciprocal times b); b promotes as a scalar does.
Napi::Value Rdiv(const Napi::CallbackInfo& info) {
  const at::Tensor& a = Unwrap(info, 0);
  return Done(info, at::div(at::native::wrapped_scalar_tensor(ToScalar(info[1]), a.device()), a));
}

// ---- (a, b: Tensor) ----
#define TORCHLORA_TENSOR_BINARY(name, function) \
  Napi::Value name(const Napi::CallbackInfo& info) { return Done(info, at::function(Unwrap(info, 0), Unwrap(info, 1))); }

TORCHLORA_TENSOR_BINARY(Matmul, matmul)
TORCHLORA_TENSOR_BINARY(LogicalAnd, logical_and)
TORCHLORA_TENSOR_BINARY(LogicalOr, logical_or)
#undef TORCHLORA_TENSOR_BINARY

// baddbmm(self, batch1, batch2, beta, alpha): beta * self + alpha * (batch1 @ batch2)
Napi::Value Baddbmm(const Napi::CallbackInfo& info) {
  return Done(info, at::baddbmm(Unwrap(info, 0), Unwrap(info, 1), Unwrap(info, 2), ToScalar(info[3]), ToScalar(info[4])));
}

at::Scalar AlphaAt(const Napi::CallbackInfo& info, size_t index) {
  return info[index].IsUndefined() ? at::Scalar(1) : ToScalar(info[index]);
}

// add(a, b, alpha) and sub(a, b, alpha): a ± alpha * b
Napi::Value Add(const Napi::CallbackInfo& info) {
  const at::Tensor& a = Unwrap(info, 0);
  if (IsScalar(info[1])) return Done(info, at::add(a, ToScalar(info[1]), AlphaAt(info, 2)));
  return Done(info, at::add(a, Unwrap(info, 1), AlphaAt(info, 2)));
}

Napi::Value Sub(const Napi::CallbackInfo& info) {
  const at::Tensor& a = Unwrap(info, 0);
  if (IsScalar(info[1])) return Done(info, at::sub(a, ToScalar(info[1]), AlphaAt(info, 2)));
  return Done(info, at::sub(a, Unwrap(info, 1), AlphaAt(info, 2)));
}

// rsub(a, b, alpha): b - alpha * a, for a number b, rounded once as in PyTorch.
Napi::Value Rsub(const Napi::CallbackInfo& info) {
  return Done(info, at::rsub(Unwrap(info, 0), ToScalar(info[1]), AlphaAt(info, 2)));
}

// raddAlpha(a, b, alpha): b + alpha * a for a number b, as torch.add(b, a, alpha=alpha):
// b becomes a wrapped-number tensor, so it promotes like a scalar and the kernel rounds once.
Napi::Value RaddAlpha(const Napi::CallbackInfo& info) {
  const at::Tensor& a = Unwrap(info, 0);
  return Done(info, at::add(at::native::wrapped_scalar_tensor(ToScalar(info[1]), a.device()), a, AlphaAt(info, 2)));
}

// clamp(a, min | null, max | null)
Napi::Value Clamp(const Napi::CallbackInfo& info) {
  const auto bound = [&](size_t i) -> c10::optional<at::Scalar> {
    if (info[i].IsUndefined() || info[i].IsNull()) return c10::nullopt;
    return ToScalar(info[i]);
  };
  return Done(info, at::clamp(Unwrap(info, 0), bound(1), bound(2)));
}

// ---- reductions ----
// sum/mean(a, dims | null, keepdim, dtype | null)
Napi::Value Sum(const Napi::CallbackInfo& info) {
  const at::Tensor& a = Unwrap(info, 0);
  const auto dtype = ToDtype(info[3]);
  if (info[1].IsNull() || info[1].IsUndefined()) return Done(info, at::sum(a, dtype));
  return Done(info, at::sum(a, ToInt64s(info[1]), info[2].ToBoolean().Value(), dtype));
}

Napi::Value Mean(const Napi::CallbackInfo& info) {
  const at::Tensor& a = Unwrap(info, 0);
  const auto dtype = ToDtype(info[3]);
  if (info[1].IsNull() || info[1].IsUndefined()) return Done(info, at::mean(a, dtype));
  return Done(info, at::mean(a, ToInt64s(info[1]), info[2].ToBoolean().Value(), dtype));
}

// norm(a, p, dims | null, keepdim): torch.norm(a, p, dim, keepdim) for a number p, the
// call Python's torch.norm makes (_VF.norm over every dimension when dim is None), which
// clip_grad_norm_ uses.
Napi::Value Norm(const Napi::CallbackInfo& info) {
  const at::Tensor& a = Unwrap(info, 0);
  std::vector<int64_t> dims;
  if (info[2].IsNull() || info[2].IsUndefined()) {
    for (int64_t d = 0; d < a.dim(); ++d) dims.push_back(d);
  } else {
    dims = ToInt64s(info[2]);
  }
  return Done(info, at::norm(a, ToScalar(info[1]), dims, info[3].ToBoolean().Value()));
}

// maxAll/minAll(a): the largest/smallest element
Napi::Value MaxAll(const Napi::CallbackInfo& info) { return Done(info, at::max(Unwrap(info, 0))); }
Napi::Value MinAll(const Napi::CallbackInfo& info) { return Done(info, at::min(Unwrap(info, 0))); }

// maxDim/minDim(outValues, outIndices, a, dim, keepdim)
Napi::Value MaxDim(const Napi::CallbackInfo& info) {
  auto [values, indices] = at::max(Unwrap(info, 2), info[3].As<Napi::Number>().Int64Value(), info[4].ToBoolean().Value());
  WrapInto(info.Env(), info[0], values);
  WrapInto(info.Env(), info[1], indices);
  return info.Env().Undefined();
}

Napi::Value MinDim(const Napi::CallbackInfo& info) {
  auto [values, indices] = at::min(Unwrap(info, 2), info[3].As<Napi::Number>().Int64Value(), info[4].ToBoolean().Value());
  WrapInto(info.Env(), info[0], values);
  WrapInto(info.Env(), info[1], indices);
  return info.Env().Undefined();
}

// argmax/argmin(a, dim | null, keepdim)
Napi::Value Argmax(const Napi::CallbackInfo& info) {
  return Done(info, at::argmax(Unwrap(info, 0), ToOptionalInt(info[1]), info[2].ToBoolean().Value()));
}

Napi::Value Argmin(const Napi::CallbackInfo& info) {
  return Done(info, at::argmin(Unwrap(info, 0), ToOptionalInt(info[1]), info[2].ToBoolean().Value()));
}

// ---- shape ----
Napi::Value Permute(const Napi::CallbackInfo& info) { return Done(info, Unwrap(info, 0).permute(ToInt64s(info[1]))); }
Napi::Value Reshape(const Napi::CallbackInfo& info) { return Done(info, Unwrap(info, 0).reshape(ToInt64s(info[1]))); }
Napi::Value View(const Napi::CallbackInfo& info) { return Done(info, Unwrap(info, 0).view(ToInt64s(info[1]))); }
Napi::Value Expand(const Napi::CallbackInfo& info) { return Done(info, Unwrap(info, 0).expand(ToInt64s(info[1]))); }

Napi::Value Flatten(const Napi::CallbackInfo& info) {
  return Done(info, Unwrap(info, 0).flatten(info[1].As<Napi::Number>().Int64Value(), info[2].As<Napi::Number>().Int64Value()));
}

// squeeze(a, dim | null)
Napi::Value Squeeze(const Napi::CallbackInfo& info) {
  const at::Tensor& a = Unwrap(info, 0);
  if (auto dim = ToOptionalInt(info[1])) return Done(info, a.squeeze(*dim));
  return Done(info, a.squeeze());
}

// cat/stack(tensors, dim)
Napi::Value Cat(const Napi::CallbackInfo& info) {
  return Done(info, at::cat(ToTensors(info.Env(), info[0]), info[1].As<Napi::Number>().Int64Value()));
}

Napi::Value Stack(const Napi::CallbackInfo& info) {
  return Done(info, at::stack(ToTensors(info.Env(), info[0]), info[1].As<Napi::Number>().Int64Value()));
}

// A JavaScript number where no tensor decides the dtype: a float, as in R torch, so that
// where(c, 1, 0) is float32 like where(c, 1.5, 0); booleans stay booleans.
at::Scalar ToFloatScalar(const Napi::Value& value) {
  if (value.IsBoolean()) return ToScalar(value);
  return at::Scalar(value.As<Napi::Number>().DoubleValue());
}

// where(condition, a, b): a and b are tensors or numbers
Napi::Value Where(const Napi::CallbackInfo& info) {
  const at::Tensor& condition = Unwrap(info, 0);
  const bool a_scalar = IsScalar(info[1]);
  const bool b_scalar = IsScalar(info[2]);
  if (a_scalar && b_scalar) {
    // Both numbers, or both booleans: bool only when both are booleans.
    const bool booleans = info[1].IsBoolean() && info[2].IsBoolean();
    if (booleans) return Done(info, at::where(condition, ToScalar(info[1]), ToScalar(info[2])));
    return Done(info, at::where(condition, ToFloatScalar(info[1]), ToFloatScalar(info[2])));
  }
  if (a_scalar) return Done(info, at::where(condition, ToScalar(info[1]), Unwrap(info, 2)));
  if (b_scalar) return Done(info, at::where(condition, Unwrap(info, 1), ToScalar(info[2])));
  return Done(info, at::where(condition, Unwrap(info, 1), Unwrap(info, 2)));
}

// allclose(a, b, rtol, atol, equal_nan) -> boolean
Napi::Value Allclose(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::allclose(Unwrap(info, 0), Unwrap(info, 1), info[2].As<Napi::Number>().DoubleValue(),
                                                     info[3].As<Napi::Number>().DoubleValue(), info[4].ToBoolean().Value()));
}

Napi::Value Equal(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::equal(Unwrap(info, 0), Unwrap(info, 1)));
}

// ---- in place: (a, ...) -> undefined ----
#define TORCHLORA_INPLACE_BINARY(name, method)                          \
  Napi::Value name(const Napi::CallbackInfo& info) {                   \
    at::Tensor a = Unwrap(info, 0);                                    \
    if (IsScalar(info[1])) a.method(ToScalar(info[1]));                \
    else a.method(Unwrap(info, 1));                                    \
    return info.Env().Undefined();                                     \
  }

TORCHLORA_INPLACE_BINARY(MulInplace, mul_)
TORCHLORA_INPLACE_BINARY(DivInplace, div_)
TORCHLORA_INPLACE_BINARY(PowInplace, pow_)
#undef TORCHLORA_INPLACE_BINARY

// add_/sub_(a, b, alpha)
Napi::Value AddInplace(const Napi::CallbackInfo& info) {
  at::Tensor a = Unwrap(info, 0);
  if (IsScalar(info[1])) a.add_(ToScalar(info[1]), AlphaAt(info, 2));
  else a.add_(Unwrap(info, 1), AlphaAt(info, 2));
  return info.Env().Undefined();
}

Napi::Value SubInplace(const Napi::CallbackInfo& info) {
  at::Tensor a = Unwrap(info, 0);
  if (IsScalar(info[1])) a.sub_(ToScalar(info[1]), AlphaAt(info, 2));
  else a.sub_(Unwrap(info, 1), AlphaAt(info, 2));
  return info.Env().Undefined();
}

Napi::Value ZeroInplace(const Napi::CallbackInfo& info) {
  Unwrap(info, 0).zero_();
  return info.Env().Undefined();
}

Napi::Value FillInplace(const Napi::CallbackInfo& info) {
  Unwrap(info, 0).fill_(ToScalar(info[1]));
  return info.Env().Undefined();
}

Napi::Value CopyInplace(const Napi::CallbackInfo& info) {
  Unwrap(info, 0).copy_(Unwrap(info, 1));
  return info.Env().Undefined();
}

Napi::Value NormalInplace(const Napi::CallbackInfo& info) {
  Unwrap(info, 0).normal_(info[1].As<Napi::Number>().DoubleValue(), info[2].As<Napi::Number>().DoubleValue());
  return info.Env().Undefined();
}

Napi::Value UniformInplace(const Napi::CallbackInfo& info) {
  Unwrap(info, 0).uniform_(info[1].As<Napi::Number>().DoubleValue(), info[2].As<Napi::Number>().DoubleValue());
  return info.Env().Undefined();
}

Napi::Value ClampInplace(const Napi::CallbackInfo& info) {
  const auto bound = [&](size_t i) -> c10::optional<at::Scalar> {
    if (info[i].IsUndefined() || info[i].IsNull()) return c10::nullopt;
    return ToScalar(info[i]);
  };
  Unwrap(info, 0).clamp_(bound(1), bound(2));
  return info.Env().Undefined();
}

}  // namespace

void InitOps(Napi::Env env, Napi::Object exports) {
  TORCHLORA_EXPORT(exports, "mul", Mul);
  TORCHLORA_EXPORT(exports, "div", Div);
  TORCHLORA_EXPORT(exports, "remainder", Remainder);
  TORCHLORA_EXPORT(exports, "matmul", Matmul);
  TORCHLORA_EXPORT(exports, "logical_and", LogicalAnd);
  TORCHLORA_EXPORT(exports, "logical_or", LogicalOr);
  TORCHLORA_EXPORT(exports, "baddbmm", Baddbmm);
  TORCHLORA_EXPORT(exports, "add", Add);
  TORCHLORA_EXPORT(exports, "sub", Sub);
  TORCHLORA_EXPORT(exports, "rsub", Rsub);
  TORCHLORA_EXPORT(exports, "raddAlpha", RaddAlpha);
  TORCHLORA_EXPORT(exports, "rdiv", Rdiv);
  TORCHLORA_EXPORT(exports, "clamp", Clamp);
  TORCHLORA_EXPORT(exports, "sum", Sum);
  TORCHLORA_EXPORT(exports, "mean", Mean);
  TORCHLORA_EXPORT(exports, "norm", Norm);
  TORCHLORA_EXPORT(exports, "maxAll", MaxAll);
  TORCHLORA_EXPORT(exports, "minAll", MinAll);
  TORCHLORA_EXPORT(exports, "maxDim", MaxDim);
  TORCHLORA_EXPORT(exports, "minDim", MinDim);
  TORCHLORA_EXPORT(exports, "argmax", Argmax);
  TORCHLORA_EXPORT(exports, "argmin", Argmin);
  TORCHLORA_EXPORT(exports, "permute", Permute);
  TORCHLORA_EXPORT(exports, "reshape", Reshape);
  TORCHLORA_EXPORT(exports, "view", View);
  TORCHLORA_EXPORT(exports, "expand", Expand);
  TORCHLORA_EXPORT(exports, "flatten", Flatten);
  TORCHLORA_EXPORT(exports, "squeeze", Squeeze);
  TORCHLORA_EXPORT(exports, "cat", Cat);
  TORCHLORA_EXPORT(exports, "stack", Stack);
  TORCHLORA_EXPORT(exports, "where", Where);
  TORCHLORA_EXPORT(exports, "allclose", Allclose);
  TORCHLORA_EXPORT(exports, "equal", Equal);
  TORCHLORA_EXPORT(exports, "add_", AddInplace);
  TORCHLORA_EXPORT(exports, "sub_", SubInplace);
  TORCHLORA_EXPORT(exports, "mul_", MulInplace);
  TORCHLORA_EXPORT(exports, "div_", DivInplace);
  TORCHLORA_EXPORT(exports, "pow_", PowInplace);
  TORCHLORA_EXPORT(exports, "zero_", ZeroInplace);
  TORCHLORA_EXPORT(exports, "fill_", FillInplace);
  TORCHLORA_EXPORT(exports, "copy_", CopyInplace);
  TORCHLORA_EXPORT(exports, "normal_", NormalInplace);
  TORCHLORA_EXPORT(exports, "uniform_", UniformInplace);
  TORCHLORA_EXPORT(exports, "clamp_", ClampInplace);
  (void)env;
}

}  // namespace torchlora
