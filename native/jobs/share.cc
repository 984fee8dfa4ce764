#include "jobs/share.h"

#include <mutex>
#include <unordered_map>

#include "core/tensor.h"

namespace torchlora {
namespace {

// One registry for the whole process (every worker thread's addon instance sees it): that is
// the point. Entries are tensors detached from their autograd graph; a number is taken once.
struct Registry {
  std::mutex mutex;
  std::unordered_map<int64_t, at::Tensor> parked;
  int64_t next = 1;
};

Registry& TheRegistry() {
  static auto* registry = new Registry();  // never destroyed: workers may outlive statics
  return *registry;
}

// The parked tensor of number `id`, removed from the registry; undefined when there is none.
at::Tensor Unpark(int64_t id) {
  Registry& registry = TheRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  auto found = registry.parked.find(id);
  if (found == registry.parked.end()) return at::Tensor();
  at::Tensor tensor = std::move(found->second);
  registry.parked.erase(found);
  return tensor;
}

// shareTensor(tensor): parks a detached alias of `tensor` (same storage) and returns its number.
Napi::Value ShareTensor(const Napi::CallbackInfo& info) {
  at::Tensor alias = Unwrap(info, 0).detach();
  Registry& registry = TheRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  const int64_t id = registry.next++;
  registry.parked.emplace(id, std::move(alias));
  return Napi::Number::New(info.Env(), static_cast<double>(id));
}

// takeShared(number): the id of the tensor parked under `number`,
// which is forgotten; null when the number was never given or was taken or released already.
Napi::Value TakeShared(const Napi::CallbackInfo& info) {
  at::Tensor tensor = Unpark(info[0].As<Napi::Number>().Int64Value());
  if (!tensor.defined()) return info.Env().Null();
  return Wrap(info.Env(), std::move(tensor));
}

// releaseShared(id): drops a parked tensor nobody took; false when there was none.
Napi::Value ReleaseShared(const Napi::CallbackInfo& info) {
  // The tensor is freed here, after Unpark let go of the lock.
  return Napi::Boolean::New(info.Env(), Unpark(info[0].As<Napi::Number>().Int64Value()).defined());
}

Napi::Value ParkedTensors(const Napi::CallbackInfo& info) {
  Registry& registry = TheRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  return Napi::Number::New(info.Env(), static_cast<double>(registry.parked.size()));
}

}  // namespace

void InitShared(Napi::Env env, Napi::Object exports) {
  TORCHLORA_EXPORT(exports, "shareTensor", ShareTensor);
  TORCHLORA_EXPORT(exports, "takeShared", TakeShared);
  TORCHLORA_EXPORT(exports, "releaseShared", ReleaseShared);
  TORCHLORA_EXPORT(exports, "parkedTensors", ParkedTensors);
  (void)env;
}

}  // namespace torchlora
