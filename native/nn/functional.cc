// Neural-network functions: each calls one libtorch function and returns the result's id, as
// in ops/functions.cc.
// The initialisers follow torch/nn/init.py line by line (fan, gain, bound, then one
// uniform_/normal_ draw), so that under the same seed they consume libtorch's generator
// exactly as Python does and give the same weights.
#include "nn/functional.h"

#include <ATen/core/Reduction.h>
#include <ATen/core/grad_mode.h>

#include <cmath>

#include "core/tensor.h"

namespace torchlora {
namespace {

Napi::Value Done(const Napi::CallbackInfo& info, at::Tensor result) {
  return Wrap(info.Env(), std::move(result));
}

int64_t Int(const Napi::Value& value) { return value.As<Napi::Number>().Int64Value(); }
double Double(const Napi::Value& value) { return value.As<Napi::Number>().DoubleValue(); }
bool Bool(const Napi::Value& value) { return value.ToBoolean().Value(); }

// undefined/null -> an undefined (absent) tensor, as libtorch's optional tensor arguments take.
c10::optional<at::Tensor> OptionalTensor(const Napi::CallbackInfo& info, size_t index) {
  if (info[index].IsUndefined() || info[index].IsNull()) return c10::nullopt;
  return Unwrap(info, index);
}

// ---- layers ----

// linear(input, weight, bias | null)
Napi::Value Linear(const Napi::CallbackInfo& info) {
  return Done(info, at::linear(Unwrap(info, 0), Unwrap(info, 1), OptionalTensor(info, 2)));
}

// gelu(input, approximate: "none" | "tanh")
Napi::Value Gelu(const Napi::CallbackInfo& info) {
  const std::string approximate = info[1].As<Napi::String>().Utf8Value();
  return Done(info, at::gelu(Unwrap(info, 0), approximate));
}

// dropout(input, p, train): the same kernel (and random draws) as torch.nn.functional.dropout
Napi::Value Dropout(const Napi::CallbackInfo& info) {
  return Done(info, at::dropout(Unwrap(info, 0), Double(info[1]), Bool(info[2])));
}

// embedding(weight, indices, padding_idx, scale_grad_by_freq, sparse)
Napi::Value Embedding(const Napi::CallbackInfo& info) {
  return Done(info, at::embedding(Unwrap(info, 0), Unwrap(info, 1), Int(info[2]), Bool(info[3]), Bool(info[4])));
}

// embeddingRenorm_(weight, indices, max_norm, norm_type): rescales, in place and without
// recording gradients, each row of `weight` that `indices` picks whose norm exceeds max_norm
// (torch.nn.functional.embedding does this before the lookup when max_norm is given).
Napi::Value EmbeddingRenorm(const Napi::CallbackInfo& info) {
  at::NoGradGuard no_grad;
  at::Tensor weight = Unwrap(info, 0);
  at::embedding_renorm_(weight, Unwrap(info, 1).contiguous(), Double(info[2]), Double(info[3]));
  return info.Env().Undefined();
}

// conv1d/conv2d(input, weight, bias | null, stride[], padding: number[] | "same" | "valid", dilation[], groups)
// `convolve` is a generic lambda over at::conv1d or at::conv2d, whose padding may be sizes or a string.
template <typename Convolve>
Napi::Value Convolution(const Napi::CallbackInfo& info, Convolve convolve) {
  const std::vector<int64_t> stride = ToInt64s(info[3]);
  const std::vector<int64_t> dilation = ToInt64s(info[5]);
  const int64_t groups = Int(info[6]);
  if (info[4].IsString()) {
    const std::string padding = info[4].As<Napi::String>().Utf8Value();
    return Done(info, convolve(Unwrap(info, 0), Unwrap(info, 1), OptionalTensor(info, 2), at::IntArrayRef(stride),
                               c10::string_view(padding), at::IntArrayRef(dilation), groups));
  }
  const std::vector<int64_t> padding = ToInt64s(info[4]);
  return Done(info, convolve(Unwrap(info, 0), Unwrap(info, 1), OptionalTensor(info, 2), at::IntArrayRef(stride),
                             at::IntArrayRef(padding), at::IntArrayRef(dilation), groups));
}

Napi::Value Conv1d(const Napi::CallbackInfo& info) {
  return Convolution(info, [](auto&&... args) { return at::conv1d(args...); });
}

Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  return Convolution(info, [](auto&&... args) { return at::conv2d(args...); });
}

// layer_norm(input, normalized_shape[], weight | null, bias | null, eps)
Napi::Value LayerNorm(const Napi::CallbackInfo& info) {
  return Done(info, at::layer_norm(Unwrap(info, 0), ToInt64s(info[1]), OptionalTensor(info, 2), OptionalTensor(info, 3),
                                   Double(info[4])));
}

// ---- losses; reduction is at::Reduction's code: 0 none, 1 mean, 2 sum ----

// mse_loss/l1_loss(input, target, reduction)
Napi::Value MseLoss(const Napi::CallbackInfo& info) {
  return Done(info, at::mse_loss(Unwrap(info, 0), Unwrap(info, 1), Int(info[2])));
}

Napi::Value L1Loss(const Napi::CallbackInfo& info) {
  return Done(info, at::l1_loss(Unwrap(info, 0), Unwrap(info, 1), Int(info[2])));
}

// cross_entropy(input, target, weight | null, reduction, ignore_index, label_smoothing)
Napi::Value CrossEntropy(const Napi::CallbackInfo& info) {
  return Done(info, at::cross_entropy_loss(Unwrap(info, 0), Unwrap(info, 1), OptionalTensor(info, 2), Int(info[3]), Int(info[4]),
                                           Double(info[5])));
}

// binary_cross_entropy_with_logits(input, target, weight | null, pos_weight | null, reduction)
Napi::Value BinaryCrossEntropyWithLogits(const Napi::CallbackInfo& info) {
  return Done(info, at::binary_cross_entropy_with_logits(Unwrap(info, 0), Unwrap(info, 1), OptionalTensor(info, 2),
                                                         OptionalTensor(info, 3), Int(info[4])));
}

// ---- torch.nn.init, in place, without recording gradients ----

// _calculate_fan_in_and_fan_out: dimension 1 is the inputs, 0 the outputs, the rest the
// receptive field.
std::pair<int64_t, int64_t> FanInAndFanOut(const at::Tensor& tensor) {
  TORCH_CHECK(tensor.dim() >= 2, "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
  int64_t receptive_field = 1;
  for (int64_t i = 2; i < tensor.dim(); ++i) receptive_field *= tensor.size(i);
  return {tensor.size(1) * receptive_field, tensor.size(0) * receptive_field};
}

// calculate_gain; `param` is the negative slope of leaky_relu (NaN: PyTorch's default 0.01).
double Gain(const std::string& nonlinearity, double param) {
  if (nonlinearity == "linear" || nonlinearity == "sigmoid" || nonlinearity.rfind("conv", 0) == 0) return 1.0;
  if (nonlinearity == "tanh") return 5.0 / 3;
  if (nonlinearity == "relu") return std::sqrt(2.0);
  if (nonlinearity == "leaky_relu") {
    const double slope = std::isnan(param) ? 0.01 : param;
    return std::sqrt(2.0 / (1 + std::pow(slope, 2)));
  }
  if (nonlinearity == "selu") return 3.0 / 4;
  TORCH_CHECK(false, "Unsupported nonlinearity ", nonlinearity);
}

Napi::Value CalculateGain(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), Gain(info[0].As<Napi::String>().Utf8Value(), Double(info[1])));
}

// kaimingUniform_/kaimingNormal_(tensor, a, mode: "fan_in" | "fan_out", nonlinearity)
double KaimingStd(const Napi::CallbackInfo& info, const at::Tensor& tensor) {
  const auto [fan_in, fan_out] = FanInAndFanOut(tensor);
  const int64_t fan = info[2].As<Napi::String>().Utf8Value() == "fan_in" ? fan_in : fan_out;
  return Gain(info[3].As<Napi::String>().Utf8Value(), Double(info[1])) / std::sqrt(static_cast<double>(fan));
}

// xavierUniform_/xavierNormal_(tensor, gain)
double XavierStd(const Napi::CallbackInfo& info, const at::Tensor& tensor) {
  const auto [fan_in, fan_out] = FanInAndFanOut(tensor);
  return Double(info[1]) * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
}

// Fills the tensor at info[0] with U(-√3·std, √3·std) (the uniform law of that std, as
// init.py computes its bound) or N(0, std²).
template <double (*Std)(const Napi::CallbackInfo&, const at::Tensor&), bool kUniform>
Napi::Value Initialise(const Napi::CallbackInfo& info) {
  at::Tensor tensor = Unwrap(info, 0);
  const double deviation = Std(info, tensor);
  const double bound = std::sqrt(3.0) * deviation;
  at::NoGradGuard no_grad;
  if (kUniform) tensor.uniform_(-bound, bound);
  else tensor.normal_(0, deviation);
  return info.Env().Undefined();
}

constexpr auto KaimingUniform = Initialise<KaimingStd, true>;
constexpr auto KaimingNormal = Initialise<KaimingStd, false>;
constexpr auto XavierUniform = Initialise<XavierStd, true>;
constexpr auto XavierNormal = Initialise<XavierStd, false>;

// uniformInit_(tensor, from, to), normalInit_(tensor, mean, std), constantInit_(tensor, value):
// the plain initialisers, also allowed on parameters that require gradients.
Napi::Value UniformInit(const Napi::CallbackInfo& info) {
  at::NoGradGuard no_grad;
  Unwrap(info, 0).uniform_(Double(info[1]), Double(info[2]));
  return info.Env().Undefined();
}

Napi::Value NormalInit(const Napi::CallbackInfo& info) {
  at::NoGradGuard no_grad;
  Unwrap(info, 0).normal_(Double(info[1]), Double(info[2]));
  return info.Env().Undefined();
}

Napi::Value ConstantInit(const Napi::CallbackInfo& info) {
  at::NoGradGuard no_grad;
  Unwrap(info, 0).fill_(ToScalar(info[1]));
  return info.Env().Undefined();
}

// fanInAndFanOut(tensor) -> [fan_in, fan_out]
Napi::Value FanInAndFanOutJs(const Napi::CallbackInfo& info) {
  const auto [fan_in, fan_out] = FanInAndFanOut(Unwrap(info, 0));
  Napi::Array result = Napi::Array::New(info.Env(), 2);
  result.Set(0u, static_cast<double>(fan_in));
  result.Set(1u, static_cast<double>(fan_out));
  return result;
}

}  // namespace

void InitNn(Napi::Env env, Napi::Object exports) {
  TORCHLORA_EXPORT(exports, "linear", Linear);
  TORCHLORA_EXPORT(exports, "gelu", Gelu);
  TORCHLORA_EXPORT(exports, "dropout", Dropout);
  TORCHLORA_EXPORT(exports, "embedding", Embedding);
  TORCHLORA_EXPORT(exports, "embeddingRenorm_", EmbeddingRenorm);
  TORCHLORA_EXPORT(exports, "conv1d", Conv1d);
  TORCHLORA_EXPORT(exports, "conv2d", Conv2d);
  TORCHLORA_EXPORT(exports, "layer_norm", LayerNorm);
  TORCHLORA_EXPORT(exports, "mse_loss", MseLoss);
  TORCHLORA_EXPORT(exports, "l1_loss", L1Loss);
  TORCHLORA_EXPORT(exports, "cross_entropy", CrossEntropy);
  TORCHLORA_EXPORT(exports, "binary_cross_entropy_with_logits", BinaryCrossEntropyWithLogits);
  TORCHLORA_EXPORT(exports, "calculateGain", CalculateGain);
  TORCHLORA_EXPORT(exports, "fanInAndFanOut", FanInAndFanOutJs);
  TORCHLORA_EXPORT(exports, "kaimingUniform_", KaimingUniform);
  TORCHLORA_EXPORT(exports, "kaimingNormal_", KaimingNormal);
  TORCHLORA_EXPORT(exports, "xavierUniform_", XavierUniform);
  TORCHLORA_EXPORT(exports, "xavierNormal_", XavierNormal);
  TORCHLORA_EXPORT(exports, "uniformInit_", UniformInit);
  TORCHLORA_EXPORT(exports, "normalInit_", NormalInit);
  TORCHLORA_EXPORT(exports, "constantInit_", ConstantInit);
  (void)env;
}

}  // namespace torchlora
