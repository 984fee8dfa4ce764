// LoRA's batched kernels: a batch whose rows use different adapters (mixed-adapter batches),
// computed as a segmented product over rows grouped by adapter (punica's SGMV).
#pragma once

#include "core/common.h"

namespace torchlora {

void InitLora(Napi::Env env, Napi::Object exports);

}  // namespace torchlora
