#include "config.h"

#include <ATen/Parallel.h>
#include <torch/version.h>

namespace torchlora {
namespace {

Napi::Value Config(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object config = Napi::Object::New(env);
  config.Set("version", TORCH_VERSION);
  const bool cuda = at::globalContext().hasCUDA();
  config.Set("cuda", cuda);
  config.Set("cudaDevices", cuda ? static_cast<double>(at::detail::getCUDAHooks().getNumGPUs()) : 0.0);
  config.Set("threads", static_cast<double>(at::get_num_threads()));
  config.Set("interopThreads", static_cast<double>(at::get_num_interop_threads()));
  config.Set("parallelInfo", at::get_parallel_info());
  config.Set("buildConfig", at::show_config());
#ifdef _GLIBCXX_USE_CXX11_ABI
  config.Set("cxx11Abi", static_cast<bool>(_GLIBCXX_USE_CXX11_ABI));
#endif
  return config;
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  at::set_num_threads(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

}  // namespace

void InitConfig(Napi::Env env, Napi::Object exports) {
  TORCHLORA_EXPORT(exports, "config", Config);
  TORCHLORA_EXPORT(exports, "setNumThreads", SetNumThreads);
  (void)env;
}

}  // namespace torchlora
