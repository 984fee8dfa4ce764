// Tensors handed from one thread of the process to another without a copy: the sender parks
// a reference under a number, the receiver (a worker thread's own addon instance) takes it.
// Storage is shared, never copied; when to share and what it means is decided in TypeScript
// (src/jobs/share.ts).
#pragma once

#include "core/common.h"

namespace torchlora {

void InitShared(Napi::Env env, Napi::Object exports);

}  // namespace torchlora
