// `fused: true`: Python's fused=True. Where the linked libtorch has aten's fused optimizer
// kernels on the CPU (2.4+: `_fused_adam_`, `_fused_adamw_`, `_fused_sgd_`, `_fused_adagrad_`),
// a group's tensors go to them as torch.optim's `_fused_*` functions hand them over, a list
// per device and dtype, so a step is bit-identical to Python's fused=True on the same libtorch
// (and, as there, differs from the default path in the last bits: the kernels order each
// element's arithmetic their own way). Before 2.4 (Debian 12's 1.13, whose Python has no
// fused CPU optimizers) it runs torchlora's one-pass loop (fused_loop.h), which gives the
// default path's result; Adagrad there takes its default path itself.
#pragma once

#include "core/common.h"
#include "optim/step.h"

namespace torchlora {

#define TORCHLORA_ATEN_FUSED TORCHLORA_TORCH_AT_LEAST(2, 4)

// Each updates `tensors` (made by step.cc) in place; SGD makes the momentum buffers it lacks.
void FusedAdam(const AdamHyper& hyper, AdamTensors& tensors);
void FusedSgd(const SgdHyper& hyper, SgdTensors& tensors);
void FusedAdagrad(const AdagradHyper& hyper, AdagradTensors& tensors);

}  // namespace torchlora
