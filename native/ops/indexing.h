// Tensor indexing: x[i, a:b, idx] and x[...] = v, with PyTorch's 0-based semantics.
#pragma once

#include "core/common.h"

namespace torchlora {

void InitIndexing(Napi::Env env, Napi::Object exports);

}  // namespace torchlora
