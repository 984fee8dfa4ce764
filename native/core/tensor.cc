// Tensor objects: wrapping, release, argument conversion, creation from JavaScript data,
// reading and printing. The factories (zeros, randn, arange...) go through the dispatcher.
#include "core/tensor.h"

#include <sstream>

#include <c10/core/impl/DeviceGuardImplInterface.h>

namespace torchlora {
namespace {

int64_t StorageBytes(const at::Tensor& tensor) {
  if (!tensor.has_storage()) return 0;
  return static_cast<int64_t>(tensor.storage().nbytes());
}

constexpr int64_t kReportBatchBytes = 1 << 20;
constexpr uint32_t kNoSlot = UINT32_MAX;

void Account(AddonData* data, int64_t tensors, int64_t bytes) {
  data->live_tensors += tensors;
  data->live_bytes += bytes;
  data->unreported_bytes += bytes;
}

// Tells V8 about the bytes accounted since the last report, once they add up to a
// megabyte either way. Never from a finalizer: V8 may start a collection inside
// AdjustAmountOfExternalAllocatedMemory, and one inside GC aborts the process.
void Report(napi_env env, AddonData* data) {
  if (data->unreported_bytes < kReportBatchBytes && data->unreported_bytes > -kReportBatchBytes) return;
  int64_t total = 0;
  napi_adjust_external_memory(env, data->unreported_bytes, &total);
  data->unreported_bytes = 0;
}

// A handle is the slot's generation (high 32 bits) and index (low 32 bits); generations
// start at 1, so 0 is never a handle.
uint64_t HandleOf(uint32_t index, const TensorSlot& slot) { return (uint64_t{slot.generation} << 32) | index; }
uint32_t IndexOf(uint64_t handle) { return static_cast<uint32_t>(handle & 0xffffffffu); }

// The live slot `handle` names, or nullptr when it names none (disposed, or never issued).
TensorSlot* SlotOf(AddonData& data, uint64_t handle) {
  const uint32_t index = IndexOf(handle);
  if (index >= data.slots.size()) return nullptr;
  TensorSlot& slot = data.slots[index];
  if (slot.generation != static_cast<uint32_t>(handle >> 32) || !slot.tensor.defined()) return nullptr;
  return &slot;
}

// Empties a live slot: the tensor goes, the slot's generation moves on (every handle to it
// is stale from now), and it joins the free list.
void Release(AddonData* data, uint32_t index) {
  TensorSlot& slot = data->slots[index];
  Account(data, -1, -slot.bytes);
  // Growth toward the next collection counts from the lowest point since the last one.
  data->collect_baseline = std::min(data->collect_baseline, data->Weighted());
  slot.tensor.reset();
  slot.bytes = 0;
  slot.generation = slot.generation == UINT32_MAX ? 1 : slot.generation + 1;
  slot.next_free = data->free_slot;
  data->free_slot = index;
}

// Runs synchronously inside GC (NAPI_EXPERIMENTAL basic finalizer) when the id dies: it
// touches no JS. After dispose() the handle is stale and only the count on the addon data is
// dropped.
void FinalizeTensor(node_api_basic_env /*env*/, void* raw, void* hint) {
  auto* data = static_cast<AddonData*>(hint);
  const auto handle = reinterpret_cast<uintptr_t>(raw);
  if (SlotOf(*data, handle) != nullptr) Release(data, IndexOf(handle));
  ReleaseAddonData(data);
}

napi_value HandleKey(napi_env env, AddonData& data) {
  if (data.handle_key.IsEmpty()) data.handle_key = Napi::Persistent(Napi::Value(Napi::String::New(env, "h")));
  return data.handle_key.Value();
}

// The handle an id (an External) carries; 0 when `value` is no External. SlotOf checks the
// index and the generation, so an External from elsewhere (another addon's) is refused,
// never followed.
uint64_t HandleOfId(napi_env env, napi_value value) {
  void* raw = nullptr;
  if (napi_get_value_external(env, value, &raw) != napi_ok) return 0;
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(raw));
}

// The handle `value` carries: an id, or an object's `h` field (a Tensor passed whole, as
// arrays of tensors are). 0 when it carries none.
uint64_t HandleFrom(napi_env env, AddonData& data, napi_value value) {
  if (const uint64_t handle = HandleOfId(env, value)) return handle;
  napi_valuetype type = napi_undefined;
  napi_typeof(env, value, &type);
  if (type != napi_object) return 0;
  napi_value field = nullptr;
  if (napi_get_property(env, value, HandleKey(env, data), &field) != napi_ok) return 0;
  return HandleOfId(env, field);
}

}  // namespace

Napi::Value Wrap(Napi::Env env, at::Tensor tensor) {
  AddonData& data = Data(env);
  uint32_t index = data.free_slot;
  if (index == kNoSlot) {
    if (data.slots.size() >= kNoSlot) throw Napi::RangeError::New(env, "Too many live tensors (4,294,967,295)");
    index = static_cast<uint32_t>(data.slots.size());
    data.slots.emplace_back();
  } else {
    data.free_slot = data.slots[index].next_free;
  }
  TensorSlot& slot = data.slots[index];
  slot.tensor = std::move(tensor);
  slot.bytes = StorageBytes(slot.tensor);
  const uint64_t handle = HandleOf(index, slot);
  Account(&data, 1, slot.bytes);
  data.wrapped_since_collect += 1;
  napi_value id = nullptr;
  if (napi_create_external(env, reinterpret_cast<void*>(static_cast<uintptr_t>(handle)), FinalizeTensor, &data, &id) != napi_ok) {
    Release(&data, index);
    throw Napi::Error::New(env, "internal: could not make a tensor id");
  }
  RetainAddonData(&data);
  Report(env, &data);
  return Napi::Value(env, id);
}

void WrapInto(Napi::Env env, Napi::Value target, at::Tensor tensor) {
  const Napi::Value handle = Wrap(env, std::move(tensor));
  NAPI_THROW_IF_FAILED_VOID(env, napi_set_property(env, target, HandleKey(env, Data(env)), handle));
}

const at::Tensor& Unwrap(Napi::Env env, Napi::Value value) {
  AddonData& data = Data(env);
  const uint64_t handle = HandleFrom(env, data, value);
  if (handle == 0) throw Napi::TypeError::New(env, "Expected a Tensor but received another value");
  TensorSlot* slot = SlotOf(data, handle);
  if (slot == nullptr) throw Napi::TypeError::New(env, "Expected a live Tensor but received a disposed one");
  return slot->tensor;
}

const at::Tensor& Unwrap(const Napi::CallbackInfo& info, size_t index) {
  return Unwrap(info.Env(), info[index]);
}

bool Dispose(Napi::Env env, Napi::Value value) {
  AddonData& data = Data(env);
  const uint64_t handle = HandleFrom(env, data, value);
  if (SlotOf(data, handle) == nullptr) return false;
  Release(&data, IndexOf(handle));
  Report(env, &data);
  return true;
}

bool IsLive(Napi::Env env, Napi::Value value) {
  AddonData& data = Data(env);
  return SlotOf(data, HandleFrom(env, data, value)) != nullptr;
}

std::vector<int64_t> ToInt64s(Napi::Value value) {
  Napi::Array array = value.As<Napi::Array>();
  std::vector<int64_t> result(array.Length());
  for (uint32_t i = 0; i < result.size(); ++i) result[i] = array.Get(i).As<Napi::Number>().Int64Value();
  return result;
}

std::vector<at::Tensor> ToTensors(Napi::Env env, Napi::Value value) {
  Napi::Array array = value.As<Napi::Array>();
  std::vector<at::Tensor> result;
  result.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) result.push_back(Unwrap(env, array.Get(i)));
  return result;
}

at::Scalar ToScalar(Napi::Value value) {
  if (value.IsBoolean()) return at::Scalar(value.As<Napi::Boolean>().Value());
  double number = value.As<Napi::Number>().DoubleValue();
  // JavaScript has one number type; integral values become integer scalars so that
  // `int_tensor * 2` stays an integer tensor, as it does in PyTorch.
  if (std::isfinite(number) && std::trunc(number) == number && std::fabs(number) < 9007199254740992.0) {
    return at::Scalar(static_cast<int64_t>(number));
  }
  return at::Scalar(number);
}

c10::optional<at::ScalarType> ToDtype(Napi::Value value) {
  if (value.IsUndefined() || value.IsNull()) return c10::nullopt;
  return static_cast<at::ScalarType>(value.As<Napi::Number>().Int32Value());
}

// A CUDA device that cannot be used is refused here, in words, before libtorch's dispatcher
// answers with a list of backends.
c10::optional<at::Device> ToDevice(Napi::Value value) {
  if (value.IsUndefined() || value.IsNull()) return c10::nullopt;
  const at::Device device(value.As<Napi::String>().Utf8Value());
  if (device.is_cuda()) {
    if (!c10::impl::hasDeviceGuardImpl(c10::DeviceType::CUDA)) {
      throw std::runtime_error("CUDA is not available: this libtorch has no CUDA (build against a CUDA libtorch: LIBTORCH=/path npm rebuild)");
    }
    const int64_t count = at::detail::getCUDAHooks().getNumGPUs();
    if (count == 0) throw std::runtime_error("CUDA is not available: no GPU found");
    if (device.has_index() && device.index() >= count) {
      throw std::runtime_error("CUDA device " + std::to_string(device.index()) + " does not exist: " + std::to_string(count) + " GPU(s) found");
    }
  }
  return device;
}

c10::optional<int64_t> ToOptionalInt(Napi::Value value) {
  if (value.IsUndefined() || value.IsNull()) return c10::nullopt;
  return value.As<Napi::Number>().Int64Value();
}

Napi::Value ScalarToJs(Napi::Env env, const at::Scalar& scalar) {
  if (scalar.isBoolean()) return Napi::Boolean::New(env, scalar.toBool());
  if (scalar.isIntegral(false)) return Napi::Number::New(env, static_cast<double>(scalar.toLong()));
  if (scalar.isComplex()) throw Napi::TypeError::New(env, "item() of a complex tensor is not supported");
  return Napi::Number::New(env, scalar.toDouble());
}

namespace {

// fromBuffer(typedArray, shape, dtype, device, requires_grad): copies the bytes.
Napi::Value FromBuffer(const Napi::CallbackInfo& info) {
  Napi::TypedArray array = info[0].As<Napi::TypedArray>();
  const auto dtype = static_cast<at::ScalarType>(info[2].As<Napi::Number>().Int32Value());
  void* bytes = static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
  at::Tensor tensor = at::from_blob(bytes, ToInt64s(info[1]), at::TensorOptions().dtype(dtype)).clone();
  if (auto device = ToDevice(info[3])) tensor = tensor.to(*device);
  if (info[4].ToBoolean().Value()) tensor.requires_grad_(true);
  return Wrap(info.Env(), std::move(tensor));
}

Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  const uint64_t seed = static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value());
  {
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_current_seed(seed);
  }
  // Seeds every CUDA device too, when this libtorch has CUDA and a device is present.
  if (at::globalContext().hasCUDA()) {
    for (int64_t i = 0; i < at::detail::getCUDAHooks().getNumGPUs(); ++i) {
      auto generator = at::globalContext().defaultGenerator(at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(i)));
      std::lock_guard<std::mutex> lock(generator.mutex());
      generator.set_current_seed(seed);
    }
  }
  return info.Env().Undefined();
}

Napi::Value DisposeTensor(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), Dispose(info.Env(), info[0]));
}

Napi::Value IsDisposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !IsLive(info.Env(), info[0]));
}

Napi::Value Shape(const Napi::CallbackInfo& info) {
  const at::Tensor& tensor = Unwrap(info, 0);
  Napi::Array shape = Napi::Array::New(info.Env(), tensor.dim());
  for (int64_t i = 0; i < tensor.dim(); ++i) shape.Set(static_cast<uint32_t>(i), static_cast<double>(tensor.size(i)));
  return shape;
}

Napi::Value Dtype(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<int>(Unwrap(info, 0).scalar_type()));
}

Napi::Value DeviceOf(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), Unwrap(info, 0).device().str());
}

Napi::Value Numel(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(Unwrap(info, 0).numel()));
}

Napi::Value Dim(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(Unwrap(info, 0).dim()));
}

Napi::Value Item(const Napi::CallbackInfo& info) {
  return ScalarToJs(info.Env(), Unwrap(info, 0).item());
}

// data(a): a copy of the values, contiguous, on the CPU, as an ArrayBuffer.
Napi::Value DataBuffer(const Napi::CallbackInfo& info) {
  at::Tensor tensor = Unwrap(info, 0).detach().to(at::kCPU).contiguous();
  const size_t bytes = tensor.numel() * tensor.element_size();
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(info.Env(), bytes);
  if (bytes != 0) std::memcpy(buffer.Data(), tensor.data_ptr(), bytes);
  return buffer;
}

// dataView(a): the tensor's own memory as an ArrayBuffer, no copy. The buffer holds a
// reference to the storage, so it stays valid after the tensor is disposed or collected.
// The TypeScript layer checks that a is a contiguous CPU tensor.
Napi::Value DataView(const Napi::CallbackInfo& info) {
  auto* keep = new at::Tensor(Unwrap(info, 0).detach());
  const size_t bytes = keep->numel() * keep->element_size();
  napi_value buffer = nullptr;
  const napi_status status = napi_create_external_arraybuffer(
      info.Env(), bytes == 0 ? nullptr : keep->data_ptr(), bytes,
      [](node_api_basic_env, void*, void* hint) { delete static_cast<at::Tensor*>(hint); }, keep, &buffer);
  if (status != napi_ok) {
    delete keep;
    throw Napi::Error::New(info.Env(), "This Node.js cannot make an ArrayBuffer over native memory; use to_typed_array() to copy");
  }
  return Napi::Value(info.Env(), buffer);
}

Napi::Value IsContiguous(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), Unwrap(info, 0).is_contiguous());
}

// to(a, device, dtype, copy)
Napi::Value To(const Napi::CallbackInfo& info) {
  const at::Tensor& tensor = Unwrap(info, 0);
  const bool copy = info[3].ToBoolean().Value();
  at::Tensor result = tensor.to(ToDevice(info[1]).value_or(tensor.device()),
                                ToDtype(info[2]).value_or(tensor.scalar_type()), false, copy);
  return Wrap(info.Env(), std::move(result));
}

// libtorch's own formatting of the values and the type line, as R torch prints them.
Napi::Value Format(const Napi::CallbackInfo& info) {
  std::ostringstream stream;
  at::print(stream, Unwrap(info, 0), 80);
  return Napi::String::New(info.Env(), stream.str());
}

}  // namespace

void InitTensor(Napi::Env env, Napi::Object exports) {
  TORCHLORA_EXPORT(exports, "fromBuffer", FromBuffer);
  TORCHLORA_EXPORT(exports, "manualSeed", ManualSeed);
  TORCHLORA_EXPORT(exports, "dispose", DisposeTensor);
  TORCHLORA_EXPORT(exports, "isDisposed", IsDisposed);
  TORCHLORA_EXPORT(exports, "shape", Shape);
  TORCHLORA_EXPORT(exports, "dtype", Dtype);
  TORCHLORA_EXPORT(exports, "device", DeviceOf);
  TORCHLORA_EXPORT(exports, "numel", Numel);
  TORCHLORA_EXPORT(exports, "dim", Dim);
  TORCHLORA_EXPORT(exports, "item", Item);
  TORCHLORA_EXPORT(exports, "data", DataBuffer);
  TORCHLORA_EXPORT(exports, "dataView", DataView);
  TORCHLORA_EXPORT(exports, "isContiguous", IsContiguous);
  TORCHLORA_EXPORT(exports, "to", To);
  TORCHLORA_EXPORT(exports, "format", Format);
  (void)env;
}

}  // namespace torchlora
