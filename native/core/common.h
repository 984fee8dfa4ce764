// What every translation unit of the addon shares: node-addon-api, ATen, the per-addon state
// and the one bridge that turns C++ exceptions into JavaScript errors. It is also the
// precompiled header of the CMake build, so keep heavy includes here and nowhere else.
#pragma once

#include <napi.h>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace torchlora {

// Per-addon state. One per Node environment (main thread or worker), owned by
// napi_set_instance_data, so the addon loads in several worker_threads at once.
// One tensor a JavaScript Tensor object holds (tensor.cc). The object keeps an id, an External
// carrying the slot's index and generation: a disposed tensor's slot is reused under the next
// generation, so a stale id is refused, never followed.
struct TensorSlot {
  at::Tensor tensor;
  int64_t bytes = 0;         // storage bytes reported for it
  uint32_t generation = 1;   // bumped each time the slot is emptied
  uint32_t next_free = 0;    // the free list's next slot, while empty
};

struct AddonData {
  Napi::FunctionReference torch_error;  // the TypeScript TorchError class
  // Tensors by handle. A deque: slots never move, so a tensor reference taken from one
  // stays valid while an op wraps its results into new slots.
  std::deque<TensorSlot> slots;
  uint32_t free_slot = UINT32_MAX;     // head of the free list; UINT32_MAX: none
  Napi::Reference<Napi::Value> handle_key;  // "h", the Tensor field that holds the handle
  int64_t live_tensors = 0;             // wrappers holding a tensor
  int64_t live_bytes = 0;               // storage bytes those wrappers hold
  // Bytes not yet reported to V8: reported in batches of about a megabyte, so that small
  // tensors do not pay a call into V8 each.
  int64_t unreported_bytes = 0;
  // The environment and every tensor box hold one count each: a GC finalizer that runs
  // during environment teardown may come after the instance data's own finalizer.
  int64_t holders = 1;

  // Collections the addon asks for (memory.cc, MaybeCollect): once the tensors alive have
  // grown by collect_limit since the last one, a minor GC frees the dropped ones, so that a
  // loop that leaves its results to the GC holds a few megabytes of garbage, not V8's own
  // schedule's hundreds (a young generation of 16 MB holds ~200,000 tensor objects).
  Napi::FunctionReference collect;  // (major: boolean) => void, from setCollector; empty: off
  int64_t collect_limit = 0;        // growth that triggers a collection (backs off, see MaybeCollect)
  int64_t collect_min_limit = 0;
  int64_t tensor_weight = 0;        // bytes each live tensor counts for besides its storage
  int64_t collect_baseline = 0;     // Weighted() after the last collection, or lower since
  int64_t last_collect_ns = 0;      // when the last collection ended (steady clock)
  int64_t wrapped_since_collect = 0; // ids made since the last collection, disposed ones too
  bool collecting = false;

  // Live tensor bytes as the collection policy counts them: each tensor's storage plus
  // tensor_weight for its native objects and its share of V8's young generation (the weight
  // and why: src/core/collector.ts).
  int64_t Weighted() const { return live_bytes + live_tensors * tensor_weight; }
};

AddonData& Data(Napi::Env env);
// memory.cc: runs the collector set by setCollector when the weighted live bytes, or the ids
// made (disposed ones too), grew past the limit since the last collection. Guarded calls it
// on entry to every exported function; never call it from a finalizer.
void MaybeCollect(napi_env env, AddonData& data);
inline void RetainAddonData(AddonData* data) { data->holders += 1; }
inline void ReleaseAddonData(AddonData* data) {
  if (--data->holders == 0) delete data;
}

// Builds the TorchError the TypeScript layer handed to initialize().
Napi::Error TorchError(Napi::Env env, const std::string& message);

// Every exported function goes through this: libtorch's errors (c10::Error, std::exception)
// become a thrown TorchError, never a crash; Napi::Error passes through unchanged.
// A collection, when one is due, comes first: before the call allocates, so that what it
// makes can reuse what the program dropped (an evaluation's 40 MB temporaries), and never
// while it holds references into the tensor table. The ids it was passed are its arguments,
// alive, so their tensors survive the collection.
template <Napi::Value (*Function)(const Napi::CallbackInfo&)>
Napi::Value Guarded(const Napi::CallbackInfo& info) {
  MaybeCollect(info.Env(), Data(info.Env()));
  try {
    return Function(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& error) {
    throw TorchError(info.Env(), error.what_without_backtrace());
  } catch (const std::exception& error) {
    throw TorchError(info.Env(), error.what());
  }
}

}  // namespace torchlora

// Registers `name` as Guarded<function>; the template form of Function::New keeps no
// per-function heap data, so a call costs one indirect jump.
#define TORCHLORA_EXPORT(exports, name, function) \
  (exports).Set(name, ::Napi::Function::New<::torchlora::Guarded<function>>((exports).Env(), name))
