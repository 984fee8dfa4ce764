// One optimizer step (see step.h). Each update is transcribed from torch.optim's
// `_single_tensor_*` functions (1.13's and 2.13's); step.h's constants pick the lines that
// changed between them. Scalars are passed as PyTorch passes them (a Python float is a
// double Scalar, a Python int an integer one), so the kernels cast them the same way.
#include "optim/step.h"

#include <map>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "optim/foreach.h"
#include "optim/fused.h"

namespace torchlora {

// ---- one parameter: PyTorch's single-tensor updates ----

void AdamUpdate(const AdamHyper& h, int64_t step, at::Tensor& param, const at::Tensor& grad_in, at::Tensor& exp_avg, at::Tensor& exp_avg_sq,
                at::Tensor& max_exp_avg_sq) {
  at::Tensor grad = h.maximize ? grad_in.neg() : grad_in;
  if (h.weight_decay != 0) {  // 1.x's AdamW also multiplies by 1 when weight_decay is 0: the same bits
    if (h.decoupled) param.mul_(1 - h.lr * h.weight_decay);
    else grad = grad.add(param, h.weight_decay);
  }
  if constexpr (kAdamLerp) exp_avg.lerp_(grad, 1 - h.beta1);
  else exp_avg.mul_(h.beta1).add_(grad, 1 - h.beta1);
  exp_avg_sq.mul_(h.beta2).addcmul_(grad, grad, 1 - h.beta2);
  const double bias_correction1 = 1 - std::pow(h.beta1, static_cast<double>(step));
  const double bias_correction2 = 1 - std::pow(h.beta2, static_cast<double>(step));
  const double step_size = h.lr / bias_correction1;
  const double bias_correction2_sqrt = BiasCorrection2Sqrt(bias_correction2);
  at::Tensor second = exp_avg_sq;
  if (h.amsgrad) second = at::maximum_out(max_exp_avg_sq, max_exp_avg_sq, exp_avg_sq);
  const at::Tensor denom = (second.sqrt() / bias_correction2_sqrt).add_(h.eps);
  param.addcdiv_(exp_avg, denom, -step_size);
}

void SgdUpdate(const SgdHyper& h, at::Tensor& param, const at::Tensor& grad, at::Tensor& momentum_buffer) {
  at::Tensor d_p = h.maximize ? grad.neg() : grad;
  if (h.weight_decay != 0) d_p = d_p.add(param, h.weight_decay);
  if (h.momentum != 0) {
    if (!momentum_buffer.defined()) momentum_buffer = d_p.detach().clone();
    else momentum_buffer.mul_(h.momentum).add_(d_p, 1 - h.dampening);
    d_p = h.nesterov ? d_p.add(momentum_buffer, h.momentum) : momentum_buffer;
  }
  param.add_(d_p, -h.lr);
}

void RmspropUpdate(const RmspropHyper& h, at::Tensor& param, const at::Tensor& grad_in, at::Tensor& square_avg, at::Tensor& momentum_buffer,
                   at::Tensor& grad_avg) {
  at::Tensor grad = h.maximize ? grad_in.neg() : grad_in;
  if (h.weight_decay != 0) grad = grad.add(param, h.weight_decay);
  square_avg.mul_(h.alpha).addcmul_(grad, grad, 1 - h.alpha);
  at::Tensor avg;
  if (h.centered) {
    if constexpr (kRmspropLerp) grad_avg.lerp_(grad, 1 - h.alpha);
    else grad_avg.mul_(h.alpha).add_(grad, 1 - h.alpha);
    avg = square_avg.addcmul(grad_avg, grad_avg, -1).sqrt_();
  } else {
    avg = square_avg.sqrt();
  }
  avg.add_(h.eps);
  if (h.momentum > 0) {
    momentum_buffer.mul_(h.momentum).addcdiv_(grad, avg);
    param.add_(momentum_buffer, -h.lr);
  } else {
    param.addcdiv_(grad, avg, -h.lr);
  }
}

namespace {

// torch.optim.adagrad's _make_sparse: `values` at the gradient's indices (1.13's made an
// empty gradient's empty_like instead; adding either changes nothing).
at::Tensor MakeSparse(const at::Tensor& grad, const at::Tensor& indices, const at::Tensor& values) {
  if constexpr (TORCH_VERSION_MAJOR < 2) {
    if (indices.numel() == 0 || values.numel() == 0) return at::empty_like(grad);
  }
  return at::sparse_coo_tensor(indices, values, grad.sizes());
}

}  // namespace

void AdagradUpdate(const AdagradHyper& h, int64_t step, at::Tensor& param, const at::Tensor& grad_in, at::Tensor& sum) {
  at::Tensor grad = h.maximize ? grad_in.neg() : grad_in;
  if (h.weight_decay != 0) {
    TORCH_CHECK(!grad.is_sparse(), "weight_decay option is not compatible with sparse gradients");
    grad = grad.add(param, h.weight_decay);
  }
  const double clr = h.lr / (1 + static_cast<double>(step - 1) * h.lr_decay);
  if (grad.is_sparse()) {
    grad = grad.coalesce();  // the update is not linear, so indices must be unique
    const at::Tensor indices = grad._indices();
    const at::Tensor values = grad._values();
    sum.add_(MakeSparse(grad, indices, values.pow(2)));
    const at::Tensor std_values = sum.sparse_mask(grad)._values().sqrt_().add_(h.eps);
    param.add_(MakeSparse(grad, indices, values / std_values), -clr);
  } else {
    sum.addcmul_(grad, grad, 1);
    const at::Tensor std = sum.sqrt().add_(h.eps);
    param.addcdiv_(grad, std, -clr);
  }
}

std::unique_ptr<torch::optim::OptimizerParamState> InitialAdagradState(const at::Tensor& param, const torch::optim::OptimizerOptions& options) {
  const double initial = static_cast<const torch::optim::AdagradOptions&>(options).initial_accumulator_value();
  auto state = std::make_unique<torch::optim::AdagradParamState>();
  state->step(0);
  state->sum(at::full_like(param, initial, at::MemoryFormat::Preserve));
  return state;
}

// ---- lists by device and dtype ----

std::vector<std::vector<size_t>> ByDeviceAndDtype(const std::vector<at::Tensor>& params) {
  std::vector<std::vector<size_t>> lists;
  std::map<std::tuple<int, int, int>, size_t> where;  // (device type, device index, dtype) -> list
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& param = params[i];
    const auto key = std::make_tuple(static_cast<int>(param.device().type()), static_cast<int>(param.device().index()),
                                     static_cast<int>(param.scalar_type()));
    const auto found = where.emplace(key, lists.size());
    if (found.second) lists.emplace_back();
    lists[found.first->second].push_back(i);
  }
  return lists;
}

std::vector<at::Tensor> Pick(const std::vector<at::Tensor>& tensors, const std::vector<size_t>& indices) {
  std::vector<at::Tensor> picked;
  picked.reserve(indices.size());
  for (const size_t i : indices) picked.push_back(tensors[i]);
  return picked;
}

// ---- one group: state as PyTorch makes it, then the group's path ----

namespace {

at::Tensor Zeros(const at::Tensor& param) { return at::zeros_like(param, at::MemoryFormat::Preserve); }

// The parameter's state of type State, made by `make` before its first step.
template <typename State, typename Make>
State& StateOf(torch::optim::Optimizer& optimizer, const at::Tensor& param, Make make) {
  auto& slot = optimizer.state()[StateKey(param)];
  if (!slot) slot = make();
  return static_cast<State&>(*slot);
}

// PyTorch refuses a sparse gradient before it updates any parameter of the group.
void RefuseSparse(const torch::optim::OptimizerParamGroup& group, const char* message) {
  for (const auto& param : group.params()) TORCH_CHECK(!param.grad().defined() || !param.grad().is_sparse(), message);
}

// A state tensor the group's options now need but the state lacks (an option switched on
// after the first step, where PyTorch would fail) starts at zero.
void ZerosIfMissing(at::Tensor& tensor, bool needed, const at::Tensor& param) {
  if (needed && !tensor.defined()) tensor = Zeros(param);
}

template <typename State, typename Options>
void AdamGroup(torch::optim::Optimizer& optimizer, torch::optim::OptimizerParamGroup& group, bool decoupled, const GroupFlags& flags) {
  const auto& options = static_cast<const Options&>(group.options());
  RefuseSparse(group, "Adam does not support sparse gradients");
  const AdamHyper hyper{options.lr(), std::get<0>(options.betas()), std::get<1>(options.betas()), options.eps(), options.weight_decay(),
                        decoupled, options.amsgrad(), flags.maximize};
  AdamTensors tensors;
  for (auto& param : group.params()) {
    if (!param.grad().defined()) continue;
    auto& state = StateOf<State>(optimizer, param, [&] {
      auto fresh = std::make_unique<State>();
      fresh->step(0);
      fresh->exp_avg(Zeros(param));
      fresh->exp_avg_sq(Zeros(param));
      return fresh;
    });
    ZerosIfMissing(state.max_exp_avg_sq(), options.amsgrad(), param);
    state.step(state.step() + 1);
    tensors.params.push_back(param);
    tensors.grads.push_back(param.grad());
    tensors.exp_avgs.push_back(state.exp_avg());
    tensors.exp_avg_sqs.push_back(state.exp_avg_sq());
    tensors.max_exp_avg_sqs.push_back(state.max_exp_avg_sq());
    tensors.steps.push_back(state.step());
  }
  if (tensors.params.empty()) return;
  if (flags.fused) return FusedAdam(hyper, tensors);
  if (flags.foreach) return ForeachAdam(hyper, tensors);
  for (size_t i = 0; i < tensors.params.size(); ++i) {
    AdamUpdate(hyper, tensors.steps[i], tensors.params[i], tensors.grads[i], tensors.exp_avgs[i], tensors.exp_avg_sqs[i],
               tensors.max_exp_avg_sqs[i]);
  }
}

void SgdGroup(torch::optim::Optimizer& optimizer, torch::optim::OptimizerParamGroup& group, const GroupFlags& flags) {
  const auto& options = static_cast<const torch::optim::SGDOptions&>(group.options());
  if (flags.fused) RefuseSparse(group, "fused SGD does not support sparse gradients (fused: false does)");
  const SgdHyper hyper{options.lr(), options.momentum(), options.dampening(), options.weight_decay(), options.nesterov(), flags.maximize};
  SgdTensors tensors;
  for (auto& param : group.params()) {
    if (!param.grad().defined()) continue;
    tensors.params.push_back(param);
    tensors.grads.push_back(param.grad());
    if (options.momentum() != 0) {  // PyTorch keeps SGD's state only with momentum
      tensors.momentum_buffers.push_back(
          &StateOf<torch::optim::SGDParamState>(optimizer, param, [] { return std::make_unique<torch::optim::SGDParamState>(); })
               .momentum_buffer());
    }
  }
  if (tensors.params.empty()) return;
  if (flags.fused) return FusedSgd(hyper, tensors);
  if (flags.foreach) return ForeachSgd(hyper, tensors);
  at::Tensor none;
  for (size_t i = 0; i < tensors.params.size(); ++i) {
    SgdUpdate(hyper, tensors.params[i], tensors.grads[i], tensors.momentum_buffers.empty() ? none : *tensors.momentum_buffers[i]);
  }
}

void RmspropGroup(torch::optim::Optimizer& optimizer, torch::optim::OptimizerParamGroup& group, const GroupFlags& flags) {
  const auto& options = static_cast<const torch::optim::RMSpropOptions&>(group.options());
  RefuseSparse(group, "RMSprop does not support sparse gradients");
  const RmspropHyper hyper{options.lr(), options.alpha(), options.eps(), options.weight_decay(), options.momentum(), options.centered(), flags.maximize};
  RmspropTensors tensors;
  for (auto& param : group.params()) {
    if (!param.grad().defined()) continue;
    auto& state = StateOf<torch::optim::RMSpropParamState>(optimizer, param, [&] {
      auto fresh = std::make_unique<torch::optim::RMSpropParamState>();
      fresh->step(0);
      fresh->square_avg(Zeros(param));
      return fresh;
    });
    ZerosIfMissing(state.momentum_buffer(), options.momentum() > 0, param);
    ZerosIfMissing(state.grad_avg(), options.centered(), param);
    state.step(state.step() + 1);
    tensors.params.push_back(param);
    tensors.grads.push_back(param.grad());
    tensors.square_avgs.push_back(state.square_avg());
    tensors.momentum_buffers.push_back(state.momentum_buffer());
    tensors.grad_avgs.push_back(state.grad_avg());
  }
  if (tensors.params.empty()) return;
  if (flags.foreach) return ForeachRmsprop(hyper, tensors);
  for (size_t i = 0; i < tensors.params.size(); ++i) {
    RmspropUpdate(hyper, tensors.params[i], tensors.grads[i], tensors.square_avgs[i], tensors.momentum_buffers[i], tensors.grad_avgs[i]);
  }
}

void AdagradGroup(torch::optim::Optimizer& optimizer, torch::optim::OptimizerParamGroup& group, const GroupFlags& flags) {
  const auto& options = static_cast<const torch::optim::AdagradOptions&>(group.options());
  if (flags.fused) RefuseSparse(group, "`fused` does not support sparse grad or complex param (fused: false takes sparse gradients)");
  const AdagradHyper hyper{options.lr(), options.lr_decay(), options.weight_decay(), options.eps(), flags.maximize};
  AdagradTensors tensors;
  for (auto& param : group.params()) {
    if (!param.grad().defined()) continue;
    // optimizers.cc makes every parameter's state with its group; this only guards.
    auto& state = StateOf<torch::optim::AdagradParamState>(optimizer, param, [&] { return InitialAdagradState(param, options); });
    state.step(state.step() + 1);
    tensors.params.push_back(param);
    tensors.grads.push_back(param.grad());
    tensors.sums.push_back(state.sum());
    tensors.steps.push_back(state.step());
  }
  if (tensors.params.empty()) return;
  if (flags.fused) return FusedAdagrad(hyper, tensors);
  if (flags.foreach) return ForeachAdagrad(hyper, tensors);
  for (size_t i = 0; i < tensors.params.size(); ++i) AdagradUpdate(hyper, tensors.steps[i], tensors.params[i], tensors.grads[i], tensors.sums[i]);
}

}  // namespace

void StepGroup(OptimizerKind kind, torch::optim::Optimizer& optimizer, torch::optim::OptimizerParamGroup& group, const GroupFlags& flags) {
  at::NoGradGuard no_grad;
  switch (kind) {
    case OptimizerKind::kAdam:
      return AdamGroup<torch::optim::AdamParamState, torch::optim::AdamOptions>(optimizer, group, false, flags);
    case OptimizerKind::kAdamW:
      return AdamGroup<torch::optim::AdamWParamState, torch::optim::AdamWOptions>(optimizer, group, true, flags);
    case OptimizerKind::kSgd: return SgdGroup(optimizer, group, flags);
    case OptimizerKind::kRmsprop: return RmspropGroup(optimizer, group, flags);
    case OptimizerKind::kAdagrad: return AdagradGroup(optimizer, group, flags);
  }
  throw std::logic_error("unreachable");
}

}  // namespace torchlora
