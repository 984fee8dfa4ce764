// torchlora_preload.node: loads shared libraries by path, before the addon itself. A prebuild
// for PyTorch's own libtorch (a pip wheel) needs libtorch.so, libtorch_cpu.so and libc10.so,
// which live in that Python's site-packages/torch/lib, a folder no rpath of a shipped binary can
// name. Once loaded by path (their own $ORIGIN rpath finds the rest), the dynamic linker
// satisfies the addon's needs with them by their sonames. Needs nothing of libtorch itself.
#include <dlfcn.h>

#include <napi.h>

namespace {

// load(path): dlopen(path) for the life of the process; a TypeError for a non-string, an Error
// with dlerror()'s words when the library cannot be loaded.
Napi::Value Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "Expected a library path (string) for path");
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  if (dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL) == nullptr) {
    const char* error = dlerror();
    throw Napi::Error::New(env, error != nullptr ? error : ("cannot load " + path).c_str());
  }
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("load", Napi::Function::New(env, Load, "load"));
  return exports;
}

}  // namespace

NODE_API_MODULE(torchlora_preload, Init)
