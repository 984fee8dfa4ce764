// Fused optimizer updates: Adam, AdamW and SGD over one parameter in one pass over param,
// grad and state (PyTorch's single-tensor path takes 6 to 9 passes and 2 temporaries; where
// libtorch's sqrt is MKL's, Adam goes a block at a time, see fused.cc). The
// optimizer's bookkeeping (groups, state, step counts) stays in optim_step.cc; these
// functions only do the arithmetic, on tensors they are given, as optim_step.h's updates do.
#pragma once

#include "core/common.h"
#include "optim/step.h"

namespace torchlora {

// exp_avg, exp_avg_sq (and max_exp_avg_sq with amsgrad) are updated in place, as is param.
void FusedAdam(const AdamStep& hyper, at::Tensor& param, const at::Tensor& grad, at::Tensor& exp_avg, at::Tensor& exp_avg_sq,
               at::Tensor& max_exp_avg_sq);

// With momentum, `momentum_buffer` is read and updated; undefined, it is made (PyTorch then
// starts it as a copy of the gradient).
void FusedSgd(const SgdStep& hyper, at::Tensor& param, const at::Tensor& grad, at::Tensor& momentum_buffer);

}  // namespace torchlora
