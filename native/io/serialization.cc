#include "io/serialization.h"

#include <ATen/core/grad_mode.h>

#include "core/tensor.h"

namespace torchlora {
namespace {

// A 1-D tensor over `storage` from its first element: `numel` elements of `like`'s dtype on
// its device, not tracked by autograd.
at::Tensor OverStorage(const at::Tensor& like, const c10::Storage& storage, int64_t offset, at::IntArrayRef size, at::IntArrayRef stride) {
  at::NoGradGuard no_grad;
  at::Tensor result = at::empty({0}, at::TensorOptions().dtype(like.scalar_type()).device(like.device()));
  result.set_(storage, offset, size, stride);
  return result;
}

// storageOf(out, a): wraps into `out` a 1-D tensor over all of `a`'s storage and returns
// { key, offset, stride }: a BigInt naming the storage (equal for tensors that share it,
// while they live), `a`'s storage offset and its strides, in elements.
Napi::Value StorageOf(const Napi::CallbackInfo& info) {
  const at::Tensor& tensor = Unwrap(info, 1);
  if (!tensor.has_storage()) throw std::runtime_error("a tensor without storage (sparse, or an opaque layout) cannot be saved");
  const c10::Storage& storage = tensor.storage();
  const int64_t numel = static_cast<int64_t>(storage.nbytes()) / static_cast<int64_t>(tensor.element_size());
  WrapInto(info.Env(), info[0], OverStorage(tensor, storage, 0, {numel}, {1}));
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("key", Napi::BigInt::New(info.Env(), static_cast<uint64_t>(reinterpret_cast<uintptr_t>(storage.unsafeGetStorageImpl()))));
  result.Set("offset", Napi::Number::New(info.Env(), static_cast<double>(tensor.storage_offset())));
  Napi::Array stride = Napi::Array::New(info.Env(), tensor.dim());
  for (int64_t i = 0; i < tensor.dim(); ++i) stride.Set(static_cast<uint32_t>(i), static_cast<double>(tensor.stride(i)));
  result.Set("stride", stride);
  return result;
}

// setStorage(source, offset, size, stride): the id of a new tensor over
// `source`'s storage, as torch._utils._rebuild_tensor does (`set_`): it shares the storage
// but is not an autograd view of `source`. The TypeScript layer has checked that every
// element lies within the storage (set_ would grow it otherwise).
Napi::Value SetStorage(const Napi::CallbackInfo& info) {
  const at::Tensor& source = Unwrap(info, 0);
  const int64_t offset = info[1].As<Napi::Number>().Int64Value();
  return Wrap(info.Env(), OverStorage(source, source.storage(), offset, ToInt64s(info[2]), ToInt64s(info[3])));
}

}  // namespace

void InitSerialization(Napi::Env env, Napi::Object exports) {
  TORCHLORA_EXPORT(exports, "storageOf", StorageOf);
  TORCHLORA_EXPORT(exports, "setStorage", SetStorage);
  (void)env;
}

}  // namespace torchlora
