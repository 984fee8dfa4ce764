// Autograd: backward, gradients, grad mode and torch.autograd.grad.
#pragma once

#include "core/common.h"

namespace torchlora {

void InitAutograd(Napi::Env env, Napi::Object exports);

}  // namespace torchlora
