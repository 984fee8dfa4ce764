#include "core/errors.h"

namespace torchlora {

Napi::Error TorchError(Napi::Env env, const std::string& message) {
  AddonData& data = Data(env);
  if (data.torch_error.IsEmpty()) return Napi::Error::New(env, message);
  Napi::Object error = data.torch_error.New({Napi::String::New(env, message)});
  return Napi::Error(env, error);
}

namespace {

// initialize(TorchError): remembers the class C++ throws for libtorch's errors.
Napi::Value Initialize(const Napi::CallbackInfo& info) {
  Data(info.Env()).torch_error = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

}  // namespace

void InitErrors(Napi::Env env, Napi::Object exports) {
  TORCHLORA_EXPORT(exports, "initialize", Initialize);
  (void)env;
}

}  // namespace torchlora
