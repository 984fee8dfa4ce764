// torchlora's own fused Adam, AdamW and SGD updates, for libtorch without aten's fused CPU
// kernels (before 2.4; Debian 12's 1.13): one parameter in one pass over param, grad and state
// (PyTorch's single-tensor path takes 6 to 9 passes and 2 temporaries; where libtorch's sqrt
// is MKL's, Adam goes a block at a time, see fused_loop.cc). Each element goes through the
// single-tensor path's arithmetic, so the result is that path's (step.h; float64's loop
// contracts no multiply-add where libtorch's AVX2 kernels do, so its last bits may differ),
// not that of a fused kernel that release lacks. fused.cc decides when these run; the
// bookkeeping (groups, state, step counts) stays in step.cc; these functions only do the
// arithmetic, as step.h's updates do.
#pragma once

#include "core/common.h"
#include "optim/step.h"

namespace torchlora {

// exp_avg, exp_avg_sq (and max_exp_avg_sq with amsgrad) are updated in place, as is param.
void LoopAdam(const AdamHyper& hyper, int64_t step, at::Tensor& param, const at::Tensor& grad, at::Tensor& exp_avg, at::Tensor& exp_avg_sq,
              at::Tensor& max_exp_avg_sq);

// With momentum, `momentum_buffer` is read and updated; undefined, it is made (PyTorch then
// starts it as a copy of the gradient).
void LoopSgd(const SgdHyper& hyper, at::Tensor& param, const at::Tensor& grad, at::Tensor& momentum_buffer);

}  // namespace torchlora
