// One optimizer step, as Python's torch.optim of the linked libtorch takes it: by default its
// single-tensor path (here), with `foreach` its multi-tensor path (foreach.h), with `fused`
// its fused kernels (fused.h). Each is the same ATen ops, in the same order, with the same
// scalars, so a step is bit-identical to PyTorch's on the same libtorch. PyTorch's sequences
// changed between releases (below), so each follows the release it is compiled against.
//
// libtorch's torch::optim classes only hold the parameter groups, their options and the
// per-parameter state (optimizers.cc); their own step() is never called, since it is not
// PyTorch's arithmetic in 2.x.
#pragma once

#include <torch/optim/optimizer.h>
#include <torch/version.h>

#include <cmath>
#include <memory>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "core/common.h"
#include "optim/options.h"

namespace torchlora {

#define TORCHLORA_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

// Where PyTorch's sequence changed: Adam's exp_avg is kept with lerp_ from 2.0, RMSprop's
// centered grad_avg from 2.1 (pytorch#104796; mul_ then add_ before), and Adam takes
// sqrt(1 - beta2^step) as `bias_correction2 ** 0.5` from 2.5 (pytorch#131358; math.sqrt
// before: libm's pow and sqrt may differ in the last bit).
constexpr bool kAdamLerp = TORCHLORA_TORCH_AT_LEAST(2, 0);
constexpr bool kRmspropLerp = TORCHLORA_TORCH_AT_LEAST(2, 1);
constexpr bool kAdamPowHalf = TORCHLORA_TORCH_AT_LEAST(2, 5);

// Hyper-parameters of a group's step, as PyTorch's optimizer hands them to its update.
struct AdamHyper {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled;  // AdamW's weight decay (param *= 1 - lr * wd) instead of Adam's L2 term
  bool amsgrad;
  bool maximize;
};

struct SgdHyper {
  double lr, momentum, dampening, weight_decay;
  bool nesterov;
  bool maximize;
};

struct RmspropHyper {
  double lr, alpha, eps, weight_decay, momentum;
  bool centered;
  bool maximize;
};

struct AdagradHyper {
  double lr, lr_decay, weight_decay, eps;
  bool maximize;
};

// A group's parameters that have a gradient, in order, with their gradients and state: what
// every path (single-tensor, foreach, fused) updates. State tensors share storage with the
// optimizer's state, so in-place updates land there. `steps` are step counts after this step
// (1 on the first). A state tensor an option does not need (max_exp_avg_sq without amsgrad)
// is undefined.
struct AdamTensors {
  std::vector<at::Tensor> params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs;
  std::vector<int64_t> steps;
};

// With momentum, each parameter's momentum_buffer slot in its state (undefined before its
// first step, then made as PyTorch makes it); without, empty.
struct SgdTensors {
  std::vector<at::Tensor> params, grads;
  std::vector<at::Tensor*> momentum_buffers;
};

struct RmspropTensors {
  std::vector<at::Tensor> params, grads, square_avgs, momentum_buffers, grad_avgs;
};

struct AdagradTensors {
  std::vector<at::Tensor> params, grads, sums;
  std::vector<int64_t> steps;
};

// sqrt(1 - beta2^step) as PyTorch computes it (kAdamPowHalf).
inline double BiasCorrection2Sqrt(double bias_correction2) {
  if constexpr (kAdamPowHalf) return std::pow(bias_correction2, 0.5);
  else return std::sqrt(bias_correction2);
}

// PyTorch's single-tensor updates of one parameter, as ATen ops. State tensors are updated in
// place, as is param; `grad` is not modified. SGD's `momentum_buffer` is undefined before its
// first step and then made, as PyTorch makes it (a copy of the gradient).
void AdamUpdate(const AdamHyper& hyper, int64_t step, at::Tensor& param, const at::Tensor& grad, at::Tensor& exp_avg, at::Tensor& exp_avg_sq,
                at::Tensor& max_exp_avg_sq);
void SgdUpdate(const SgdHyper& hyper, at::Tensor& param, const at::Tensor& grad, at::Tensor& momentum_buffer);
void RmspropUpdate(const RmspropHyper& hyper, at::Tensor& param, const at::Tensor& grad, at::Tensor& square_avg, at::Tensor& momentum_buffer,
                   at::Tensor& grad_avg);
void AdagradUpdate(const AdagradHyper& hyper, int64_t step, at::Tensor& param, const at::Tensor& grad, at::Tensor& sum);

// Steps every parameter of `group` that has a gradient (frozen ones are skipped), making its
// state first as PyTorch does, by the path the group chose: foreach.h's, fused.h's, or the
// single-tensor updates above.
void StepGroup(OptimizerKind kind, torch::optim::Optimizer& optimizer, torch::optim::OptimizerParamGroup& group, const GroupFlags& flags);

// The indices of `params` by device and dtype, each list in order, the lists in order of
// their first parameter: the lists Python's foreach and fused paths hand to each call.
std::vector<std::vector<size_t>> ByDeviceAndDtype(const std::vector<at::Tensor>& params);

// tensors[i] for each i of `indices`.
std::vector<at::Tensor> Pick(const std::vector<at::Tensor>& tensors, const std::vector<size_t>& indices);

// ---- per-parameter state ----

using StateMap = std::decay_t<decltype(std::declval<torch::optim::Optimizer&>().state())>;

// libtorch 1.13 keys the state by the parameter's TensorImpl address printed as a string
// (c10::guts::to_string); 2.1+ by the address itself.
template <typename Key = StateMap::key_type>
Key StateKey(const at::Tensor& param) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream stream;
    stream << param.unsafeGetTensorImpl();
    return stream.str();
  } else {
    return param.unsafeGetTensorImpl();
  }
}

// Adagrad's state before any step, as PyTorch's constructor makes it: step 0 and the sum
// filled with the initial_accumulator_value of `options` (an Adagrad group's). Every
// parameter has it from the start; optimizers.cc makes it for groups added later too.
std::unique_ptr<torch::optim::OptimizerParamState> InitialAdagradState(const at::Tensor& param, const torch::optim::OptimizerOptions& options);

}  // namespace torchlora
