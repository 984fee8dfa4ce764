// Mixed-adapter batches as one native call (punica / S-LoRA's segmented GEMM, SGMV): the rows
// are gathered in adapter order once, each adapter's contiguous segment takes its two small
// products (x Aᵀ) Bᵀ · scaling, and one index_select puts the terms back in row order. The FLOPs
// are those of one adapter over the whole batch; no adapter's weights are copied or stacked, so
// there is nothing to cache and nothing to go stale. Only ATen ops, so it runs on any device
// and autograd records it like any other composition of ops.
#include "lora.h"

#include "tensor.h"

namespace torchlora {
namespace {

// loraMixed(out, input, order[], counts[], A[] (Tensor | null), B[] (Tensor | null), scalings[], outFeatures)
// `order` lists the rows grouped by adapter (segment j: the next counts[j] rows); rows past the
// last segment, and segments whose A is null (an adapter this layer lacks), get a zero term.
// A[j] is r_j x in, B[j] is out x r_j; input is rows x ... x in, the term rows x ... x out.
Napi::Value LoraMixed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const at::Tensor& input = Unwrap(info, 1);
  const std::vector<int64_t> order = ToInt64s(info[2]);
  const std::vector<int64_t> counts = ToInt64s(info[3]);
  const Napi::Array as = info[4].As<Napi::Array>();
  const Napi::Array bs = info[5].As<Napi::Array>();
  const Napi::Array scalings = info[6].As<Napi::Array>();
  const int64_t rows = input.size(0);

  std::vector<int64_t> inverse(order.size());
  bool identity = true;
  for (size_t i = 0; i < order.size(); ++i) {
    inverse[order[i]] = static_cast<int64_t>(i);
    identity = identity && order[i] == static_cast<int64_t>(i);
  }
  const auto indexOf = [&](const std::vector<int64_t>& values) {
    return at::tensor(values, at::kLong).to(input.device());
  };
  const at::Tensor sorted = identity ? input : input.index_select(0, indexOf(order));

  std::vector<int64_t> zeroShape = input.sizes().vec();
  zeroShape.back() = info[7].As<Napi::Number>().Int64Value();
  std::vector<at::Tensor> terms;
  int64_t start = 0;
  int64_t pendingZeros = 0;  // consecutive rows without a term, added as one block of zeros
  const auto flushZeros = [&]() {
    if (pendingZeros == 0) return;
    zeroShape[0] = pendingZeros;
    terms.push_back(at::zeros(zeroShape, input.options()));
    pendingZeros = 0;
  };
  for (uint32_t j = 0; j < counts.size(); ++j) {
    const int64_t count = counts[j];
    if (count == 0) continue;
    const Napi::Value a = as.Get(j);
    if (a.IsNull()) {
      pendingZeros += count;
    } else {
      flushZeros();
      const at::Tensor segment = sorted.narrow(0, start, count);
      const at::Tensor down = at::matmul(segment, Unwrap(env, a).t());
      terms.push_back(at::matmul(down, Unwrap(env, bs.Get(j)).t()).mul(scalings.Get(j).As<Napi::Number>().DoubleValue()));
    }
    start += count;
  }
  pendingZeros += rows - start;
  flushZeros();

  at::Tensor term = terms.size() == 1 ? terms[0] : at::cat(terms, 0);
  if (!identity) term = term.index_select(0, indexOf(inverse));
  Wrap(env, info[0], std::move(term));
  return env.Undefined();
}

}  // namespace

void InitLora(Napi::Env env, Napi::Object exports) {
  TORCHLORA_EXPORT(exports, "loraMixed", LoraMixed);
}

}  // namespace torchlora
