// Native memory as V8 and the tests see it: live tensor statistics, and the allocator
// setting that lets freed tensor buffers be reused (see shared NOTES on RSS growth).
#pragma once

#include "common.h"

namespace torchlora {

// MaybeCollect (common.h) runs the collector set by setCollector when the weighted live bytes
// grew past the limit since the last collection: on entry to every exported function, never
// from a finalizer.

void InitMemory(Napi::Env env, Napi::Object exports);

}  // namespace torchlora
