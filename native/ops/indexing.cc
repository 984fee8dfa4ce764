#include "ops/indexing.h"

#include <ATen/TensorIndexing.h>

#include "core/tensor.h"

namespace torchlora {
namespace {

using at::indexing::TensorIndex;

// One index item, as the TypeScript layer encodes it:
//   number             a single position (negative counts from the end)
//   [start, stop, step] a slice; null start/stop mean the ends
//   Tensor             an index (integer) or mask (bool) tensor
//   null               a new axis of size 1
//   "..."              the rest of the dimensions
TensorIndex ToIndex(Napi::Env env, Napi::Value item) {
  if (item.IsNumber()) return TensorIndex(item.As<Napi::Number>().Int64Value());
  if (item.IsNull()) return TensorIndex(at::indexing::None);
  if (item.IsString()) return TensorIndex(at::indexing::Ellipsis);
  if (item.IsArray()) {
    Napi::Array slice = item.As<Napi::Array>();
    const auto bound = [&](uint32_t i) -> c10::optional<int64_t> {
      Napi::Value value = slice.Get(i);
      if (value.IsNull() || value.IsUndefined()) return c10::nullopt;
      return value.As<Napi::Number>().Int64Value();
    };
    return TensorIndex(at::indexing::Slice(bound(0), bound(1), bound(2)));
  }
  return TensorIndex(Unwrap(env, item));
}

std::vector<TensorIndex> ToIndices(Napi::Env env, Napi::Value value) {
  Napi::Array array = value.As<Napi::Array>();
  std::vector<TensorIndex> indices;
  indices.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) indices.push_back(ToIndex(env, array.Get(i)));
  return indices;
}

// index(a, indices)
Napi::Value Index(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), Unwrap(info, 0).index(ToIndices(info.Env(), info[1])));
}

// indexPut(a, indices, value: Tensor | number, accumulate): with accumulate (index tensors
// only, as torch's index_put_ takes them), values at repeated indices add up.
Napi::Value IndexPut(const Napi::CallbackInfo& info) {
  at::Tensor a = Unwrap(info, 0);
  const bool scalar = info[2].IsNumber() || info[2].IsBoolean();
  if (info[3].ToBoolean().Value()) {
    c10::List<c10::optional<at::Tensor>> indices;
    for (const at::Tensor& index : ToTensors(info.Env(), info[1])) indices.push_back(index);
    const at::Tensor values = scalar ? at::scalar_tensor(ToScalar(info[2]), a.options()) : Unwrap(info, 2);
    a.index_put_(indices, values, true);
    return info.Env().Undefined();
  }
  const auto indices = ToIndices(info.Env(), info[1]);
  if (scalar) a.index_put_(indices, ToScalar(info[2]));
  else a.index_put_(indices, Unwrap(info, 2));
  return info.Env().Undefined();
}

}  // namespace

void InitIndexing(Napi::Env env, Napi::Object exports) {
  TORCHLORA_EXPORT(exports, "index", Index);
  TORCHLORA_EXPORT(exports, "indexPut", IndexPut);
  (void)env;
}

}  // namespace torchlora
