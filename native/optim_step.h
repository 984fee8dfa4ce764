// One optimizer step, as Python's torch.optim of the linked libtorch takes it on the CPU by
// default (its single-tensor path): the same ATen ops, in the same order, with the same
// scalars, so a step is bit-identical to PyTorch's on the same libtorch. PyTorch's sequence
// changed between releases (2.0 moved Adam's first moment, and 2.x RMSprop's centered
// average, to lerp_), so each update follows the release it is compiled against.
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

#include "common.h"
#include "optim_options.h"

namespace torchlora {

// PyTorch 2.0+ keeps running averages with lerp_ (Adam's exp_avg, RMSprop's grad_avg);
// 1.x with mul_ then add_.
constexpr bool kLerpAverages = TORCH_VERSION_MAJOR >= 2;

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

// sqrt(1 - beta2^step) as PyTorch computes it: `bias_correction2 ** 0.5` in 2.x (libm's pow,
// which may differ from sqrt in the last bit), math.sqrt in 1.x.
inline double BiasCorrection2Sqrt(double bias_correction2) {
  if constexpr (TORCH_VERSION_MAJOR >= 2) return std::pow(bias_correction2, 0.5);
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
