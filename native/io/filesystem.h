// File-system calls Node has no API for. C++ only converts and calls; when to call them,
// and what to do when the file system refuses, is decided in TypeScript (src/io/atomic.ts).
#pragma once

#include "core/common.h"

namespace torchlora {

void InitFiles(Napi::Env env, Napi::Object exports);

}  // namespace torchlora
