// Fused optimizer updates: Adam, AdamW and SGD over one parameter in one pass over param,
// grad and state (PyTorch's single-tensor path takes 6 to 9 passes and 2 temporaries). The
// optimizer's bookkeeping (groups, state, step counts) stays in optim.cc; these functions
// only do the arithmetic, on tensors they are given.
#pragma once

#include "common.h"

namespace torchlora {

// One Adam or AdamW step of one parameter, with its hyper-parameters as PyTorch's optimizer
// computes them: `step` is the step count after this step (1 on the first).
struct AdamStep {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled;  // AdamW's weight decay (param *= 1 - lr * wd) instead of Adam's L2 term
  bool amsgrad;
  bool maximize;
  int64_t step;
};

// exp_avg, exp_avg_sq (and max_exp_avg_sq with amsgrad) are updated in place, as is param.
void FusedAdam(const AdamStep& hyper, at::Tensor& param, const at::Tensor& grad, at::Tensor& exp_avg, at::Tensor& exp_avg_sq,
               at::Tensor& max_exp_avg_sq);

struct SgdStep {
  double lr, momentum, dampening, weight_decay;
  bool nesterov;
  bool maximize;
};

// With momentum, `momentum_buffer` is read and updated; `first` says it holds nothing yet
// (PyTorch then starts it as a copy of the gradient; it must be allocated like param).
void FusedSgd(const SgdStep& hyper, at::Tensor& param, const at::Tensor& grad, at::Tensor& momentum_buffer, bool first);

}  // namespace torchlora
