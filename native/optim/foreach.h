// `foreach: true`: Python's multi-tensor path (torch.optim's `_multi_tensor_*` functions), op
// for op over aten's `_foreach_*` ops, a list per device and dtype as Python groups them. On
// the CPU each `_foreach_*` op runs its single-tensor op on each tensor in turn, so a step is
// bit-identical to Python's foreach=True on the same libtorch. On the CPU that is the default
// path's result too, except 1.13's Adagrad (its multi-tensor path scales the step in float32);
// what differs is the memory: a list's temporaries are all alive at once.
#pragma once

#include "core/common.h"
#include "optim/step.h"

namespace torchlora {

// Each updates `tensors` (made by step.cc) in place; SGD makes the momentum buffers it lacks.
void ForeachAdam(const AdamHyper& hyper, AdamTensors& tensors);
void ForeachSgd(const SgdHyper& hyper, SgdTensors& tensors);
void ForeachRmsprop(const RmspropHyper& hyper, RmspropTensors& tensors);
void ForeachAdagrad(const AdagradHyper& hyper, AdagradTensors& tensors);

}  // namespace torchlora
