// A generator crosses to JavaScript as an External holding a copy of its at::Generator (a
// reference to the same generator state), tagged so that no other External passes for one.
// Seeds cross as BigInts: PyTorch's seeds are unsigned 64-bit integers.
#include "core/generator.h"

#include <ATen/CPUGeneratorImpl.h>

#include <mutex>

#include "core/tensor.h"

namespace torchlora {
namespace {

constexpr napi_type_tag kGeneratorTag = {0x7f3c2a1e9b8d4c50ULL, 0xa61e0f2d3b4c5d6eULL};

Napi::Value FromGenerator(Napi::Env env, at::Generator generator) {
  auto external = Napi::External<at::Generator>::New(env, new at::Generator(std::move(generator)),
                                                     [](Napi::Env, at::Generator* held) { delete held; });
  external.TypeTag(&kGeneratorTag);
  return external;
}

uint64_t ToSeed(Napi::Value value) {
  bool lossless = false;
  const uint64_t seed = value.As<Napi::BigInt>().Uint64Value(&lossless);
  TORCH_CHECK(lossless, "a generator's seed must be a non-negative 64-bit integer");
  return seed;
}

// newGenerator(seed?: bigint): a new CPU generator, as torch.Generator() (seeded with
// PyTorch's default seed, 67280421310721, unless a seed is given).
Napi::Value NewGenerator(const Napi::CallbackInfo& info) {
  if (info[0].IsUndefined()) return FromGenerator(info.Env(), at::make_generator<at::CPUGeneratorImpl>());
  return FromGenerator(info.Env(), at::make_generator<at::CPUGeneratorImpl>(ToSeed(info[0])));
}

// defaultGenerator(): the default CPU generator, the one torch_manual_seed seeds.
Napi::Value DefaultGenerator(const Napi::CallbackInfo& info) {
  return FromGenerator(info.Env(), at::detail::getDefaultCPUGenerator());
}

// generatorSeed(g) -> bigint: the seed last set (Python's initial_seed()).
Napi::Value GeneratorSeed(const Napi::CallbackInfo& info) {
  at::Generator generator = ToGenerator(info.Env(), info[0]);
  std::lock_guard<std::mutex> lock(generator.mutex());
  return Napi::BigInt::New(info.Env(), generator.current_seed());
}

// generatorSetSeed(g, seed: bigint): Python's manual_seed(seed); the state restarts.
Napi::Value GeneratorSetSeed(const Napi::CallbackInfo& info) {
  at::Generator generator = ToGenerator(info.Env(), info[0]);
  const uint64_t seed = ToSeed(info[1]);
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_current_seed(seed);
  return info.Env().Undefined();
}

// generatorGetState(g) -> the state as a uint8 tensor, Python's get_state().
Napi::Value GeneratorGetState(const Napi::CallbackInfo& info) {
  at::Generator generator = ToGenerator(info.Env(), info[0]);
  std::lock_guard<std::mutex> lock(generator.mutex());
  return Wrap(info.Env(), generator.get_state());
}

// generatorSetState(g, state): Python's set_state(state); libtorch checks the state's size.
Napi::Value GeneratorSetState(const Napi::CallbackInfo& info) {
  at::Generator generator = ToGenerator(info.Env(), info[0]);
  const at::Tensor& state = Unwrap(info, 1);
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
  return info.Env().Undefined();
}

}  // namespace

at::Generator ToGenerator(Napi::Env env, Napi::Value value) {
  if (!value.IsExternal() || !value.As<Napi::External<at::Generator>>().CheckTypeTag(&kGeneratorTag)) {
    throw Napi::TypeError::New(env, "Expected a torch_generator() for generator");
  }
  return *value.As<Napi::External<at::Generator>>().Data();
}

void InitGenerator(Napi::Env env, Napi::Object exports) {
  TORCHLORA_EXPORT(exports, "newGenerator", NewGenerator);
  TORCHLORA_EXPORT(exports, "defaultGenerator", DefaultGenerator);
  TORCHLORA_EXPORT(exports, "generatorSeed", GeneratorSeed);
  TORCHLORA_EXPORT(exports, "generatorSetSeed", GeneratorSetSeed);
  TORCHLORA_EXPORT(exports, "generatorGetState", GeneratorGetState);
  TORCHLORA_EXPORT(exports, "generatorSetState", GeneratorSetState);
  (void)env;
}

}  // namespace torchlora
