// The one bridge for errors: TypeScript hands its TorchError class to initialize(), and
// every libtorch failure crosses into JavaScript as an instance of it (see Guarded).
#pragma once

#include "core/common.h"

namespace torchlora {

void InitErrors(Napi::Env env, Napi::Object exports);

}  // namespace torchlora
