// Tensor math, shape, reduction, comparison and in-place ops.
#pragma once

#include "core/common.h"

namespace torchlora {

void InitOps(Napi::Env env, Napi::Object exports);

}  // namespace torchlora
