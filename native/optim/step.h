// One optimizer step, as Python's torch.optim of the linked libtorch takes it on the CPU by
// default (its single-tensor path): the same ATen ops, in the same order, with the same
// scalars, so a step is bit-identical to PyTorch's on the same libtorch. PyTorch's sequence
// changed between releases (below), so each update follows the release it is compiled
// against.
//
// libtorch's torch::optim classes only hold the parameter groups, their options and the
// per-parameter state (optim.cc); their own step() is never called, since it is not
// PyTorch's arithmetic in 2.x.
#pragma once

#include <torch/optim/optimizer.h>
#include <torch/version.h>

#include <cmath>
#include <memory>
#include <sstream>
#include <string>
#include <type_traits>

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

// Hyper-parameters of one step of one parameter, as PyTorch's optimizer hands them to its
// update. `step` is the parameter's step count after this step (1 on the first).
struct AdamStep {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled;  // AdamW's weight decay (param *= 1 - lr * wd) instead of Adam's L2 term
  bool amsgrad;
  bool maximize;
  int64_t step;
};

struct SgdStep {
  double lr, momentum, dampening, weight_decay;
  bool nesterov;
  bool maximize;
};

struct RmspropStep {
  double lr, alpha, eps, weight_decay, momentum;
  bool centered;
};

struct AdagradStep {
  double lr, lr_decay, weight_decay, eps;
  int64_t step;
};

// sqrt(1 - beta2^step) as PyTorch computes it (kAdamPowHalf).
inline double BiasCorrection2Sqrt(double bias_correction2) {
  if constexpr (kAdamPowHalf) return std::pow(bias_correction2, 0.5);
  else return std::sqrt(bias_correction2);
}

// PyTorch's single-tensor updates of one parameter, as ATen ops. State tensors are updated in
// place, as is param; `grad` is not modified. SGD's `momentum_buffer` is undefined before its
// first step and then made, as PyTorch makes it (a copy of the gradient).
void AdamUpdate(const AdamStep& hyper, at::Tensor& param, const at::Tensor& grad, at::Tensor& exp_avg, at::Tensor& exp_avg_sq,
                at::Tensor& max_exp_avg_sq);
void SgdUpdate(const SgdStep& hyper, at::Tensor& param, const at::Tensor& grad, at::Tensor& momentum_buffer);
void RmspropUpdate(const RmspropStep& hyper, at::Tensor& param, const at::Tensor& grad, at::Tensor& square_avg, at::Tensor& momentum_buffer,
                   at::Tensor& grad_avg);
void AdagradUpdate(const AdagradStep& hyper, at::Tensor& param, const at::Tensor& grad, at::Tensor& sum);

// Steps every parameter of `group` that has a gradient (frozen ones are skipped), making its
// state first as PyTorch does, with fused.cc's one pass where the group asks for `fused`.
void StepGroup(OptimizerKind kind, torch::optim::Optimizer& optimizer, torch::optim::OptimizerParamGroup& group, const GroupFlags& flags);

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
// parameter has it from the start; optim.cc makes it for groups added later too.
std::unique_ptr<torch::optim::OptimizerParamState> InitialAdagradState(const at::Tensor& param, const torch::optim::OptimizerOptions& options);

}  // namespace torchlora
