// Tensor objects: wrapping, release, argument conversion, creation, reading and printing.
#include "tensor.h"

#include <sstream>

#include "memory.h"

#include <c10/core/impl/DeviceGuardImplInterface.h>

namespace torchlora {
namespace {

// What a JavaScript Tensor object points at. The box lives as long as the JS object; the
// tensor inside it lives until dispose() or the GC finalizer, whichever comes first.
struct TensorBox {
  at::Tensor tensor;
  int64_t bytes = 0;
  AddonData* data = nullptr;
};

int64_t StorageBytes(const at::Tensor& tensor) {
  if (!tensor.has_storage()) return 0;
  return static_cast<int64_t>(tensor.storage().nbytes());
}

constexpr int64_t kReportBatchBytes = 1 << 20;

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

void Release(TensorBox* box) {
  if (!box->tensor.defined()) return;
  AddonData* data = box->data;
  Account(data, -1, -box->bytes);
  // Growth toward the next collection counts from the lowest point since the last one.
  data->collect_baseline = std::min(data->collect_baseline, data->Weighted());
  box->tensor.reset();
}

// Runs synchronously inside GC (NAPI_EXPERIMENTAL basic finalizer): it touches no JS.
void FinalizeBox(node_api_basic_env /*env*/, void* raw, void* /*hint*/) {
  auto* box = static_cast<TensorBox*>(raw);
  Release(box);
  ReleaseAddonData(box->data);
  delete box;
}

TensorBox* BoxOf(napi_env env, napi_value value) {
  void* raw = nullptr;
  if (napi_unwrap(env, value, &raw) != napi_ok || raw == nullptr) {
    // napi_unwrap leaves a pending "invalid argument" error behind; clear it.
    napi_value ignored;
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) napi_get_and_clear_last_exception(env, &ignored);
    return nullptr;
  }
  return static_cast<TensorBox*>(raw);
}

}  // namespace

void Wrap(Napi::Env env, Napi::Value target, at::Tensor tensor) {
  AddonData& data = Data(env);
  auto* box = new TensorBox{std::move(tensor), 0, &data};
  box->bytes = StorageBytes(box->tensor);
  napi_status status = napi_wrap(env, target, box, FinalizeBox, nullptr, nullptr);
  if (status != napi_ok) {
    delete box;
    NAPI_THROW_VOID(Napi::Error::New(env, "internal: could not attach a tensor to its JS object"));
  }
  RetainAddonData(&data);
  Account(&data, 1, box->bytes);
  Report(env, &data);
  MaybeCollect(env, data);
}

const at::Tensor& Unwrap(Napi::Env env, Napi::Value value) {
  TensorBox* box = BoxOf(env, value);
  if (box == nullptr) throw Napi::TypeError::New(env, "Expected a Tensor but received another value");
  if (!box->tensor.defined()) throw Napi::TypeError::New(env, "Expected a live Tensor but received a disposed one");
  return box->tensor;
}

const at::Tensor& Unwrap(const Napi::CallbackInfo& info, size_t index) {
  return Unwrap(info.Env(), info[index]);
}

bool Dispose(Napi::Env env, Napi::Value value) {
  TensorBox* box = BoxOf(env, value);
  if (box == nullptr || !box->tensor.defined()) return false;
  Release(box);
  Report(env, box->data);
  return true;
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

at::TensorOptions ToOptions(const Napi::CallbackInfo& info, size_t first) {
  at::TensorOptions options;
  if (auto dtype = ToDtype(info[first])) options = options.dtype(*dtype);
  if (auto device = ToDevice(info[first + 1])) options = options.device(*device);
  return options;
}

Napi::Value ScalarToJs(Napi::Env env, const at::Scalar& scalar) {
  if (scalar.isBoolean()) return Napi::Boolean::New(env, scalar.toBool());
  if (scalar.isIntegral(false)) return Napi::Number::New(env, static_cast<double>(scalar.toLong()));
  if (scalar.isComplex()) throw Napi::TypeError::New(env, "item() of a complex tensor is not supported");
  return Napi::Number::New(env, scalar.toDouble());
}

namespace {

// Creation functions take (out, ..., dtype, device, requires_grad) and wrap into `out`.
void Finish(const Napi::CallbackInfo& info, at::Tensor tensor, size_t requires_grad_index) {
  if (info[requires_grad_index].ToBoolean().Value()) tensor.requires_grad_(true);
  Wrap(info.Env(), info[0], std::move(tensor));
}

#define TORCHLORA_SHAPED_FACTORY(name, expression)                        \
  Napi::Value name(const Napi::CallbackInfo& info) {                     \
    const std::vector<int64_t> shape = ToInt64s(info[1]);                \
    const at::TensorOptions options = ToOptions(info, 2);                \
    Finish(info, expression, 4);                                         \
    return info.Env().Undefined();                                       \
  }

TORCHLORA_SHAPED_FACTORY(Randn, at::randn(shape, options))
TORCHLORA_SHAPED_FACTORY(Rand, at::rand(shape, options))
TORCHLORA_SHAPED_FACTORY(Zeros, at::zeros(shape, options))
TORCHLORA_SHAPED_FACTORY(Ones, at::ones(shape, options))
TORCHLORA_SHAPED_FACTORY(Empty, at::empty(shape, options))
#undef TORCHLORA_SHAPED_FACTORY

// full(out, shape, value, dtype, device, requires_grad)
Napi::Value Full(const Napi::CallbackInfo& info) {
  Finish(info, at::full(ToInt64s(info[1]), ToScalar(info[2]), ToOptions(info, 3)), 5);
  return info.Env().Undefined();
}

// arange(out, start, end, step, dtype, device, requires_grad)
Napi::Value Arange(const Napi::CallbackInfo& info) {
  Finish(info, at::arange(ToScalar(info[1]), ToScalar(info[2]), ToScalar(info[3]), ToOptions(info, 4)), 6);
  return info.Env().Undefined();
}

// randint(out, low, high, shape, dtype, device, requires_grad)
Napi::Value Randint(const Napi::CallbackInfo& info) {
  const int64_t low = info[1].As<Napi::Number>().Int64Value();
  const int64_t high = info[2].As<Napi::Number>().Int64Value();
  at::TensorOptions options = ToOptions(info, 4);
  if (!options.has_dtype()) options = options.dtype(at::kLong);
  Finish(info, at::randint(low, high, ToInt64s(info[3]), options), 6);
  return info.Env().Undefined();
}

// randperm(out, n, dtype, device, requires_grad)
Napi::Value Randperm(const Napi::CallbackInfo& info) {
  at::TensorOptions options = ToOptions(info, 2);
  if (!options.has_dtype()) options = options.dtype(at::kLong);
  Finish(info, at::randperm(info[1].As<Napi::Number>().Int64Value(), options), 4);
  return info.Env().Undefined();
}

// eye(out, n, m, dtype, device, requires_grad)
Napi::Value Eye(const Napi::CallbackInfo& info) {
  Finish(info, at::eye(info[1].As<Napi::Number>().Int64Value(), info[2].As<Napi::Number>().Int64Value(),
                       ToOptions(info, 3)), 5);
  return info.Env().Undefined();
}

// fromBuffer(out, typedArray, shape, dtype, device, requires_grad): copies the bytes.
Napi::Value FromBuffer(const Napi::CallbackInfo& info) {
  Napi::TypedArray array = info[1].As<Napi::TypedArray>();
  const auto dtype = static_cast<at::ScalarType>(info[3].As<Napi::Number>().Int32Value());
  void* bytes = static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
  at::Tensor tensor = at::from_blob(bytes, ToInt64s(info[2]), at::TensorOptions().dtype(dtype)).clone();
  if (auto device = ToDevice(info[4])) tensor = tensor.to(*device);
  Finish(info, std::move(tensor), 5);
  return info.Env().Undefined();
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
  void* raw = nullptr;
  if (napi_unwrap(info.Env(), info[0], &raw) != napi_ok || raw == nullptr) return Napi::Boolean::New(info.Env(), true);
  return Napi::Boolean::New(info.Env(), !static_cast<TensorBox*>(raw)->tensor.defined());
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

// to(out, a, device, dtype, copy)
Napi::Value To(const Napi::CallbackInfo& info) {
  const at::Tensor& tensor = Unwrap(info, 1);
  const bool copy = info[4].ToBoolean().Value();
  at::Tensor result = tensor.to(ToDevice(info[2]).value_or(tensor.device()),
                                ToDtype(info[3]).value_or(tensor.scalar_type()), false, copy);
  Wrap(info.Env(), info[0], std::move(result));
  return info.Env().Undefined();
}

// libtorch's own formatting of the values and the type line, as R torch prints them.
Napi::Value Format(const Napi::CallbackInfo& info) {
  std::ostringstream stream;
  at::print(stream, Unwrap(info, 0), 80);
  return Napi::String::New(info.Env(), stream.str());
}

}  // namespace

void InitTensor(Napi::Env env, Napi::Object exports) {
  TORCHLORA_EXPORT(exports, "randn", Randn);
  TORCHLORA_EXPORT(exports, "rand", Rand);
  TORCHLORA_EXPORT(exports, "zeros", Zeros);
  TORCHLORA_EXPORT(exports, "ones", Ones);
  TORCHLORA_EXPORT(exports, "empty", Empty);
  TORCHLORA_EXPORT(exports, "full", Full);
  TORCHLORA_EXPORT(exports, "arange", Arange);
  TORCHLORA_EXPORT(exports, "randint", Randint);
  TORCHLORA_EXPORT(exports, "randperm", Randperm);
  TORCHLORA_EXPORT(exports, "eye", Eye);
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
