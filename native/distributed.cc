// torch.distributed's engine, c10d, as libtorch ships it: a TCPStore for the rendezvous, a
// ProcessGroupGloo for the collectives, c10d's Work for their completion and DDP's Reducer for
// gradient buckets all-reduced during backward. Nothing here is home-made: the bytes on the
// wire are c10d's, so a Python rank joins the same group. Policy (key prefixes, the
// store-based barrier Python's init_process_group runs, environment variables, validation)
// lives in src/distributed/.
#include "distributed.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/comm.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>

// ProcessGroupGloo.hpp includes gloo's headers (Debian: libgloo-dev, the same gloo that
// libtorch links); without them the addon still builds and the 'gloo' backend says why not.
#if __has_include(<gloo/context.h>)
#define TORCHLORA_HAS_GLOO 1
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupWrapper.hpp>
#endif

#include <algorithm>
#include <chrono>
#include <memory>

#include "tensor.h"

namespace torchlora {
namespace {

struct StoreBox {
  c10::intrusive_ptr<c10d::Store> store;
  bool live() const { return store.defined(); }
  void release() { store.reset(); }
};
struct GroupBox {
  c10::intrusive_ptr<c10d::ProcessGroup> group;
  bool live() const { return group.defined(); }
  void release() { group.reset(); }
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

template <typename Box>
Box& Get(const Napi::CallbackInfo& info, size_t index) {
  Box* box = Find<Box>(info.Env(), info[index]);
  if (box == nullptr) throw Napi::TypeError::New(info.Env(), std::string("Expected ") + Kind<Box>::name + " but received another value");
  if (!box->live()) throw Napi::TypeError::New(info.Env(), std::string("Expected ") + Kind<Box>::name + " that is not destroyed");
  return *box;
}

std::chrono::milliseconds Milliseconds(const Napi::Value& value) {
  return std::chrono::milliseconds(value.As<Napi::Number>().Int64Value());
}

std::vector<at::Tensor> Tensors(const Napi::CallbackInfo& info, size_t index) { return ToTensors(info.Env(), info[index]); }

c10d::ReduceOp ToReduceOp(const Napi::Value& value) {
  return c10d::ReduceOp(static_cast<c10d::ReduceOp::RedOpType>(value.As<Napi::Number>().Int32Value()));
}

// ---- stores ----

// storeTcp(out, host, port, isServer, worldSize, timeoutMs): c10d's TCPStore as Python's
// rendezvous makes it (multi-tenant; the server waits for every worker to connect).
Napi::Value StoreTcp(const Napi::CallbackInfo& info) {
  c10d::TCPStoreOptions options;
  options.port = static_cast<std::uint16_t>(info[2].As<Napi::Number>().Uint32Value());
  options.isServer = info[3].ToBoolean().Value();
  options.numWorkers = static_cast<std::size_t>(info[4].As<Napi::Number>().Uint32Value());
  options.waitWorkers = true;
  options.timeout = Milliseconds(info[5]);
  options.multiTenant = true;
  const std::string host = info[1].As<Napi::String>().Utf8Value();
  Attach(info.Env(), info[0], StoreBox{c10::make_intrusive<c10d::TCPStore>(host, options)});
  return info.Env().Undefined();
}

// storePrefix(out, store, prefix): c10d's PrefixStore ("prefix/key").
Napi::Value StorePrefix(const Napi::CallbackInfo& info) {
  auto& base = Get<StoreBox>(info, 1);
  auto store = c10::make_intrusive<c10d::PrefixStore>(info[2].As<Napi::String>().Utf8Value(), base.store);
  Attach(info.Env(), info[0], StoreBox{store});
  return info.Env().Undefined();
}

// storeAdd(store, key, amount) -> the new value: Store::add, the counter of store-based barriers.
Napi::Value StoreAdd(const Napi::CallbackInfo& info) {
  auto& box = Get<StoreBox>(info, 0);
  const int64_t value = box.store->add(info[1].As<Napi::String>().Utf8Value(), info[2].As<Napi::Number>().Int64Value());
  return Napi::Number::New(info.Env(), static_cast<double>(value));
}

// storeSetTimeout(store, timeoutMs)
Napi::Value StoreSetTimeout(const Napi::CallbackInfo& info) {
  Get<StoreBox>(info, 0).store->setTimeout(Milliseconds(info[1]));
  return info.Env().Undefined();
}

// storeDestroy(store): drops this handle's hold on the store now (idempotent); the server of
// rank 0 stops when no group or prefix store holds it any more.
Napi::Value StoreDestroy(const Napi::CallbackInfo& info) {
  if (StoreBox* box = Find<StoreBox>(info.Env(), info[0])) box->release();
  return info.Env().Undefined();
}

// ---- process groups ----

#ifdef TORCHLORA_HAS_GLOO
// A Gloo backend with the devices Python's ProcessGroupGloo binding makes (one per
// GLOO_SOCKET_IFNAME interface, else the default device) and its two threads per device.
c10::intrusive_ptr<c10d::ProcessGroupGloo> MakeGloo(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                                    std::chrono::milliseconds timeout, const Napi::Array& interfaces) {
  auto options = c10d::ProcessGroupGloo::Options::create(timeout);
  for (uint32_t i = 0; i < interfaces.Length(); ++i) {
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(interfaces.Get(i).As<Napi::String>().Utf8Value()));
  }
  if (options->devices.empty()) options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  options->threads = static_cast<int>(options->devices.size() * 2);
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, options);
}
#endif

// groupGloo(out, store, rank, size, timeoutMs, interfaces: string[], checkStore: Store | null):
// a Gloo process group. With `checkStore` (TORCH_DISTRIBUTED_DEBUG=DETAIL in Python), c10d's
// ProcessGroupWrapper: before each collective, a second Gloo group on that store compares the
// ranks' op, dtypes and shapes, so a mismatch is an error on every rank instead of gloo
// aborting the process from its own thread.
Napi::Value GroupGloo(const Napi::CallbackInfo& info) {
#ifdef TORCHLORA_HAS_GLOO
  auto& store = Get<StoreBox>(info, 1);
  const int rank = info[2].As<Napi::Number>().Int32Value();
  const int size = info[3].As<Napi::Number>().Int32Value();
  const auto timeout = Milliseconds(info[4]);
  const Napi::Array interfaces = info[5].As<Napi::Array>();
  auto gloo = MakeGloo(store.store, rank, size, timeout, interfaces);
#if TORCH_VERSION_MAJOR >= 2
  // libtorch 2 split the process group (the front) from its backends (Gloo, NCCL, ...).
  c10::intrusive_ptr<c10d::Backend> backend = gloo;
  if (!info[6].IsNull()) {
    backend = c10::make_intrusive<c10d::ProcessGroupWrapper>(gloo, MakeGloo(Get<StoreBox>(info, 6).store, rank, size, timeout, interfaces));
  }
#if TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR < 6
  auto group = c10::make_intrusive<c10d::ProcessGroup>(store.store, rank, size,
                                                       c10::make_intrusive<c10d::ProcessGroup::Options>("gloo", timeout));
#else
  auto group = c10::make_intrusive<c10d::ProcessGroup>(store.store, rank, size);
  group->setDefaultBackend(c10d::ProcessGroup::BackendType::GLOO);
#endif
  group->setBackend(c10::DeviceType::CPU, c10d::ProcessGroup::BackendType::GLOO, backend);
#else
  c10::intrusive_ptr<c10d::ProcessGroup> group = gloo;
  if (!info[6].IsNull()) {
    group = c10::make_intrusive<c10d::ProcessGroupWrapper>(gloo, MakeGloo(Get<StoreBox>(info, 6).store, rank, size, timeout, interfaces));
  }
#endif
  Attach(info.Env(), info[0], GroupBox{group});
  return info.Env().Undefined();
#else
  throw TorchError(info.Env(),
                   "this build of torchlora has no Gloo: gloo's headers were missing when it was compiled "
                   "(Debian: apt-get install libgloo-dev, then rebuild)");
#endif
}

// groupSetSequenceNumber(group): what Python's init_process_group does last (rank 0 sets the
// group's sequence number in the store, the others read it).
Napi::Value GroupSetSequenceNumber(const Napi::CallbackInfo& info) {
  Get<GroupBox>(info, 0).group->setSequenceNumberForGroup();
  return info.Env().Undefined();
}

Napi::Value GroupRank(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), Get<GroupBox>(info, 0).group->getRank()); }
Napi::Value GroupSize(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), Get<GroupBox>(info, 0).group->getSize()); }

// groupDestroy(group): drops the group now (idempotent); its threads end with it.
Napi::Value GroupDestroy(const Napi::CallbackInfo& info) {
  if (GroupBox* box = Find<GroupBox>(info.Env(), info[0])) box->release();
  return info.Env().Undefined();
}

// ---- collectives: each wraps a c10d Work into `out` ----

void Started(const Napi::CallbackInfo& info, c10::intrusive_ptr<c10d::Work> work, std::vector<at::Tensor> tensors) {
  Attach(info.Env(), info[0], WorkBox{std::move(work), std::move(tensors)});
}

// allReduce(out, group, tensor, op)
Napi::Value AllReduce(const Napi::CallbackInfo& info) {
  auto& box = Get<GroupBox>(info, 1);
  std::vector<at::Tensor> tensors{Unwrap(info, 2)};
  c10d::AllreduceOptions options;
  options.reduceOp = ToReduceOp(info[3]);
  Started(info, box.group->allreduce(tensors, options), tensors);
  return info.Env().Undefined();
}

// broadcast(out, group, tensor, src)
Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  auto& box = Get<GroupBox>(info, 1);
  std::vector<at::Tensor> tensors{Unwrap(info, 2)};
  c10d::BroadcastOptions options;
  options.rootRank = info[3].As<Napi::Number>().Int64Value();
  Started(info, box.group->broadcast(tensors, options), tensors);
  return info.Env().Undefined();
}

// allGather(out, group, outputs: Tensor[], input)
Napi::Value AllGather(const Napi::CallbackInfo& info) {
  auto& box = Get<GroupBox>(info, 1);
  std::vector<std::vector<at::Tensor>> outputs{Tensors(info, 2)};
  std::vector<at::Tensor> inputs{Unwrap(info, 3)};
  std::vector<at::Tensor> kept = outputs[0];
  kept.push_back(inputs[0]);
  Started(info, box.group->allgather(outputs, inputs), kept);
  return info.Env().Undefined();
}

// reduceScatter(out, group, output, inputs: Tensor[], op)
Napi::Value ReduceScatter(const Napi::CallbackInfo& info) {
  auto& box = Get<GroupBox>(info, 1);
  std::vector<at::Tensor> outputs{Unwrap(info, 2)};
  std::vector<std::vector<at::Tensor>> inputs{Tensors(info, 3)};
  c10d::ReduceScatterOptions options;
  options.reduceOp = ToReduceOp(info[4]);
  std::vector<at::Tensor> kept = inputs[0];
  kept.push_back(outputs[0]);
  Started(info, box.group->reduce_scatter(outputs, inputs, options), kept);
  return info.Env().Undefined();
}

// barrier(out, group)
Napi::Value Barrier(const Napi::CallbackInfo& info) {
  Started(info, Get<GroupBox>(info, 1).group->barrier(), {});
  return info.Env().Undefined();
}

// workWait(work): blocks this thread until the work is done; its error becomes a TorchError.
Napi::Value WorkWait(const Napi::CallbackInfo& info) {
  auto& box = Get<WorkBox>(info, 0);
  auto work = box.work;
  box.release();
  work->wait();
  return info.Env().Undefined();
}

// Waits for a Work on a libuv worker thread, so the event loop runs meanwhile, and settles a
// promise on the main thread. It holds the Work and its tensors until then.
class WorkWaiter : public Napi::AsyncWorker {
 public:
  WorkWaiter(Napi::Env env, WorkBox box)
      : Napi::AsyncWorker(env, "torchlora:dist_work"), box_(std::move(box)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      box_.work->wait();
    } catch (const c10::Error& error) {
      SetError(error.what_without_backtrace());
    } catch (const std::exception& error) {
      SetError(error.what());
    }
  }
  void OnOK() override {
    box_.release();
    deferred_.Resolve(Env().Undefined());
  }
  void OnError(const Napi::Error& error) override {
    box_.release();
    deferred_.Reject(TorchError(Env(), error.Message()).Value());
  }

 private:
  WorkBox box_;
  Napi::Promise::Deferred deferred_;
};

// workPromise(work) -> Promise<void>: resolves when the work is done, rejects with a TorchError.
Napi::Value WorkPromise(const Napi::CallbackInfo& info) {
  auto& box = Get<WorkBox>(info, 0);
  auto* waiter = new WorkWaiter(info.Env(), std::move(box));
  box.release();
  Napi::Promise promise = waiter->Promise();
  waiter->Queue();
  return promise;
}

// ---- data parallel ----

// broadcastCoalesced(group, tensors, bufferBytes, src): DDP's initial synchronisation, tensors
// flattened into buffers of at most bufferBytes, broadcast from src and copied back in place.
Napi::Value BroadcastCoalesced(const Napi::CallbackInfo& info) {
  auto& box = Get<GroupBox>(info, 0);
  const std::vector<at::Tensor> tensors = Tensors(info, 1);
  c10d::broadcast_coalesced(box.group, tensors, static_cast<size_t>(info[2].As<Napi::Number>().Int64Value()),
                            info[3].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

// reducerNew(out, group, params, bucketCapBytes, findUnused): DDP's Reducer as Python's
// DistributedDataParallel builds it: buckets by size (the first one small, so communication
// starts early in backward), in reverse parameter order, gradients averaged over the group.
Napi::Value ReducerNew(const Napi::CallbackInfo& info) {
  auto& box = Get<GroupBox>(info, 1);
  std::vector<at::Tensor> params = Tensors(info, 2);
  const int64_t cap = info[3].As<Napi::Number>().Int64Value();
  const bool find_unused = info[4].ToBoolean().Value();
  const std::vector<bool> sparse(params.size(), false);
  auto assignment = c10d::compute_bucket_assignment_by_size(
      params, {static_cast<size_t>(c10d::kDefaultFirstBucketBytes), static_cast<size_t>(cap)}, sparse);
  std::vector<std::vector<size_t>> buckets = std::get<0>(assignment);
  std::vector<size_t> limits = std::get<1>(assignment);
  std::reverse(buckets.begin(), buckets.end());
  std::reverse(limits.begin(), limits.end());
  auto reducer = std::make_shared<c10d::Reducer>(std::move(params), std::move(buckets), std::move(limits), box.group, sparse, cap,
                                                 find_unused, /*gradient_as_bucket_view=*/false,
                                                 std::unordered_map<size_t, std::string>{}, c10d::kDefaultFirstBucketBytes);
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
  Get<ReducerBox>(info, 0).reducer->prepare_for_backward(Tensors(info, 1));
  return info.Env().Undefined();
}

Napi::Value ReducerDispose(const Napi::CallbackInfo& info) {
  if (ReducerBox* box = Find<ReducerBox>(info.Env(), info[0])) box->release();
  return info.Env().Undefined();
}

Napi::Value HasGloo(const Napi::CallbackInfo& info) {
#ifdef TORCHLORA_HAS_GLOO
  return Napi::Boolean::New(info.Env(), true);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

}  // namespace

void InitDistributed(Napi::Env env, Napi::Object exports) {
  TORCHLORA_EXPORT(exports, "distHasGloo", HasGloo);
  TORCHLORA_EXPORT(exports, "distStoreTcp", StoreTcp);
  TORCHLORA_EXPORT(exports, "distStorePrefix", StorePrefix);
  TORCHLORA_EXPORT(exports, "distStoreAdd", StoreAdd);
  TORCHLORA_EXPORT(exports, "distStoreSetTimeout", StoreSetTimeout);
  TORCHLORA_EXPORT(exports, "distStoreDestroy", StoreDestroy);
  TORCHLORA_EXPORT(exports, "distGroupGloo", GroupGloo);
  TORCHLORA_EXPORT(exports, "distGroupSetSequenceNumber", GroupSetSequenceNumber);
  TORCHLORA_EXPORT(exports, "distGroupRank", GroupRank);
  TORCHLORA_EXPORT(exports, "distGroupSize", GroupSize);
  TORCHLORA_EXPORT(exports, "distGroupDestroy", GroupDestroy);
  TORCHLORA_EXPORT(exports, "distAllReduce", AllReduce);
  TORCHLORA_EXPORT(exports, "distBroadcast", Broadcast);
  TORCHLORA_EXPORT(exports, "distAllGather", AllGather);
  TORCHLORA_EXPORT(exports, "distReduceScatter", ReduceScatter);
  TORCHLORA_EXPORT(exports, "distBarrier", Barrier);
  TORCHLORA_EXPORT(exports, "distWorkWait", WorkWait);
  TORCHLORA_EXPORT(exports, "distWorkPromise", WorkPromise);
  TORCHLORA_EXPORT(exports, "distBroadcastCoalesced", BroadcastCoalesced);
  TORCHLORA_EXPORT(exports, "distReducerNew", ReducerNew);
  TORCHLORA_EXPORT(exports, "distReducerPrepareForward", ReducerPrepareForward);
  TORCHLORA_EXPORT(exports, "distReducerPrepareBackward", ReducerPrepareBackward);
  TORCHLORA_EXPORT(exports, "distReducerDispose", ReducerDispose);
  (void)env;
}

}  // namespace torchlora
