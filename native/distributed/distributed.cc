// torch.distributed's engine, c10d, as libtorch ships it: a TCPStore for the rendezvous and
// Gloo process groups (this file), collectives as c10d Work (native/distributed/collectives.cc) and
// DDP's Reducer (native/distributed/data_parallel.cc). Nothing here is home-made: the bytes on the wire are
// c10d's, so a Python rank joins the same group. Policy (key prefixes, the store-based barrier
// Python's init_process_group runs, environment variables, validation) lives in
// src/distributed/.
#include "distributed/distributed.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

// ProcessGroupGloo.hpp includes gloo's headers (Debian: libgloo-dev, the same gloo that
// Debian's libtorch links); without them the addon still builds and the 'gloo' backend says why
// not. A pip wheel's libtorch bundles a newer gloo and ships no headers, so its build reads
// Debian's 2022 ones, which lack GLOO_STORE_HAS_STORE_V2: the addon's view of gloo's
// rendezvous::Store and c10d's GlooStore then has fewer virtual functions than libtorch's. That
// is harmless only because this file touches gloo through shared_ptrs and libtorch's own
// functions (the devices, ProcessGroupGloo's constructor); it must not call gloo or GlooStore
// itself.
#if __has_include(<gloo/context.h>)
#define TORCHLORA_HAS_GLOO 1
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupWrapper.hpp>
#endif

#include <type_traits>
#include <utility>

#include "distributed/handles.h"

namespace torchlora {
namespace dist {
namespace {

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

// storeSet(store, key, value: string): Store::set of the string's UTF-8 bytes.
Napi::Value StoreSet(const Napi::CallbackInfo& info) {
  const std::string value = info[2].As<Napi::String>().Utf8Value();
  Get<StoreBox>(info, 0).store->set(info[1].As<Napi::String>().Utf8Value(), std::vector<uint8_t>(value.begin(), value.end()));
  return info.Env().Undefined();
}

// storeWait(store, key, timeoutMs): Store::wait until the key is set (a TorchError after the timeout).
Napi::Value StoreWait(const Napi::CallbackInfo& info) {
  Get<StoreBox>(info, 0).store->wait({info[1].As<Napi::String>().Utf8Value()}, Milliseconds(info[2]));
  return info.Env().Undefined();
}

// storeCheck(store, key) -> whether the key is set now (Store::check; it does not wait).
Napi::Value StoreCheck(const Napi::CallbackInfo& info) {
  const bool set = Get<StoreBox>(info, 0).store->check({info[1].As<Napi::String>().Utf8Value()});
  return Napi::Boolean::New(info.Env(), set);
}

// storeSetTimeout(store, timeoutMs)
Napi::Value StoreSetTimeout(const Napi::CallbackInfo& info) {
  Get<StoreBox>(info, 0).store->setTimeout(Milliseconds(info[1]));
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

#ifdef TORCHLORA_HAS_GLOO
#if TORCH_VERSION_MAJOR >= 2
// libtorch 2 split the process group (the front users call) from its backends (Gloo, NCCL...).
c10::intrusive_ptr<c10d::ProcessGroup> Front(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                             std::chrono::milliseconds timeout, c10::intrusive_ptr<c10d::Backend> backend) {
#if TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR < 6
  auto group = c10::make_intrusive<c10d::ProcessGroup>(store, rank, size, c10::make_intrusive<c10d::ProcessGroup::Options>("gloo", timeout));
#else
  auto group = c10::make_intrusive<c10d::ProcessGroup>(store, rank, size);
  group->setDefaultBackend(c10d::ProcessGroup::BackendType::GLOO);
#endif
  group->setBackend(c10::DeviceType::CPU, c10d::ProcessGroup::BackendType::GLOO, std::move(backend));
  return group;
}
#endif
#endif

// Agrees on the group's starting sequence number through the store, as the linked libtorch's
// Python does at init up to 2.13. Later versions start every rank at 0: ProcessGroup lost the
// call and Backend's is a deprecated no-op that warns, so it is skipped there.
template <typename Group, typename = void>
constexpr bool kAgreesSequenceNumbers = false;
template <typename Group>
constexpr bool kAgreesSequenceNumbers<Group, std::void_t<decltype(std::declval<Group&>().setSequenceNumberForGroup())>> = true;

template <typename Target>
void SetSequenceNumber(Target& target) {
  if constexpr (kAgreesSequenceNumbers<c10d::ProcessGroup>) target.setSequenceNumberForGroup();
}

// groupGloo(out, groupStore, backendStore, rank, size, timeoutMs, interfaces: string[],
//           sequenceNumberFirst: boolean): a Gloo process group whose Gloo backend meets the
// other ranks on `backendStore` (libtorch 2 gives each device's backend its own prefix under
// the group's store; on libtorch 1 group and backend are one, and `groupStore` is unused).
// With `sequenceNumberFirst`, Gloo agrees on its sequence number as soon as it is made, before
// any checks' Gloo, as PyTorch 2's _new_process_group_helper does; otherwise
// groupSetSequenceNumber does it later.
Napi::Value GroupGloo(const Napi::CallbackInfo& info) {
#ifdef TORCHLORA_HAS_GLOO
  auto& groupStore = Get<StoreBox>(info, 1);
  auto& backendStore = Get<StoreBox>(info, 2);
  const int rank = info[3].As<Napi::Number>().Int32Value();
  const int size = info[4].As<Napi::Number>().Int32Value();
  auto gloo = MakeGloo(backendStore.store, rank, size, Milliseconds(info[5]), info[6].As<Napi::Array>());
  if (info[7].ToBoolean().Value()) SetSequenceNumber(*gloo);
  GroupBox box;
#if TORCH_VERSION_MAJOR >= 2
  box.plain = Front(groupStore.store, rank, size, Milliseconds(info[5]), gloo);
#else
  (void)groupStore;
  box.plain = gloo;
#endif
  box.group = box.plain;
  Attach(info.Env(), info[0], std::move(box));
  return info.Env().Undefined();
#else
  throw TorchError(info.Env(),
                   "this build of torchlora has no Gloo: gloo's headers were missing when it was compiled "
                   "(Debian: apt-get install libgloo-dev, then rebuild)");
#endif
}

// groupCheck(group, groupStore, checkStore, rank, size, timeoutMs, interfaces: string[]): puts
// c10d's ProcessGroupWrapper (what Python's TORCH_DISTRIBUTED_DEBUG=DETAIL makes) in front of
// the group's Gloo for the collectives the user calls: before each one, a second Gloo group,
// which meets the other ranks' on `checkStore` now, compares the ranks' op, dtypes and shapes,
// so a mismatch is a TorchError on every rank instead of gloo aborting the process from its own
// thread. DDP's Reducer keeps Gloo itself (GroupBox::plain).
Napi::Value GroupCheck(const Napi::CallbackInfo& info) {
#ifdef TORCHLORA_HAS_GLOO
  auto& box = Get<GroupBox>(info, 0);
  auto& groupStore = Get<StoreBox>(info, 1);
  const int rank = info[3].As<Napi::Number>().Int32Value();
  const int size = info[4].As<Napi::Number>().Int32Value();
  const auto timeout = Milliseconds(info[5]);
  auto helper = MakeGloo(Get<StoreBox>(info, 2).store, rank, size, timeout, info[6].As<Napi::Array>());
#if TORCH_VERSION_MAJOR >= 2
  auto checked = c10::make_intrusive<c10d::ProcessGroupWrapper>(box.plain->getBackend(c10::DeviceType::CPU), helper);
  box.group = Front(groupStore.store, rank, size, timeout, checked);
#else
  (void)groupStore;
  box.group = c10::make_intrusive<c10d::ProcessGroupWrapper>(box.plain, helper);
#endif
  return info.Env().Undefined();
#else
  throw TorchError(info.Env(), "this build of torchlora has no Gloo");
#endif
}

// groupSetSequenceNumber(group): what PyTorch 1's init_process_group does last (rank 0 sets
// the group's sequence number in the store, the others read it).
Napi::Value GroupSetSequenceNumber(const Napi::CallbackInfo& info) {
  SetSequenceNumber(*Get<GroupBox>(info, 0).group);
  return info.Env().Undefined();
}

Napi::Value GroupRank(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), Get<GroupBox>(info, 0).group->getRank()); }
Napi::Value GroupSize(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), Get<GroupBox>(info, 0).group->getSize()); }

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
  TORCHLORA_EXPORT(exports, "distStoreSet", StoreSet);
  TORCHLORA_EXPORT(exports, "distStoreWait", StoreWait);
  TORCHLORA_EXPORT(exports, "distStoreCheck", StoreCheck);
  TORCHLORA_EXPORT(exports, "distStoreSetTimeout", StoreSetTimeout);
  // A store's server (rank 0) stops when no group or prefix store holds it any more; a
  // group's Gloo threads end with it.
  TORCHLORA_EXPORT(exports, "distStoreDestroy", Destroy<StoreBox>);
  TORCHLORA_EXPORT(exports, "distGroupGloo", GroupGloo);
  TORCHLORA_EXPORT(exports, "distGroupCheck", GroupCheck);
  TORCHLORA_EXPORT(exports, "distGroupSetSequenceNumber", GroupSetSequenceNumber);
  TORCHLORA_EXPORT(exports, "distGroupRank", GroupRank);
  TORCHLORA_EXPORT(exports, "distGroupSize", GroupSize);
  TORCHLORA_EXPORT(exports, "distGroupDestroy", Destroy<GroupBox>);
  InitDistCollectives(env, exports);
  InitDataParallel(env, exports);
}

}  // namespace dist
}  // namespace torchlora
