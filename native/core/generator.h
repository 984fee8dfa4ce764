// Random number generators (at::Generator) as JavaScript values: torch_generator() objects,
// the default CPU generator behind torch_manual_seed, and the Generator? arguments of the
// random operators (native/ops/dispatch.cc).
#pragma once

#include "core/common.h"

namespace torchlora {

// The generator a value made by newGenerator or defaultGenerator holds; a TypeError for any
// other value.
at::Generator ToGenerator(Napi::Env env, Napi::Value value);

void InitGenerator(Napi::Env env, Napi::Object exports);

}  // namespace torchlora
