// PyTorch's multi-tensor optimizer steps (see foreach.h), transcribed from torch.optim's
// `_multi_tensor_adam`, `_multi_tensor_sgd`, `_multi_tensor_rmsprop` and
// `_multi_tensor_adagrad` (1.13's and 2.13's, their capturable=False branches); step.h's
// constants pick the lines that changed between them. Scalars are passed as Python passes
// them: a Python float is a double Scalar, a Python int an integer one.
//
// Where Python adds into a list in place that may hold the parameters' own gradients (SGD
// with Nesterov momentum; 1.x's Adam, RMSprop and Adagrad with weight decay: each changes
// p.grad), the sum is made out of place here: the same values, and the gradients are left
// as backward() made them, as on the other paths.
#include "optim/foreach.h"

#include <algorithm>
#include <vector>

namespace torchlora {
namespace {

using Tensors = std::vector<at::Tensor>;

bool AnySparse(const Tensors& tensors) {
  return std::any_of(tensors.begin(), tensors.end(), [](const at::Tensor& tensor) { return tensor.is_sparse(); });
}

// exp_avg.lerp_(grad, weight) from 2.0 (kAdamLerp, kRmspropLerp), mul_ then add_ before.
void RunningAverage(Tensors& averages, const Tensors& values, double decay, bool lerp) {
#if TORCHLORA_TORCH_AT_LEAST(2, 0)
  if (lerp) return at::_foreach_lerp_(averages, values, 1 - decay);
#endif
  at::_foreach_mul_(averages, decay);
  at::_foreach_add_(averages, values, 1 - decay);
}

}  // namespace

void ForeachAdam(const AdamHyper& h, AdamTensors& tensors) {
  for (const auto& indices : ByDeviceAndDtype(tensors.params)) {
    Tensors params = Pick(tensors.params, indices);
    Tensors grads = Pick(tensors.grads, indices);
    Tensors exp_avgs = Pick(tensors.exp_avgs, indices);
    Tensors exp_avg_sqs = Pick(tensors.exp_avg_sqs, indices);
    if (h.maximize) grads = at::_foreach_neg(grads);
    if (h.weight_decay != 0) {  // 1.x's AdamW also multiplies by 1 when weight_decay is 0: the same bits
      if (h.decoupled) at::_foreach_mul_(params, 1 - h.lr * h.weight_decay);
      else grads = at::_foreach_add(grads, params, h.weight_decay);
    }
    RunningAverage(exp_avgs, grads, h.beta1, kAdamLerp);
    at::_foreach_mul_(exp_avg_sqs, h.beta2);
    at::_foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - h.beta2);
    std::vector<at::Scalar> step_sizes;
    std::vector<at::Scalar> bias_correction2_sqrts;
    for (const size_t i : indices) {
      const double step = static_cast<double>(tensors.steps[i]);
      step_sizes.emplace_back((h.lr / (1 - std::pow(h.beta1, step))) * -1);
      bias_correction2_sqrts.emplace_back(BiasCorrection2Sqrt(1 - std::pow(h.beta2, step)));
    }
    Tensors denoms;
    if (h.amsgrad) {
      Tensors max_exp_avg_sqs = Pick(tensors.max_exp_avg_sqs, indices);
      at::_foreach_maximum_(max_exp_avg_sqs, exp_avg_sqs);
      denoms = at::_foreach_sqrt(max_exp_avg_sqs);
    } else {
      denoms = at::_foreach_sqrt(exp_avg_sqs);
    }
    at::_foreach_div_(denoms, bias_correction2_sqrts);
    at::_foreach_add_(denoms, h.eps);
    at::_foreach_addcdiv_(params, exp_avgs, denoms, step_sizes);
  }
}

void ForeachSgd(const SgdHyper& h, SgdTensors& tensors) {
  for (const auto& indices : ByDeviceAndDtype(tensors.params)) {
    Tensors params = Pick(tensors.params, indices);
    Tensors grads = Pick(tensors.grads, indices);
    const bool sparse = AnySparse(grads);
    if (h.maximize) grads = at::_foreach_neg(grads);
    if (h.weight_decay != 0) grads = at::_foreach_add(grads, params, h.weight_decay);
    if (h.momentum != 0) {
      Tensors buffers;
      const bool all_made = std::all_of(indices.begin(), indices.end(), [&](size_t i) { return tensors.momentum_buffers[i]->defined(); });
      if (all_made) {
        for (const size_t i : indices) buffers.push_back(*tensors.momentum_buffers[i]);
        at::_foreach_mul_(buffers, h.momentum);
        at::_foreach_add_(buffers, grads, 1 - h.dampening);
      } else {  // some parameter's first step: Python goes one tensor at a time
        for (size_t j = 0; j < indices.size(); ++j) {
          at::Tensor& buffer = *tensors.momentum_buffers[indices[j]];
          if (!buffer.defined()) buffer = grads[j].detach().clone();
          else buffer.mul_(h.momentum).add_(grads[j], 1 - h.dampening);
          buffers.push_back(buffer);
        }
      }
      grads = h.nesterov ? at::_foreach_add(grads, buffers, h.momentum) : buffers;
    }
    if (!sparse) {
      at::_foreach_add_(params, grads, -h.lr);
    } else {  // aten's foreach ops take no sparse tensors
      for (size_t j = 0; j < params.size(); ++j) params[j].add_(grads[j], -h.lr);
    }
  }
}

void ForeachRmsprop(const RmspropHyper& h, RmspropTensors& tensors) {
  for (const auto& indices : ByDeviceAndDtype(tensors.params)) {
    Tensors params = Pick(tensors.params, indices);
    Tensors grads = Pick(tensors.grads, indices);
    Tensors square_avgs = Pick(tensors.square_avgs, indices);
    if (h.maximize) grads = at::_foreach_neg(grads);
    if (h.weight_decay != 0) grads = at::_foreach_add(grads, params, h.weight_decay);
    at::_foreach_mul_(square_avgs, h.alpha);
    at::_foreach_addcmul_(square_avgs, grads, grads, 1 - h.alpha);
    Tensors avgs;
    if (h.centered) {
      Tensors grad_avgs = Pick(tensors.grad_avgs, indices);
      RunningAverage(grad_avgs, grads, h.alpha, kRmspropLerp);
      avgs = at::_foreach_addcmul(square_avgs, grad_avgs, grad_avgs, -1);
      at::_foreach_sqrt_(avgs);
    } else {
      avgs = at::_foreach_sqrt(square_avgs);
    }
    at::_foreach_add_(avgs, h.eps);
    if (h.momentum > 0) {
      Tensors buffers = Pick(tensors.momentum_buffers, indices);
      at::_foreach_mul_(buffers, h.momentum);
      at::_foreach_addcdiv_(buffers, grads, avgs);
      at::_foreach_add_(params, buffers, -h.lr);
    } else {
      at::_foreach_addcdiv_(params, grads, avgs, -h.lr);
    }
  }
}

void ForeachAdagrad(const AdagradHyper& h, AdagradTensors& tensors) {
  for (const auto& indices : ByDeviceAndDtype(tensors.params)) {
    Tensors params = Pick(tensors.params, indices);
    Tensors grads = Pick(tensors.grads, indices);
    Tensors sums = Pick(tensors.sums, indices);
    if (AnySparse(grads)) {  // Python takes its single-tensor path for a list with a sparse gradient
      for (size_t j = 0; j < params.size(); ++j) AdagradUpdate(h, tensors.steps[indices[j]], params[j], grads[j], sums[j]);
      continue;
    }
    if (h.maximize) grads = at::_foreach_neg(grads);
    if (h.weight_decay != 0) grads = at::_foreach_add(grads, params, h.weight_decay);
    at::_foreach_addcmul_(sums, grads, grads, 1);
    Tensors stds = at::_foreach_sqrt(sums);
    at::_foreach_add_(stds, h.eps);
    if constexpr (TORCH_VERSION_MAJOR >= 2) {
      std::vector<at::Scalar> minus_clrs;
      for (const size_t i : indices) minus_clrs.emplace_back(-h.lr / (1 + (static_cast<double>(tensors.steps[i]) - 1) * h.lr_decay));
      at::_foreach_addcdiv_(params, at::_foreach_mul(grads, minus_clrs), stds);
    } else {
      // 1.13 keeps the step count as a tensor of the default dtype and computes -lr / (1 +
      // (step - 1) * lr_decay) with tensor ops (`a / t` is t.reciprocal() * a there), so the
      // learning rate is rounded to that dtype.
      Tensors minus_clrs;
      for (const size_t i : indices) {
        const at::Tensor step = at::scalar_tensor(static_cast<double>(tensors.steps[i]), c10::typeMetaToScalarType(at::get_default_dtype()));
        minus_clrs.push_back(step.sub(1).mul(h.lr_decay).add(1).reciprocal().mul(-h.lr));
      }
      at::_foreach_add_(params, at::_foreach_div(at::_foreach_mul(grads, minus_clrs), stds));
    }
  }
}

}  // namespace torchlora
