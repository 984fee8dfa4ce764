// Native memory as V8 and the tests see it: live tensor statistics, and the allocator
// setting that lets freed tensor buffers be reused (why: docs/memory.md).
#pragma once

#include "core/common.h"

namespace torchlora {

void InitMemory(Napi::Env env, Napi::Object exports);

}  // namespace torchlora
