#include "core/config.h"

#include <ATen/Parallel.h>
#include <c10/core/DefaultDtype.h>
#include <torch/version.h>

#include <dlfcn.h>
#include <link.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace torchlora {
namespace {

// The kernel set the OpenBLAS loaded in this process chose (its openblas_get_corename, e.g.
// "Haswell" or "Cooperlake"; torch_config().blas_core), or "" when no loaded library is
// OpenBLAS. Debian's libblas.so.3 is OpenBLAS under another name, so every loaded library
// whose path names openblas is asked, not only libopenblas.
std::string OpenblasCore() {
  std::string core;
  dl_iterate_phdr(
      [](dl_phdr_info* library, size_t, void* out) {
        const char* path = library->dlpi_name;
        if (path == nullptr || std::strstr(path, "openblas") == nullptr) return 0;
        void* handle = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
        if (handle == nullptr) return 0;
        using CoreName = const char* (*)();
        const auto name = reinterpret_cast<CoreName>(dlsym(handle, "openblas_get_corename"));
        if (name != nullptr) *static_cast<std::string*>(out) = name();
        dlclose(handle);
        return name != nullptr ? 1 : 0;
      },
      &core);
  return core;
}

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
  config.Set("openblasCore", OpenblasCore());
#ifdef _GLIBCXX_USE_CXX11_ABI
  config.Set("cxx11Abi", static_cast<bool>(_GLIBCXX_USE_CXX11_ABI));
#endif
  return config;
}

// setThreadNice(n): the nice value of the calling thread (Linux nice is per thread; threads it
// starts afterwards, such as libtorch's OpenMP team, inherit it). Returns 0 or the errno.
Napi::Value SetThreadNice(const Napi::CallbackInfo& info) {
  const int nice = info[0].As<Napi::Number>().Int32Value();
  int error = ENOSYS;
#if defined(__linux__) && defined(SYS_gettid)
  const auto thread = static_cast<id_t>(syscall(SYS_gettid));
  error = setpriority(PRIO_PROCESS, thread, nice) == 0 ? 0 : errno;
#endif
  return Napi::Number::New(info.Env(), error);
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  at::set_num_threads(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

// setDefaultDtype(code) and getDefaultDtype() -> code: the dtype that factories use when none
// is given, process-wide in c10 (every worker thread sees it).
Napi::Value SetDefaultDtype(const Napi::CallbackInfo& info) {
  c10::set_default_dtype(caffe2::TypeMeta::fromScalarType(static_cast<at::ScalarType>(info[0].As<Napi::Number>().Int32Value())));
  return info.Env().Undefined();
}

Napi::Value GetDefaultDtype(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(c10::typeMetaToScalarType(c10::get_default_dtype())));
}

}  // namespace

void InitConfig(Napi::Env env, Napi::Object exports) {
  TORCHLORA_EXPORT(exports, "config", Config);
  TORCHLORA_EXPORT(exports, "setNumThreads", SetNumThreads);
  TORCHLORA_EXPORT(exports, "setThreadNice", SetThreadNice);
  TORCHLORA_EXPORT(exports, "setDefaultDtype", SetDefaultDtype);
  TORCHLORA_EXPORT(exports, "getDefaultDtype", GetDefaultDtype);
  (void)env;
}

}  // namespace torchlora
