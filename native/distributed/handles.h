// The JS handles of torch.distributed's c10d objects (stores, process groups, works, DDP
// reducers), shared by native/distributed/distributed.cc, native/distributed/collectives.cc and
// native/distributed/data_parallel.cc: each is a box wrapped into a plain object the TypeScript layer
// passes back, tagged with its kind so another value is a TypeError, never a bad cast.
#pragma once

#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>
#include <torch/version.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/common.h"

namespace torchlora {
namespace dist {

struct StoreBox {
  c10::intrusive_ptr<c10d::Store> store;
  bool live() const { return store.defined(); }
  void release() { store.reset(); }
};
// `group` runs the collectives the user calls: with collective checks on, c10d's
// ProcessGroupWrapper in front of Gloo. `plain` is Gloo itself, for DDP's Reducer, whose
// bucket all-reduces are the same on every rank by construction and must not pay the checks.
struct GroupBox {
  c10::intrusive_ptr<c10d::ProcessGroup> group;
  c10::intrusive_ptr<c10d::ProcessGroup> plain;
  bool live() const { return group.defined(); }
  void release() {
    group.reset();
    plain.reset();
  }
};
struct WorkBox {
  c10::intrusive_ptr<c10d::Work> work;
  std::vector<at::Tensor> tensors;  // alive until the work is done, whatever JS disposes
  bool live() const { return work.defined(); }
  void release() {
    work.reset();
    tensors.clear();
  }
};
struct ReducerBox {
  std::shared_ptr<c10d::Reducer> reducer;
  bool live() const { return reducer != nullptr; }
  void release() {
    // ~Reducer is noexcept(false) (it unregisters its autograd hooks); a finalizer must not throw.
    try {
      reducer.reset();
    } catch (...) {
    }
  }
};

template <typename Box>
struct Kind;
template <>
struct Kind<StoreBox> {
  static constexpr napi_type_tag tag = {0x4c1d0a6e2b9f3e11ULL, 0x8e52b7c40d3a9f61ULL};
  static constexpr const char* name = "a store";
};
template <>
struct Kind<GroupBox> {
  static constexpr napi_type_tag tag = {0x4c1d0a6e2b9f3e12ULL, 0x8e52b7c40d3a9f62ULL};
  static constexpr const char* name = "a process group";
};
template <>
struct Kind<WorkBox> {
  static constexpr napi_type_tag tag = {0x4c1d0a6e2b9f3e13ULL, 0x8e52b7c40d3a9f63ULL};
  static constexpr const char* name = "a work";
};
template <>
struct Kind<ReducerBox> {
  static constexpr napi_type_tag tag = {0x4c1d0a6e2b9f3e14ULL, 0x8e52b7c40d3a9f64ULL};
  static constexpr const char* name = "a reducer";
};

// Runs synchronously inside GC (a basic finalizer): it touches no JS.
template <typename Box>
void FinalizeBox(node_api_basic_env /*env*/, void* raw, void* /*hint*/) {
  auto* box = static_cast<Box*>(raw);
  box->release();
  delete box;
}

// Wraps `value` into `target` (a fresh plain object from the TypeScript layer).
template <typename Box>
void Attach(Napi::Env env, Napi::Value target, Box&& value) {
  auto box = std::make_unique<Box>(std::move(value));
  NAPI_THROW_IF_FAILED_VOID(env, napi_wrap(env, target, box.get(), FinalizeBox<Box>, nullptr, nullptr));
  box.release();
  NAPI_THROW_IF_FAILED_VOID(env, napi_type_tag_object(env, target, &Kind<Box>::tag));
}

// The box behind `value`, or nullptr when `value` is not one of this kind.
template <typename Box>
Box* Find(Napi::Env env, Napi::Value value) {
  bool tagged = false;
  void* raw = nullptr;
  if (!value.IsObject() || napi_check_object_type_tag(env, value, &Kind<Box>::tag, &tagged) != napi_ok || !tagged ||
      napi_unwrap(env, value, &raw) != napi_ok) {
    return nullptr;
  }
  return static_cast<Box*>(raw);
}

// The live box behind argument `index`, or a TypeError.
template <typename Box>
Box& Get(const Napi::CallbackInfo& info, size_t index) {
  Box* box = Find<Box>(info.Env(), info[index]);
  if (box == nullptr) throw Napi::TypeError::New(info.Env(), std::string("Expected ") + Kind<Box>::name + " but received another value");
  if (!box->live()) throw Napi::TypeError::New(info.Env(), std::string("Expected ") + Kind<Box>::name + " that is not destroyed");
  return *box;
}

// destroy(handle): drops the box's hold now (idempotent; another value is ignored), for the
// handles the TypeScript layer frees before the GC would.
template <typename Box>
Napi::Value Destroy(const Napi::CallbackInfo& info) {
  if (Box* box = Find<Box>(info.Env(), info[0])) box->release();
  return info.Env().Undefined();
}

inline std::chrono::milliseconds Milliseconds(const Napi::Value& value) {
  return std::chrono::milliseconds(value.As<Napi::Number>().Int64Value());
}

}  // namespace dist
}  // namespace torchlora
