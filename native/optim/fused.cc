// The fused path (see fused.h): aten's kernels, called as torch.optim's `_fused_adam`,
// `_fused_sgd` and `_fused_adagrad` call them, or torchlora's loop where the linked libtorch
// has none.
#include "optim/fused.h"

#include <vector>

#include "optim/fused_loop.h"

namespace torchlora {

#if TORCHLORA_ATEN_FUSED
namespace {

using Tensors = std::vector<at::Tensor>;

// Python refuses fused=True for parameters that are not floating point, before any step.
void RefuseNonFloating(const Tensors& params) {
  for (const auto& param : params) {
    TORCH_CHECK(at::isFloatingType(param.scalar_type()), "fused: true needs floating-point parameters, not ", param.scalar_type());
  }
}

// Step counts as the kernels read them: Python keeps a fused optimizer's step as a float32
// tensor on the parameter's device.
Tensors StepTensors(const Tensors& params, const std::vector<int64_t>& counts, const std::vector<size_t>& indices) {
  Tensors steps;
  for (const size_t i : indices) {
    const auto options = at::TensorOptions().dtype(at::kFloat).device(params[i].device());
    steps.push_back(at::full({}, static_cast<double>(counts[i]), options));
  }
  return steps;
}

}  // namespace

void FusedAdam(const AdamHyper& h, AdamTensors& tensors) {
  RefuseNonFloating(tensors.params);
  for (const auto& indices : ByDeviceAndDtype(tensors.params)) {
    const Tensors params = Pick(tensors.params, indices);
    const Tensors grads = Pick(tensors.grads, indices);
    const Tensors exp_avgs = Pick(tensors.exp_avgs, indices);
    const Tensors exp_avg_sqs = Pick(tensors.exp_avg_sqs, indices);
    const Tensors max_exp_avg_sqs = h.amsgrad ? Pick(tensors.max_exp_avg_sqs, indices) : Tensors();
    const Tensors steps = StepTensors(tensors.params, tensors.steps, indices);
    if (h.decoupled) {
      at::_fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, h.lr, h.beta1, h.beta2, h.weight_decay, h.eps, h.amsgrad,
                        h.maximize);
    } else {
      at::_fused_adam_(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, h.lr, h.beta1, h.beta2, h.weight_decay, h.eps, h.amsgrad,
                       h.maximize);
    }
  }
}

void FusedSgd(const SgdHyper& h, SgdTensors& tensors) {
  RefuseNonFloating(tensors.params);
  // Python starts every momentum buffer at once, on the group's first step (empty; the kernel
  // writes the gradient into it). A group whose parameters did not all step before, which
  // Python cannot step, is stepped here as two: those starting and the others.
  std::vector<size_t> starting, going;
  for (size_t i = 0; i < tensors.params.size(); ++i) {
    const bool first = h.momentum != 0 && !tensors.momentum_buffers[i]->defined();
    if (first) *tensors.momentum_buffers[i] = at::empty_like(tensors.grads[i]);
    (first ? starting : going).push_back(i);
  }
  for (const bool first : {true, false}) {
    const auto& part = first ? starting : going;
    if (part.empty()) continue;
    const Tensors params = Pick(tensors.params, part);
    for (const auto& local : ByDeviceAndDtype(params)) {
      std::vector<size_t> indices;
      for (const size_t j : local) indices.push_back(part[j]);
      Tensors buffers;
      if (h.momentum != 0) {
        for (const size_t i : indices) buffers.push_back(*tensors.momentum_buffers[i]);
      }
      at::_fused_sgd_(Pick(tensors.params, indices), Pick(tensors.grads, indices), buffers, h.weight_decay, h.momentum, h.lr, h.dampening,
                      h.nesterov, h.maximize, first);
    }
  }
}

void FusedAdagrad(const AdagradHyper& h, AdagradTensors& tensors) {
  RefuseNonFloating(tensors.params);
  for (const auto& indices : ByDeviceAndDtype(tensors.params)) {
    const Tensors params = Pick(tensors.params, indices);
    at::_fused_adagrad_(params, Pick(tensors.grads, indices), Pick(tensors.sums, indices), StepTensors(tensors.params, tensors.steps, indices), h.lr,
                        h.lr_decay, h.weight_decay, h.eps, h.maximize);
  }
}

#else  // torchlora's loop, one parameter at a time

void FusedAdam(const AdamHyper& h, AdamTensors& tensors) {
  for (size_t i = 0; i < tensors.params.size(); ++i) {
    LoopAdam(h, tensors.steps[i], tensors.params[i], tensors.grads[i], tensors.exp_avgs[i], tensors.exp_avg_sqs[i], tensors.max_exp_avg_sqs[i]);
  }
}

void FusedSgd(const SgdHyper& h, SgdTensors& tensors) {
  at::Tensor none;
  for (size_t i = 0; i < tensors.params.size(); ++i) {
    LoopSgd(h, tensors.params[i], tensors.grads[i], tensors.momentum_buffers.empty() ? none : *tensors.momentum_buffers[i]);
  }
}

// No loop of its own: Adagrad's default path (1.13's Python has no fused Adagrad to match).
void FusedAdagrad(const AdagradHyper& h, AdagradTensors& tensors) {
  for (size_t i = 0; i < tensors.params.size(); ++i) AdagradUpdate(h, tensors.steps[i], tensors.params[i], tensors.grads[i], tensors.sums[i]);
}

#endif

}  // namespace torchlora
