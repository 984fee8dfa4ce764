// Storages as torch.save sees them: which tensors share one, and tensors rebuilt over one.
// C++ only converts and calls; the file format is src/io/serialization.ts.
#pragma once

#include "core/common.h"

namespace torchlora {

void InitSerialization(Napi::Env env, Napi::Object exports);

}  // namespace torchlora
