// The few ops the op table (through the dispatcher) cannot express: a number that must become
// a wrapped-number tensor as Python's argument parser makes it (rdiv, raddAlpha), R's float
// numbers in where(), and remainder's guard against SIGFPE. Each returns the result's id.
#include "ops/functions.h"

#include <ATen/ScalarOps.h>

#include "core/tensor.h"

namespace torchlora {
namespace {

Napi::Value Done(const Napi::CallbackInfo& info, at::Tensor result) {
  return Wrap(info.Env(), std::move(result));
}

bool IsScalar(const Napi::Value& value) { return value.IsNumber() || value.IsBoolean(); }

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

at::Scalar AlphaAt(const Napi::CallbackInfo& info, size_t index) {
  return info[index].IsUndefined() ? at::Scalar(1) : ToScalar(info[index]);
}

// raddAlpha(a, b, alpha): b + alpha * a for a number b, as torch.add(b, a, alpha=alpha):
// b becomes a wrapped-number tensor, so it promotes like a scalar and the kernel rounds once.
Napi::Value RaddAlpha(const Napi::CallbackInfo& info) {
  const at::Tensor& a = Unwrap(info, 0);
  return Done(info, at::add(at::native::wrapped_scalar_tensor(ToScalar(info[1]), a.device()), a, AlphaAt(info, 2)));
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

}  // namespace

void InitOps(Napi::Env env, Napi::Object exports) {
  TORCHLORA_EXPORT(exports, "remainder", Remainder);
  TORCHLORA_EXPORT(exports, "raddAlpha", RaddAlpha);
  TORCHLORA_EXPORT(exports, "rdiv", Rdiv);
  TORCHLORA_EXPORT(exports, "where", Where);
  (void)env;
}

}  // namespace torchlora
