// Scalar math on doubles as CPython computes it: math.cos and float ** float call the C
// library's cos() and pow(). V8's Math.cos and ** are fdlibm ports that differ from glibc in
// the last bit for about 2% of the arguments a cosine schedule uses, so learning-rate
// schedules that must equal PyTorch's bit for bit (src/optim/schedulers/) compute through here.
#include "ops/scalar_math.h"

#include <cmath>

namespace torchlora {
namespace {

// libmCos(x) -> cos(x)
Napi::Value Cos(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), std::cos(info[0].As<Napi::Number>().DoubleValue()));
}

// libmPow(x, y) -> pow(x, y)
Napi::Value Pow(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), std::pow(info[0].As<Napi::Number>().DoubleValue(), info[1].As<Napi::Number>().DoubleValue()));
}

}  // namespace

void InitScalarMath(Napi::Env env, Napi::Object exports) {
  TORCHLORA_EXPORT(exports, "libmCos", Cos);
  TORCHLORA_EXPORT(exports, "libmPow", Pow);
  (void)env;
}

}  // namespace torchlora
