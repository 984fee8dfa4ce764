// Data loading: the random draws PyTorch's DataLoader makes, on libtorch's generators.
#pragma once

#include "core/common.h"

namespace torchlora {

void InitData(Napi::Env env, Napi::Object exports);

}  // namespace torchlora
