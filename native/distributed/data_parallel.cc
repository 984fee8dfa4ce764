// DistributedDataParallel's engine as c10d ships it: the initial broadcast of parameters and
// buffers (broadcast_coalesced) and the Reducer, whose autograd hooks all-reduce gradient
// buckets during backward. Policy (which parameters, when to rebuild) is in
// src/distributed/data_parallel.ts.
#include <torch/csrc/distributed/c10d/comm.hpp>

#include <algorithm>
#include <type_traits>

#include "distributed/handles.h"
#include "distributed/distributed.h"
#include "core/tensor.h"

namespace torchlora {
namespace dist {
namespace {

// broadcastCoalesced(group, tensors, bufferBytes, src): DDP's initial synchronisation, tensors
// flattened into buffers of at most bufferBytes, broadcast from src and copied back in place.
Napi::Value BroadcastCoalesced(const Napi::CallbackInfo& info) {
  auto& box = Get<GroupBox>(info, 0);
  const std::vector<at::Tensor> tensors = ToTensors(info.Env(), info[1]);
  c10d::broadcast_coalesced(box.group, tensors, static_cast<size_t>(info[2].As<Napi::Number>().Int64Value()),
                            info[3].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

// The Reducer's constructor as this libtorch declares it: 1.13 takes the per-bucket size limits
// third and ends with the first bucket's cap; 2.x drops the limits (or keeps them) and adds
// skip_all_reduce_unused_params, use_python_reducer and per-bucket caps for rebuilding, each
// given here as Python's DistributedDataParallel gives it by default (false, false, none).
template <typename... Args>
std::shared_ptr<c10d::Reducer> MakeReducer(std::vector<at::Tensor> params, std::vector<std::vector<size_t>> buckets,
                                           std::vector<size_t> limits, Args&&... rest) {
  using Names = std::unordered_map<size_t, std::string>;
  using Tensors = std::vector<at::Tensor>;
  using Buckets = std::vector<std::vector<size_t>>;
  if constexpr (std::is_constructible_v<c10d::Reducer, Tensors, Buckets, std::vector<size_t>, Args..., Names, int64_t>) {
    return std::make_shared<c10d::Reducer>(std::move(params), std::move(buckets), std::move(limits), std::forward<Args>(rest)...,
                                           Names{}, c10d::kDefaultFirstBucketBytes);
  } else if constexpr (std::is_constructible_v<c10d::Reducer, Tensors, Buckets, std::vector<size_t>, Args..., Names, int64_t, bool, bool>) {
    return std::make_shared<c10d::Reducer>(std::move(params), std::move(buckets), std::move(limits), std::forward<Args>(rest)...,
                                           Names{}, c10d::kDefaultFirstBucketBytes, false, false);
  } else {
    static_assert(std::is_constructible_v<c10d::Reducer, Tensors, Buckets, Args..., Names, int64_t, bool, bool, std::vector<int64_t>>,
                  "this libtorch's c10d::Reducer constructor is not one torchlora knows");
    return std::make_shared<c10d::Reducer>(std::move(params), std::move(buckets), std::forward<Args>(rest)..., Names{},
                                           c10d::kDefaultFirstBucketBytes, false, false, std::vector<int64_t>{});
  }
}

// reducerNew(out, group, params, bucketCapBytes, findUnused): DDP's Reducer as Python's
// DistributedDataParallel builds it: buckets by size (the first one small, so communication
// starts early in backward), in reverse parameter order, gradients averaged over the group.
Napi::Value ReducerNew(const Napi::CallbackInfo& info) {
  auto& box = Get<GroupBox>(info, 1);
  std::vector<at::Tensor> params = ToTensors(info.Env(), info[2]);
  const int64_t cap = info[3].As<Napi::Number>().Int64Value();
  const bool find_unused = info[4].ToBoolean().Value();
  const std::vector<bool> sparse(params.size(), false);
  auto assignment = c10d::compute_bucket_assignment_by_size(
      params, {static_cast<size_t>(c10d::kDefaultFirstBucketBytes), static_cast<size_t>(cap)}, sparse);
  std::vector<std::vector<size_t>> buckets = std::get<0>(assignment);
  std::vector<size_t> limits = std::get<1>(assignment);
  std::reverse(buckets.begin(), buckets.end());
  std::reverse(limits.begin(), limits.end());
  auto reducer = MakeReducer(std::move(params), std::move(buckets), std::move(limits), box.plain, sparse, cap, find_unused,
                             /*gradient_as_bucket_view=*/false);
  Attach(info.Env(), info[0], ReducerBox{std::move(reducer)});
  return info.Env().Undefined();
}

// reducerPrepareForward(reducer) -> whether the buckets were rebuilt: what DDP's forward does
// before running the module (after the first iteration, buckets follow the order gradients
// became ready, agreed on by a broadcast from rank 0).
Napi::Value ReducerPrepareForward(const Napi::CallbackInfo& info) {
  auto& box = Get<ReducerBox>(info, 0);
  box.reducer->prepare_for_forward();
  return Napi::Boolean::New(info.Env(), box.reducer->rebuild_buckets());
}

// reducerPrepareBackward(reducer, outputs): arms the autograd hooks for the next backward;
// with find_unused_parameters, `outputs` are searched for the parameters they do not reach.
Napi::Value ReducerPrepareBackward(const Napi::CallbackInfo& info) {
  Get<ReducerBox>(info, 0).reducer->prepare_for_backward(ToTensors(info.Env(), info[1]));
  return info.Env().Undefined();
}

}  // namespace

void InitDataParallel(Napi::Env env, Napi::Object exports) {
  TORCHLORA_EXPORT(exports, "distBroadcastCoalesced", BroadcastCoalesced);
  TORCHLORA_EXPORT(exports, "distReducerNew", ReducerNew);
  TORCHLORA_EXPORT(exports, "distReducerPrepareForward", ReducerPrepareForward);
  TORCHLORA_EXPORT(exports, "distReducerPrepareBackward", ReducerPrepareBackward);
  TORCHLORA_EXPORT(exports, "distReducerDispose", Destroy<ReducerBox>);
  (void)env;
}

}  // namespace dist
}  // namespace torchlora
