// Data loading: the two random draws PyTorch 1.13's DataLoader and RandomSampler make, so
// that a shuffled dataloader consumes the default generator exactly as Python's does and,
// after the same manual_seed, yields the same order. Policy (when to draw) is in src/data/data.ts.
#include "data/data.h"

#include <ATen/CPUGeneratorImpl.h>

#include "core/tensor.h"

namespace torchlora {
namespace {

// randomSeed() -> bigint: torch.empty((), dtype=torch.int64).random_().item(), one draw from
// the default generator (a non-negative int64, which need not fit a double).
Napi::Value RandomSeed(const Napi::CallbackInfo& info) {
  at::Tensor seed = at::empty({}, at::kLong);
  seed.random_();
  return Napi::BigInt::New(info.Env(), seed.item<int64_t>());
}

// randpermSeeded(n, seed: bigint): torch.randperm(n, generator=g) where g is a fresh
// torch.Generator() given g.manual_seed(seed); the default generator is left alone.
Napi::Value RandpermSeeded(const Napi::CallbackInfo& info) {
  const int64_t n = info[0].As<Napi::Number>().Int64Value();
  bool lossless = false;
  const uint64_t seed = info[1].As<Napi::BigInt>().Uint64Value(&lossless);
  TORCH_CHECK(lossless, "the generator seed must be a non-negative 64-bit integer");
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  return Wrap(info.Env(), at::randperm(n, generator, at::TensorOptions().dtype(at::kLong)));
}

}  // namespace

void InitData(Napi::Env env, Napi::Object exports) {
  TORCHLORA_EXPORT(exports, "randomSeed", RandomSeed);
  TORCHLORA_EXPORT(exports, "randpermSeeded", RandpermSeeded);
  (void)env;
}

}  // namespace torchlora
